//go:build linux

package main

import (
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

// serviceOpenAt says whether the real service issues certificates at t
// (06:30–23:00 in Japan, not 12/29–1/3) and whether t is within a
// minute of a change, when a screen drawn a moment apart may say either.
func serviceOpenAt(t time.Time) (open, near bool) {
	at := func(t time.Time) bool {
		j := t.In(time.FixedZone("JST", 9*3600))
		mo, d := j.Month(), j.Day()
		if (mo == time.December && d >= 29) || (mo == time.January && d <= 3) {
			return false
		}
		m := j.Hour()*60 + j.Minute()
		return m >= 6*60+30 && m < 23*60
	}
	open = at(t)
	return open, at(t.Add(-time.Minute)) != open || at(t.Add(time.Minute)) != open
}

// TestStoreTmuxWelcome runs the real binary as a store machine (`kiosk
// run --config FILE`) in a 100×32 tmux pane, its card reader a real
// pcscd with the emulated card on vsmartcard-vpcd, the emulated center a
// separate mutual-TLS server (the setup of TestStoreTmuxCardRemoval).
//
//   - Issue 17, item 9: the welcome screen has no quit key, and Q, Esc
//     and Ctrl-C do not close the store machine.
//   - Item 1 in store mode: nothing is chosen for the resident; the
//     resident reaches Munakata (402206, deep in the national list) in
//     the picker by typing its code. The store binary reads the wall
//     clock: when the service is open the code is chosen; outside its
//     hours the picker's row says it is closed now and Enter says the
//     hours (what the resident must see then).
func TestStoreTmuxWelcome(t *testing.T) {
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
	fmt.Fprintln(f, "[ui]\nmunicipalities = \"municipalities.toml\"")
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
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "100", "-y", "32", shell); err != nil {
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
			if shows(sc, want...) {
				return sc
			}
			if strings.Contains(sc, "kiosk-exited") || time.Now().After(deadline) {
				fail("screen never showed %q; it shows:\n%s", want, sc)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	welcome := "マイナンバーカードをカード置き場に置いてください"

	// Item 9: no quit key, and none works.
	sc := wait(30*time.Second, welcome, "<L> Language / 言語")
	if shows(sc, "終了") || strings.Contains(sc, "<Q>") || strings.Contains(sc, "<C>") {
		fail("a quit key on the store machine's welcome screen:\n%s", sc)
	}
	for _, key := range []string{"Q", "q", "C-c", "Escape"} {
		p.send(key)
		time.Sleep(700 * time.Millisecond)
		if sc := p.capture(); strings.Contains(sc, "kiosk-exited") || !shows(sc, welcome) {
			fail("%s closed the store machine's welcome screen:\n%s", key, sc)
		}
	}

	// Item 1 in store mode: the municipality by its code.
	s.Insert(t, card, 0)
	wait(20*time.Second, "取得する証明書を選んでください")
	p.send("3") // 印鑑登録証明書
	wait(20*time.Second, "請求先（住所地）", "未選択")
	p.send("Down", "Enter")
	wait(20*time.Second, "住所地の市区町村を選んでください。", "市区町村コード（6桁）")
	p.send("402206")
	open, near := serviceOpenAt(time.Now())
	sc = wait(20*time.Second, "検索：402206", "402206  福岡県宗像市")
	switch {
	case shows(sc, "○ 402206  福岡県宗像市  200円／通") && (open || near):
		p.send("Enter")
		wait(20*time.Second, "請求先（住所地）", "◀ 福岡県宗像市 ▶", "手数料のめやす：200円")
	case shows(sc, "× 402206  福岡県宗像市") && (!open || near):
		// Closed now: out of hours or the year-end closure, whose
		// wording differs; the row is marked either way and is not
		// taken as the 請求先.
		p.send("Enter")
		time.Sleep(700 * time.Millisecond)
		if sc := p.capture(); shows(sc, "◀ 福岡県宗像市 ▶") {
			fail("a municipality closed now was taken as the 請求先:\n%s", sc)
		}
		t.Logf("the service is closed now (%s); the picker says so:\n%s", time.Now().Format(time.RFC3339), sc)
	default:
		fail("the row of 402206 does not fit the service being open=%v now:\n%s", open, sc)
	}
	if shows(p.capture(), "暗証番号（数字4桁）") {
		fail("the PIN was asked")
	}
	card.Remove()
	wait(20*time.Second, "<Enter> 閉じる")
	p.send("Enter")
	sc = wait(20*time.Second, welcome)
	if strings.Contains(sc, "<Q>") {
		fail("a quit key after a session:\n%s", sc)
	}
	if logs, _ := os.ReadFile(stderr); !strings.Contains(string(logs), `"reason":"card-removed"`) {
		fail("the session did not end as a card removal")
	}
}
