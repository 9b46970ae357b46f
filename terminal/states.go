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

// StateMembers is entered between pin and submit for 世帯の一部 only
// (members.go): the card signs the household query, the center's list is
// verified, the resident chooses the members.
const StateMembers State = "members"

// Terminal reports whether s ends a session.
func (s State) Terminal() bool {
	switch s {
	case StatePrinted, StateRefused, StateFailed, StateCancelled, StateUnknown:
		return true
	}
	return false
}

// edges is the transition table: from each state, where a session may go.
// Every state before StatePrint that has begun (not idle) may also end
// failed, cancelled or unknown (lateEnds).
//
// StatePrint is entered just before the job is handed to the printer: from
// then on bytes may reach the paper, so the only ends the table admits are
// printed (through settle, every page confirmed) and unknown. Refused,
// failed and cancelled all tell the center that nothing came out, which
// nobody can promise once the job may have started (issue 15); the last
// refusal a session can make (ticket and envelope validity, DESIGN §3.4
// rule 4) and the printer's own "cannot take a job" (Preflighter) are
// therefore decided in fetch, before the move to print.
func edges() map[State][]State {
	e := map[State][]State{
		// A session whose first record cannot be written (the journal's
		// disk is full) ends failed before anything began.
		StateIdle:   {StateCard, StateFailed},
		StateCard:   {StateChoose},
		StateChoose: {StatePIN},
		StatePIN:    {StateSubmit, StateMembers},
		StateSubmit: {StateFee, StateRefused},
		StateFee:    {StateFetch},
		StateFetch:  {StatePrint, StateRefused},
		StatePrint:  {StateSettle, StateUnknown},
		StateSettle: {StatePrinted, StateUnknown},
	}
	// A household list that is not this query's is refused; nothing was
	// asked for yet, so nothing is reported.
	e[StateMembers] = []State{StateSubmit, StateRefused}
	return e
}

// mayHavePrinted reports whether a session in s may have sent bytes to the
// printer: from there on it ends printed or unknown, nothing else.
func mayHavePrinted(s State) bool { return s == StatePrint || s == StateSettle }

// allowed reports whether a session may move from one state to another.
func allowed(from, to State) bool {
	if from.Terminal() {
		return false
	}
	if (to == StateFailed || to == StateCancelled || to == StateUnknown) && from != StateIdle && !mayHavePrinted(from) {
		return true
	}
	for _, s := range edges()[from] {
		if s == to {
			return true
		}
	}
	return false
}

// endFrom is the terminal state a session in from ends in when it means to
// end in want: want itself when the table allows it; otherwise unknown
// when the table allows that (after print has begun, a failure, a
// cancellation or a late refusal cannot say that nothing came out); ok is
// false when neither is allowed (a bug, or want is not terminal).
func endFrom(from, want State) (st State, ok bool) {
	switch {
	case !want.Terminal():
		return "", false
	case allowed(from, want):
		return want, true
	case want != StatePrinted && allowed(from, StateUnknown):
		return StateUnknown, true
	}
	return "", false
}
