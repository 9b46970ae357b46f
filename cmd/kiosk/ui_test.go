package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// norm drops what layout adds (spaces, line breaks, box drawing) so that
// wrapped text still matches.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || (r >= 0x2500 && r <= 0x257f) {
			return -1
		}
		return r
	}, s)
}

// waitScreen polls snap until it shows every want and returns the
// screen, failing the test after timeout.
func waitScreen(t *testing.T, snap func() string, timeout time.Duration, want ...string) string {
	t.Helper()
	s, missing := pollScreen(snap, timeout, nil, want...)
	if missing != "" {
		t.Fatalf("screen never showed %q; it shows:\n%s", missing, s)
	}
	return s
}

// pollScreen polls snap until it shows every want (blanks and box lines
// aside), until timeout, or until stop says the screen will not change
// any more (nil: never); missing is a want it did not show ("" when all).
func pollScreen(snap func() string, timeout time.Duration, stop func(string) bool, want ...string) (s, missing string) {
	deadline := time.Now().Add(timeout) // a deadline for polling: elapsed time only
	for {
		s = snap()
		missing = ""
		for _, w := range want {
			if !strings.Contains(norm(s), norm(w)) {
				missing = w
				break
			}
		}
		if missing == "" || (stop != nil && stop(s)) || time.Now().After(deadline) {
			return s, missing
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// step is one thing a resident does: press keys, then see text.
type step struct {
	keys []string // tmux key names; single runes are typed as they are
	see  []string
}

// transaction is the resident's walk through one session: the document
// list, juminhyo with defaults, the PIN, three 100-yen coins.
func transaction(pin string, final []string) []step {
	return []step{
		{[]string{"C"}, []string{"取得する証明書を選んでください", "住民票の写し"}},
		{[]string{"1"}, []string{"記載範囲", "手数料のめやす：250円"}},
		{[]string{"Enter"}, []string{"暗証番号（数字4桁）", "残りの入力回数：3回"}},
		{[]string{pin}, []string{"●●●●"}},
		{[]string{"Enter"}, []string{"手数料250円", "投入金額0円"}},
		{[]string{"3", "3", "3"}, []string{"投入金額300円", "おつり50円"}},
		{[]string{"Enter"}, final},
	}
}

func uiCases() []struct {
	name    string
	fault   string
	outcome protocol.Result
	final   []string
	taken   []string // once the card is pulled at the finish screen
	files   int
} {
	return []struct {
		name    string
		fault   string
		outcome protocol.Result
		final   []string
		taken   []string
		files   int
	}{
		{"printed", "", protocol.ResultPrinted,
			[]string{"証明書の印刷が完了しました", "料金 250円 をいただきました", "▶▶ カードをお取りください ◀◀"},
			[]string{"✓ カードが取り出されました", "▶▶ 証明書をお取りください ◀◀", "<Enter> 受け取りました"}, 1},
		{"refused", "wrong-record", protocol.ResultRefused,
			[]string{"この証明書は発行できませんでした。", "料金はいただいていません。", "店員にお知らせください", "▶▶ カードをお取りください ◀◀"},
			[]string{"✓ カードが取り出されました", "<Enter> 閉じる"}, 0},
	}
}

// TestRunUI runs runUI's loop on a simulation screen: a printed and a
// refused transaction, each ending back on the welcome screen, then Q.
func TestRunUI(t *testing.T) {
	for _, tc := range uiCases() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			faults, err := center.ParseFaults(tc.fault)
			if err != nil {
				t.Fatal(err)
			}
			env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t), Faults: faults})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			res, _ := env.Fixtures.Resident("R0001")
			dir := t.TempDir()
			jpath := filepath.Join(dir, "journal")
			j, _, err := journal.Open(jpath, bytes.Repeat([]byte{3}, 32), nil)
			if err != nil {
				t.Fatal(err)
			}
			sink := emuPrinter(t, filepath.Join(dir, "out"))
			sim := tcell.NewSimulationScreen("UTF-8")
			u, err := newUI(env, res, j, sink, "ja", sim)
			if err != nil {
				t.Fatal(err)
			}
			sim.SetSize(100, 35)
			results := make(chan terminal.Result, 1)
			u.onResult = func(r terminal.Result) { results <- r }
			done := make(chan error, 1)
			go func() { done <- u.run(ctx) }()

			snap := u.customer.Snapshot
			press := func(keys ...string) {
				for _, k := range keys {
					switch k {
					case "Enter":
						sim.InjectKey(tcell.KeyEnter, 0, tcell.ModNone)
					default:
						for _, r := range k {
							sim.InjectKey(tcell.KeyRune, r, tcell.ModNone)
							time.Sleep(5 * time.Millisecond)
						}
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			waitScreen(t, snap, 10*time.Second, "マイナンバーカードをカード置き場に置いてください", "R0001", "暗証番号 "+res.PIN, "<C> カードを置く", "<Q> 終了")
			for _, s := range transaction(res.PIN, tc.final) {
				press(s.keys...)
				waitScreen(t, snap, 10*time.Second, s.see...)
			}
			// Enter does not take the card: the finish screen waits for
			// it to leave the reader (C pulls it), then Enter closes it.
			press("Enter")
			time.Sleep(200 * time.Millisecond)
			waitScreen(t, snap, 10*time.Second, tc.final...)
			press("C")
			waitScreen(t, snap, 10*time.Second, tc.taken...)
			press("Enter")
			var r terminal.Result
			select {
			case r = <-results:
			case <-time.After(10 * time.Second):
				t.Fatalf("session did not end:\n%s", snap())
			}
			if r.Outcome != tc.outcome || len(sink.Files) != tc.files {
				t.Fatalf("result %+v files %v", r, sink.Files)
			}
			// The keymap shows once the welcome screen takes keys again
			// (after the preflight checks have passed once more).
			s := waitScreen(t, snap, 10*time.Second, "マイナンバーカードをカード置き場に置いてください", "<C> カードを置く", "<Q> 終了")
			if strings.Contains(s, "250円") || strings.Contains(s, "カードをお取りください") {
				t.Fatalf("session data left on the welcome screen:\n%s", s)
			}
			press("Q")
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Q did not quit")
			}
			j.Close()
			var ends []string
			if err := journal.Each(jpath, func(rec journal.Record) error {
				if rec.Session == r.Session && rec.Kind == journal.KindEnd {
					ends = append(ends, rec.State)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(ends) != 1 || ends[0] != string(tc.outcome) {
				t.Fatalf("journal ends %v", ends)
			}
		})
	}
}

// TestRunUIBadLanguage: a bad language is refused before the terminal is
// touched.
func TestRunUIBadLanguage(t *testing.T) {
	env, err := emulator.Start(context.Background(), emulator.Options{Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	res, _ := env.Fixtures.Resident("R0001")
	err = runUI(context.Background(), env, res, nil, emuPrinter(t, t.TempDir()), "fr")
	if err == nil || !strings.Contains(err.Error(), "language") {
		t.Fatalf("got %v", err)
	}
}

// tmuxPane drives one tmux server on a private socket (a path in the
// test's temporary directory, so nothing is left behind).
type tmuxPane struct {
	t    *testing.T
	bin  string
	sock string
}

func (p *tmuxPane) cmd(args ...string) (string, error) {
	c := exec.Command(p.bin, append([]string{"-u", "-S", p.sock, "-f", "/dev/null"}, args...)...)
	c.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	out, err := c.CombinedOutput()
	return string(out), err
}

func (p *tmuxPane) capture() string {
	s, _ := p.cmd("capture-pane", "-p", "-t", "kofu")
	return s
}

func (p *tmuxPane) send(keys ...string) {
	p.t.Helper()
	for _, k := range keys {
		if _, err := p.cmd("send-keys", "-t", "kofu", k); err != nil {
			p.t.Fatalf("send-keys %s: %v", k, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestKioskTmux drives the real binary in a 100×35 tmux pane, as a
// resident at the machine: one printed and one refused transaction. It
// skips while `kiosk run` still refuses to start without --autopilot.
// With KOFU_TUI_SCREENSHOTS=DIR it saves the welcome and PIN screens there.
func TestKioskTmux(t *testing.T) {
	bin := buildKiosk(t)
	tmux := needTmux(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	shots := os.Getenv("KOFU_TUI_SCREENSHOTS")
	for _, tc := range uiCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			args := "run --emulator " + testclock.Flag(t) + " --out " + out
			if tc.fault != "" {
				args += " --fault " + tc.fault
			}
			p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
			stderr := filepath.Join(dir, "stderr")
			shell := fmt.Sprintf("%s %s 2>%s; echo kiosk-exited $?; sleep 600", bin, args, stderr)
			if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "100", "-y", "35", shell); err != nil {
				t.Fatalf("tmux new-session: %v\n%s", err, o)
			}
			t.Cleanup(func() { p.close() })

			// The welcome screen, or the binary exiting at once.
			var s string
			deadline := time.Now().Add(20 * time.Second) // a deadline for polling: elapsed time only
			for {
				s = p.capture()
				if strings.Contains(s, "kiosk-exited") || strings.Contains(norm(s), norm("カード置き場に置いてください")) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no welcome screen:\n%s", s)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if strings.Contains(s, "kiosk-exited") {
				msg, _ := os.ReadFile(stderr)
				if bytes.Contains(msg, []byte("--autopilot")) {
					t.Skipf("kiosk run does not start the customer UI yet (run.go must call runUI when --autopilot is absent): %s",
						bytes.TrimSpace(msg))
				}
				t.Fatalf("kiosk exited:\n%s\nstderr: %s", s, msg)
			}
			s = waitScreen(t, p.capture, 20*time.Second, "R0001", "暗証番号 "+res.PIN, "<C> カードを置く")
			if shots != "" && tc.fault == "" {
				os.WriteFile(filepath.Join(shots, "kofu-welcome.txt"), []byte(s), 0o644)
			}
			for k, st := range transaction(res.PIN, tc.final) {
				p.send(st.keys...)
				s = waitScreen(t, p.capture, 30*time.Second, st.see...)
				if k == 3 && shots != "" && tc.fault == "" {
					os.WriteFile(filepath.Join(shots, "kofu-pin.txt"), []byte(s), 0o644)
				}
				if strings.Contains(s, res.PIN) && k == 3 {
					t.Fatalf("the PIN is on screen:\n%s", s)
				}
			}
			t.Logf("final screen:\n%s", s)
			p.send("Enter") // no card taken by a key
			time.Sleep(300 * time.Millisecond)
			waitScreen(t, p.capture, 20*time.Second, tc.final...)
			p.send("C")
			waitScreen(t, p.capture, 20*time.Second, tc.taken...)
			p.send("Enter")
			waitScreen(t, p.capture, 20*time.Second, "カード置き場に置いてください", "<Q> 終了")
			p.send("Q")
			waitScreen(t, p.capture, 20*time.Second, "kiosk-exited 0")
			pngs, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if len(pngs) != tc.files {
				t.Fatalf("%d pages printed, want %d", len(pngs), tc.files)
			}
		})
	}
}

// emuPrinter is the emulated USB printer driven by kofu's printer code,
// writing its output under dir.
func emuPrinter(t testing.TB, dir string) *emulator.Printer {
	t.Helper()
	p, err := emulator.NewPrinter(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestRunUIOutOfService: while a blocking check fails, the customer UI
// shows the out-of-service screen naming it instead of the welcome
// screen, checks again, and opens once healthy; a check failing while
// the welcome screen waits closes it again.
func TestRunUIOutOfService(t *testing.T) {
	cases := []struct {
		name    string
		journal bool
		breakIt func(env *emulator.Env, emu *emuprinter.Printer, jpath string)
		want    []string
		fix     func(emu *emuprinter.Printer)
	}{
		{name: "paper out", breakIt: func(_ *emulator.Env, emu *emuprinter.Printer, _ string) {
			emu.SetStatus(printer.StatusPaperEmpty | printer.StatusSelected)
		}, want: []string{"● プリンタ", "printer: kofu Emulated Laser 5 (SN EMU0001): paper out: load A4 paper"},
			fix: func(emu *emuprinter.Printer) { emu.SetStatus(printer.StatusNotError | printer.StatusSelected) }},
		{name: "center down", breakIt: func(env *emulator.Env, _ *emuprinter.Printer, _ string) { env.Center.Close() },
			want: []string{"● 交付センターとの通信", "center: nothing listens at", "connection refused"}},
		{name: "journal tampered with", journal: true, breakIt: func(_ *emulator.Env, _ *emuprinter.Printer, jpath string) {
			data, _ := os.ReadFile(jpath)
			os.WriteFile(jpath, bytes.Replace(data, []byte(`"kind":"open"`), []byte(`"kind":"state"`), 1), 0o600)
		}, want: []string{"● 取引の記録", "chain broken at line 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			res, _ := env.Fixtures.Resident("R0001")
			jpath := filepath.Join(t.TempDir(), "journal")
			j, _, err := journal.Open(jpath, bytes.Repeat([]byte{3}, 32), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			emu := emuprinter.New(emuprinter.Config{})
			p, err := printer.New(ctx, printer.OnLink(emu), printer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			tc.breakIt(env, emu, jpath)
			opts := []uiOption{withRecheck(100 * time.Millisecond)}
			if tc.journal {
				opts = append(opts, withJournalPath(jpath))
			}
			sim := tcell.NewSimulationScreen("UTF-8")
			u, err := newUI(env, res, j, p, "ja", sim, opts...)
			if err != nil {
				t.Fatal(err)
			}
			sim.SetSize(100, 35)
			done := make(chan error, 1)
			go func() { done <- u.run(ctx) }()
			snap := u.customer.Snapshot
			s := waitScreen(t, snap, 10*time.Second, append([]string{"ただいま、この端末はご利用いただけません", "<Q> 終了"}, tc.want...)...)
			if strings.Contains(s, "<C>") {
				t.Fatalf("a card can be placed while out of service:\n%s", s)
			}
			sim.InjectKey(tcell.KeyRune, 'C', tcell.ModNone)
			time.Sleep(300 * time.Millisecond) // two rechecks: still out of service
			waitScreen(t, snap, 10*time.Second, tc.want...)
			if tc.fix != nil {
				tc.fix(emu)
				waitScreen(t, snap, 10*time.Second, "マイナンバーカードをカード置き場に置いてください", "<C> カードを置く")
				tc.breakIt(env, emu, jpath) // fails again while the welcome screen waits
				waitScreen(t, snap, 10*time.Second, tc.want...)
			}
			sim.InjectKey(tcell.KeyRune, 'Q', tcell.ModNone)
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("Q did not quit the out-of-service screen:\n%s", snap())
			}
		})
	}
}
