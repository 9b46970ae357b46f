package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/terminal/journal"
)

// TestPrinterFaultTmux (issue 17, item 2) drives the real binary in a
// 100×32 tmux pane: R0004 (a seven-member household of Kawasaki, whose
// 戸籍 is issued every day) asks for a three-page 戸籍全部事項証明書 and
// pays; the emulated printer runs out of paper at page 2 (or jams there).
// Within 5 s of the resident's Enter that starts the job the screen says
// 用紙切れ (紙づまり), asks for the one page that came out and for the
// staff, says no fee was taken, and never shows the reason code; the
// journal ends the session unknown with that reason and one page out.
func TestPrinterFaultTmux(t *testing.T) {
	bin := buildKiosk(t)
	tmux := needTmux(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, ok := fx.Resident("R0004")
	if !ok {
		t.Fatal("no resident R0004")
	}
	cases := []struct {
		scenario string
		reason   string
		ja, en   []string
	}{
		{"paper-out@2", "print-paper-out",
			[]string{"用紙切れのため、印刷を中止しました。", "印刷された1枚をお取りください。", "残りのページは印刷されていません。", "店員をお呼びください。", "料金はいただいていません。"},
			[]string{"out of paper", "Please take the page that was printed.", "The rest of the certificate was not printed.", "You have not been charged."}},
		{"jam@2", "print-jam",
			[]string{"紙づまりのため、印刷を中止しました。", "印刷された1枚をお取りください。", "詰まった用紙は店員が取り除きます", "店員をお呼びください。", "料金はいただいていません。"},
			[]string{"paper jam", "Please take the page that was printed.", "leave the jammed paper", "You have not been charged."}},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
			stderr := filepath.Join(dir, "stderr")
			shell := fmt.Sprintf("%s run --emulator %s --resident R0004 --printer emulator:%s --out %s 2>%s; echo kiosk-exited $?; sleep 600",
				bin, testclock.Flag(t), tc.scenario, out, stderr)
			if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "100", "-y", "32", shell); err != nil {
				t.Fatalf("tmux new-session: %v\n%s", err, o)
			}
			t.Cleanup(func() { p.close() })
			fail := func(format string, args ...any) {
				t.Helper()
				msg, _ := os.ReadFile(stderr)
				t.Fatalf(format+"\nstderr: %s", append(args, msg)...)
			}

			waitScreen(t, p.capture, 20*time.Second, "カード置き場に置いてください", "<C> カードを置く")
			p.send("C")
			waitScreen(t, p.capture, 20*time.Second, "取得する証明書を選んでください", "戸籍全部事項証明書")
			p.send("4")
			s := waitScreen(t, p.capture, 20*time.Second, "戸籍全部事項証明書", "請求先")
			if strings.Contains(norm(s), norm("未選択")) {
				// No silent default: the 本籍地 is chosen explicitly.
				p.send("2")
				waitScreen(t, p.capture, 20*time.Second, "本籍地の市区町村を選んでください", "本籍地（神奈川県川崎市）")
				p.send("Enter")
				waitScreen(t, p.capture, 20*time.Second, "神奈川県川崎市", "手数料のめやす")
			}
			p.send("Enter")
			waitScreen(t, p.capture, 20*time.Second, "暗証番号", "残りの入力回数：3回")
			p.send(res.PIN)
			waitScreen(t, p.capture, 20*time.Second, "●●●●")
			p.send("Enter")
			waitScreen(t, p.capture, 30*time.Second, "手数料", "450円", "投入金額")
			p.send("4") // a 500-yen coin
			waitScreen(t, p.capture, 20*time.Second, "投入金額500円")

			// The Enter that starts the job: fetching and verifying the
			// three pages, printing page 1, the fault at page 2, and the
			// screen saying it, all within 5 s (it takes well under one).
			p.send("Enter")
			start := time.Now() // elapsed time only
			s = waitScreen(t, p.capture, 5*time.Second, tc.ja...)
			t.Logf("%s on screen %v after the Enter that started the job:\n%s", tc.ja[0], time.Since(start).Round(10*time.Millisecond), s)
			for _, code := range []string{tc.reason, strings.TrimPrefix(tc.reason, "print-"), "ページ目を印刷しています"} {
				if strings.Contains(s, code) {
					fail("%q on the end screen:\n%s", code, s)
				}
			}
			p.send("L", "2") // the language list, then English
			s = waitScreen(t, p.capture, 10*time.Second, tc.en...)
			if strings.Contains(s, "page(s)") {
				fail("\"page(s)\" on the English screen:\n%s", s)
			}

			// The journal: unknown, the fault's reason, one page out; the
			// emulated printer's output: the one page that came out.
			var end *journal.Record
			deadline := time.Now().Add(10 * time.Second) // polling: elapsed time only
			for end == nil && time.Now().Before(deadline) {
				_ = journal.Each(filepath.Join(out, "journal"), func(r journal.Record) error {
					if r.Kind == journal.KindEnd {
						end = &r
					}
					return nil
				})
				time.Sleep(50 * time.Millisecond)
			}
			if end == nil || end.State != "unknown" || end.Reason != tc.reason || end.Pages != 1 || end.Billing != "released" {
				fail("journal end %+v; want unknown, %s, 1 page, released", end)
			}
			if pngs, _ := filepath.Glob(filepath.Join(out, "*.png")); len(pngs) != 1 {
				fail("%d pages in the printer's output, want the 1 that came out", len(pngs))
			}

			// The resident takes the card and the page; the printer still
			// has no paper, so the kiosk waits out of service; Q quits.
			p.send("L", "1", "C") // back to Japanese
			waitScreen(t, p.capture, 10*time.Second, "印刷された1枚をお取りください", "<Enter>")
			p.send("Enter")
			waitScreen(t, p.capture, 20*time.Second, "<Q> 終了")
			p.send("Q")
			waitScreen(t, p.capture, 20*time.Second, "kiosk-exited 0")
		})
	}
}
