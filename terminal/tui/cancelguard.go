package tui

import "kofu/terminal/uikit"

// cancelGuard makes ending a session from a screen a two-key decision: the
// first Esc asks, a second Esc cancels, and any other key withdraws the
// question (and does nothing else: the resident sees the screen again
// before a key acts on it). Backspace never cancels. A stray key —
// a Backspace too many on an empty PIN, an Esc brushed on the payment
// screen with coins in — no longer ends a session the resident meant to
// go on with (issue 17, item 3).
type cancelGuard struct {
	asking bool
}

// bindings are the guard's rows of a screen's key table. While the
// guard asks they are the whole table: Esc cancels (cancel), Enter and
// any other key withdraw the question. Otherwise they are the screen's
// Esc, which asks; does names it in the keymap.
func (g *cancelGuard) bindings(does Text, cancel func()) []binding {
	if !g.asking {
		return []binding{shown("Esc", does, func(key) { g.asking = true }, uikit.K(uikit.Esc))}
	}
	withdraw := func(key) { g.asking = false }
	return []binding{
		shown("Esc", T("中止する", "Stop"), func(key) { g.asking = false; cancel() }, uikit.K(uikit.Esc)),
		shown("Enter", T("続ける", "Go on"), withdraw, uikit.K(uikit.Enter)),
		hidden(withdraw, uikit.AnyKey()),
	}
}

// reset withdraws the question (the screen opens anew).
func (g *cancelGuard) reset() { g.asking = false }

// question is the prompt shown while the guard asks; refund, when not
// empty, says what is given back.
func (g *cancelGuard) question(refund Text) Text {
	return Cat(T("手続きを中止しますか？　中止する場合は、もう一度 Esc を押してください。続ける場合は、ほかのキーを押してください。",
		"Stop here? Press Esc again to stop; press any other key to go on."), refund)
}
