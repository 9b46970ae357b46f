package diag

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/printer"
	"kofu/terminal/health"
)

// TestKeyTables: on every screen a key is bound once (the screen's table
// and the global one together), every binding names its keys and what
// it does, and the keymap line is the table's keymap entries.
func TestKeyTables(t *testing.T) {
	d, err := New(Options{Backend: newFake(t), Screen: tcell.NewSimulationScreen("UTF-8")})
	if err != nil {
		t.Fatal(err)
	}
	views := []view{d.session, d.help}
	for _, s := range d.tabs {
		views = append(views, s.v)
	}
	for _, v := range views {
		seen := map[key]string{}
		for _, b := range append(v.bindings(), d.globals()...) {
			if b.Label == "" || b.Does == "" || b.Act == actNone || len(b.Keys) == 0 {
				t.Errorf("%s: incomplete binding %+v", v.name(), b)
			}
			for _, k := range b.Keys {
				if prev, ok := seen[k]; ok {
					t.Errorf("%s: key %+v bound twice: %q and %q", v.name(), k, prev, b.Does)
				}
				seen[k] = b.Does
			}
			if b.Keymap && !strings.Contains(keymapLine(v.bindings(), d.globals()), esc(b.Label)) {
				t.Errorf("%s: %q missing from the keymap line", v.name(), b.Label)
			}
		}
	}
	// The digits are the tabs, no more, no fewer.
	b, ok := lookup(rk('7'), d.globals())
	if !ok || b.Label != "1-7" || len(b.Keys) != len(d.tabs) {
		t.Errorf("digits: %+v", b)
	}
	if _, ok := lookup(rk('8'), d.globals()); ok {
		t.Error("8 is bound with 7 screens")
	}
}

// TestHelp: ? lists every binding of the screen it is pressed on, from
// the table the dispatch reads; Esc goes back.
func TestHelp(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, 120, 60)
	for i, s := range h.d.tabs {
		h.press(rune('1'+i), '?')
		want := []string{"Keys of the " + s.v.name() + " screen", "Keys on every screen", ":session REF"}
		for _, b := range append(s.v.bindings(), h.d.globals()...) {
			want = append(want, b.Label+" "+b.Does)
		}
		h.waitFor(want...)
		h.press(tcell.KeyEscape)
		h.waitFor(fmt.Sprintf("%s · taken", s.v.name()))
	}
}

// TestDigitsAndTabs: 1–7 and Tab switch screens as the tabs number
// them; 8 does nothing.
func TestDigitsAndTabs(t *testing.T) {
	h := newHarness(t, newFake(t), 100, 30)
	for i, name := range []string{"Overview", "Reader", "Printer", "Center", "Journal", "Counters", "Outbox"} {
		h.press(rune('1' + i))
		h.waitFor(name + " · taken")
	}
	h.press('8')
	h.waitFor("Outbox · taken")
	h.press(tcell.KeyTab)
	h.waitFor("Overview · taken")
	h.press(tcell.KeyBacktab)
	h.waitFor("Outbox · taken")
}

// TestJournalFilterAndDrillDown: / finds sessions by the resident's
// reference number (in part, separators as typed), by outcome and by
// reason; Enter opens one with its reason explained, the center's answer
// and the printer's report; Esc goes back.
func TestJournalFilterAndDrillDown(t *testing.T) {
	h := newHarness(t, newFake(t), 120, 40)
	h.press('5')
	h.waitFor("12-07 09:30:00 5555-1234-0002 unknown print-paper-out", "12-07 09:00:00 5555-1234-0001 refused page-qr-mismatch",
		"12-01 10:00:00 4821-9930-1177 printed - 300 1")
	for _, tc := range []struct {
		q         string
		want, not []string
	}{
		{"5555 1234", []string{"5555-1234-0001", "5555-1234-0002", "2 of 5"}, []string{"4821-9930-1177", "7777-0000"}},
		{"482199301177", []string{"4821-9930-1177", "1 of 5"}, []string{"5555-1234"}},
		{"refused", []string{"5555-1234-0001 refused"}, []string{"5555-1234-0002", "4821-9930-1177"}},
		{"paper", []string{"5555-1234-0002 unknown print-paper-out"}, []string{"5555-1234-0001"}},
	} {
		h.press('/')
		for _, r := range tc.q {
			h.press(r)
		}
		h.press(tcell.KeyEnter)
		s := h.waitFor(tc.want...)
		absent(t, s, tc.not...)
		h.press(tcell.KeyEscape) // clears the filter
		h.waitFor("7777-0000-0003")
	}
	// The refused session, second from the top.
	h.press(tcell.KeyDown, tcell.KeyEnter)
	h.waitFor("Session 5555-1234-0001", "reference 5555-1234-0001", "outcome refused", "reason page-qr-mismatch",
		"started 2026-12-07 09:00:00 JST", "Why: page-qr-mismatch (operator guide: Refused because of a page)",
		"what it means the page's KOFU symbol names another ticket, request, subject or page",
		"what to do a page of another document (page swap, a sync overwriting rendered pages): tell the center operator at once, step 5",
		"The center's answer", "a ticket was verified; the outcome was reported at the session's end",
		"The printer's report", "nothing was sent to the printer",
		"Journal records (3)", "2026-12-07 09:00:05 end refused page-qr-mismatch billing released")
	h.press(tcell.KeyEscape)
	h.waitFor("Journal · taken", "Sessions, newest first")
	// The unknown one: paper out while printing, its outcome in the outbox.
	h.press(tcell.KeyUp, tcell.KeyEnter)
	h.waitFor("Session 5555-1234-0002", "outcome unknown", "Why: print-paper-out (operator guide: Failures, cancellations, unknown outcomes)",
		"cancel the job on the printer's panel", "the center has NOT heard the outcome yet: it waits in the outbox",
		"the printer reported paper-out; 0 page(s) reported out", "pages may have come out")
}

// TestCommandLine: the commands switch screens, find a session by its
// reference number, say what they do not know, and :q quits.
func TestCommandLine(t *testing.T) {
	h := newHarness(t, newFake(t), 120, 40)
	h.waitFor("Overview · taken")
	cmd := func(s string) {
		h.press(':')
		for _, r := range s {
			h.press(r)
		}
		h.press(tcell.KeyEnter)
	}
	cmd("journal")
	h.waitFor("Journal · taken")
	cmd("session 4821-9930-1177")
	h.waitFor("Session 4821-9930-1177", "outcome printed", "the printer confirmed 1 page(s)")
	cmd("printer")
	h.waitFor("Printer · taken", "state ready")
	cmd("session 5555")
	h.waitFor("Journal · taken", "2 sessions match \"5555\": Enter opens one", "/5555 2 of 5")
	cmd("session 9999-9999")
	h.waitFor(`no session in the journal matches "9999-9999"`)
	cmd("bogus")
	h.waitFor(`no command "bogus": ? lists them`)
	cmd("outbox")
	h.waitFor("Outbox · taken")
	cmd("selftest")
	h.waitFor("Overview · taken", "WARN center blocking")
	cmd("q")
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal(":q did not quit")
	}
}

// TestQuitAsks: Q asks; any key but Y stays, Y quits.
func TestQuitAsks(t *testing.T) {
	h := newHarness(t, newFake(t), 100, 30)
	h.waitFor("Overview · taken")
	h.press('Q')
	h.waitFor("Quit kiosk diag? Y quits, any other key stays.")
	h.press('n')
	h.waitFor("<Q> quit")
	select {
	case <-h.done:
		t.Fatal("quit without Y")
	case <-time.After(100 * time.Millisecond):
	}
	h.press('Q', 'y')
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Q Y did not quit")
	}
}

// TestSchedule: the shown screen asks again on its own schedule and on
// R, and says when its answer was taken.
func TestSchedule(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, 100, 30, func(o *Options) { o.Refresh.Printer = 150 * time.Millisecond; o.Refresh.Center = time.Hour })
	h.press('3')
	h.waitFor("Printer · taken 10:00:0")
	deadline := time.Now().Add(10 * time.Second) // elapsed time only
	for f.count("printer") < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the printer was asked %d times in 10 s at a 150 ms interval", f.count("printer"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A fault the printer reports shows at the next scheduled ask, without a key.
	f.setPrinter(health.Result{Status: health.Fail, Detail: "kofu Test Printer (SN T1): paper out: load A4 paper and close the tray"},
		printer.Status{Problem: printer.KindPaperOut})
	h.waitFor("FAIL kofu Test Printer (SN T1): paper out", "state NOT READY", "fault PAPER OUT: load A4 paper and close the tray")
	// The center, every hour: R asks at once.
	h.press('4')
	h.waitFor("Center · taken")
	n := f.count("center")
	h.press('R')
	deadline = time.Now().Add(5 * time.Second)
	for f.count("center") == n {
		if time.Now().After(deadline) {
			t.Fatal("R did not ask the center again")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTestPageCancel: a test page shows its progress, the printer is
// not asked while the job holds it, and Esc cancels it.
func TestTestPageCancel(t *testing.T) {
	f := newFake(t)
	f.testPage = func(ctx context.Context) health.Result {
		<-ctx.Done()
		return health.Result{Status: health.Fail, Detail: "test page NOT printed: " + ctx.Err().Error()}
	}
	h := newHarness(t, f, 100, 30, func(o *Options) { o.Refresh.Printer = 100 * time.Millisecond })
	h.press('3')
	h.waitFor("state ready")
	h.press('T')
	h.waitFor("printing a test page…", "(Esc cancels)", "the test page's job is asking the printer")
	n := f.count("printer")
	time.Sleep(400 * time.Millisecond)
	h.press('R')
	h.waitFor("the printer is busy with the test page")
	if m := f.count("printer"); m != n {
		t.Errorf("the printer was asked %d times while the test page held it", m-n)
	}
	h.press(tcell.KeyEscape)
	h.waitFor("FAIL cancelled by the technician: test page NOT printed: context canceled")
}

// TestPrinterAt80x24: at 80×24 the printer's state and fault show
// without scrolling, and the border says there is more below.
func TestPrinterAt80x24(t *testing.T) {
	f := newFake(t)
	f.setPrinter(health.Result{Status: health.Fail, Detail: "kofu Test Printer (SN T1): paper out: load A4 paper and close the tray (panel: \"LOAD PAPER\", PJL 41101)"},
		printer.Status{Problem: printer.KindPaperOut, Port: 0x30})
	h := newHarness(t, f, 80, 24)
	h.press('3')
	s := h.waitFor("state NOT READY", "fault PAPER OUT: load A4 paper and close the tray", "↓ 1-17/")
	if lines := strings.Split(s, "\n"); len(lines) != 24 {
		t.Fatalf("%d rows", len(lines))
	}
	h.press(tcell.KeyPgDn)
	h.waitFor("↑")
}

// TestWrapIndent: a wrapped check line continues under its own column,
// not at column 0.
func TestWrapIndent(t *testing.T) {
	h := newHarness(t, newFake(t), 80, 24)
	s := h.waitFor("WARN center blocking center.test:8443")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.Contains(l, "WARN  center") {
			col := len([]rune(l[:strings.Index(l, "center.test")]))
			next := []rune(lines[i+1])
			if len(next) < col+2 || strings.TrimSpace(string(next[1:col-1])) != "" || next[col] == ' ' {
				t.Fatalf("continuation does not start under column %d:\n%s\n%s", col, l, lines[i+1])
			}
			return
		}
	}
	t.Fatalf("no center line:\n%s", s)
}

// TestCounterWindows: W moves between today, 7 days and the whole
// journal; refusals are grouped as the operator guide groups them.
func TestCounterWindows(t *testing.T) {
	h := newHarness(t, newFake(t), 120, 50)
	h.press('6')
	s := h.waitFor("sessions ended since 2026-12-07 00:00 JST; 2 ended, 0 open", "refused 1", "unknown 1",
		"Refused because of a page", "page-qr-mismatch 1", "print-paper-out 1")
	absent(t, s, "printed 1", "pin-timeout", "center-busy")
	h.press('W')
	s = h.waitFor("sessions ended since 2026-11-30 10:00 JST; 4 ended", "printed 1", "cancelled 1", "pin-timeout 1")
	absent(t, s, "center-busy")
	h.press('W')
	h.waitFor("sessions ended since the first record; 5 ended", "failed 1", "center-busy 1")
	h.press('W')
	h.waitFor("2 ended, 0 open")
}

// TestOutbox: the outbox lists what the center has not heard; S sends
// it now and says how it went; Enter opens the session.
func TestOutbox(t *testing.T) {
	f := newFake(t)
	sent := make(chan struct{}, 1)
	f.send = func(context.Context) (int, error) { sent <- struct{}{}; return 1, nil }
	h := newHarness(t, f, 100, 30)
	h.press('7')
	h.waitFor("Outcomes the center has not heard yet (1)", "5555-1234-0002 unknown print-paper-out pages 0")
	h.press('S')
	h.waitFor("OK sent", "the center acknowledged 1")
	select {
	case <-sent:
	default:
		t.Fatal("S did not send")
	}
	h.press(tcell.KeyEnter)
	h.waitFor("Session 5555-1234-0002")
}

// TestLocalTime: journal times are shown in the zone given, with fixed
// widths.
func TestLocalTime(t *testing.T) {
	h := newHarness(t, newFake(t), 120, 40, func(o *Options) { o.Zone = time.UTC })
	h.press('5')
	h.waitFor("TIME UTC", "12-07 00:30:00 5555-1234-0002", "12-07 00:00:00 5555-1234-0001")
}

func TestZone(t *testing.T) {
	tokyo := time.FixedZone("Tokyo", 9*3600)
	found := func(string) (*time.Location, error) { return tokyo, nil }
	missing := func(string) (*time.Location, error) { return nil, fmt.Errorf("no tzdata") }
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		local *time.Location
		load  func(string) (*time.Location, error)
		want  string
	}{
		{berlin, missing, "CET"},   // the machine's zone
		{time.UTC, found, "Tokyo"}, // a machine left at UTC: Asia/Tokyo
		{time.UTC, missing, "JST"}, // … without tzdata: +09:00
	} {
		z := zoneFor(tc.local, tc.load)
		if name, _ := time.Date(2026, 12, 7, 0, 0, 0, 0, z).Zone(); name != tc.want {
			t.Errorf("%v: %s, want %s", tc.local, name, tc.want)
		}
	}
	if _, off := time.Date(2026, 12, 7, 0, 0, 0, 0, jst()).Zone(); off != 9*3600 {
		t.Fatal(off)
	}
}
