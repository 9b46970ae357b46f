package tui

import (
	"errors"
	"fmt"
	"unicode"

	"kofu/terminal/uikit"
)

// idleKeys are the keys a waiting screen answers to (the welcome and the
// out-of-service screens): each shows in the keymap while somebody waits
// for it, and Ctrl-C chooses the Quit key.
type idleKeys struct {
	keys   []IdleKey
	answer func(IdleKey) // nil when nobody waits for an idle key
}

// bindings is the idle keys' table, while somebody waits for one: each
// key answers itself, and Ctrl-C the Quit key.
func (ik *idleKeys) bindings() []binding {
	if ik.answer == nil {
		return nil
	}
	bs := make([]binding, 0, len(ik.keys))
	quit := false
	for _, k := range ik.keys {
		keys := []uikit.Key{uikit.R(k.Key)}
		if k.Quit && !quit {
			keys, quit = append(keys, uikit.K(uikit.CtrlC)), true
		}
		bs = append(bs, shown(string(k.Key), k.Label, func(key) { ik.answer(k) }, keys...))
	}
	return bs
}

func (ik *idleKeys) hints(Locale) []hint { return hintsOf(ik.bindings()) }
func (ik *idleKeys) handle(k key)        { dispatch(k, ik.bindings()) }

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

// bindings is the card key's row where it works: it places the card or
// pulls it, and the keymap says which; on the out-of-service screen it
// only pulls a card that is there. Nil for no card key.
func (ck *CardKey) bindings(outOfService bool) []binding {
	if ck == nil {
		return nil
	}
	toggle := func(key) { ck.Toggle() }
	if ck.Present() {
		return []binding{shown(string(ck.Key), T("カードを抜く", "Pull card"), toggle, uikit.R(ck.Key))}
	}
	if outOfService {
		return nil
	}
	return []binding{shown(string(ck.Key), T("カードを置く", "Place card"), toggle, uikit.R(ck.Key))}
}

// cardBindings is the card key's row on the screen shown now: none while
// the screen takes letters (a search), where the card key is a letter.
func (c *Customer) cardBindings() []binding {
	if typing(c.cur) && !c.langList.shown {
		return nil
	}
	return c.card.bindings(c.cur == view(c.outOfService))
}

// langBindings is the language key's row: L opens the language list,
// where more than one language is offered, the list is not open already
// and the screen does not take letters.
func (c *Customer) langBindings() []binding {
	if len(c.langs) < 2 || c.langList.shown || typing(c.cur) {
		return nil
	}
	return []binding{shown("L", hintLangText(), func(key) {
		c.langList.open(c.lang.Lang, func(l Lang) { c.lang = c.cats.locale(l) })
	}, uikit.R('L'))}
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
