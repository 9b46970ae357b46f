package tui

import (
	"github.com/gdamore/tcell/v2"

	"kofu/terminal/uikit"
)

// key is a key press as the panel reads it: the UI kit's key
// (uikit.Read), with Space read as → (the step-right key of an MFP-style
// panel). The views' key tables match it and their handlers read it.
type key struct{ uikit.Key }

// readKey reads a key press through the UI kit the technician UI shares
// (uikit.Read); Space steps right. Ctrl-C is only ever honoured where a
// table binds it (the idle screen's Quit key).
func readKey(ev *tcell.EventKey) key {
	k := uikit.Read(ev)
	if k == uikit.R(' ') {
		return key{uikit.K(uikit.Right)}
	}
	return key{k}
}

// digit is the value of a digit key, for the handler of a binding of
// uikit.Digits (0 for any other key).
func (k key) digit() int {
	d, _ := k.Digit()
	return d
}

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
	b, ok := uikit.Lookup(k.Key, tables...)
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
	if k.Kind == uikit.Up {
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
