package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/internal/testclock"
)

// startTmuxKiosk builds the real binary once per test and runs `kiosk run
// --emulator` for resident in a tmux pane of width×height; it returns the
// pane once the welcome screen shows.
func startTmuxKiosk(t *testing.T, bin, resident string, width, height int) *tmuxPane {
	t.Helper()
	tmux := needTmux(t)
	dir := t.TempDir()
	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	args := fmt.Sprintf("run --emulator --resident %s %s --out %s", resident, testclock.Flag(t), filepath.Join(dir, "out"))
	shell := fmt.Sprintf("%s %s 2>%s; echo kiosk-exited $?; sleep 600", bin, args, filepath.Join(dir, "stderr"))
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.close() })
	waitScreen(t, p.capture, 30*time.Second, "カード置き場に置いてください", resident)
	return p
}

// TestResidentTmux walks the real binary as residents would, one case per
// item of issue 17 it shows fixed: the 請求先 of a family register chosen
// explicitly (item 1), bad news as the card is placed (item 4), the
// request summed up before paying (item 8).
func TestResidentTmux(t *testing.T) {
	bin := buildKiosk(t)
	cases := []struct {
		name     string
		resident string
		steps    []step
		never    []string // must not appear on any screen of the walk
	}{
		{
			// R0023 lives in Yokohama; his 本籍 is in Tokushima. Nothing
			// is preselected: Enter asks for the municipality, the picker
			// offers both, and the national list says why Yonaguni
			// cannot issue it.
			name: "item 1: koseki 請求先 chosen, never defaulted", resident: "R0023",
			steps: []step{
				{[]string{"C"}, []string{"取得する証明書を選んでください"}},
				{[]string{"4"}, []string{"請求先（本籍地）", "未選択"}},
				{[]string{"Enter"}, []string{"請求先の市区町村を選んでください。"}},
				{[]string{"Enter"}, []string{"本籍地の市区町村を選んでください。", "本籍地（徳島県徳島市）", "住所地と同じ（神奈川県横浜市）", "ほかの市区町村を探す"}},
				{[]string{"Down", "Down", "Enter"}, []string{"都道府県を選んでください", "01  北海道"}},
				{[]string{"よなぐに"}, []string{"× 473821  沖縄県与那国町  コンビニ交付なし"}},
				{[]string{"Enter"}, []string{"この市区町村はコンビニ交付を行っていません。"}},
				{[]string{"Escape"}, []string{"請求先（本籍地）", "未選択"}},
				{[]string{"Enter"}, []string{"本籍地（徳島県徳島市）"}},
				{[]string{"Enter"}, []string{"◀ 徳島県徳島市 ▶", "手数料のめやす：450円"}},
				{[]string{"Enter"}, []string{"暗証番号（数字4桁）"}},
				{[]string{"8642", "Enter"}, []string{"ご請求の内容をご確認ください。", "戸籍全部事項証明書", "請求先", "徳島県徳島市", "手数料450円"}},
			},
			never: []string{"コンビニ交付では発行できません"},
		},
		{
			name: "item 4: a locked card is said as it is placed", resident: "R0007",
			steps: []step{
				{[]string{"C"}, []string{"カードの暗証番号がロックされています", "市区町村の窓口"}},
			},
			never: []string{"取得する証明書を選んでください", "暗証番号（数字4桁）"},
		},
		{
			name: "item 4: an expired certificate is said as the card is placed", resident: "R0006",
			steps: []step{
				{[]string{"C"}, []string{"有効期限が切れています", "市区町村の窓口"}},
			},
			never: []string{"取得する証明書を選んでください", "暗証番号（数字4桁）"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startTmuxKiosk(t, bin, tc.resident, 80, 24)
			for _, st := range tc.steps {
				p.send(st.keys...)
				s := waitScreen(t, p.capture, 20*time.Second, st.see...)
				for _, n := range tc.never {
					if strings.Contains(norm(s), norm(n)) {
						t.Fatalf("%q on screen:\n%s", n, s)
					}
				}
			}
			if os.Getenv("KOFU_TUI_SCREENSHOTS") != "" {
				t.Logf("last screen:\n%s", p.capture())
			}
		})
	}
}
