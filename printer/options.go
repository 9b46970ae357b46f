package printer

import (
	"io"
	"log/slog"
	"time"
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
	// PollInterval between IPP job-state queries (default 500 ms).
	PollInterval time.Duration
	// Quirks added to DefaultQuirks (site configuration).
	Quirks []QuirkRule
	// Rand is the source of job names (default crypto/rand).
	Rand io.Reader
	// Logger receives diagnostics (default: discarded). Never document
	// content.
	Logger *slog.Logger
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

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o *Options) quirks() []QuirkRule {
	return append(DefaultQuirks(), o.Quirks...)
}
