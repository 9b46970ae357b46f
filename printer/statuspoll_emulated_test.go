package printer_test

import (
	"context"
	"errors"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stepClock is a waitClock whose ticker ticks only when the test says and
// whose timer (the confirmation timeout) never fires: a wait on it ends
// only on what the printer reports, after exactly the ticks the test gave.
type stepClock struct {
	started chan time.Duration // the wait made its ticker: it is waiting now
	tick    chan time.Time
}

func newStepClock() *stepClock {
	return &stepClock{started: make(chan time.Duration, 1), tick: make(chan time.Time)}
}

func (c *stepClock) Timer(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }

func (c *stepClock) Ticker(d time.Duration) (<-chan time.Time, func()) {
	c.started <- d
	return c.tick, func() {}
}

type printResult struct {
	n   int
	err error
}

// TestFatalStateEndsWait: a fatal state the printer reports ends the
// confirmation wait within the ticks its status channel needs, never at
// the confirmation timeout (which here never comes): an unsolicited
// USTATUS DEVICE at once (no tick), the answer to @PJL INFO STATUS after
// one poll, the port status after two when the printer answers no PJL
// query. The pages that came out are returned with the fault's kind.
func TestFatalStateEndsWait(t *testing.T) {
	for _, c := range []struct {
		spec    string
		ticks   int // ticks the wait may have after the fault
		kind    printer.Kind
		out     int    // pages returned as out
		printed int    // pages the emulated printer put on paper
		via     string // in the error's detail: which channel told
	}{
		{"emulator:paper-out@2", 0, printer.KindPaperOut, 1, 1, "status 41101"},
		{"emulator:jam@2", 0, printer.KindJam, 1, 1, "status 42102"},
		{"emulator:paper-out@2,no-ustatus", 1, printer.KindPaperOut, 1, 1, "status 41101"},
		{"emulator:jam@3,no-ustatus", 1, printer.KindJam, 2, 2, "status 42102"},
		{"emulator:paper-out@2,no-ustatus,no-info", 2, printer.KindPaperOut, 1, 1, "port status"},
		{"emulator:jam@1,no-ustatus,no-info", 2, printer.KindJam, 0, 0, "port status"},
		// Without its ECHO the readback cannot be told from an earlier
		// job's: the page reports do not count, the port status does.
		{"emulator:no-echo,paper-out@2", 2, printer.KindPaperOut, 0, 1, "port status"},
	} {
		t.Run(c.spec, func(t *testing.T) {
			cfg, err := emuprinter.ParseConfig(strings.TrimPrefix(c.spec, "emulator:"))
			if err != nil {
				t.Fatal(err)
			}
			clk := newStepClock()
			opts := fastOptions(11)
			opts.ConfirmTimeout = time.Hour
			printer.SetWaitClock(&opts, clk)
			p, em := openEmulated(t, cfg, opts)
			res := make(chan printResult, 1)
			go func() {
				n, err := p.Print(testCtx(t), nil, testPages(t, 3, 300))
				res <- printResult{n, err}
			}()
			var r printResult
			select {
			case d := <-clk.started:
				if d != time.Second {
					t.Errorf("status interval %v, want the 1 s default", d)
				}
				// Every byte is out; wait for the printer to stop (a
				// condition, not a duration), then give the ticks.
				for em.PortStatus().Problem() == 0 {
					time.Sleep(time.Millisecond)
				}
				for range c.ticks {
					select {
					case clk.tick <- time.Time{}:
					case r = <-res:
						t.Fatalf("ended before its ticks: %d, %v", r.n, r.err)
					}
				}
				select {
				case r = <-res:
				case <-time.After(20 * time.Second): // generous: the answer takes milliseconds
					t.Fatalf("the wait did not end after %d ticks", c.ticks)
				}
			case r = <-res:
				// The fault came while the job was being sent.
				if c.ticks != 0 {
					t.Fatalf("ended before the wait: %d, %v", r.n, r.err)
				}
			}
			var pe *printer.Error
			if !errors.As(r.err, &pe) || pe.Kind != c.kind || !pe.Sent || !errors.Is(r.err, printer.ErrUnconfirmed) {
				t.Fatalf("Print = %d, %v; want kind %v, sent", r.n, r.err, c.kind)
			}
			if r.n != c.out || len(em.Pages()) != c.printed {
				t.Fatalf("returned %d pages out, the printer printed %d; want %d and %d", r.n, len(em.Pages()), c.out, c.printed)
			}
			if !strings.Contains(pe.Detail, c.via) {
				t.Fatalf("detail %q: not told by %q", pe.Detail, c.via)
			}
		})
	}
}

// TestFatalStateEndsWaitIPP: an IPP printer's fatal printer-state-reason
// ends the wait at its first look, with the impressions completed, and
// the job is cancelled so that it does not resume once the fault is
// cleared.
func TestFatalStateEndsWaitIPP(t *testing.T) {
	for _, c := range []struct {
		spec string
		kind error
		out  int
	}{
		{"emulator:ipp,paper-out@2", printer.ErrPaperOut, 1},
		{"emulator:ipp,jam@3", printer.ErrJam, 2},
	} {
		t.Run(c.spec, func(t *testing.T) {
			cfg, err := emuprinter.ParseConfig(strings.TrimPrefix(c.spec, "emulator:"))
			if err != nil {
				t.Fatal(err)
			}
			clk := newStepClock()
			opts := fastOptions(12)
			opts.ConfirmTimeout = time.Hour
			printer.SetWaitClock(&opts, clk)
			p, _ := openEmulated(t, cfg, opts)
			n, err := p.Print(testCtx(t), nil, testPages(t, 3, 300)) // no tick is ever given
			if n != c.out || !errors.Is(err, c.kind) || !errors.Is(err, printer.ErrUnconfirmed) {
				t.Fatalf("Print = %d, %v; want %d, %v", n, err, c.out, c.kind)
			}
		})
	}
}

// TestStatusPollHarmless: polling a healthy printer every millisecond
// while it prints slowly neither ends nor spoils the job: it is confirmed
// with every page, as sent, and the printer answered the queries.
func TestStatusPollHarmless(t *testing.T) {
	opts := fastOptions(13)
	opts.ConfirmTimeout, opts.StatusInterval = time.Minute, time.Millisecond
	em := emuprinter.New(emuprinter.Config{Scenario: emuprinter.Scenario{PageTime: 30 * time.Millisecond}})
	cl := &countLink{Link: em}
	p, err := printer.New(testCtx(t), printer.OnLink(cl), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	pages := testPages(t, 3, 300)
	n, err := p.Print(testCtx(t), nil, pages)
	if n != 3 || err != nil {
		t.Fatalf("Print = %d, %v", n, err)
	}
	got := em.Pages()
	if len(got) != 3 {
		t.Fatalf("%d pages printed", len(got))
	}
	for i, g := range got {
		samePage(t, g, pages[i])
	}
	if cl.queries.Load() == 0 {
		t.Fatal("the printer was never asked its state while the job ran")
	}
	if err := em.Err(); err != nil {
		t.Fatal(err)
	}
}

// countLink counts the PJL status queries written to the printer.
type countLink struct {
	printer.Link
	queries atomic.Int32
}

func (l *countLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	if strings.Contains(string(p), "@PJL INFO STATUS") && !strings.Contains(string(p), "@PJL JOB") {
		l.queries.Add(1)
	}
	return l.Link.BulkOut(ctx, p)
}
