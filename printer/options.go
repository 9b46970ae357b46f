package printer

import (
	"io"
	"log/slog"
	"time"

	"kofu/printer/groundpattern"
)

// controlTimeout bounds every control transfer (gousb's default, 0,
// waits forever).
const controlTimeout = 5 * time.Second

// Options tune a Printer. The zero value is the production default.
type Options struct {
	// ConfirmTimeout is how long to wait for the printer to confirm a
	// job after its last byte was sent, plus PerPage for every page.
	// Defaults: 60 s and 20 s.
	ConfirmTimeout, PerPage time.Duration
	// StallTimeout: a bulk transfer that has not completed in this time
	// makes the writer poll the port status (default 1.5 s, usblp's).
	StallTimeout time.Duration
	// WriteTimeout: how long the printer may take no data at all before
	// the job is abandoned (default 60 s).
	WriteTimeout time.Duration
	// PollInterval between IPP job-state and printer-state queries while
	// a job waits for its confirmation (default 500 ms).
	PollInterval time.Duration
	// StatusInterval: while a PJL job waits for its confirmation, the
	// printer is asked its state this often — @PJL INFO STATUS on the
	// pipe, and GET_PORT_STATUS when a query has gone unanswered for an
	// interval — so that paper out, a jam, an open cover or an offline
	// printer ends the wait at once rather than at ConfirmTimeout
	// (default 1 s). Unsolicited USTATUS DEVICE reports end it as they
	// arrive.
	StatusInterval time.Duration
	// QueryTimeout bounds a question asked of a PJL printer outside a
	// job whose answer kofu can do without — @PJL INFO CONFIG, asked
	// once before the first two-sided job: a printer that has not
	// answered in this time is taken not to answer (default 3 s). A
	// printer that answers the ECHO after the question but not the
	// question is known not to answer at once.
	QueryTimeout time.Duration
	// Quirks added to the built-in quirk table when a USB interface is
	// chosen (the site's [printer] quirks).
	Quirks []QuirkRule
	// GroundPattern, when not nil, is the copy-evident ground pattern
	// (けん制文字) added to every page the printer prints at the
	// pattern's resolution, after verification and before encoding: only
	// on pixels white in the verified page and outside its bottom band and
	// the KOFU symbol's quiet zone (VerifiedPage.QRZone), and checked on
	// every page to leave every verified black pixel and the whole band
	// bit-identical. A page that fails is not sent (KindGroundPattern).
	GroundPattern *groundpattern.Pattern
	// RequireGroundPattern refuses (KindGroundPattern) a page the pattern
	// is not built for — a 300-dpi page, as printer/groundpattern is
	// 600 dpi only — instead of printing it without the pattern and
	// logging a warning. The store profiles set it.
	RequireGroundPattern bool
	// Duplex: the site prints documents two-sided ([printer] duplex). The
	// kiosk then asks the center for two-sided documents (Printer.Sides),
	// and a printer that cannot print both sides of a sheet is refused
	// before a session starts (Printer.DuplexReady) as well as before
	// its job (KindNoDuplex). A two-sided document is printed two-sided
	// whatever this says: its backs are part of it.
	Duplex bool
	// Rand is the source of job names (default crypto/rand).
	Rand io.Reader
	// Logger receives diagnostics (default: discarded). Never document
	// content.
	Logger *slog.Logger

	// clock makes the confirmation wait's timers (default: package time);
	// tests drive the wait tick by tick.
	clock waitClock
}

func (o *Options) confirmTimeout(pages int) time.Duration {
	base, per := o.ConfirmTimeout, o.PerPage
	if base <= 0 {
		base = 60 * time.Second
	}
	if per <= 0 {
		per = 20 * time.Second
	}
	return base + time.Duration(pages)*per
}

func (o *Options) stallTimeout() time.Duration {
	if o.StallTimeout > 0 {
		return o.StallTimeout
	}
	return 1500 * time.Millisecond
}

func (o *Options) writeTimeout() time.Duration {
	if o.WriteTimeout > 0 {
		return o.WriteTimeout
	}
	return 60 * time.Second
}

func (o *Options) pollInterval() time.Duration {
	if o.PollInterval > 0 {
		return o.PollInterval
	}
	return 500 * time.Millisecond
}

func (o *Options) statusInterval() time.Duration {
	if o.StatusInterval > 0 {
		return o.StatusInterval
	}
	return time.Second
}

func (o *Options) queryTimeout() time.Duration {
	if o.QueryTimeout > 0 {
		return o.QueryTimeout
	}
	return 3 * time.Second
}

func (o *Options) waitClock() waitClock {
	if o.clock != nil {
		return o.clock
	}
	return realClock{}
}

// waitClock makes the timer and the ticker a confirmation wait runs on,
// and the timer of a query outside a job (QueryTimeout).
type waitClock interface {
	// Timer fires once after d; stop releases it.
	Timer(d time.Duration) (c <-chan time.Time, stop func())
	// Ticker fires every d; stop releases it.
	Ticker(d time.Duration) (c <-chan time.Time, stop func())
}

// realClock is package time.
type realClock struct{}

func (realClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

func (realClock) Ticker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}
