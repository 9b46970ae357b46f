package diag

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/screentext"
	"kofu/printer"
	"kofu/terminal/health"
)

// TestScreenCaptures opens every screen of kiosk diag at 80×24 and
// 160×45 over the test journal and fake parts, with the clock stopped at
// base so that two runs draw the same text, and checks that each fits:
// as many rows as the terminal, none wider. With KOFU_SCREENS set to a
// folder, each is written there as text (make screens: docs/screens).
func TestScreenCaptures(t *testing.T) {
	type shot struct {
		name  string
		login bool     // with a technician login
		fault bool     // the printer out of paper
		keys  []any    // from the overview (or the login)
		want  []string // on screen once it is up
	}
	shots := []shot{
		{name: "overview", keys: []any{'1'}, want: []string{"Overview · taken", "WARN center blocking"}},
		{name: "reader", keys: []any{'2'}, want: []string{"Reader · taken", "APDU trace"}},
		{name: "printer", keys: []any{'3'}, want: []string{"Printer · taken", "state ready"}},
		{name: "printer-paper-out", fault: true, keys: []any{'3'}, want: []string{"Printer · taken", "fault PAPER OUT"}},
		{name: "center", keys: []any{'4'}, want: []string{"Center · taken", "answer HTTP 404 unknown-ticket"}},
		{name: "journal", keys: []any{'5'}, want: []string{"Journal · taken", "5555-1234-0002"}},
		{name: "journal-filter", keys: []any{'5', '/', '5', '5', '5', '5', tcell.KeyEnter}, want: []string{"Journal · taken", "2 of 5"}},
		{name: "session", keys: []any{'5', tcell.KeyDown, tcell.KeyEnter}, want: []string{"Session 5555-1234-0001", "reason page-qr-mismatch"}},
		{name: "counters", keys: []any{'6'}, want: []string{"Counters · taken", "Refusals by reason"}},
		{name: "outbox", keys: []any{'7'}, want: []string{"Outbox · taken", "<S> send"}},
		{name: "help", keys: []any{'1', '?'}, want: []string{"Keys of the Overview screen", "Keys on every screen"}},
		{name: "command-line", keys: []any{'1', ':', 's', 'e', 's'}, want: []string{"Overview · taken", ":ses"}},
		{name: "quit", keys: []any{'1', 'Q'}, want: []string{"Quit kiosk diag? Y quits, any other key stays."}},
		{name: "login", login: true, want: []string{"Technician login", "technician ID:"}},
	}
	out := os.Getenv(screentext.CapturesEnv)
	for _, size := range [][2]int{{80, 24}, {160, 45}} {
		for n, sh := range shots {
			dim := fmt.Sprintf("%dx%d", size[0], size[1])
			t.Run(dim+"/"+sh.name, func(t *testing.T) {
				f := stoppedFake(t)
				if sh.fault {
					f.setPrinter(health.Result{Status: health.Fail, Detail: "kofu Test Printer (SN T1): paper out: load A4 paper and close the tray (panel: \"LOAD PAPER\", PJL 41101)"},
						printer.Status{Problem: printer.KindPaperOut, Port: 0x30})
				}
				h := newHarness(t, f, size[0], size[1], func(o *Options) {
					o.Now = func() time.Time { return base() }
					o.Refresh = Refresh{Checks: time.Hour, Reader: time.Hour, Printer: time.Hour, Center: time.Hour, Journal: time.Hour}
					if sh.login {
						o.Login = testLogin
					}
				})
				if !sh.login {
					h.waitFor("Overview · taken", "WARN center blocking")
				}
				for i, k := range sh.keys {
					h.press(k)
					if i == 0 && k == '5' {
						h.waitFor("Journal · taken", "7777-0000-0003") // the list is there before the filter or a row is chosen
					}
				}
				h.waitFor(sh.want...)
				s := h.settled()
				lines := strings.Split(s, "\n")
				if len(lines) != size[1] {
					t.Errorf("%d rows on a %s screen", len(lines), dim)
				}
				for _, l := range lines {
					if w := cells(l); w > size[0] {
						t.Errorf("a row of %d cells on a %s screen: %q", w, dim, l)
					}
				}
				if out != "" {
					path := filepath.Join(out, "diag", dim, fmt.Sprintf("%02d-%s.txt", n+1, sh.name))
					if err := screentext.WriteCapture(path, s); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// stoppedFake is newFake with the journal read on a stopped clock (base),
// at a path that is the same on every run (the journal screen shows it):
// var/lib/kofu/journal under the test's own working folder.
func stoppedFake(t *testing.T) *fakeBackend {
	t.Helper()
	f := newFake(t)
	t.Chdir(t.TempDir())
	dir := filepath.Join("var", "lib", "kofu")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := f.Backend.(partsBackend).p
	p.Journal = writeJournal(t, dir)
	p.ExportDir = filepath.Join(dir, "exports")
	p.Now = func() time.Time { return base() }
	f.Backend = p.Backend()
	return f
}

// settled is the screen once it has stopped changing.
func (h *harness) settled() string {
	h.t.Helper()
	s, err := screentext.Settled(h.d.Snapshot, 50*time.Millisecond, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}
