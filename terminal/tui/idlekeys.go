package tui

import (
	"errors"
	"fmt"
	"unicode"
)

// idleKeys are the keys a waiting screen answers to (the welcome and the
// out-of-service screens): each shows in the keymap while somebody waits
// for it, and Ctrl-C chooses the Quit key.
type idleKeys struct {
	keys   []IdleKey
	answer func(IdleKey) // nil when nobody waits for an idle key
}

// hints advertise the idle keys only while they work.
func (ik *idleKeys) hints(Locale) []hint {
	if ik.answer == nil {
		return nil
	}
	hs := make([]hint, 0, len(ik.keys))
	for _, k := range ik.keys {
		hs = append(hs, hint{string(k.Key), k.Label})
	}
	return hs
}

func (ik *idleKeys) handle(k key) {
	if ik.answer == nil {
		return
	}
	for _, want := range ik.keys {
		if (k.kind == keyRune && k.r == want.Key) || (k.kind == keyQuit && want.Quit) {
			ik.answer(want)
			return
		}
	}
}

// CardKey is the emulator's card on a key: the key places the test card
// on the reader and pulls it off again, on every screen — pulling it
// mid-session is a card removal, pulling it at the finish screen takes
// the card — except the out-of-service screen, where it only pulls a
// card that is there. The keymap says which it does.
type CardKey struct {
	Key     rune        // upper case; the lower case works too
	Present func() bool // whether the card is on the reader
	// Toggle places or pulls the card. It is called on the UI's event
	// loop and must not block: the card loop learns of the change from
	// its reader.
	Toggle func()
}

// press toggles the card if k is the card key and reports whether it was.
// outOfService: only a card that is there may be pulled.
func (ck *CardKey) press(k key, outOfService bool) bool {
	if ck == nil || k.kind != keyRune || k.r != ck.Key {
		return false
	}
	if !outOfService || ck.Present() {
		ck.Toggle()
	}
	return true
}

// hint is the card key's keymap entry, if it works on this screen.
func (ck *CardKey) hint(outOfService bool) (hint, bool) {
	if ck == nil {
		return hint{}, false
	}
	if ck.Present() {
		return hint{string(ck.Key), T("カードを抜く", "Pull card")}, true
	}
	if outOfService {
		return hint{}, false
	}
	return hint{string(ck.Key), T("カードを置く", "Place card")}, true
}

// keyed is a view whose keymap starts with one more key (the card key).
type keyed struct {
	view
	first hint
}

func (v keyed) hints(l Locale) []hint { return append([]hint{v.first}, v.view.hints(l)...) }

// withCardKey is v with the card key in its keymap, when it works there.
func (c *Customer) withCardKey(v view) view {
	if h, ok := c.card.hint(v == view(c.outOfService)); ok {
		return keyed{view: v, first: h}
	}
	return v
}

// pressCard handles the card key; it reports whether k was the card key.
func (c *Customer) pressCard(k key) bool {
	return c.card.press(k, c.cur == view(c.outOfService))
}

// checkCardKey normalises the card key and refuses keys the UI uses.
func checkCardKey(ck *CardKey, idle []IdleKey) (*CardKey, error) {
	if ck == nil {
		return nil, nil
	}
	if ck.Present == nil || ck.Toggle == nil {
		return nil, errors.New("tui: the card key needs Present and Toggle")
	}
	k := *ck
	k.Key = unicode.ToUpper(k.Key)
	if k.Key == 'L' || (k.Key >= '0' && k.Key <= '9') {
		return nil, fmt.Errorf("tui: card key %q is reserved", k.Key)
	}
	for _, ik := range idle {
		if ik.Key == k.Key {
			return nil, fmt.Errorf("tui: card key %q is also an idle key", k.Key)
		}
	}
	return &k, nil
}
