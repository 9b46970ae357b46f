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

// back reports whether k means "back": Esc, or Backspace where nothing is
// left to erase.
func (k key) back() bool { return k.kind == keyBack || k.kind == keyErase }

// digit returns the digit's value.
func (k key) digit() int { return int(k.r - '0') }

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

// Hints shared by several views.
func hintBack() hint  { return hint{"Esc", T("戻る", "Back")} }
func hintEnter() hint { return hint{"Enter", T("決定", "OK")} }

// hintLang is the language key's entry: it opens the language list.
func hintLang() hint { return hint{"L", hintLangText()} }
