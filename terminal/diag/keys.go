package diag

import (
	"strings"

	"kofu/terminal/uikit"
)

// A key press, as the customer UI reads it too (uikit).
type key = uikit.Key

// rk is the key of a printable character.
func rk(r rune) key { return uikit.R(r) }

// kk is the key of a kind other than a rune.
func kk(k uikit.Kind) key { return uikit.K(k) }

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
type binding = uikit.Binding[string, action]

// lookup finds the binding for k in tables, first match first.
func lookup(k key, tables ...[]binding) (binding, bool) { return uikit.Lookup(k, tables...) }

// keymapEntries renders a table's keymap entries k9s-style, "<R>
// refresh", each to be kept whole on a row.
func keymapEntries(tables ...[]binding) []string {
	return uikit.Entries(func(b binding) string {
		if b.Short != "" {
			return b.Short
		}
		return b.Does
	}, tagKey, tagOff, tables...)
}

// keymapLine is the keymap entries on one line.
func keymapLine(tables ...[]binding) string { return strings.Join(keymapEntries(tables...), "  ") }

// scrollBindings move a pane that is read, not chosen from.
func scrollBindings() []binding {
	return []binding{
		{Keys: []key{kk(uikit.Up), rk('K')}, Label: "↑ k", Does: "scroll up", Act: actUp},
		{Keys: []key{kk(uikit.Down), rk('J')}, Label: "↓ j", Does: "scroll down", Act: actDown},
		{Keys: []key{kk(uikit.PgUp)}, Label: "PgUp", Does: "page up", Act: actPgUp},
		{Keys: []key{kk(uikit.PgDn), rk(' ')}, Label: "PgDn Space", Does: "page down", Act: actPgDn},
		{Keys: []key{kk(uikit.Home), rk('G')}, Label: "Home g", Does: "top", Act: actTop},
		{Keys: []key{kk(uikit.End)}, Label: "End", Does: "bottom", Act: actBottom},
	}
}

// listBindings move the selection of a list.
func listBindings() []binding {
	return []binding{
		{Keys: []key{kk(uikit.Up), rk('K')}, Label: "↑ k", Does: "previous row", Act: actUp},
		{Keys: []key{kk(uikit.Down), rk('J')}, Label: "↓ j", Does: "next row", Act: actDown},
		{Keys: []key{kk(uikit.PgUp)}, Label: "PgUp", Does: "page up", Act: actPgUp},
		{Keys: []key{kk(uikit.PgDn), rk(' ')}, Label: "PgDn Space", Does: "page down", Act: actPgDn},
		{Keys: []key{kk(uikit.Home), rk('G')}, Label: "Home g", Does: "first row", Act: actTop},
		{Keys: []key{kk(uikit.End)}, Label: "End", Does: "last row", Act: actBottom},
	}
}

// filterBinding is / on a screen with a list.
func filterBinding(what string) binding {
	return binding{Keys: []key{rk('/')}, Label: "/", Does: "filter " + what, Short: "filter", Act: actFilter, Keymap: true}
}

// escBinding is Esc on a screen: cancel, clear the filter, go back.
func escBinding(does string) binding {
	return binding{Keys: []key{kk(uikit.Esc)}, Label: "Esc", Does: does, Act: actBack}
}
