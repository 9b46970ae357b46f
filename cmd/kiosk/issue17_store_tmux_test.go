//go:build linux

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"kofu/internal/cli"
)

// TestStoreTmuxWelcome runs the real binary as a store machine (`kiosk
// run --config FILE`) in a 100×32 tmux pane, its card reader a real
// pcscd with the emulated card on vsmartcard-vpcd, the emulated center a
// separate mutual-TLS server (startStoreTmux). The store machine and the
// center run at pinned instants (the test build's --clock), so the test
// sees the same screens at any hour of any day.
//
//   - Issue 17, item 9: the welcome screen has no quit key, and Q, Esc
//     and Ctrl-C do not close the store machine.
//   - Item 1 in store mode: nothing is chosen for the resident; the
//     resident reaches Munakata (402206, deep in the national list) in
//     the picker by typing its code. Within the service's hours it is
//     chosen; after 23:00 and in the year-end closure the picker's row
//     says it is closed now, Enter does not take it and says why.
func TestStoreTmuxWelcome(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	cases := []struct {
		name string
		at   time.Time
		open bool
		why  string // what Enter on the closed row says
	}{
		{"open, a Monday morning", time.Date(2026, 12, 7, 10, 0, 0, 0, jst), true, ""},
		{"after 23:00", time.Date(2026, 12, 7, 23, 30, 0, 0, jst), false, "6:30〜23:00"},
		{"year-end closure", time.Date(2026, 12, 30, 10, 0, 0, 0, jst), false, "12月29日〜1月3日"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := startStoreTmux(t, storeTmuxOptions{width: 100, height: 32, at: tc.at})
			p, wait, fail := st.pane, st.wait, st.fail
			welcome := "マイナンバーカードをカード置き場に置いてください"

			// Item 9: no quit key, and none works.
			sc := wait(30*time.Second, welcome, "<L> Language / 言語")
			if shows(sc, "終了") || strings.Contains(sc, "<Q>") || strings.Contains(sc, "<C>") {
				fail("a quit key on the store machine's welcome screen:\n%s", sc)
			}
			if i == 0 {
				for _, key := range []string{"Q", "q", "C-c", "Escape"} {
					p.send(key)
					time.Sleep(700 * time.Millisecond)
					if sc := p.capture(); strings.Contains(sc, "kiosk-exited") || !shows(sc, welcome) {
						fail("%s closed the store machine's welcome screen:\n%s", key, sc)
					}
				}
			}

			// Item 1 in store mode: the municipality by its code.
			st.pcsc.Insert(t, st.card, 0)
			wait(20*time.Second, "取得する証明書を選んでください")
			p.send("3") // 印鑑登録証明書
			wait(20*time.Second, "請求先（住所地）", "未選択")
			p.send("Down", "Enter")
			wait(20*time.Second, "住所地の市区町村を選んでください。", "市区町村コード（6桁）")
			p.send("402206")
			if tc.open {
				wait(20*time.Second, "検索：402206", "○ 402206  福岡県宗像市  200円／通")
				p.send("Enter")
				wait(20*time.Second, "請求先（住所地）", "◀ 福岡県宗像市 ▶", "手数料のめやす：200円")
			} else {
				wait(20*time.Second, "検索：402206", "× 402206  福岡県宗像市")
				p.send("Enter")
				sc := wait(20*time.Second, tc.why)
				if shows(sc, "◀ 福岡県宗像市 ▶") {
					fail("a municipality closed now was taken as the 請求先:\n%s", sc)
				}
				t.Logf("closed at %s; the picker says:\n%s", tc.at.Format(time.RFC3339), sc)
			}
			if shows(p.capture(), "暗証番号（数字4桁）") {
				fail("the PIN was asked")
			}
			st.card.Remove()
			wait(20*time.Second, "<Enter> 閉じる")
			p.send("Enter")
			sc = wait(20*time.Second, welcome)
			if strings.Contains(sc, "<Q>") {
				fail("a quit key after a session:\n%s", sc)
			}
			if !strings.Contains(st.log(), `"reason":"card-removed"`) {
				fail("the session did not end as a card removal")
			}
		})
	}
}

// TestStoreClockRefused: a release build's store machine keeps the wall
// clock; --clock is for the emulator (and the test build).
func TestStoreClockRefused(t *testing.T) {
	if testClockBuild {
		t.Skip("this test binary is the kofu_testclock build")
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), "kiosk", commands(),
		[]string{"run", "--config", testConfig(t, "store-multi", ""), "--clock", "2026-12-07T10:00+09:00"}, &stdout, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "--clock is for --emulator") {
		t.Fatalf("exit %d, stderr %q: want exit 2 refusing --clock", code, stderr.String())
	}
}
