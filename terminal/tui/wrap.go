package tui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/tview"
)

// Line breaking a resident can read (issue 17, item 13). tview breaks
// Japanese between any two characters, which left orphans (くださ / い。)
// and split words. wrapText breaks at phrase boundaries instead: after
// punctuation and spaces, and after a particle that ends a phrase (を, は,
// が, で, に, と, へ, も, の, や) before a word that is not a kana ending;
// never before closing punctuation or a small kana (kinsoku); a phrase
// longer than the line is cut as a last resort. Colour tags take no room.

// noLineStart are characters a line must not begin with.
const noLineStart = "、。，．・：；？！」』）】〕〉》ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮ々…‥,.)!?:;"

// noLineEnd are characters a line must not end with.
const noLineEnd = "「『（【〔〈《(["

// particles end a phrase when a word that is not more kana follows.
const particles = "をはがでにとへもの や"

// token is a piece of a line that is never broken inside: a phrase, or a
// space.
type token struct {
	text  string // with colour tags
	width int    // screen cells, tags not counted
	space bool
}

// hang marks where a line's continuation lines start: placed in a line
// (once), the lines it wraps into are indented to the marker's column —
// the value column of a two-column list — rather than to the line's
// leading spaces. wrapText removes it; it is never drawn.
const hang = "\x1f"

// optional marks a line (at its start) that a short screen may leave
// out when the text does not fit otherwise (fitText): what the next
// screen says again, or what only helps. wrapText removes it; it is
// never drawn.
const optional = "\x1e"

// spare marks a line a short screen leaves out only when leaving out the
// blank and optional lines was not enough: what reassures but is not
// needed to go on.
const spare = "\x1d"

// unmark is line without its optional or spare mark.
func unmark(line string) string {
	return strings.TrimPrefix(strings.TrimPrefix(line, optional), spare)
}

// wrapText wraps every line of s (tview colour tags allowed) to width
// cells. A width under 8 leaves s to tview (without hang and optional
// marks).
func wrapText(s string, width int) string {
	if width < 8 {
		return strings.NewReplacer(hang, "", optional, "", spare, "").Replace(s)
	}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = wrapLine(unmark(line), width)
	}
	return strings.Join(lines, "\n")
}

// fitText is s wrapped to width (wrapText) in at most height rows where
// it can be (height 0: not known, no limit). Where the lines are more,
// the blank lines between paragraphs go first, from the top; then the
// lines marked optional, from the bottom, each with all it wraps into;
// then the lines marked spare, from the bottom.
// What still does not fit is the view's to lay out (a view that pages,
// sizedView).
func fitText(s string, width, height int) string {
	wrapped := wrapText(s, width)
	if height <= 0 || rowsOf(wrapped) <= height {
		return wrapped
	}
	type para struct {
		text  string // wrapped
		rows  int
		blank bool
		mark  int // 0, or the pass that may leave it out: 1 optional, 2 spare
	}
	var paras []para
	rows := 0
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		w := wrapText(line, width)
		p := para{text: w, rows: strings.Count(w, "\n") + 1, blank: strings.TrimSpace(line) == ""}
		switch {
		case strings.HasPrefix(line, optional):
			p.mark = 1
		case strings.HasPrefix(line, spare):
			p.mark = 2
		}
		paras = append(paras, p)
		rows += p.rows
	}
	for i := 0; i < len(paras) && rows > height; i++ {
		if paras[i].blank {
			rows -= paras[i].rows
			paras[i].rows = 0
		}
	}
	for pass := 1; pass <= 2; pass++ {
		for i := len(paras) - 1; i >= 0 && rows > height; i-- {
			if paras[i].mark == pass && paras[i].rows > 0 {
				rows -= paras[i].rows
				paras[i].rows = 0
			}
		}
	}
	var out []string
	for _, p := range paras {
		if p.rows > 0 {
			out = append(out, p.text)
		}
	}
	return strings.Join(out, "\n") + "\n"
}

// rowsOf is how many rows text s takes, drawn as it is (trailing line
// breaks take none).
func rowsOf(s string) int {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}

// wrapLine wraps one line. Continuation lines keep the line's leading
// spaces (the indent of a list item), or start at its hang mark.
func wrapLine(line string, width int) string {
	hangAt := -1
	if i := strings.Index(line, hang); i >= 0 {
		hangAt = tview.TaggedStringWidth(line[:i])
		line = line[:i] + strings.ReplaceAll(line[i+len(hang):], hang, "")
	}
	if tview.TaggedStringWidth(line) <= width {
		return line
	}
	lead := leadingSpaces(line)
	indent := lead
	if hangAt >= 0 && hangAt <= width/2 {
		indent = hangAt
	}
	if indent > width/2 {
		indent = 0
	}
	var out strings.Builder
	// base is the width of the current line while it holds only its
	// indent: spaces there are not written twice.
	cur, curW, base := strings.Repeat(" ", lead), lead, lead
	flush := func() {
		out.WriteString(strings.TrimRight(cur, " "))
		out.WriteByte('\n')
		cur, curW, base = strings.Repeat(" ", indent), indent, indent
	}
	for _, t := range tokens(line) {
		switch {
		case t.space && curW+t.width > width:
			flush()
		case t.space:
			if curW > base {
				cur, curW = cur+t.text, curW+t.width
			}
		case curW+t.width <= width:
			cur, curW = cur+t.text, curW+t.width
		case t.width <= width-indent:
			flush()
			cur, curW = cur+t.text, curW+t.width
		default:
			// A phrase longer than a line: break it where a kana ending
			// meets the next word's kanji (やり|直して), and cut only
			// what is longer still, never before a character that may
			// not start a line.
			for _, sub := range subphrases(t.text) {
				sw := tview.TaggedStringWidth(sub)
				if curW > base && curW+sw > width && sw <= width-indent {
					flush() // it fits whole on the next line
				}
				if curW+sw <= width {
					cur, curW = cur+sub, curW+sw
					continue
				}
				for _, piece := range cut(sub, width-curW, width-indent) {
					if curW > base && curW+tview.TaggedStringWidth(piece) > width {
						flush()
					}
					cur, curW = cur+piece, curW+tview.TaggedStringWidth(piece)
				}
			}
		}
	}
	out.WriteString(strings.TrimRight(cur, " "))
	return out.String()
}

func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// tokens splits a line into phrases and spaces. A colour tag sticks to
// the text after it.
func tokens(line string) []token {
	var out []token
	var b strings.Builder
	w := 0
	emit := func() {
		if b.Len() > 0 {
			out = append(out, token{text: b.String(), width: w})
			b.Reset()
			w = 0
		}
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '[' {
			if j := tagEnd(rs, i); j > i {
				b.WriteString(string(rs[i : j+1]))
				i = j
				continue
			}
		}
		if r == ' ' && latinInCJK(rs, i) {
			// "My Number" in Chinese or Japanese text is one name:
			// the space inside it is not a break.
			b.WriteRune(r)
			w++
			continue
		}
		if r == ' ' {
			emit()
			out = append(out, token{text: " ", width: 1, space: true})
			continue
		}
		b.WriteRune(r)
		w += runeWidth(r)
		if i+1 < len(rs) && breakAfter(rs, i) {
			emit()
		}
	}
	emit()
	return out
}

// tagEnd returns the index of the ']' closing a tview colour tag opened
// at rs[i], or -1 when rs[i] opens no tag.
func tagEnd(rs []rune, i int) int {
	for j := i + 1; j < len(rs) && j < i+40; j++ {
		switch {
		case rs[j] == ']':
			if j == i+1 {
				return -1
			}
			return j
		case rs[j] == '[' || rs[j] == ' ' || rs[j] > unicode.MaxASCII:
			return -1 // tview's tags are ASCII: "[에뮬레이터]" is text
		}
	}
	return -1
}

// breakAfter reports whether a line may break between rs[i] and the next
// visible character.
func breakAfter(rs []rune, i int) bool {
	r := rs[i]
	next, ok := nextVisible(rs, i+1)
	if !ok || strings.ContainsRune(noLineStart, next) || strings.ContainsRune(noLineEnd, r) {
		return false
	}
	if next > unicode.MaxASCII && inASCIIParens(rs, i) {
		// A Japanese name kept in another language's text, "(住民票の写し)":
		// the resident finds it whole on paper.
		return false
	}
	switch {
	case strings.ContainsRune("、。，．！？；：」』）】〕〉》", r):
		return true
	case strings.ContainsRune(particles, r) && isHiragana(r):
		// A particle ends a phrase when a word follows: kanji, katakana,
		// Latin, digits, an opening bracket, or the honorific お/ご
		// before kanji.
		if !isHiragana(next) {
			return true
		}
		if next == 'お' || next == 'ご' {
			after, ok := nextVisible(rs, indexAfter(rs, i+1, next)+1)
			return ok && !isHiragana(after) && !isKatakana(after)
		}
	}
	return false
}

// latinInCJK reports whether the space rs[i] joins two Latin words of a
// name set in Chinese or Japanese text, "（My Number）": a run of Latin
// words with CJK (or a full-width bracket) on both sides.
func latinInCJK(rs []rune, i int) bool {
	if i == 0 || i+1 >= len(rs) || !isASCIIAlnum(rs[i-1]) || !isASCIIAlnum(rs[i+1]) {
		return false
	}
	latin := func(r rune) bool { return r == ' ' || isASCIIAlnum(r) }
	l := i - 1
	for l >= 0 && latin(rs[l]) {
		l--
	}
	r := i + 1
	for r < len(rs) && latin(rs[r]) {
		r++
	}
	return l >= 0 && r < len(rs) && rs[l] >= 0x2e80 && rs[r] >= 0x2e80
}

// inASCIIParens reports whether rs[i] is inside ASCII parentheses, where
// another language's text keeps a Japanese name.
func inASCIIParens(rs []rune, i int) bool {
	for j := i; j >= 0; j-- {
		switch rs[j] {
		case ')':
			return false
		case '(':
			return true
		}
	}
	return false
}

func isASCIIAlnum(r rune) bool {
	return r <= unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// nextVisible is the first character at or after rs[i] outside colour
// tags.
func nextVisible(rs []rune, i int) (rune, bool) {
	for i < len(rs) {
		if rs[i] == '[' {
			if j := tagEnd(rs, i); j > i {
				i = j + 1
				continue
			}
		}
		return rs[i], true
	}
	return 0, false
}

// indexAfter is the index of the first r at or after i.
func indexAfter(rs []rune, i int, r rune) int {
	for ; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return len(rs)
}

// subphrases splits a phrase before each kanji or katakana that follows
// hiragana: the weaker boundaries used only when a phrase does not fit.
func subphrases(s string) []string {
	var out []string
	rs := []rune(s)
	start := 0
	var prev rune
	for i := 0; i < len(rs); i++ {
		if rs[i] == '[' {
			if j := tagEnd(rs, i); j > i {
				i = j
				continue
			}
		}
		r := rs[i]
		if i > start && isHiragana(prev) && (unicode.Is(unicode.Han, r) || isKatakana(r) && r != 'ー') {
			out = append(out, string(rs[start:i]))
			start = i
		}
		prev = r
	}
	return append(out, string(rs[start:]))
}

// cut splits a phrase too long for a line into pieces: the first fits
// first cells, the others full cells; a piece never begins with a
// character that may not start a line, and a Latin word or number (with
// the opening bracket before it) goes whole to the next piece rather
// than in two (Chinese breaks between any two characters, not inside
// "My Number").
func cut(s string, first, full int) []string {
	var out []string
	var b strings.Builder
	w, limit := 0, max(first, 1)
	// runAt is where the Latin word being written starts in b (-1: none),
	// runW the width written before it; prevAt, prevW and prev are the
	// same for the last character written.
	runAt, runW, prevAt, prevW := -1, 0, 0, 0
	var prev rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r == '[' {
			if j := tagEnd(rs, i); j > i {
				b.WriteString(string(rs[i : j+1]))
				i = j
				continue
			}
		}
		rw := runeWidth(r)
		latin := isASCIIAlnum(r) || (r == ' ' && runAt >= 0)
		switch {
		case !latin:
			runAt = -1
		case runAt < 0 && strings.ContainsRune(noLineEnd, prev):
			runAt, runW = prevAt, prevW
		case runAt < 0:
			runAt, runW = b.Len(), w
		}
		if w+rw > limit && w > 0 && !strings.ContainsRune(noLineStart, r) {
			if latin && runAt > 0 {
				// The word goes to the next piece whole.
				done := b.String()
				out = append(out, done[:runAt])
				b.Reset()
				b.WriteString(done[runAt:])
				w -= runW
			} else {
				out = append(out, b.String())
				b.Reset()
				w = 0
			}
			limit = full
			if latin {
				runAt, runW = 0, 0
			}
		}
		prevAt, prevW, prev = b.Len(), w, r
		b.WriteRune(r)
		w += rw
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func isHiragana(r rune) bool { return unicode.Is(unicode.Hiragana, r) }
func isKatakana(r rune) bool { return unicode.Is(unicode.Katakana, r) || r == 'ー' }

// runeWidth is the cells a character takes, as tview measures it.
func runeWidth(r rune) int {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return tview.TaggedStringWidth(string(buf[:n]))
}
