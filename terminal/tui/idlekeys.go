package tui

// idleKeys are the keys a waiting screen answers to (the welcome and the
// out-of-service screens): each shows in the keymap while somebody waits
// for it, and Ctrl-C chooses the Quit key.
type idleKeys struct {
	keys   []IdleKey
	answer func(IdleKey) // nil when nobody waits for an idle key
}

// hints advertise the idle keys only while they work.
func (ik *idleKeys) hints(Lang) []hint {
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
