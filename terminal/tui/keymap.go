package tui

import (
	"github.com/gdamore/tcell/v2"

	"kofu/terminal/uikit"
)

// keyKind is what a key means on an MFP-style panel.
type keyKind int

const (
	keyNone  keyKind = iota
	keyDigit         // 0–9
	keyUp
	keyDown
	keyLeft
	keyRight
	keyEnter
	keyBack  // Esc: back / cancel
	keyErase // Backspace: erase one digit where there are digits, else back
	keyRune  // any other printable key (upper-cased)
	keyQuit  // Ctrl-C: only ever honoured on the idle screen
)

// key is a normalised key press.
type key struct {
	kind keyKind
	r    rune // the digit or the upper-cased rune
}

// readKey reads a key press through the UI kit the technician UI shares
// (uikit.Read) and says what it means on the panel: Space steps right,
// Backspace erases, Ctrl-C quits only where honoured.
func readKey(ev *tcell.EventKey) key {
	k := uikit.Read(ev)
	switch k.Kind {
	case uikit.Up:
		return key{kind: keyUp}
	case uikit.Down:
		return key{kind: keyDown}
	case uikit.Left:
		return key{kind: keyLeft}
	case uikit.Right:
		return key{kind: keyRight}
	case uikit.Enter:
		return key{kind: keyEnter}
	case uikit.Esc:
		return key{kind: keyBack}
	case uikit.Backspace:
		return key{kind: keyErase}
	case uikit.CtrlC:
		return key{kind: keyQuit}
	case uikit.Rune:
		if _, ok := k.Digit(); ok {
			return key{kind: keyDigit, r: k.R}
		}
		if k.R == ' ' {
			return key{kind: keyRight}
		}
		return key{kind: keyRune, r: k.R}
	}
	return key{kind: keyNone}
}

// ui is k as a binding's keys name it (uikit.Key): Space reads as →.
func (k key) ui() uikit.Key {
	switch k.kind {
	case keyDigit, keyRune:
		return uikit.R(k.r)
	case keyUp:
		return uikit.K(uikit.Up)
	case keyDown:
		return uikit.K(uikit.Down)
	case keyLeft:
		return uikit.K(uikit.Left)
	case keyRight:
		return uikit.K(uikit.Right)
	case keyEnter:
		return uikit.K(uikit.Enter)
	case keyBack:
		return uikit.K(uikit.Esc)
	case keyErase:
		return uikit.K(uikit.Backspace)
	case keyQuit:
		return uikit.K(uikit.CtrlC)
	}
	return uikit.Key{}
}

// back reports whether k means "back": Esc, or Backspace where nothing is
// left to erase.
func (k key) back() bool { return k.kind == keyBack || k.kind == keyErase }

// digit returns the digit's value.
func (k key) digit() int { return int(k.r - '0') }

// binding is one row of a view's key table (uikit.Binding): its keys,
// how the keymap names them, what they do in the resident's words, and
// the handler. A view declares each key once, in its table; its keymap
// (hintsOf) and its dispatch (dispatch) both read the table, so what the
// keymap offers is what the keys do.
type binding = uikit.Binding[Text, func(key)]

// shown is a binding the keymap shows as "<label> does".
func shown(label string, does Text, act func(key), keys ...uikit.Key) binding {
	return binding{Keys: keys, Label: label, Does: does, Act: act, Keymap: true}
}

// hidden is a binding the keymap leaves out: a second key for what a
// shown one does, or a catch-all (uikit.AnyRune, uikit.AnyKey).
func hidden(act func(key), keys ...uikit.Key) binding {
	return binding{Keys: keys, Act: act}
}

// dispatch carries out the binding of k in tables, the first match
// first; false when no binding answers k (the key does nothing).
func dispatch(k key, tables ...[]binding) bool {
	b, ok := uikit.Lookup(k.ui(), tables...)
	if ok && b.Act != nil {
		b.Act(k)
	}
	return ok
}

// hintsOf is the keymap of tables: their shown bindings, in order.
func hintsOf(tables ...[]binding) []hint {
	var hs []hint
	for _, t := range tables {
		for _, b := range t {
			if b.Keymap {
				hs = append(hs, hint{b.Label, b.Does})
			}
		}
	}
	return hs
}

// moveSel moves a selection of n rows one up (↑) or down (any other key),
// round the ends.
func moveSel(sel, n int, k key) int {
	if k.kind == keyUp {
		return (sel + n - 1) % n
	}
	return (sel + 1) % n
}

// hint is one entry of the keymap shown at the bottom of the screen.
type hint struct {
	Keys string
	Does Text
}

// keymapSep separates the keymap's entries.
const keymapSep = "   "

// keymapEntries renders hints k9s-style, "<Enter> 決定", each kept whole
// when the keymap wraps (uikit.Entry).
func keymapEntries(l Locale, hs []hint) []string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		parts = append(parts, uikit.Entry(h.Keys, h.Does.In(l), "[aqua::b]", tagOff))
	}
	return parts
}

// keymap is the keymap of hs in lines of at most width cells, broken
// between entries only (uikit.Wrap); width 0: one line.
func keymap(l Locale, hs []hint, width int) string {
	return uikit.Wrap(keymapEntries(l, hs), keymapSep, width)
}

// hintBack is the keymap entry of Esc going back (the options screen,
// not yet on a key table).
func hintBack() hint { return hint{"Esc", T("戻る", "Back")} }
