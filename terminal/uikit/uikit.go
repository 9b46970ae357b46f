// Package uikit is what the kiosk's two terminal UIs — the customer UI
// (terminal/tui) and the technician UI (terminal/diag) — share about
// keys: reading a key press, a view's table of bindings, finding the
// binding of a key in it, and the keymap line drawn from the same table.
// A view declares each key once, in its table: what the keymap shows is
// what the dispatch does.
package uikit

import (
	"strings"
	"unicode"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// Kind is what kind of key was pressed.
type Kind int

// The kinds of key the UIs tell apart.
const (
	None Kind = iota
	Rune      // a printable key: Key.R, upper-cased (digits, space and punctuation as they are)
	Up
	Down
	Left
	Right
	PgUp
	PgDn
	Home
	End
	Tab
	Backtab
	Enter
	Esc
	Backspace // Backspace or Delete
	CtrlC
	// Any, in a binding's keys, answers every key: the catch-all of a
	// table (a question any key withdraws). Read never returns it.
	Any
)

// Key is a normalised key press: letters are upper-cased, so a binding of
// 'Q' answers q and Q alike.
type Key struct {
	Kind Kind
	R    rune // the rune of a Rune key
}

// K is the key of a kind other than Rune.
func K(kind Kind) Key { return Key{Kind: kind} }

// R is the key of a printable character (upper-cased).
func R(r rune) Key { return Key{Kind: Rune, R: unicode.ToUpper(r)} }

// Read normalises a tcell key event.
func Read(ev *tcell.EventKey) Key {
	switch ev.Key() {
	case tcell.KeyUp:
		return K(Up)
	case tcell.KeyDown:
		return K(Down)
	case tcell.KeyLeft:
		return K(Left)
	case tcell.KeyRight:
		return K(Right)
	case tcell.KeyPgUp:
		return K(PgUp)
	case tcell.KeyPgDn:
		return K(PgDn)
	case tcell.KeyHome:
		return K(Home)
	case tcell.KeyEnd:
		return K(End)
	case tcell.KeyTab:
		return K(Tab)
	case tcell.KeyBacktab:
		return K(Backtab)
	case tcell.KeyEnter:
		return K(Enter)
	case tcell.KeyEscape:
		return K(Esc)
	case tcell.KeyBackspace, tcell.KeyBackspace2, tcell.KeyDelete:
		return K(Backspace)
	case tcell.KeyCtrlC:
		return K(CtrlC)
	case tcell.KeyRune:
		return R(ev.Rune())
	}
	return Key{}
}

// Digit is the value of a digit key; false for any other key.
func (k Key) Digit() (int, bool) {
	if k.Kind == Rune && k.R >= '0' && k.R <= '9' {
		return int(k.R - '0'), true
	}
	return 0, false
}

// Digits are the keys 0–9 from lo to hi.
func Digits(lo, hi int) []Key {
	var ks []Key
	for d := lo; d <= hi; d++ {
		ks = append(ks, R(rune('0'+d)))
	}
	return ks
}

// AnyRune, in a binding's keys, answers every printable key: the
// letters a search field takes. Read never returns it (a Rune key has its
// rune).
func AnyRune() Key { return Key{Kind: Rune} }

// AnyKey, in a binding's keys, answers every key.
func AnyKey() Key { return Key{Kind: Any} }

// Binding is one row of a view's key table: the keys, how the keymap
// (and a help screen) names them, what they do (D: a plain string, or a
// message the UI translates), and the action A the UI carries out — an
// action code, or the handler itself.
type Binding[D, A any] struct {
	Keys  []Key
	Label string // how the keymap names the keys: "Enter", "1-7", "↑↓"
	Does  D
	Short D // on the keymap line, when Does is too long there (zero: Does)
	Act   A
	// Keymap: shown on the keymap line (a help screen lists every
	// binding).
	Keymap bool
}

// Match reports whether b answers k: one of its keys is k, or is AnyRune
// and k printable, or is AnyKey.
func (b Binding[D, A]) Match(k Key) bool {
	for _, bk := range b.Keys {
		if bk == k || bk == AnyKey() || (bk == AnyRune() && k.Kind == Rune) {
			return true
		}
	}
	return false
}

// Lookup finds the binding of k in tables, the first match first: a
// catch-all (AnyRune, AnyKey) goes after the keys it must not shadow.
func Lookup[D, A any](k Key, tables ...[]Binding[D, A]) (Binding[D, A], bool) {
	for _, t := range tables {
		for _, b := range t {
			if b.Match(k) {
				return b, true
			}
		}
	}
	return Binding[D, A]{}, false
}

// nbsp is U+00A0, a space no line breaks at.
const nbsp = "\u00a0"

// Entry renders one keymap entry k9s-style, "<Enter> 決定": keyTag
// colours the key, tagOff ends it. No-break spaces inside the entry keep
// it whole when the keymap wraps (Wrap).
func Entry(label, does, keyTag, tagOff string) string {
	return keyTag + "<" + tview.Escape(label) + ">" + tagOff + nbsp + strings.ReplaceAll(tview.Escape(does), " ", nbsp)
}

// Entries renders the keymap entries of tables (their bindings marked
// Keymap), does giving each its words.
func Entries[D, A any](does func(Binding[D, A]) string, keyTag, tagOff string, tables ...[]Binding[D, A]) []string {
	var out []string
	for _, t := range tables {
		for _, b := range t {
			if b.Keymap {
				out = append(out, Entry(b.Label, does(b), keyTag, tagOff))
			}
		}
	}
	return out
}

// Wrap lays keymap entries out in lines of at most width cells, sep
// between two entries on a line, breaking between entries only — never
// between a key and what it does (tview would break inside a Japanese
// label: 次 / へ). width 0 or less: one line.
func Wrap(entries []string, sep string, width int) string {
	line := strings.Join(entries, sep)
	if width <= 0 || tview.TaggedStringWidth(line) <= width {
		return line
	}
	var b strings.Builder
	w := 0
	for i, e := range entries {
		ew := tview.TaggedStringWidth(e)
		switch {
		case i == 0:
		case w+tview.TaggedStringWidth(sep)+ew > width:
			b.WriteByte('\n')
			w = 0
		default:
			b.WriteString(sep)
			w += tview.TaggedStringWidth(sep)
		}
		b.WriteString(e)
		w += ew
	}
	return b.String()
}
