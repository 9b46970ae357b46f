package health

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Status is a check's verdict.
type Status int

// The verdicts, from good to bad.
const (
	OK   Status = iota // nothing to do
	Warn               // works, but a technician should look
	Fail               // broken: a blocking check that fails keeps the kiosk closed
)

func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	case Fail:
		return "FAIL"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText writes the verdict as OK, WARN or FAIL.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Result is what one check found. Detail is plain words for a
// technician: what is wrong and what to do (or, for OK, what was seen).
type Result struct {
	Status Status
	Detail string
}

func ok(format string, a ...any) Result   { return Result{OK, fmt.Sprintf(format, a...)} }
func warn(format string, a ...any) Result { return Result{Warn, fmt.Sprintf(format, a...)} }
func fail(format string, a ...any) Result { return Result{Fail, fmt.Sprintf(format, a...)} }

// Check is one preflight check. Blocking checks keep the customer UI
// closed while they fail; the others are only reported.
type Check struct {
	Name     string // short, lower case: reader, card, printer, center, journal, disk
	Blocking bool
	Run      func(ctx context.Context) Result
}

// Outcome is a check's result as run.
type Outcome struct {
	Name     string        `json:"name"`
	Blocking bool          `json:"blocking"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail"`
	Took     time.Duration `json:"-"`
}

// Report is every check's outcome, in the order the checks were given.
type Report struct {
	Outcomes []Outcome
}

// OK reports whether no blocking check failed.
func (r Report) OK() bool { return len(r.Blocking()) == 0 }

// Blocking returns the blocking checks that failed.
func (r Report) Blocking() []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if o.Blocking && o.Status == Fail {
			out = append(out, o)
		}
	}
	return out
}

// DefaultTimeout bounds one check when Run is given no timeout.
const DefaultTimeout = 20 * time.Second

// Run runs the checks side by side, each under its own timeout (a hung
// printer must not hide the center's state), and returns their outcomes
// in the order given. A check that overruns its timeout fails.
func Run(ctx context.Context, checks []Check, timeout time.Duration) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	out := make([]Outcome, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = RunOne(ctx, c, timeout)
		}()
	}
	wg.Wait()
	return Report{Outcomes: out}
}

// RunOne runs one check under timeout.
func RunOne(ctx context.Context, c Check, timeout time.Duration) Outcome {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan Result, 1)
	go func() { done <- c.Run(cctx) }()
	var r Result
	select {
	case r = <-done:
	case <-cctx.Done():
		// The check did not honour its context; do not wait for it.
		r = fail("no answer within %s: the device or service hangs; check its cable, power or network", timeout)
		if ctx.Err() != nil {
			r = fail("interrupted: %v", ctx.Err())
		}
	}
	return Outcome{Name: c.Name, Blocking: c.Blocking, Status: r.Status, Detail: r.Detail, Took: time.Since(start)}
}
