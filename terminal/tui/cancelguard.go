package tui

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

// press decides what k does to the guard: cancel when it is the second
// Esc; used when the guard took the key (the first Esc, which asks, or
// any key while asking, which withdraws the question). A key the guard
// did not use is the screen's.
func (g *cancelGuard) press(k key) (cancel, used bool) {
	if k.kind != keyBack {
		if g.asking {
			g.asking = false
			return false, true
		}
		return false, false
	}
	if g.asking {
		g.asking = false
		return true, true
	}
	g.asking = true
	return false, true
}

// reset withdraws the question (the screen opens anew).
func (g *cancelGuard) reset() { g.asking = false }

// question is the prompt shown while the guard asks; refund, when not
// empty, says what is given back.
func (g *cancelGuard) question(refund Text) Text {
	return Cat(T("手続きを中止しますか？　中止する場合は、もう一度 Esc を押してください。続ける場合は、ほかのキーを押してください。",
		"Stop here? Press Esc again to stop; press any other key to go on."), refund)
}

// hints are the keymap while the guard asks.
func (g *cancelGuard) hints() []hint {
	return []hint{{"Esc", T("中止する", "Stop")}, {"Enter", T("続ける", "Go on")}}
}
