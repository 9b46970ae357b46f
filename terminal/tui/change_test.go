package tui

import (
	"context"
	"testing"
	"time"

	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/payment"
)

// TestRefundAfterPayTimeout: the payment question runs out with coins in;
// the finish screen states the exact amount given back (issue 17, item
// 11), which the UI read as the question closed.
func TestRefundAfterPayTimeout(t *testing.T) {
	coins := payment.NewCoins()
	h := newHarness(t, Options{Coins: coins})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.c.Pay(ctx, 250) }()
	h.waitFor("手数料250円")
	h.press('3', '2')
	h.waitFor("投入金額150円")
	cancel() // the stage deadline
	if err := <-done; err == nil {
		t.Fatal("Pay answered")
	}
	if _, err := coins.Return(context.Background()); err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	go h.c.Finish(fctx, terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pay-timeout", Payment: "returned", Fee: 250})
	s := h.waitFor("一定時間操作がなかった", "投入された 150円 をお返しします。返却口からお取りください。")
	absent(t, s, "おつり")
}
