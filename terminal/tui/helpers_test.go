package tui

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/testclock"
	"kofu/terminal/payment"
)

// harness runs a Customer on a simulation screen: 100×35 (the size of the
// tmux pane in the e2e test), or another size (newHarnessAt).
type harness struct {
	t     *testing.T
	sim   tcell.SimulationScreen
	c     *Customer
	coins *payment.Coins
}

func testMunis() []Municipality {
	return []Municipality{
		{Code: "141003", Name: "神奈川県横浜市", Fees: map[string]int{"juminhyo": 250, "inkan": 250, "koseki-zenbu": 400}},
		{Code: "362018", Name: "徳島県徳島市", Fees: map[string]int{"juminhyo": 300, "inkan": 300, "koseki-zenbu": 450}, KosekiWeekdaysOnly: true},
		{Code: "402206", Name: "福岡県宗像市", Fees: map[string]int{"juminhyo": 200, "koseki-zenbu": 350},
			Hours: map[string]string{"koseki-zenbu": "09:00-17:00"}},
	}
}

// storeMachine as Options.Muni makes newHarness build a store machine's
// UI, which does not know the resident's municipality.
const storeMachine = "store"

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	return newHarnessAt(t, o, 100, 35)
}

// newHarnessAt is newHarness on a screen of w×h cells.
func newHarnessAt(t *testing.T, o Options, w, h int) *harness {
	t.Helper()
	sim := tcell.NewSimulationScreen("UTF-8")
	o.Screen = sim
	switch o.Muni {
	case "":
		o.Muni = "141003"
	case storeMachine:
		o.Muni = "" // the resident chooses from the list
	}
	if o.Municipalities == nil {
		o.Municipalities = testMunis()
	}
	if o.Now == nil {
		// What can be had now depends on the day and the hour: pin them
		// (a Monday morning, open for every document of testMunis).
		now := testclock.OpenAfter(testclock.Base(t))
		o.Now = func() time.Time { return now }
	}
	c, err := NewCustomer(o)
	if err != nil {
		t.Fatal(err)
	}
	sim.SetSize(w, h)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return")
		}
	})
	return &harness{t: t, sim: sim, c: c, coins: o.Coins}
}

// press injects keys as a resident presses them: runes, or tcell keys.
func (h *harness) press(keys ...any) {
	h.t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case rune:
			h.sim.InjectKey(tcell.KeyRune, k, tcell.ModNone)
		case string:
			for _, r := range k {
				h.sim.InjectKey(tcell.KeyRune, r, tcell.ModNone)
				time.Sleep(5 * time.Millisecond)
			}
		case tcell.Key:
			h.sim.InjectKey(k, 0, tcell.ModNone)
		case asking:
			h.waitAsking(string(k))
			continue
		default:
			h.t.Fatalf("key %T", k)
		}
		// The simulation screen drops events beyond 10 queued ones.
		time.Sleep(5 * time.Millisecond)
	}
}

// asking, among the keys pressed, waits until the named view is on
// screen with a question open: a key pressed while one question gives
// way to the next (the "please wait" between them) does nothing, on the
// kiosk as in a test, so a test that presses on must wait.
type asking string

// waitAsking waits until view name is the current view and a question is
// open.
func (h *harness) waitAsking(name string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a deadline for polling: elapsed time only
	for {
		up := false
		h.loop(func() { up = h.c.cur != nil && h.c.cur.name() == name && h.c.q != nil })
		if up {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the %s screen never asked", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// norm removes what layout adds: spaces, line breaks and box drawing.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || (r >= 0x2500 && r <= 0x257f) {
			return -1
		}
		return r
	}, s)
}

// waitFor waits until every want is on screen and returns the screen.
func (h *harness) waitFor(want ...string) string {
	h.t.Helper()
	return waitScreen(h.t, h.c.Snapshot, want...)
}

// waitScreen polls snap until it shows every want.
func waitScreen(t *testing.T, snap func() string, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a deadline for polling: elapsed time only
	for {
		s := snap()
		missing := ""
		for _, w := range want {
			if !strings.Contains(norm(s), norm(w)) {
				missing = w
				break
			}
		}
		if missing == "" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q; it shows:\n%s", missing, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// absent fails if any of not is on screen s.
func absent(t *testing.T, s string, not ...string) {
	t.Helper()
	for _, n := range not {
		if n != "" && strings.Contains(norm(s), norm(n)) {
			t.Errorf("screen shows %q:\n%s", n, s)
		}
	}
}

// loop runs f on the event loop (to read view state without races).
func (h *harness) loop(f func()) {
	h.t.Helper()
	if !h.c.update(context.Background(), f, false) {
		h.t.Fatal("UI stopped")
	}
}
