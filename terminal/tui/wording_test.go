package tui

import (
	"context"
	"strings"
	"testing"

	"kofu/protocol"
	"kofu/terminal"
)

// TestWordingJapanese: the Japanese of issue 17, item 14. Backspace
// erases a digit on the PIN screen (1桁消す) and corrects the search in
// the picker (訂正), never 1文字消す; a certificate the kiosk could not
// verify is one it received (受信した), not one that "arrived"; printing
// says the page and the total in Japanese word order, not "2 / 3".
func TestWordingJapanese(t *testing.T) {
	t.Run("PIN: 1桁消す", func(t *testing.T) {
		h := newHarness(t, Options{})
		go h.c.PIN(t.Context(), 3)
		absent(t, h.waitFor("<BS> 1桁消す", "<0-9> 入力"), "1文字消す")
	})
	t.Run("picker search: 訂正", func(t *testing.T) {
		h := newHarness(t, Options{Muni: storeMachine})
		go h.c.Choose(t.Context())
		h.waitFor("取得する証明書を選んでください")
		h.press('3', '2', "yoko")
		absent(t, h.waitFor("検索：YOKO", "<BS> 訂正"), "1文字消す")
	})
	t.Run("refused: 受信した証明書", func(t *testing.T) {
		for _, reason := range []terminal.Reason{"envelope-subject", "page-qr-mismatch"} {
			w := explain(terminal.Result{Outcome: protocol.ResultRefused, Reason: reason, Payment: "released"}, seen{})
			if got := w.What.In(Locale{}); !strings.HasPrefix(got, "受信した証明書が") || strings.Contains(got, "届いた") {
				t.Errorf("%s: %q", reason, got)
			}
		}
	})
	t.Run("printing: 2ページ目（全3ページ）", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.c.Progress(terminal.Progress{State: terminal.StatePrint, Page: 2, Pages: 3})
		absent(t, h.waitFor("2ページ目を印刷しています（全3ページ）"), "2 / 3", "2/3")
	})
}

// TestStoppedSaidOnce: a session the card's removal or a timeout ended
// says 手続きを中止しました once — the title says it and why — and the
// body what that means and what to do, in every language (issue 17, item
// 14: the title and the body both said it).
func TestStoppedSaidOnce(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	stopped := T("手続きを中止しました。", "The request was cancelled.")
	cases := []struct {
		reason terminal.Reason
		title  string // Japanese
	}{
		{terminal.ReasonCardRemoved, "カードが取り外されたため、手続きを中止しました。"},
		{"pin-timeout", "一定時間操作がなかったため、手続きを中止しました。"},
		{"pay-timeout", "一定時間操作がなかったため、手続きを中止しました。"},
		{"choose-timeout", "一定時間操作がなかったため、手続きを中止しました。"},
		{"choose-cancelled", "手続きを中止しました。"},
		{"pay-cancelled", "手続きを中止しました。"},
	}
	for _, tc := range cases {
		w := explain(terminal.Result{Outcome: protocol.ResultCancelled, Reason: tc.reason, Payment: "none"}, seen{})
		if got := w.Title.In(Locale{}); got != tc.title {
			t.Errorf("%s: title %q, want %q", tc.reason, got, tc.title)
		}
		for _, lang := range AllLangs() {
			l := cats.locale(lang)
			title, body := w.Title.In(l), w.What.In(l)+"\n"+w.Do.In(l)
			if strings.Contains(body, title) || strings.Contains(body, stopped.In(l)) {
				t.Errorf("%s, %s: the body repeats the title %q:\n%s", tc.reason, lang, title, body)
			}
			if lang == Japanese {
				if n := strings.Count(title+body, "中止"); n != 1 {
					t.Errorf("%s: 中止 said %d times:\n%s\n%s", tc.reason, n, title, body)
				}
			}
		}
	}
}

// TestOptionLabelsEnglish: the options screen in English names the items
// as a resident knows them, not as the wire does (issue 17, item 14):
// My Number, and the registered domicile with the head of the family
// register; and the 本籍 row says whom it is for.
func TestOptionLabelsEnglish(t *testing.T) {
	h := newHarness(t, Options{})
	go h.c.Choose(t.Context())
	h.waitFor("取得する証明書を選んでください")
	h.press('L', '2', '1')
	s := h.waitFor("Registered domicile and head of family register", "My Number", "Head of household and relationship")
	absent(t, s, "Individual number")
	if line := lineWith(s, "Registered domicile"); !strings.Contains(line, "(Japanese nationals only)") {
		t.Errorf("the 本籍 row %q has no note", line)
	}
}

// lineWith is the first row of screen s that holds what.
func lineWith(s, what string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, what) {
			return l
		}
	}
	return ""
}

// TestForeignResidentsAndKoseki: what a foreign resident (no 戸籍, no
// 本籍; issue 17, item 12) is told. Nothing the kiosk reads before the
// PIN says the resident's nationality, so the 戸籍 documents stay on the
// list with its note; the 住民票's 本籍・筆頭者 row says it is for
// Japanese nationals (the 戸籍の附票, itself a 戸籍 document, needs no
// note); and a 戸籍 refused as unavailable or not eligible says, beside
// what a Japanese national checks (the 本籍地), that a foreign national
// has no 戸籍 — never only "ask at the office".
func TestForeignResidentsAndKoseki(t *testing.T) {
	note := "（日本国籍の方のみ）"
	for _, tc := range []struct {
		key  rune
		doc  string
		note bool
	}{
		{'1', "住民票の写し", true},
		{'2', "住民票記載事項証明書", true},
		{'6', "戸籍の附票の写し", false},
	} {
		t.Run(tc.doc, func(t *testing.T) {
			h := newHarness(t, Options{HonsekiMuni: "141003"})
			go h.c.Choose(t.Context())
			h.waitFor("取得する証明書を選んでください", "4〜6 の戸籍の証明書は、日本国籍の方のみ取得できます。")
			h.press(tc.key)
			s := h.waitFor(tc.doc, "本籍・筆頭者")
			if line := lineWith(s, "本籍・筆頭者"); strings.Contains(line, note) != tc.note {
				t.Errorf("the 本籍 row %q: note %v, want %v", line, !tc.note, tc.note)
			}
			if tc.note && strings.Count(s, note) != 1 {
				t.Errorf("the note on %d rows:\n%s", strings.Count(s, note), s)
			}
		})
	}
	t.Run("戸籍 stays selectable", func(t *testing.T) {
		h := newHarness(t, Options{})
		go h.c.Choose(t.Context())
		h.waitFor("取得する証明書を選んでください")
		h.press('4')
		h.waitFor("戸籍全部事項証明書", "請求先（本籍地）")
	})
	foreign := "外国籍の方には戸籍がないため、戸籍の証明書は発行されません。"
	for _, tc := range []struct {
		doc    protocol.DocType
		reason terminal.Reason
		hint   bool
	}{
		{protocol.DocKosekiZenbu, "center-document-unavailable", true},
		{protocol.DocKosekiKojin, "center-not-eligible", true},
		{protocol.DocKosekiFuhyo, "center-unknown-municipality", true},
		{protocol.DocJuminhyo, "center-document-unavailable", false},
		{protocol.DocKosekiZenbu, "center-card-revoked", false},
	} {
		w := explain(terminal.Result{Outcome: protocol.ResultFailed, Reason: tc.reason, Payment: "none"}, seen{doc: tc.doc})
		hint := w.Hint.In(Locale{}) + "\n" + w.Hint2.In(Locale{})
		if strings.Contains(hint, foreign) != tc.hint || strings.Contains(hint, "選んだ請求先が本籍地であること") != tc.hint {
			t.Errorf("%s, %s: hint %q", tc.doc, tc.reason, hint)
		}
	}
	// The hint reaches the finish screen after a 戸籍 request.
	h := newHarness(t, Options{HonsekiMuni: "362018"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kosekiToResidence(ctx, h, terminal.Result{Outcome: protocol.ResultFailed, Reason: "center-document-unavailable", Payment: "none"})
	h.waitFor("ご指定の証明書は現在発行できません", foreign)
}
