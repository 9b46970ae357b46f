package terminal

// State is where a session is (DESIGN §2).
type State string

// The states of a session. The last five are terminal: a session in one of
// them accepts nothing more.
const (
	StateIdle   State = "idle"
	StateCard   State = "card"   // card present; reading its certificate
	StateChoose State = "choose" // resident choosing the document
	StatePIN    State = "pin"    // PIN entry
	StateSubmit State = "submit" // card signs; request sent; ticket verified
	StateFee    State = "fee"    // fee shown; waiting for payment (hold)
	StateFetch  State = "fetch"  // fetching and verifying envelope and pages
	StatePrint  State = "print"  // printing and confirming
	StateSettle State = "settle" // capture or release; outcome reported

	StatePrinted   State = "printed"
	StateRefused   State = "refused"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
	StateUnknown   State = "unknown"
)

// Terminal reports whether s ends a session.
func (s State) Terminal() bool {
	switch s {
	case StatePrinted, StateRefused, StateFailed, StateCancelled, StateUnknown:
		return true
	}
	return false
}

// edges is the transition table: from each state, where a session may go.
// Every non-terminal state may also end failed, cancelled or unknown.
func edges() map[State][]State {
	return map[State][]State{
		StateIdle:   {StateCard},
		StateCard:   {StateChoose},
		StateChoose: {StatePIN},
		StatePIN:    {StateSubmit},
		StateSubmit: {StateFee, StateRefused},
		StateFee:    {StateFetch},
		StateFetch:  {StatePrint, StateRefused},
		// Print may still end refused: ticket and envelope validity is
		// checked again before the first byte goes to the printer.
		StatePrint:  {StateSettle, StateRefused},
		StateSettle: {StatePrinted},
	}
}

// allowed reports whether a session may move from one state to another.
func allowed(from, to State) bool {
	if from.Terminal() {
		return false
	}
	if to == StateFailed || to == StateCancelled || to == StateUnknown {
		return from != StateIdle
	}
	for _, s := range edges()[from] {
		if s == to {
			return true
		}
	}
	return false
}
