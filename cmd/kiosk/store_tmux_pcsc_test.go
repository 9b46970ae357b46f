//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol/center"
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
	bin := buildKiosk(t)
	tmux := needTmux(t)
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := center.Start(center.Config{Fixtures: fx, Now: clock.Wall}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	res, _ := fx.Resident("R0001")
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := storeConfig(t, dir, srv.URL, "operator-ca.crt.pem", s.Reader(0))
	writeMunicipalities(t, fx, filepath.Join(dir, "municipalities.toml"))
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "[ui]\nmunicipalities = \"municipalities.toml\"\n[session]\nfinish = \"5s\"\nchoose = \"5s\"")
	f.Close()

	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	stderr := filepath.Join(dir, "stderr")
	var env []string // this test's pcscd (a private socket when run as root)
	for _, e := range s.Env() {
		if strings.HasPrefix(e, "PCSCLITE_CSOCK_NAME=") {
			env = append(env, e)
		}
	}
	shell := fmt.Sprintf("env %s %s run --config %s --log-format json 2>%s; echo kiosk-exited $?; sleep 600",
		strings.Join(env, " "), bin, cfg, stderr)
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "80", "-y", "24", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.cmd("kill-server") })
	fail := func(format string, args ...any) {
		t.Helper()
		logs, _ := os.ReadFile(stderr)
		t.Fatalf(format+"\nkiosk log:\n%s", append(args, logs)...)
	}
	wait := func(d time.Duration, want ...string) string {
		t.Helper()
		deadline := time.Now().Add(d) // a deadline for polling: elapsed time only
		for {
			sc := p.capture()
			missing := ""
			for _, w := range want {
				if !strings.Contains(norm(sc), norm(w)) {
					missing = w
					break
				}
			}
			if missing == "" {
				return sc
			}
			if strings.Contains(sc, "kiosk-exited") || time.Now().After(deadline) {
				fail("screen never showed %q; it shows:\n%s", missing, sc)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
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

	logs, _ := os.ReadFile(stderr)
	for _, want := range []string{`"reason":"card-removed"`, `"reason":"choose-timeout"`, "a card was left in the reader",
		"the card left in the reader was taken out"} {
		if !bytes.Contains(logs, []byte(want)) {
			fail("the log lacks %q", want)
		}
	}
}
