//go:build linux

package main

import (
	"strings"
	"testing"
	"time"
)

// TestStoreTmuxCardRemoval (issue 17, item 7) runs the real binary as a
// store machine (`kiosk run --config FILE`) in an 80×24 tmux pane, its
// card reader a real pcscd with the emulated card on vsmartcard-vpcd, the
// emulated center a separate mutual-TLS server. The store binary reads
// the wall clock, so this center does too; nothing here depends on what
// time it is: no document is asked for (the resident pulls the card, or
// lets the document choice time out). The configuration pins the finish
// time and the choice to 5 s.
//
//   - The card pulled mid-session ends it as a removal; the screen does
//     not ask for the card.
//   - A card pulled at the finish screen ticks off the card reminder.
//   - A card left in the reader: after the finish time the staff's
//     card-left screen, never the welcome screen, until it is taken out.
func TestStoreTmuxCardRemoval(t *testing.T) {
	st := startStoreTmux(t, storeTmuxOptions{width: 80, height: 24, toml: "[session]\nfinish = \"5s\"\nchoose = \"5s\""})
	s, card, p, wait, fail := st.pcsc, st.card, st.pane, st.wait, st.fail
	welcome := "マイナンバーカードをカード置き場に置いてください"
	// A session has begun: the steps bar, which the welcome screen has not.
	session := "お受け取り"
	wait(30*time.Second, welcome)
	if err := s.WaitCard(0, 200*time.Millisecond); err == nil {
		t.Fatal("a card in the reader before the test placed one")
	}

	// 1. Pulled mid-session, at the document choice (the card read).
	s.Insert(t, card, 0)
	wait(20*time.Second, session, "取得する証明書を選んでください")
	card.Remove()
	sc := wait(20*time.Second, "カードが取り外されたため、手続きを中止しました。", "<Enter> 閉じる")
	if strings.Contains(norm(sc), norm("カードをお取りください")) {
		fail("the card-removed screen asks for the card:\n%s", sc)
	}
	p.send("Enter")
	wait(20*time.Second, welcome)

	// 2. Pulled at the finish screen (the choice timed out).
	card.Insert()
	wait(20*time.Second, session)
	wait(30*time.Second, "一定時間操作がなかったため", "▶▶ カードをお取りください ◀◀")
	p.send("Enter") // no key takes the card
	card.Remove()
	wait(20*time.Second, "✓ カードが取り出されました", "<Enter> 閉じる")
	p.send("Enter")
	wait(20*time.Second, welcome)

	// 3. Left in the reader: the staff's screen until it is taken out.
	card.Insert()
	wait(20*time.Second, session)
	wait(30*time.Second, "▶▶ カードをお取りください ◀◀")
	sc = wait(30*time.Second, "カードが残っています", "店員の方へ", "お問い合わせ番号：", "カードを取り出すと、この画面は終わります")
	if strings.Contains(norm(sc), norm(welcome)) || strings.Contains(sc, "<Enter>") {
		fail("the card-left screen:\n%s", sc)
	}
	p.send("Enter", "Escape", "Q", "C-c") // no key ends it, nor quits the store machine
	time.Sleep(time.Second)
	wait(time.Second, "カードが残っています")
	card.Remove()
	wait(20*time.Second, welcome)

	logs := st.log()
	for _, want := range []string{`"reason":"card-removed"`, `"reason":"choose-timeout"`, "a card was left in the reader",
		"the card left in the reader was taken out"} {
		if !strings.Contains(logs, want) {
			fail("the log lacks %q", want)
		}
	}
}
