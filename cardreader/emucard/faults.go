package emucard

import "time"

// Faults are injected into the card's answers. Triggers count the
// commands seen since SetFaults (or New).
type Faults struct {
	// Delay is added before every answer (a slow card or reader).
	Delay time.Duration
	// RemoveOn pulls the card out while it processes the matching
	// command: no answer. In-process the command fails with
	// cardreader.ErrCardRemoved; over vpcd the connection is closed. The
	// card stays out until Insert.
	RemoveOn Trigger
	// ResetOn resets the card (as another application would) instead of
	// running the matching command: in-process the command fails with
	// cardreader.ErrCardReset. Over vpcd a card cannot signal a reset; it
	// is ignored there.
	ResetOn Trigger
	// Spurious6B00On answers the matching command 6B00 (offset past the
	// end) without running it, once.
	Spurious6B00On Trigger
}

// Trigger selects the Nth command with a given instruction.
type Trigger struct {
	INS byte // instruction to count; 0 counts every command
	N   int  // 1-based; 0 never fires
}

type faultCounters struct {
	remove, reset, spurious int
	done                    [3]bool
}

type faultAction int

const (
	actNone faultAction = iota
	actRemove
	actReset
	act6B00
)

// SetFaults replaces the faults and restarts their counters.
func (c *Card) SetFaults(f Faults) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults, c.fired = f, faultCounters{}
}

// faultFor counts apdu against the triggers and says which fault, if
// any, fires on it. The caller holds c.mu.
func (c *Card) faultFor(apdu []byte) faultAction {
	if len(apdu) < 2 {
		return actNone
	}
	hit := func(t Trigger, n *int, done *bool) bool {
		if t.N <= 0 || *done || (t.INS != 0 && t.INS != apdu[1]) {
			return false
		}
		*n++
		if *n == t.N {
			*done = true
			return true
		}
		return false
	}
	f, k := c.faults, &c.fired
	remove := hit(f.RemoveOn, &k.remove, &k.done[0])
	reset := hit(f.ResetOn, &k.reset, &k.done[1])
	spurious := hit(f.Spurious6B00On, &k.spurious, &k.done[2])
	switch {
	case remove:
		return actRemove
	case reset:
		return actReset
	case spurious:
		return act6B00
	}
	return actNone
}
