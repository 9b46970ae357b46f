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
	keyHome
	keyEnd
	keyTab
	keyBacktab
	keyEnter
	keyEsc
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
	case tcell.KeyHome:
		return key{kind: keyHome}
	case tcell.KeyEnd:
		return key{kind: keyEnd}
	case tcell.KeyTab, tcell.KeyRight:
		return key{kind: keyTab}
	case tcell.KeyBacktab, tcell.KeyLeft:
		return key{kind: keyBacktab}
	case tcell.KeyEnter:
		return key{kind: keyEnter}
	case tcell.KeyEscape:
		return key{kind: keyEsc}
	case tcell.KeyCtrlC:
		return key{kind: keyQuit}
	case tcell.KeyRune:
		return key{kind: keyRune, r: unicode.ToUpper(ev.Rune())}
	}
	return key{}
}

// rk is the key of a printable character.
func rk(r rune) key { return key{kind: keyRune, r: unicode.ToUpper(r)} }

// action is what a binding asks the controller to do. Views never act:
// their bindings name an action and the controller carries it out.
type action int

const (
	actNone       action = iota
	actShow              // switch to the screen the digit names
	actNext              // next screen
	actPrev              // previous screen
	actRefresh           // run this screen's checks again now
	actHelp              // the help of this screen
	actCommand           // open the command line
	actFilter            // open the filter prompt
	actQuit              // ask, then quit
	actQuitNow           // quit without asking (Ctrl-C)
	actUp                // move up a line (lists: the selection)
	actDown              // move down a line
	actPgUp              // a page up
	actPgDn              // a page down
	actTop               // to the first line
	actBottom            // to the last line
	actBack              // Esc: cancel what runs, clear the filter or go back
	actOpen              // Enter: drill into the selected row
	actTestPage          // print a test page
	actSendOutbox        // send the outbox now
	actWindow            // counters: the next time window
	actExport            // export the session's records for the center
)

// binding is one row of a view's key table. The table is the only place
// a key is bound: the keymap line, the help screen and the dispatch all
// read it, so what is shown is what works.
type binding struct {
	keys  []key  // the keys that trigger it
	label string // how the keymap and the help name the keys
	does  string // what it does, in a few words
	short string // on the keymap line, when does is too long there
	act   action
	// keymap: shown on the keymap line at the bottom (all bindings are in
	// the help).
	keymap bool
}

// lookup finds the binding for k in tables, first match first.
func lookup(k key, tables ...[]binding) (binding, bool) {
	for _, t := range tables {
		for _, b := range t {
			for _, bk := range b.keys {
				if bk == k {
					return b, true
				}
			}
		}
	}
	return binding{}, false
}

// keymapEntries renders a table's keymap entries k9s-style, "<R>
// refresh", each to be kept whole on a row.
func keymapEntries(tables ...[]binding) []string {
	var parts []string
	for _, t := range tables {
		for _, b := range t {
			if b.keymap {
				does := b.does
				if b.short != "" {
					does = b.short
				}
				parts = append(parts, tagKey+"<"+esc(b.label)+">"+tagOff+" "+esc(does))
			}
		}
	}
	return parts
}

// keymapLine is the keymap entries on one line.
func keymapLine(tables ...[]binding) string { return strings.Join(keymapEntries(tables...), "  ") }

// scrollBindings move a pane that is read, not chosen from.
func scrollBindings() []binding {
	return []binding{
		{keys: []key{{kind: keyUp}, rk('K')}, label: "↑ k", does: "scroll up", act: actUp},
		{keys: []key{{kind: keyDown}, rk('J')}, label: "↓ j", does: "scroll down", act: actDown},
		{keys: []key{{kind: keyPgUp}}, label: "PgUp", does: "page up", act: actPgUp},
		{keys: []key{{kind: keyPgDn}, {kind: keyRune, r: ' '}}, label: "PgDn Space", does: "page down", act: actPgDn},
		{keys: []key{{kind: keyHome}, rk('G')}, label: "Home g", does: "top", act: actTop},
		{keys: []key{{kind: keyEnd}}, label: "End", does: "bottom", act: actBottom},
	}
}

// listBindings move the selection of a list.
func listBindings() []binding {
	return []binding{
		{keys: []key{{kind: keyUp}, rk('K')}, label: "↑ k", does: "previous row", act: actUp},
		{keys: []key{{kind: keyDown}, rk('J')}, label: "↓ j", does: "next row", act: actDown},
		{keys: []key{{kind: keyPgUp}}, label: "PgUp", does: "page up", act: actPgUp},
		{keys: []key{{kind: keyPgDn}, {kind: keyRune, r: ' '}}, label: "PgDn Space", does: "page down", act: actPgDn},
		{keys: []key{{kind: keyHome}, rk('G')}, label: "Home g", does: "first row", act: actTop},
		{keys: []key{{kind: keyEnd}}, label: "End", does: "last row", act: actBottom},
	}
}

// filterBinding is / on a screen with a list.
func filterBinding(what string) binding {
	return binding{keys: []key{rk('/')}, label: "/", does: "filter " + what, short: "filter", act: actFilter, keymap: true}
}

// escBinding is Esc on a screen: cancel, clear the filter, go back.
func escBinding(does string) binding {
	return binding{keys: []key{{kind: keyEsc}}, label: "Esc", does: does, act: actBack}
}
