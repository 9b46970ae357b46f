package tui

import (
	"strings"
	"unicode"

	"github.com/gdamore/tcell/v2"
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

// readKey normalises a tcell key event.
func readKey(ev *tcell.EventKey) key {
	switch ev.Key() {
	case tcell.KeyUp:
		return key{kind: keyUp}
	case tcell.KeyDown:
		return key{kind: keyDown}
	case tcell.KeyLeft:
		return key{kind: keyLeft}
	case tcell.KeyRight:
		return key{kind: keyRight}
	case tcell.KeyEnter:
		return key{kind: keyEnter}
	case tcell.KeyEscape:
		return key{kind: keyBack}
	case tcell.KeyBackspace, tcell.KeyBackspace2, tcell.KeyDelete:
		return key{kind: keyErase}
	case tcell.KeyCtrlC:
		return key{kind: keyQuit}
	case tcell.KeyRune:
		r := ev.Rune()
		switch {
		case r >= '0' && r <= '9':
			return key{kind: keyDigit, r: r}
		case r == ' ':
			return key{kind: keyRight}
		}
		return key{kind: keyRune, r: unicode.ToUpper(r)}
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

// nbsp is U+00A0, a space no line breaks at.
const nbsp = "\u00a0"

// keymapLine renders hints k9s-style: "<Enter> 決定  <Esc> 戻る".
func keymapLine(l Locale, hs []hint) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		// No-break spaces inside an entry: the keymap wraps between
		// entries, never between a key and what it does.
		parts = append(parts, "[aqua::b]<"+esc(h.Keys)+">"+tagOff+nbsp+strings.ReplaceAll(esc(h.Does.In(l)), " ", nbsp))
	}
	return strings.Join(parts, "   ")
}

// Hints shared by several views.
func hintBack() hint  { return hint{"Esc", T("戻る", "Back")} }
func hintEnter() hint { return hint{"Enter", T("決定", "OK")} }

// hintLang is the language key's entry: it opens the language list.
func hintLang() hint { return hint{"L", hintLangText()} }
