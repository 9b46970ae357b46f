package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"kofu/internal/sdnotify"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/metrics"
)

// service is what `kiosk run` does as a long-running service around its
// sessions: the structured log, the metrics, readiness and watchdog for
// systemd, and the graceful stop. The customer UI loop attaches each
// kiosk it builds with instrument.
type service struct {
	log     *slog.Logger
	metrics *metrics.Metrics
	notify  *sdnotify.Notifier
	track   *tracker
	// wedged is how long one session may last before the main loop counts
	// as stuck (its own deadlines failed): the watchdog stops pinging.
	wedged time.Duration
}

func newService(log *slog.Logger, m *metrics.Metrics, n *sdnotify.Notifier, t terminal.Timeouts) *service {
	return &service{log: log, metrics: m, notify: n, track: &tracker{},
		wedged: t.Session + t.Finish + time.Minute}
}

// instrument attaches the service's observers (state tracker, log,
// metrics) to a kiosk. The customer UI calls it on every kiosk it builds.
func (s *service) instrument(k *terminal.Kiosk) {
	if k.Log == nil {
		k.Log = s.log // a recovered panic is logged where the service logs
	}
	if prev := k.Admit; prev != nil {
		k.Admit = func(st terminal.State) error {
			if err := prev(st); err != nil {
				return err
			}
			return s.track.admit(st)
		}
	} else {
		k.Admit = s.track.admit
	}
	k.Observers = append(k.Observers, s.track, logObserver{s.log})
	if s.metrics != nil {
		k.Observers = append(k.Observers, s.metrics, statusObserver{s.metrics})
	}
}

// withResults attaches the service's observers (state tracker, log,
// metrics) to every kiosk the customer UI builds, as instrument does for
// the autopilot's: stage times, outcome and refusal counters, the
// watchdog's view of a session, and a stop that lets a print finish.
func withResults(s *service) uiOption {
	return func(u *ui) { u.instrument = s.instrument }
}

// healthy is the watchdog's test: no session has outlived every deadline
// it has.
func (s *service) healthy() bool {
	_, since, active := s.track.current()
	return !active || time.Since(since) < s.wedged
}

// ready tells systemd the kiosk is ready and starts the watchdog; the
// returned function stops it.
func (s *service) ready(ctx context.Context) (stop func()) {
	if err := s.notify.Ready(); err != nil {
		s.log.Warn("sd_notify READY failed", "err", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.notify.Watchdog(wctx, s.healthy) }()
	return func() { cancel(); <-done }
}

// drain derives the sessions' context from the run's: when ctx ends
// (SIGTERM, Ctrl-C) no new session starts, a session that has not begun
// printing is aborted at once (terminal.ErrShutdown: cancelled, its fee
// released and journaled), and one printing or settling gets up to bound
// to finish before it is aborted too. release frees the watcher when the
// run ends first.
func (s *service) drain(ctx context.Context, bound time.Duration) (sctx context.Context, release func()) {
	sctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	quit := make(chan struct{})
	go func() {
		select {
		case <-quit:
			return
		case <-ctx.Done():
		}
		_ = s.notify.Stopping()
		st, active := s.track.stop()
		s.log.Info("stopping", "session_active", active, "state", string(st))
		if active && (st == terminal.StatePrint || st == terminal.StateSettle) {
			deadline := time.NewTimer(bound)
			defer deadline.Stop()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
		wait:
			for {
				select {
				case <-deadline.C:
					s.log.Warn("print did not finish before the stop timeout; aborting", "bound", bound.String())
					break wait
				case <-quit:
					break wait
				case <-tick.C:
					if st, _, active := s.track.current(); !active || (st != terminal.StatePrint && st != terminal.StateSettle) {
						break wait
					}
				}
			}
		}
		cancel(terminal.ErrShutdown)
	}()
	return sctx, func() { close(quit); cancel(nil) }
}

// probeDevices sets the printer and reader gauges from a probe of each,
// before any session runs; after that each session's outcome updates
// them (statusObserver). Probing is never done while a session may be
// printing: a status query on the printer's link in the middle of a job
// could disturb its confirmation. A nil printer or reader is skipped.
func (s *service) probeDevices(ctx context.Context, printerOpen health.PrinterOpener, reader *health.Check) {
	if s.metrics == nil {
		return
	}
	if printerOpen != nil {
		pctx, cancel := context.WithTimeout(ctx, health.DefaultTimeout)
		info, r := health.ProbePrinter(pctx, printerOpen)
		cancel()
		switch {
		case r.Status != health.Fail:
			s.metrics.SetPrinter(metrics.StatusReady)
		case info == nil:
			s.metrics.SetPrinter(metrics.StatusOffline)
		default:
			s.metrics.SetPrinter(metrics.StatusError)
		}
	}
	if reader != nil {
		if o := health.RunOne(ctx, *reader, health.DefaultTimeout); o.Status == health.Fail {
			s.metrics.SetReader(metrics.StatusOffline)
		} else {
			s.metrics.SetReader(metrics.StatusReady)
		}
	}
}

// tracker is an observer that knows the session in progress, if any,
// and the gate (Kiosk.Admit) that keeps a stopping machine from starting
// to print.
type tracker struct {
	mu       sync.Mutex
	state    terminal.State
	start    time.Time
	active   bool
	stopping bool
}

// admit is Kiosk.Admit: once the machine is stopping no session enters
// print; a session admitted to print is seen printing by stop, whatever
// the order the two race in.
func (t *tracker) admit(to terminal.State) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping && to == terminal.StatePrint {
		return terminal.ErrShutdown
	}
	if !t.active {
		t.start, t.active = time.Now(), true
	}
	t.state = to
	return nil
}

// stop marks the machine stopping and returns the state of the session
// in progress, if any.
func (t *tracker) stop() (terminal.State, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopping = true
	return t.state, t.active
}

func (t *tracker) Transition(_ string, from, to terminal.State, _ time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if from == terminal.StateIdle {
		t.start = time.Now()
	}
	t.state, t.active = to, true
}

func (t *tracker) End(string, terminal.State, time.Duration, terminal.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state, t.active = terminal.StateIdle, false
}

// current returns the state of the session in progress and when it began.
func (t *tracker) current() (terminal.State, time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state, t.start, t.active
}

// logObserver logs transitions (debug) and session ends (info): codes,
// ids and durations only, never personal data.
type logObserver struct{ log *slog.Logger }

func (l logObserver) Transition(session string, from, to terminal.State, spent time.Duration) {
	l.log.Debug("state", "session", session, "from", string(from), "to", string(to), "spent", spent.Round(10*time.Millisecond).String())
}

func (l logObserver) End(session string, last terminal.State, spent time.Duration, r terminal.Result) {
	level := slog.LevelInfo
	if r.Outcome == protocol.ResultRefused || r.Outcome == protocol.ResultUnknown {
		level = slog.LevelWarn // an incident at the center, or paper staff must look at
	}
	l.log.Log(context.Background(), level, "session ended", "session", session, "outcome", string(r.Outcome),
		"reason", r.Reason, "tid", r.TID, "pages", r.Pages, "fee", r.Fee, "payment", r.Payment, "billing", r.Billing,
		"last_state", string(last))
}

// statusObserver keeps the printer and reader gauges current from what
// each session found.
type statusObserver struct{ m *metrics.Metrics }

func (statusObserver) Transition(string, terminal.State, terminal.State, time.Duration) {}

func (o statusObserver) End(_ string, _ terminal.State, _ time.Duration, r terminal.Result) {
	class := r.Reason.Class()
	switch {
	case r.Outcome == protocol.ResultPrinted:
		o.m.SetPrinter(metrics.StatusReady)
	case r.Reason == "print-offline" || r.Reason == "print-no-backend":
		o.m.SetPrinter(metrics.StatusOffline)
	case class == terminal.ClassPrinter:
		o.m.SetPrinter(metrics.StatusError)
	}
	switch {
	case r.Reason == terminal.ReasonCardRemoved:
	case r.Reason.Stage() == "card-certificate":
		o.m.SetReader(metrics.StatusError)
	case r.Outcome == protocol.ResultPrinted || class == terminal.ClassCenter || r.Outcome == protocol.ResultRefused:
		o.m.SetReader(metrics.StatusReady) // the card was read and signed
	}
}

// newLogger builds the kiosk's log on w: JSON (journald, log shippers) or
// text; format "" is JSON unless w is a terminal. Times are to the second:
// journald stamps lines itself, and long digit runs are kept out of the
// log.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	var lv slog.Level
	switch level {
	case "", "info":
		lv = slog.LevelInfo
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.String(slog.TimeKey, a.Value.Time().UTC().Format(time.RFC3339))
		}
		return a
	}}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: json or text", format)
}
