package tui

import (
	"context"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestOutOfService: the screen names each failing check in both
// languages with the staff detail, takes no card, and quits on the Quit
// key; when its context ends, the caller may open the welcome screen.
func TestOutOfService(t *testing.T) {
	h := newHarness(t, Options{IdleKeys: []IdleKey{
		{Key: 'C', Label: T("カードを置く", "Place card")},
		{Key: 'Q', Label: T("終了", "Quit"), Quit: true},
	}, Helpdesk: "ヘルプデスク 0120-000-000"})
	faults := []Fault{
		{What: T("プリンタ", "Printer"), Do: T("A4 用紙を補充してください。", "Load A4 paper."), Detail: "printer: paper out: load A4 paper and close the tray"},
		{What: T("交付センターとの通信", "Connection to the issuance center"), Detail: "center: nothing listens at 127.0.0.1:1"},
	}
	ctx, cancel := context.WithCancel(context.Background())
	type answer struct {
		k   IdleKey
		err error
	}
	got := make(chan answer, 1)
	go func() { k, err := h.c.OutOfService(ctx, faults); got <- answer{k, err} }()
	s := h.waitFor("ただいま、この端末はご利用いただけません", "点検が必要な項目", "● プリンタ", "● 交付センターとの通信",
		"復旧すると、自動的に", "店員の方へ：A4 用紙を補充してください。", "直らない場合の連絡先：ヘルプデスク 0120-000-000", "printer: paper out: load A4 paper", "center: nothing listens", "<Q> 終了", "休止中")
	absent(t, s, "<C>", "カード置き場に置いてください")
	h.press('C') // no card can be placed while out of service
	h.press('L', '2')
	h.waitFor("This machine is out of service", "Needs attention:", "● Printer", "Staff: Load A4 paper.", "Service resumes by itself", "<Q> Quit", "<L> Language / 言語")
	select {
	case a := <-got:
		t.Fatalf("C answered the out-of-service screen: %+v", a)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if a := <-got; a.err == nil {
		t.Fatalf("ended context: %+v", a)
	}
	go h.c.Idle(context.Background())
	s = h.waitFor("マイナンバーカードをカード置き場に置いてください")
	absent(t, s, "休止中", "paper out")

	go func() { k, err := h.c.OutOfService(context.Background(), faults[:1]); got <- answer{k, err} }()
	h.waitFor("● プリンタ")
	h.press(tcell.KeyCtrlC)
	if a := <-got; a.err != nil || !a.k.Quit || a.k.Key != 'Q' {
		t.Fatalf("Ctrl-C: %+v", a)
	}
}
