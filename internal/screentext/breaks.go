package screentext

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/rivo/uniseg"
)

// Closing characters may not start a line and opening ones may not end
// one (JIS X 4051 行頭禁則・行末禁則, and their Latin counterparts).
const (
	noLineStart = "、。，．・：；？！ー」』）】〕〉》〟ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ),.:;?!]}％%"
	noLineEnd   = "「『（【〔〈《〝([{"
)

// jaParticles end a Japanese phrase: a break after one of them is
// between words.
const jaParticles = "はがをにでともへのやかてねよ"

// BreakFaults reads a capture of a customer screen (Of) whose body is
// drawn in a double-line box (║ … ║) with two cells of padding, and lists
// the line breaks a reader would stumble on: a line that starts with a
// closing character or ends with an opening one, and, where the break
// was forced by the width (the next line's first word would not have
// fitted), a word cut in two. What a word is depends on lang: for "ja"
// a break between two kanji, two katakana, two digits or Latin letters,
// or inside hiragana other than after a particle; for "zh" between
// digits or Latin letters (Chinese breaks between any two characters);
// for languages written with spaces, a break where the line's last
// token is not a word: known reports whether a token (lower case, its
// punctuation trimmed) is one, and nil skips that check.
func BreakFaults(capture, lang string, known func(string) bool) []string {
	lines := strings.Split(capture, "\n")
	width := 0
	for _, l := range lines {
		width = max(width, uniseg.StringWidth(l))
	}
	avail := width - 6 // ║, two cells of padding on each side, ║
	var faults []string
	for i := 0; i+1 < len(lines); i++ {
		a, okA := boxContent(lines[i])
		b, okB := boxContent(lines[i+1])
		if !okA || !okB || strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
			continue
		}
		bt := strings.TrimLeft(b, " ")
		first, _ := firstRune(bt)
		last := lastRune(a)
		where := fmt.Sprintf("rows %d–%d %q / %q", i+1, i+2, strings.TrimSpace(a), strings.TrimSpace(b))
		if strings.ContainsRune(noLineStart, first) {
			faults = append(faults, fmt.Sprintf("%s: line starts with %q", where, first))
		}
		if strings.ContainsRune(noLineEnd, last) {
			faults = append(faults, fmt.Sprintf("%s: line ends with %q", where, last))
		}
		if !forced(a, bt, avail, lang) {
			continue
		}
		if msg := splitWord(a, bt, last, first, lang, known); msg != "" {
			faults = append(faults, where+": "+msg)
		}
	}
	return faults
}

// boxContent is the text inside the box on a row ("║  text  ║"), its
// padding cut; false for a row outside the box.
func boxContent(line string) (string, bool) {
	if !strings.HasPrefix(line, "║") || !strings.HasSuffix(line, "║") || len(line) < 2*len("║") {
		return "", false
	}
	in := strings.TrimSuffix(strings.TrimPrefix(line, "║"), "║")
	in = strings.TrimPrefix(in, "  ")
	return strings.TrimRight(in, " "), true
}

// forced reports whether the break after a was made by the width: the
// next line's first word would not have fitted after a.
func forced(a, b string, avail int, lang string) bool {
	if spaced(lang) {
		tok, _, _ := strings.Cut(b, " ")
		return uniseg.StringWidth(a)+1+uniseg.StringWidth(tok) > avail
	}
	r, _ := firstRune(b)
	return uniseg.StringWidth(a)+uniseg.StringWidth(string(r)) > avail
}

// splitWord says how the break between last (end of a) and first (start
// of b) cuts a word, or "".
func splitWord(a, b string, last, first rune, lang string, known func(string) bool) string {
	alnum := func(r rune) bool { return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
	if alnum(last) && alnum(first) && !spaced(lang) {
		return "Latin word or number cut"
	}
	if unicode.IsDigit(last) && unicode.IsDigit(first) {
		return "number cut"
	}
	switch {
	case lang == "ja":
		switch {
		case unicode.Is(unicode.Han, last) && unicode.Is(unicode.Han, first):
			return "kanji compound cut"
		case isKatakana(last) && isKatakana(first):
			return "katakana word cut"
		case unicode.Is(unicode.Hiragana, last) && unicode.Is(unicode.Hiragana, first) && !strings.ContainsRune(jaParticles, last):
			return "hiragana word cut"
		}
	case spaced(lang):
		if known == nil || !unicode.IsLetter(last) || !unicode.IsLetter(first) {
			return ""
		}
		fields := strings.Fields(a)
		tok := normToken(fields[len(fields)-1])
		if tok != "" && !known(tok) {
			return fmt.Sprintf("%q is not a word: a word cut", tok)
		}
	}
	return ""
}

// spaced reports whether lang separates words with spaces.
func spaced(lang string) bool { return lang != "ja" && lang != "zh" }

// NormToken is a token as BreakFaults' known sees it: lower case, the
// punctuation around it trimmed.
func NormToken(s string) string { return normToken(s) }

func normToken(s string) string {
	return strings.ToLower(strings.TrimFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	}))
}

func isKatakana(r rune) bool { return unicode.Is(unicode.Katakana, r) || r == 'ー' }

func firstRune(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

func lastRune(s string) rune {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1]
}
