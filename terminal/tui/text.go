package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rivo/tview"
)

// Lang is the language the resident reads: Japanese by default, English
// on a key.
type Lang int

// The languages of the customer UI.
const (
	Japanese Lang = iota
	English
)

// ParseLang reads "ja" or "en" (an empty string is Japanese).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(s) {
	case "", "ja", "jp", "japanese":
		return Japanese, nil
	case "en", "english":
		return English, nil
	}
	return Japanese, fmt.Errorf("language %q: want ja or en", s)
}

// String is the language's code.
func (l Lang) String() string {
	if l == English {
		return "en"
	}
	return "ja"
}

// other is the language the L key switches to.
func (l Lang) other() Lang {
	if l == English {
		return Japanese
	}
	return English
}

// Text is one message in both languages.
type Text struct{ JA, EN string }

// T builds a Text.
func T(ja, en string) Text { return Text{JA: ja, EN: en} }

// In returns the message in l (Japanese when there is no English).
func (t Text) In(l Lang) string {
	if l == English && t.EN != "" {
		return t.EN
	}
	return t.JA
}

// Empty reports whether there is nothing to say.
func (t Text) Empty() bool { return t.JA == "" && t.EN == "" }

// yen formats an amount: "1,250円" or "¥1,250".
func yen(l Lang, n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		s = strconv.Itoa(-n)
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	sign := ""
	if n < 0 {
		sign = "-"
	}
	if l == English {
		return sign + "¥" + b.String()
	}
	return sign + b.String() + "円"
}

// valueLabel is the resident's words for an option value of the document
// table.
func valueLabel(key, v string) Text {
	switch v {
	case "self":
		return T("本人のみ", "Only me")
	case "household":
		return T("世帯全員", "Whole household")
	case "omit":
		return T("記載しない", "Omit")
	case "include":
		return T("記載する", "Include")
	}
	if key == "year" {
		return T(v+"年度", "FY"+v)
	}
	return T(v, v)
}

// pad right-pads s (which may hold color tags) to width screen cells.
func pad(s string, width int) string {
	if w := tview.TaggedStringWidth(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// esc escapes text that must not be read as color tags.
func esc(s string) string { return tview.Escape(s) }

// Color tags used by the views.
const (
	tagTitle = "[::b]"
	tagWarn  = "[yellow::b]"
	tagError = "[red::b]"
	tagOK    = "[green::b]"
	tagDim   = "[gray]"
	tagSel   = "[black:aqua:b]"
	tagOff   = "[-:-:-]"
)
