package tui

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/rivo/tview"

	"kofu/internal/screentext"
)

// screenSize is a terminal size the screens are drawn and captured at.
type screenSize struct{ w, h int }

func (s screenSize) String() string { return fmt.Sprintf("%dx%d", s.w, s.h) }

// screenSizes are the sizes the screens must fit: a short screen
// (60×20, compact: compactHeight), the sizes of issue 17 — the smallest
// terminal, the kiosk's usual pane — and a large screen.
func screenSizes() []screenSize { return []screenSize{{60, 20}, {80, 24}, {100, 32}, {160, 45}} }

// settled is the screen once it has stopped changing.
func (h *harness) settled() string {
	h.t.Helper()
	s, err := screentext.Settled(h.c.Snapshot, 30*time.Millisecond, 5*time.Second)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// cut says what of the screen is cut off, "" when nothing is: the
// view's text beyond the box's last row or wider than the box, the
// keymap beyond its rows.
func (h *harness) cut() string {
	h.t.Helper()
	var out []string
	h.loop(func() {
		v := h.c.cur
		if h.c.langList.shown {
			v = h.c.langList
		}
		tv, ok := v.primitive().(*tview.TextView)
		if !ok {
			return
		}
		_, _, w, rows := tv.GetInnerRect()
		text := tv.GetText(true)
		if n := rowsOf(text); n > rows {
			out = append(out, fmt.Sprintf("the %s screen's text takes %d rows, the box has %d", v.name(), n, rows))
		}
		for _, line := range strings.Split(text, "\n") {
			if tview.TaggedStringWidth(line) > w {
				out = append(out, fmt.Sprintf("%q is wider than the box (%d cells)", line, w))
			}
		}
		_, _, _, keyRows := h.c.frame.keymap.GetRect()
		if n := rowsOf(h.c.frame.keymap.GetText(true)); n > keyRows {
			out = append(out, fmt.Sprintf("the keymap takes %d rows, it has %d", n, keyRows))
		}
	})
	return strings.Join(out, "; ")
}

// knownWords is what BreakFaults takes for a word in lang: the words of
// the language's messages (the catalog's translations; for English the
// source's English), the names a screen keeps in their own script, and
// the words of the values on this screen (extra: names, amounts,
// reference numbers). nil for the languages written without spaces.
func knownWords(cats *catalogs, msgs []message, lang Lang, extra ...string) func(string) bool {
	if lang == Japanese || lang == Chinese {
		return nil
	}
	words := map[string]bool{}
	add := func(s string) {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' }) {
			if w := screentext.NormToken(f); w != "" {
				words[w] = true
			}
		}
	}
	switch lang {
	case English:
		for _, m := range msgs {
			add(m.en)
		}
	default:
		for _, v := range cats.by[lang] {
			add(v)
		}
	}
	for _, k := range keptJapanese() {
		add(k)
	}
	for _, e := range extra {
		add(e)
	}
	return func(w string) bool { return words[w] }
}

// slug is a screen's name as a file name: "payment: the cancel question"
// → "payment-the-cancel-question".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}
