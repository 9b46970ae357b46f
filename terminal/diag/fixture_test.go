package diag

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/clock"
	"kofu/printer"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// The tests pin every instant and the zone: the journal's records are
// written at chosen instants, the UI's clock starts at base, and times
// are shown in a fixed +09:00 zone, whatever the machine's date, hour or
// zone.

func jstz() *time.Location { return time.FixedZone("JST", 9*3600) }

// base is the instant the UI's clock starts at: Monday 2026-12-07
// 10:00 JST.
func base() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, jstz()) }

// The sessions of the test journal, by reference number.
const (
	sidPrinted = "4821-9930-1177.aaaaaaaaaaaaaaaa" // printed, 6 days before base
	sidRefused = "5555-1234-0001.bbbbbbbbbbbbbbbb" // refused page-qr-mismatch, today 09:00
	sidUnknown = "5555-1234-0002.cccccccccccccccc" // unknown print-paper-out, today 09:30, in the outbox
	sidOld     = "7777-0000-0003.dddddddddddddddd" // failed center-busy, 10 days before base
	sidCancel  = "7777-0000-0004.eeeeeeeeeeeeeeee" // cancelled pin-timeout, yesterday
	tidUnknown = "Y2NjY2NjY2NjY2NjY2NjYw"
	bindingB64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
)

// writeJournal writes the test journal at dir/journal, each record at
// its pinned instant.
func writeJournal(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "journal")
	var at time.Time
	j, _, err := journal.Open(path, make([]byte, 32), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	b := base()
	for _, r := range []struct {
		at time.Time
		r  journal.Record
	}{
		{b.Add(-10 * 24 * time.Hour), journal.Record{Kind: journal.KindState, Session: sidOld, State: "card"}},
		{b.Add(-10*24*time.Hour + time.Minute), journal.Record{Kind: journal.KindEnd, Session: sidOld, State: "failed", Reason: "center-busy", Billing: "none"}},
		{b.Add(-6 * 24 * time.Hour), journal.Record{Kind: journal.KindState, Session: sidPrinted, State: "card"}},
		{b.Add(-6*24*time.Hour + time.Second), journal.Record{Kind: journal.KindState, Session: sidPrinted, State: "verify", TID: "YWFhYWFhYWFhYWFhYWFhYQ", Binding: bindingB64}},
		{b.Add(-6*24*time.Hour + 2*time.Second), journal.Record{Kind: journal.KindState, Session: sidPrinted, State: "print"}},
		{b.Add(-6*24*time.Hour + 30*time.Second), journal.Record{Kind: journal.KindEnd, Session: sidPrinted, State: "printed", Fee: 300, Billing: "captured", Pages: 1}},
		{b.Add(-20 * time.Hour), journal.Record{Kind: journal.KindState, Session: sidCancel, State: "card"}},
		{b.Add(-20*time.Hour + time.Minute), journal.Record{Kind: journal.KindEnd, Session: sidCancel, State: "cancelled", Reason: "pin-timeout", Billing: "none"}},
		{b.Add(-time.Hour), journal.Record{Kind: journal.KindState, Session: sidRefused, State: "card"}},
		{b.Add(-time.Hour + time.Second), journal.Record{Kind: journal.KindState, Session: sidRefused, State: "verify", TID: "YmJiYmJiYmJiYmJiYmJiYg", Binding: bindingB64}},
		{b.Add(-time.Hour + 5*time.Second), journal.Record{Kind: journal.KindEnd, Session: sidRefused, State: "refused", Reason: "page-qr-mismatch", Billing: "released"}},
		{b.Add(-30 * time.Minute), journal.Record{Kind: journal.KindState, Session: sidUnknown, State: "card"}},
		{b.Add(-30*time.Minute + time.Second), journal.Record{Kind: journal.KindState, Session: sidUnknown, State: "verify", TID: tidUnknown, Binding: bindingB64}},
		{b.Add(-30*time.Minute + 2*time.Second), journal.Record{Kind: journal.KindState, Session: sidUnknown, State: "print"}},
		{b.Add(-30*time.Minute + 5*time.Second), journal.Record{Kind: journal.KindEnd, Session: sidUnknown, State: "unknown", Reason: "print-paper-out", Billing: "released"}},
		{b.Add(-30*time.Minute + 6*time.Second), journal.Record{Kind: journal.KindOutbox, Session: sidUnknown, State: "unknown", Reason: "print-paper-out", TID: tidUnknown, Binding: bindingB64}},
	} {
		at = r.at
		if err := j.Append(r.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeBackend answers the device questions at once, from what the test
// set, and the journal questions from a real journal.
type fakeBackend struct {
	Backend // the journal's answers (Parts)
	mu      sync.Mutex
	printer health.Result
	status  printer.Status
	calls   map[string]*atomic.Int32
	// testPage, when set, is the test page (it may block until ctx ends).
	testPage func(ctx context.Context) health.Result
	send     func(ctx context.Context) (int, error)
	audits   []Audit
}

func (f *fakeBackend) Audit(_ context.Context, a Audit) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audits = append(f.audits, a)
	return nil
}

// audited returns the audits so far.
func (f *fakeBackend) audited() []Audit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Audit(nil), f.audits...)
}

func newFake(t *testing.T) *fakeBackend {
	t.Helper()
	path := writeJournal(t, t.TempDir())
	f := &fakeBackend{Backend: Parts{Journal: path, ExportDir: filepath.Join(filepath.Dir(path), "exports"), Now: clock.Starting(base())}.Backend(),
		calls:   map[string]*atomic.Int32{},
		printer: health.Result{Status: health.OK, Detail: "kofu Test Printer (SN T1): ready"}}
	for _, n := range []string{"printer", "reader", "center", "checks", "journal"} {
		f.calls[n] = new(atomic.Int32)
	}
	return f
}

func (f *fakeBackend) count(name string) int { return int(f.calls[name].Load()) }

func (f *fakeBackend) setPrinter(r health.Result, st printer.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.printer, f.status = r, st
}

func (f *fakeBackend) Checks() []health.Check {
	f.calls["checks"].Add(1)
	long := strings.Repeat("a long detail that wraps ", 8)
	return []health.Check{
		{Name: "reader", Blocking: true, Run: func(context.Context) health.Result {
			return health.Result{Status: health.OK, Detail: "Test Reader 00"}
		}},
		{Name: "printer", Blocking: true, Run: func(ctx context.Context) health.Result {
			_, r := f.Printer(ctx)
			return r
		}},
		{Name: "center", Blocking: true, Run: func(context.Context) health.Result {
			return health.Result{Status: health.Warn, Detail: "center.test:8443 " + long}
		}},
	}
}

func (f *fakeBackend) Readers(context.Context) ([]string, health.Result) {
	f.calls["reader"].Add(1)
	return []string{"Test Reader 00"}, health.Result{Status: health.OK, Detail: "Test Reader 00"}
}

func (f *fakeBackend) Card(_ context.Context, trace io.Writer) (health.CardInfo, health.Result) {
	io.WriteString(trace, "Test Reader 00 > 00 A4 04 0C 0A\n")
	io.WriteString(trace, "Test Reader 00 < 90 00\n")
	return health.CardInfo{Reader: "Test Reader 00", Tries: 3}, health.Result{Status: health.OK, Detail: "My Number card"}
}

func (f *fakeBackend) Printer(context.Context) (*health.PrinterInfo, health.Result) {
	f.calls["printer"].Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	info := &health.PrinterInfo{Status: f.status}
	info.ID.Manufacturer, info.ID.Model, info.ID.Serial = "kofu", "Test Printer", "T1"
	return info, f.printer
}

func (f *fakeBackend) Center(context.Context) (*health.CenterInfo, health.Result) {
	f.calls["center"].Add(1)
	return &health.CenterInfo{URL: "https://center.test:8443", Status: 404, Problem: "unknown-ticket"},
		health.Result{Status: health.OK, Detail: "center.test:8443 reachable"}
}

func (f *fakeBackend) Journal(ctx context.Context) (*health.Summary, health.Result) {
	f.calls["journal"].Add(1)
	return f.Backend.Journal(ctx)
}

func (f *fakeBackend) TestPage(ctx context.Context) health.Result {
	if f.testPage != nil {
		return f.testPage(ctx)
	}
	return health.Result{Status: health.OK, Detail: "test page printed and confirmed (1 page)"}
}

func (f *fakeBackend) SendOutbox(ctx context.Context) (int, error) {
	if f.send != nil {
		return f.send(ctx)
	}
	return 0, errors.New("no center here")
}

// harness runs a Diag on a simulation screen of w×h, its clock starting
// at base and its zone JST.
type harness struct {
	t    *testing.T
	sim  tcell.SimulationScreen
	d    *Diag
	done chan struct{} // closed when Run returned
	err  error         // what Run returned, once done
}

func newHarness(t *testing.T, be Backend, width, height int, tweak ...func(*Options)) *harness {
	t.Helper()
	sim := tcell.NewSimulationScreen("UTF-8")
	o := Options{Backend: be, Title: "emulator", Screen: sim, SW: "kofu-kiosk/test+abc", Profile: "laptop",
		Uptime: func() time.Duration { return 26 * time.Hour }, Now: clock.Starting(base()), Zone: jstz()}
	for _, f := range tweak {
		f(&o)
	}
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetSize(width, height)
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, sim: sim, d: d, done: make(chan struct{})}
	go func() { h.err = d.Run(ctx); close(h.done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	})
	return h
}

// exportDir is where the fake's exports go.
func (f *fakeBackend) exportDir() string {
	return f.Backend.(partsBackend).p.ExportDir
}
