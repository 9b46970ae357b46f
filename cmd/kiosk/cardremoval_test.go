package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// removalStep is a step of a removal case; out: the card is off the
// reader once it is done.
type removalStep struct {
	keys []string
	see  []string
	out  bool
}

// removalCases are residents pulling the card or walking away from it
// (issue 17, item 7), as keys on emulator mode's customer UI: C places
// the card and pulls it.
func removalCases(pin string) []struct {
	name   string
	steps  []removalStep
	result string   // outcome/reason
	never  []string // on no screen once the card is out
} {
	return []struct {
		name   string
		steps  []removalStep
		result string
		never  []string
	}{
		{
			name: "pulled at the PIN",
			steps: []removalStep{
				{[]string{"C"}, []string{"取得する証明書を選んでください", "<C> カードを抜く"}, false},
				{[]string{"1"}, []string{"記載範囲"}, false},
				{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}, false},
				{[]string{pin[:2]}, []string{"●●"}, false},
				{[]string{"C"}, []string{"カードが取り外されたため、手続きを中止しました。", "証明書は発行していません。", "料金はいただいていません。",
					"<C> カードを置く", "<Enter> 閉じる"}, true},
				{[]string{"Enter"}, []string{"カード置き場に置いてください", "<C> カードを置く"}, true},
			},
			result: "cancelled/card-removed",
			never:  []string{"カードをお取りください"},
		},
		{
			name: "walked away at the finish",
			steps: []removalStep{
				{[]string{"C"}, []string{"取得する証明書を選んでください"}, false},
				{[]string{"Escape"}, []string{"手続きを中止しました。", "▶▶ カードをお取りください ◀◀"}, false},
				// The finish time runs out with the card in the reader.
				{nil, []string{"カードが残っています", "店員の方へ", "お問い合わせ番号：", "カードを取り出すと、この画面は終わります", "<C> カードを抜く"}, false},
				{[]string{"Enter", "Escape"}, []string{"カードが残っています"}, false}, // no key ends it
				{[]string{"C"}, []string{"カード置き場に置いてください", "<C> カードを置く"}, true},
			},
			result: "cancelled/choose-cancelled",
			never:  []string{"カードが残っています"},
		},
	}
}

// TestRunUICardRemoval runs emulator mode's loop on a simulation screen:
// the card pulled mid-session ends it as a removal, on a screen that does
// not ask for the card; a card left at the finish screen brings the
// staff's card-left screen, never the welcome screen, until it is pulled.
func TestRunUICardRemoval(t *testing.T) {
	for _, tc := range removalCases("1234") {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			res, _ := env.Fixtures.Resident("R0001")
			if res.PIN != "1234" {
				t.Fatalf("R0001's PIN is %s", res.PIN)
			}
			j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), bytes.Repeat([]byte{3}, 32), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			sim := tcell.NewSimulationScreen("UTF-8")
			u, err := newUI(env, res, j, emuPrinter(t, t.TempDir()), "ja", sim, withTimeouts(terminal.Timeouts{Finish: time.Second}))
			if err != nil {
				t.Fatal(err)
			}
			sim.SetSize(80, 24)
			results := make(chan terminal.Result, 2)
			u.onResult = func(r terminal.Result) { results <- r }
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- u.run(rctx) }()
			snap := u.customer.Snapshot
			press := func(keys ...string) {
				for _, k := range keys {
					switch k {
					case "Enter":
						sim.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
					case "Escape":
						sim.InjectKey(tcell.KeyEscape, 0, tcell.ModNone)
					default:
						for _, r := range k {
							sim.InjectKey(tcell.KeyRune, r, tcell.ModNone)
							time.Sleep(5 * time.Millisecond)
						}
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			waitScreen(t, snap, 10*time.Second, "カード置き場に置いてください", "<C> カードを置く")
			for i, st := range tc.steps {
				press(st.keys...)
				checkRemovalStep(t, i, st, tc.never, waitScreen(t, snap, 10*time.Second, st.see...))
			}
			select {
			case r := <-results:
				if got := string(r.Outcome) + "/" + string(r.Reason); got != tc.result || r.Payment != "none" {
					t.Fatalf("result %+v, want %s", r, tc.result)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no result")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestKioskTmuxCardRemoval drives the real binary in emulator mode in an
// 80×24 tmux pane with the finish time pinned to 5 s by a configuration:
// the card pulled at the PIN, and a card left at the finish screen until
// the card-left screen shows and the card is pulled.
func TestKioskTmuxCardRemoval(t *testing.T) {
	bin := buildKiosk(t)
	tmux := needTmux(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	cfg := testConfig(t, "laptop", "[session]\nfinish = \"5s\"\n")
	for _, tc := range removalCases(res.PIN) {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
			stderr := filepath.Join(dir, "stderr")
			args := fmt.Sprintf("run --emulator %s --config %s --resident %s --out %s", testclock.Flag(t), cfg, res.ID, filepath.Join(dir, "out"))
			shell := fmt.Sprintf("%s %s 2>%s; echo kiosk-exited $?; sleep 600", bin, args, stderr)
			if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "80", "-y", "24", shell); err != nil {
				t.Fatalf("tmux new-session: %v\n%s", err, o)
			}
			t.Cleanup(func() { p.close() })
			s := waitScreen(t, p.capture, 30*time.Second, "<C> カードを置く")
			if strings.Contains(s, "kiosk-exited") {
				msg, _ := os.ReadFile(stderr)
				t.Fatalf("kiosk exited:\n%s\nstderr: %s", s, msg)
			}
			for i, st := range tc.steps {
				p.send(st.keys...)
				s = waitScreen(t, p.capture, 30*time.Second, st.see...)
				checkRemovalStep(t, i, st, tc.never, s)
			}
			p.send("Q")
			waitScreen(t, p.capture, 20*time.Second, "kiosk-exited 0")
			logs, _ := os.ReadFile(stderr)
			if tc.name == "walked away at the finish" && !bytes.Contains(logs, []byte("a card was left in the reader")) {
				t.Errorf("no log of the card left in the reader:\n%s", logs)
			}
			if !bytes.Contains(logs, []byte(`"outcome":"`+strings.Split(tc.result, "/")[0]+`"`)) {
				t.Errorf("no session ended %s in the log:\n%s", tc.result, logs)
			}
		})
	}
}

// checkRemovalStep fails when screen s, after step i, shows the welcome
// screen over a card in the reader, or once the card is out one of never.
func checkRemovalStep(t *testing.T, i int, st removalStep, never []string, s string) {
	t.Helper()
	if !st.out && strings.Contains(norm(s), norm("カード置き場に置いてください")) {
		t.Fatalf("step %d: the welcome screen over a card in the reader:\n%s", i, s)
	}
	for _, n := range never {
		if st.out && strings.Contains(norm(s), norm(n)) {
			t.Fatalf("step %d: %q with the card out:\n%s", i, n, s)
		}
	}
	// Issue 17, item 14: the screen says it stopped once, not in the
	// title and again in the body.
	if n := strings.Count(norm(s), "手続きを中止しました"); n > 1 {
		t.Fatalf("step %d: 手続きを中止しました %d times:\n%s", i, n, s)
	}
}
