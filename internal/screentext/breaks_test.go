package screentext

import (
	"strings"
	"testing"
)

// box draws lines in the customer UI's frame at width cells.
func box(width int, lines ...string) string {
	out := []string{"╔" + strings.Repeat("═", width-2) + "╗"}
	for _, l := range lines {
		pad := width - 4 - stringWidth(l)
		out = append(out, "║  "+l+strings.Repeat(" ", max(pad, 0))+"║")
	}
	out = append(out, "╚"+strings.Repeat("═", width-2)+"╝")
	return strings.Join(out, "\n")
}

func stringWidth(s string) int {
	w := 0
	for _, r := range s {
		if r >= 0x1100 {
			w += 2
		} else {
			w++
		}
	}
	return w
}

func TestBreakFaults(t *testing.T) {
	words := map[string]bool{"please": true, "place": true, "your": true, "card": true, "on": true, "the": true, "reader": true}
	known := func(s string) bool { return words[s] }
	cases := []struct {
		name  string
		lang  string
		lines []string
		want  string // a fault containing this; "" for none
	}{
		// The box is as wide as the first line needs: it is full.
		{"ja break after a particle", "ja", []string{"カードを", "置いてください。"}, ""},
		{"ja lone closing character", "ja", []string{"置いてください", "。"}, `starts with '。'`},
		{"ja opening bracket at the end", "ja", []string{"住民票の写し（", "本人）"}, `ends with '（'`},
		{"ja kanji compound cut, line full", "ja", []string{"あいうえおの証明", "書"}, "kanji compound cut"},
		{"ja kanji then kanji, line short: two lines", "ja", []string{"部数 1通", "請求先 千代田区の区役所"}, ""},
		{"ja hiragana cut", "ja", []string{"カードを置いてくださ", "い"}, "hiragana word cut"},
		{"ja katakana cut", "ja", []string{"あいうえおのカー", "ド"}, "katakana word cut"},
		{"ja number cut", "ja", []string{"おつりは123456", "7円"}, "Latin word or number cut"},
		{"zh between Han: allowed", "zh", []string{"请将您的个人编号", "卡放在读卡器上"}, ""},
		{"en between words", "en", []string{"Please place", "your card"}, ""},
		{"en word cut", "en", []string{"Please place yo", "ur card"}, `"yo" is not a word`},
		{"en comma starts a line", "en", []string{"Please place", ", your card"}, `starts with ','`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			width := stringWidth(tc.lines[0]) + 6
			if strings.Contains(tc.name, "short") {
				width += 12
			}
			got := BreakFaults(box(width, tc.lines...), tc.lang, known)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("faults %q, want none", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Fatalf("faults %q, want one with %q", got, tc.want)
			}
		})
	}
}

func TestNormToken(t *testing.T) {
	for in, want := range map[string]string{"(Chiyoda),": "chiyoda", "¥250": "250", "Tiếng": "tiếng", "…": ""} {
		if got := NormToken(in); got != want {
			t.Errorf("NormToken(%q) = %q, want %q", in, got, want)
		}
	}
}
