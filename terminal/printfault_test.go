package terminal_test

import (
	"context"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// TestPrinterFaultEndsSession (issue 17, item 2): through kofu's printer
// code on the emulated printer, a three-page 戸籍 whose printer runs out
// of paper (or jams) part-way ends the session unknown at once — not at
// the two-minute confirmation window — with a reason that names the fault
// and the pages the printer reported out; the fee is released; the panel
// hears the fault before the session settles.
func TestPrinterFaultEndsSession(t *testing.T) {
	cases := []struct {
		scenario string
		reason   string
		pages    int
	}{
		{"paper-out@2", "print-paper-out", 1},
		{"jam@3", "print-jam", 2},
		{"paper-out@1", "print-paper-out", 0},
		{"paper-out@2,no-ustatus", "print-paper-out", 1},         // found by @PJL INFO STATUS
		{"paper-out@3,no-ustatus,no-info", "print-paper-out", 2}, // found by GET_PORT_STATUS
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			w := newWorld(t, emulator.Options{})
			res, _ := w.fx.Resident("R0004") // a seven-member household: a three-page 戸籍
			doc, err := protocol.NewDocSpec(protocol.DocKosekiZenbu)
			if err != nil {
				t.Fatal(err)
			}
			p, err := emulator.NewPrinter(context.Background(), t.TempDir(), tc.scenario)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			panel := &scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}}
			start := time.Now() // elapsed time only
			r, l, recs := w.serve(t, context.Background(), emulator.NewSoftCard(res), panel, p, terminal.Timeouts{})
			took := time.Since(start)
			if r.Outcome != protocol.ResultUnknown || string(r.Reason) != tc.reason || r.Pages != tc.pages {
				t.Fatalf("%s/%s pages %d; want unknown/%s pages %d", r.Outcome, r.Reason, r.Pages, tc.reason, tc.pages)
			}
			if r.Payment != "released" || l.Cashbox != 0 {
				t.Fatalf("payment %q, cashbox %d: a job that stopped was charged", r.Payment, l.Cashbox)
			}
			// The confirmation window of a three-page job is 60 s + 3×20 s;
			// the fault ends the wait within two status polls (1 s each).
			// The bound is generous: it fails only if the window was waited.
			if took > 30*time.Second {
				t.Fatalf("the session took %v: the printer's fault did not end the wait", took)
			}
			last := recs[len(recs)-1]
			if last.Kind != journal.KindEnd || last.State != "unknown" || last.Reason != tc.reason || last.Pages != tc.pages {
				t.Fatalf("journal ends with %+v", last)
			}
			var told *terminal.Progress
			panel.mu.Lock()
			for i, g := range panel.progress {
				if g.Stopped != "" {
					told = &panel.progress[i]
				}
			}
			panel.mu.Unlock()
			if told == nil || string(told.Stopped) != tc.reason || told.Page != tc.pages || told.Pages != 3 {
				t.Fatalf("the panel was told %+v; want the fault %s with %d of 3 pages", told, tc.reason, tc.pages)
			}
			if len(p.Files) != tc.pages {
				t.Fatalf("emulator output has %d pages, want the %d that came out", len(p.Files), tc.pages)
			}
			t.Logf("%s after %v", r.Reason, took.Round(time.Millisecond))
		})
	}
}
