package tui

import (
	"strings"
	"testing"

	"github.com/rivo/tview"
)

// TestWrapText: lines fit, nothing is lost, no line begins with closing
// punctuation or a small kana, and the breaks fall between phrases.
func TestWrapText(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  []string // exact lines, when given
	}{
		{in: "カードをお取りください。必要な場合は、最初からやり直してください。", width: 24,
			want: []string{"カードをお取りください。", "必要な場合は、", "最初からやり", "直してください。"}},
		{in: "カードをお持ちのうえ、お住まいの市区町村の窓口で暗証番号の再設定（ロック解除）の手続きをしてください。", width: 40},
		{in: "[yellow::b]投入金額が足りません。[-:-:-]もう一度お確かめください。", width: 20},
		{in: "  ● プリンタの用紙、紙づまり、カバー、電源とケーブルを確認してください。", width: 30},
		{in: "Please take your card to your municipal office to have the PIN reset.", width: 30,
			want: []string{"Please take your card to your", "municipal office to have the", "PIN reset."}},
		{in: "短い行", width: 40, want: []string{"短い行"}},
		// A Latin name in Chinese stays whole; a Japanese name kept in
		// another language's text, too.
		{in: "内容　个人编号（My Number）：不记载", width: 24,
			want: []string{"内容　个人编号", "（My Number）：不记载"}},
		{in: "记载范围：全体户成员；个人编号（My Number）：不记载", width: 30,
			want: []string{"记载范围：全体户成员；", "个人编号（My Number）：不记载"}},
		{in: "Com o seu cartão, obtenha a certidão (住民票の写し).", width: 44,
			want: []string{"Com o seu cartão, obtenha a certidão", "(住民票の写し)."}},
		// Hangul in brackets is text, not a colour tag; Korean breaks at
		// spaces.
		{in: "[에뮬레이터] 테스트 이용자 R0001의 카드 (비밀번호 1234). C 키로 카드를 놓고, C 키를 한 번 더 누르면 뺍니다.", width: 40,
			want: []string{"[에뮬레이터] 테스트 이용자 R0001의 카드", "(비밀번호 1234). C 키로 카드를 놓고, C", "키를 한 번 더 누르면 뺍니다."}},
	}
	for _, tc := range cases {
		got := wrapText(tc.in, tc.width)
		lines := strings.Split(got, "\n")
		if tc.want != nil && strings.Join(lines, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d):\n got %q\nwant %q", tc.in, tc.width, lines, tc.want)
		}
		joined := ""
		for i, l := range lines {
			if w := tview.TaggedStringWidth(l); w > tc.width {
				t.Errorf("wrap(%q): line %q is %d cells > %d", tc.in, l, w, tc.width)
			}
			plain := strings.TrimLeft(tview.Escape(stripTags(l)), " ")
			if i > 0 && plain != "" && strings.ContainsRune(noLineStart, []rune(plain)[0]) {
				t.Errorf("wrap(%q): line %q begins with %q", tc.in, l, []rune(plain)[0])
			}
			if strings.HasSuffix(stripTags(l), "くださ") {
				t.Errorf("wrap(%q): くださ / い", tc.in)
			}
			sep := ""
			if i > 0 && isASCIIWordEnd(joined) {
				sep = " "
			}
			joined += sep + strings.TrimLeft(l, " ")
		}
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(tc.in, " ", "") {
			t.Errorf("wrap(%q) lost text: %q", tc.in, joined)
		}
	}
}

func stripTags(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		if rs[i] == '[' {
			if j := tagEnd(rs, i); j > i {
				i = j
				continue
			}
		}
		b.WriteRune(rs[i])
	}
	return b.String()
}

func isASCIIWordEnd(s string) bool {
	return s != "" && s[len(s)-1] < 0x80 && s[len(s)-1] != ' '
}

// TestWrapKeymap: the keymap breaks between entries, never inside one.
func TestWrapKeymap(t *testing.T) {
	got := strings.Split(keymap(Locale{}, []hint{{"C", T("カードを抜く", "")}, {"1-2", T("項目を切り替え", "")},
		{"↑↓", T("移動", "")}, {"←→", T("変更", "")}, {"Enter", T("次へ", "")}, {"Esc", T("戻る", "")}}, 60), "\n")
	if len(got) != 2 || !strings.HasPrefix(stripTags(got[1]), "<←→>") {
		t.Fatalf("keymap lines %q", got)
	}
	for _, l := range got {
		if w := tview.TaggedStringWidth(l); w > 60 {
			t.Errorf("line %q is %d cells", l, w)
		}
	}
}

// TestCutKeepsLatinWords: a phrase cut to the line's width (Chinese) cuts
// before a Latin name and the bracket that opens it, not inside them.
func TestCutKeepsLatinWords(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, full int
		want        []string
	}{
		{"全体户成员个人编号（My Number）", 20, 30, []string{"全体户成员个人编号", "（My Number）"}},
		{"全体户成员个人编号R0001的卡", 21, 30, []string{"全体户成员个人编号", "R0001的卡"}},
		{"個人番号ABCDEFGHIJKLMNOP", 12, 12, []string{"個人番号", "ABCDEFGHIJKL", "MNOP"}}, // longer than a line: cut
	} {
		if got := cut(tc.in, tc.first, tc.full); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("cut(%q, %d, %d) = %q, want %q", tc.in, tc.first, tc.full, got, tc.want)
		}
	}
}

// TestFitText: a text too long for its rows loses its blank lines first
// (from the top), then its optional lines (from the bottom), then its
// spare ones; never a line that carries neither mark.
func TestFitText(t *testing.T) {
	text := optional + "heading\n" + "summary\n" + "\n" + "fee\n" + "\n" + spare + "reassurance\n" + optional + "hint\n"
	cases := []struct {
		name   string
		height int
		want   string
	}{
		{"no limit", 0, "heading\nsummary\n\nfee\n\nreassurance\nhint\n"},
		{"room for all", 7, "heading\nsummary\n\nfee\n\nreassurance\nhint\n"},
		{"the first blank goes", 6, "heading\nsummary\nfee\n\nreassurance\nhint\n"},
		{"every blank goes", 5, "heading\nsummary\nfee\nreassurance\nhint\n"},
		{"optional from the bottom", 4, "heading\nsummary\nfee\nreassurance\n"},
		{"every optional before a spare", 3, "summary\nfee\nreassurance\n"},
		{"then the spare", 2, "summary\nfee\n"},
		{"the rest stays, too long or not", 1, "summary\nfee\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fitText(text, 40, tc.height); got != tc.want {
				t.Errorf("fitText(h=%d) = %q, want %q", tc.height, got, tc.want)
			}
		})
	}
}
