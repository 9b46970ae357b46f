package diag

import (
	"strings"
	"unicode"

	"github.com/gdamore/tcell/v2"
)

// keyKind is what a key means to the technician UI.
type keyKind int

const (
	keyNone keyKind = iota
	keyRune         // a printable key, upper-cased
	keyUp
	keyDown
	keyPgUp
	keyPgDn
	keyTab
	keyBacktab
	keyQuit // Ctrl-C
)

type key struct {
	kind keyKind
	r    rune
}

func readKey(ev *tcell.EventKey) key {
	switch ev.Key() {
	case tcell.KeyUp:
		return key{kind: keyUp}
	case tcell.KeyDown:
		return key{kind: keyDown}
	case tcell.KeyPgUp:
		return key{kind: keyPgUp}
	case tcell.KeyPgDn:
		return key{kind: keyPgDn}
	case tcell.KeyTab, tcell.KeyRight:
		return key{kind: keyTab}
	case tcell.KeyBacktab, tcell.KeyLeft:
		return key{kind: keyBacktab}
	case tcell.KeyCtrlC:
		return key{kind: keyQuit}
	case tcell.KeyRune:
		return key{kind: keyRune, r: unicode.ToUpper(ev.Rune())}
	}
	return key{}
}

// hint is one keymap entry.
type hint struct {
	Keys, Does string
}

// keymapLine renders hints k9s-style: "<R> re-run  <Q> quit".
func keymapLine(hs []hint) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		parts = append(parts, tagKey+"<"+esc(h.Keys)+">"+tagOff+" "+esc(h.Does))
	}
	return strings.Join(parts, "   ")
}

// Global hints, on every screen.
func globalHints() []hint {
	return []hint{{"1-6", "screen"}, {"Tab", "next"}, {"R", "re-run"}, {"Q", "quit"}}
}
