package tui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/testclock"
	"kofu/terminal"
	"kofu/terminal/payment"
)

// TestTimeoutCountdown: a question counts down its last 20 seconds on
// screen (issue 17, item 10), in the resident's language; far from the
// deadline, and once answered, nothing is shown. The deadline is the
// question's context's, the clock injected: both instants are pinned.
func TestTimeoutCountdown(t *testing.T) {
	deadline := time.Date(2099, 12, 7, 9, 0, 0, 0, time.UTC)
	var now atomic.Int64
	now.Store(deadline.Add(-time.Minute).UnixNano())
	h := newHarness(t, Options{Tick: 20 * time.Millisecond, Now: func() time.Time { return time.Unix(0, now.Load()) }})
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	done := make(chan []byte, 1)
	go func() { p, _ := h.c.PIN(ctx, 3); done <- p }()
	s := h.waitFor("残りの入力回数：3回")
	absent(t, s, "⏱")

	now.Store(deadline.Add(-10 * time.Second).UnixNano())
	h.waitFor("⏱ あと 10 秒で時間切れとなり、手続きを中止します")
	now.Store(deadline.Add(-3*time.Second - time.Millisecond).UnixNano())
	h.waitFor("⏱ あと 4 秒で時間切れ")
	h.press('L', '2')
	h.waitFor("Time runs out in 4 s")
	h.press('L', '1')

	h.press("1234", tcell.KeyEnter)
	if p := <-done; string(p) != "1234" {
		t.Fatalf("PIN %q", p)
	}
	time.Sleep(100 * time.Millisecond) // a few ticks
	absent(t, h.c.Snapshot(), "⏱")
}

// TestCountdownExtends: while the countdown warns, the screen says how to
// go on — any key — and any key gives the question its full time again
// and does nothing else: not a PIN digit, not the language list, not
// Esc's question. On the payment screen money going in counts too. Both
// clocks are the pinned one: the question's deadline is kept on it
// (terminal.Question).
func TestCountdownExtends(t *testing.T) {
	base := testclock.Base(t)
	var now atomic.Int64
	now.Store(base.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	advance := func(d time.Duration) { now.Add(int64(d)) }
	coins := payment.NewCoins()
	h := newHarness(t, Options{Tick: 20 * time.Millisecond, Now: clock, Coins: coins})

	// The PIN (60 s).
	ctx, cancel := terminal.Question(context.Background(), time.Minute, clock)
	defer cancel()
	done := make(chan []byte, 1)
	go func() { p, _ := h.c.PIN(ctx, 3); done <- p }()
	absent(t, h.waitFor("残りの入力回数：3回", "----"), "⏱", "続けるには")
	advance(45 * time.Second)
	h.waitFor("⏱ あと 15 秒で時間切れとなり、手続きを中止します。", "続けるには、いずれかのキーを押してください。")
	h.press('5')
	s := waitGone(t, h, "⏱")
	absent(t, s, "●")
	h.waitFor("----") // the digit was not typed
	if at, full, _ := terminal.QuestionDeadline(ctx); full != time.Minute || !at.Equal(clock().Add(time.Minute)) {
		t.Errorf("deadline %v, want a minute from %v", at, clock())
	}
	advance(45 * time.Second) // 15 s left again: the full minute was given
	h.waitFor("⏱ あと 15 秒", "続けるには")
	h.press('L')
	s = waitGone(t, h, "⏱")
	absent(t, s, "言語を番号で選んでください", "Language / 言語 ▸")
	h.press('L', '2') // far from the deadline the keys act again
	h.waitFor("Enter your PIN")
	advance(50 * time.Second)
	h.waitFor("⏱ Time runs out in 10 s", "Press any key to continue.")
	h.press('L', '1') // L extends, 1 is a digit
	waitGone(t, h, "⏱")
	h.waitFor("●---")
	h.press("234", tcell.KeyEnter)
	if p := <-done; string(p) != "1234" {
		t.Fatalf("PIN %q", p)
	}

	// The payment (3 min).
	ctx, cancel = terminal.Question(context.Background(), 3*time.Minute, clock)
	defer cancel()
	go h.c.Pay(ctx, 250)
	h.waitFor("Fee: ¥250", "Inserted: ¥0")
	advance(170 * time.Second)
	h.waitFor("Time runs out in 10 s", "Press any key")
	h.press(tcell.KeyEscape) // not the question "Stop here?"
	s = waitGone(t, h, "⏱")
	absent(t, s, "Stop here?")
	advance(170 * time.Second)
	h.waitFor("Time runs out in 10 s")
	h.press('3') // a coin key: it extends, and inserts nothing
	waitGone(t, h, "⏱")
	if c := coins.Ledger().Credit; c != 0 {
		t.Errorf("credit %d: the key that extended also inserted a coin", c)
	}
	advance(170 * time.Second)
	h.waitFor("Time runs out in 10 s")
	if err := coins.Insert(100); err != nil { // the coin unit, not a key
		t.Fatal(err)
	}
	waitGone(t, h, "⏱")
	h.waitFor("Inserted: ¥100")
	if at, _, _ := terminal.QuestionDeadline(ctx); !at.Equal(clock().Add(3 * time.Minute)) {
		t.Errorf("money in: deadline %v, want 3 min from %v", at, clock())
	}
}

// waitGone waits until s is no longer on screen and returns the screen.
func waitGone(t *testing.T, h *harness, s string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // polling: elapsed time only
	for {
		snap := h.c.Snapshot()
		if !strings.Contains(norm(snap), norm(s)) {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q stays on screen:\n%s", s, snap)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
