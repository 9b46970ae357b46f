package printer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/printer"
	"kofu/printer/emuprinter"
)

// lockedLog is a log sink the printer writes from its caller's goroutine.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// queryClock is a wait clock whose timer (the INFO CONFIG query's
// timeout) fires only when the test closes fire, and says when it was
// made; it has no ticker (no job runs on it).
type queryClock struct {
	made chan time.Duration
	fire chan time.Time
}

func newQueryClock() *queryClock {
	return &queryClock{made: make(chan time.Duration, 4), fire: make(chan time.Time)}
}

func (c *queryClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	c.made <- d
	return c.fire, func() {}
}

func (c *queryClock) Ticker(time.Duration) (<-chan time.Time, func()) { return nil, func() {} }

// TestPJLDuplexFromInfoConfig: a bidirectional PJL printer is asked
// @PJL INFO CONFIG once, before the first two-sided job; a printer that
// says DUPLEX=NOTINSTALLED is refused (print-no-duplex) with nothing of
// the job sent; one that says INSTALLED prints; the site's no-duplex
// quirk overrides what the printer says, without asking it. A printer
// that does not answer — at once (it answers the ECHO after the
// question), or never (the query's timeout, on the wait clock) — or
// answers garbage (a typed *pjl.ConfigError in the log) is what it was
// before kofu asked: the quirk decides, and without it the job goes.
func TestPJLDuplexFromInfoConfig(t *testing.T) {
	for _, c := range []struct {
		name    string
		sc      emuprinter.Scenario
		quirks  printer.Quirks
		refused bool
		asked   bool   // the query reached the printer
		detail  string // in the refusal's detail
		log     string // in the printer's log
	}{
		{"says NOTINSTALLED", emuprinter.Scenario{NoDuplex: true}, 0, true, true,
			`INFO CONFIG "DUPLEX=NOTINSTALLED [2 ENUMERATED]": no duplex unit`, "duplex=\"not installed\""},
		{"says INSTALLED", emuprinter.Scenario{}, 0, false, true, "", "duplex=installed"},
		{"says INSTALLED, the site's quirk says no-duplex", emuprinter.Scenario{}, printer.QuirkNoDuplex, true, false,
			"the site's quirk says no-duplex", ""},
		{"no answer, no duplex unit, no quirk", emuprinter.Scenario{NoDuplex: true, NoInfoConfig: true}, 0, false, true,
			"", "it answered the ECHO after the question"},
		{"no answer, the site's quirk", emuprinter.Scenario{NoDuplex: true, NoInfoConfig: true}, printer.QuirkNoDuplex, true, false,
			"the site's quirk says no-duplex", ""},
		{"malformed answer, no quirk", emuprinter.Scenario{NoDuplex: true, BadInfoConfig: true}, 0, false, true,
			"", "pjl: malformed INFO CONFIG answer, line 1"},
		{"malformed answer, the site's quirk", emuprinter.Scenario{NoDuplex: true, BadInfoConfig: true}, printer.QuirkNoDuplex, true, false,
			"the site's quirk says no-duplex", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log lockedLog
			opts := fastOptions(21)
			opts.Duplex = true
			opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
			clk := newQueryClock()
			printer.SetWaitClock(&opts, clk) // its timer never fires here: an answer, or the echo, ends the query
			p, em := openEmulated(t, emuprinter.Config{Scenario: c.sc, Quirks: c.quirks}, opts)
			base, _ := em.Received()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := p.DuplexReady(ctx)
			if ctx.Err() != nil {
				t.Fatalf("DuplexReady waited for its context: %v", err)
			}
			asked, _ := em.Received()
			if (asked > base) != c.asked {
				t.Fatalf("%d bytes reached the printer; asked %v, want %v", asked-base, asked > base, c.asked)
			}
			var pe *printer.Error
			if c.refused {
				if !errors.As(err, &pe) || pe.Kind != printer.KindNoDuplex || pe.Sent || !strings.Contains(err.Error(), c.detail) {
					t.Fatalf("DuplexReady = %v; want KindNoDuplex, nothing sent, saying %q", err, c.detail)
				}
			} else if err != nil {
				t.Fatalf("DuplexReady = %v; want nil", err)
			}
			if !strings.Contains(log.String(), c.log) {
				t.Fatalf("the log does not say %q:\n%s", c.log, log.String())
			}
			// Asked once: Prepare and Print of a two-sided job do not ask
			// again, and on refusal send nothing.
			pgs := duplexPages(t, 3, 300)
			perr := p.Prepare(ctx, pgs)
			if again, _ := em.Received(); again != asked {
				t.Fatalf("Prepare sent %d more bytes: the printer was asked again", again-asked)
			}
			n, err := p.Print(ctx, nil, pgs)
			if c.refused {
				if !errors.Is(perr, printer.ErrNoDuplex) || !errors.Is(err, printer.ErrNoDuplex) || errors.Is(err, printer.ErrUnconfirmed) {
					t.Fatalf("Prepare = %v, Print = %d, %v; want ErrNoDuplex, not sent", perr, n, err)
				}
				if after, _ := em.Received(); after != asked || len(em.Pages()) != 0 {
					t.Fatalf("refused, yet %d bytes and %d pages reached the printer", after-asked, len(em.Pages()))
				}
				return
			}
			if perr != nil || n != 6 || err != nil {
				t.Fatalf("Prepare = %v, Print = %d, %v; want 6 faces printed", perr, n, err)
			}
			if j := em.Jobs(); len(j) != 1 || !j[0].Duplex {
				t.Fatalf("jobs %+v: want one duplex job", j)
			}
		})
	}
}

// TestPJLInfoConfigTimeout: a printer that answers neither INFO CONFIG
// nor the ECHO after it keeps the query waiting until its timeout fires
// on the wait clock, no longer; then it is taken as not answering (the
// quirk decides: here none, so a two-sided job may go), and the wait is
// not repeated.
func TestPJLInfoConfigTimeout(t *testing.T) {
	var log lockedLog
	opts := fastOptions(22)
	opts.Duplex = true
	opts.QueryTimeout = 1500 * time.Millisecond
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	clk := newQueryClock()
	printer.SetWaitClock(&opts, clk)
	p, em := openEmulated(t, emuprinter.Config{Scenario: emuprinter.Scenario{NoDuplex: true, NoInfoConfig: true, NoEcho: true}}, opts)
	done := make(chan error, 1)
	go func() { done <- p.DuplexReady(testCtx(t)) }()
	if d := <-clk.made; d != opts.QueryTimeout {
		t.Fatalf("query timeout %v, want Options.QueryTimeout %v", d, opts.QueryTimeout)
	}
	time.Sleep(100 * time.Millisecond) // give a wrong implementation the chance to return early
	select {
	case err := <-done:
		t.Fatalf("DuplexReady returned before the timeout fired: %v", err)
	default:
	}
	close(clk.fire)
	if err := <-done; err != nil {
		t.Fatalf("DuplexReady = %v after the timeout; want nil (no quirk)", err)
	}
	if !strings.Contains(log.String(), "no answer to @PJL INFO CONFIG in 1.5s") {
		t.Fatalf("the log does not say the printer did not answer:\n%s", log.String())
	}
	sent, _ := em.Received()
	if err := p.DuplexReady(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-clk.made:
		t.Fatalf("asked again (a timer of %v)", d)
	default:
	}
	if again, _ := em.Received(); again != sent {
		t.Fatalf("asked again: %d more bytes", again-sent)
	}
}
