package tui

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
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
