package terminal

import "testing"

// TestTransitionTable: terminal states accept nothing; every forward edge
// is allowed; skipping a state is not; any live state before print may
// fail, be cancelled or end unknown; idle only fails (its first record
// could not be written); from print on only printed (through
// settle) or unknown; refusal only where something is verified.
func TestTransitionTable(t *testing.T) {
	all := []State{StateIdle, StateCard, StateChoose, StatePIN, StateMembers, StateSubmit, StateFee, StateFetch, StatePrint,
		StateSettle, StatePrinted, StateRefused, StateFailed, StateCancelled, StateUnknown}
	forward := map[[2]State]bool{
		{StateIdle, StateCard}: true, {StateIdle, StateFailed}: true, {StateCard, StateChoose}: true, {StateChoose, StatePIN}: true,
		{StatePIN, StateSubmit}: true, {StateSubmit, StateFee}: true, {StateSubmit, StateRefused}: true,
		{StatePIN, StateMembers}: true, {StateMembers, StateSubmit}: true, {StateMembers, StateRefused}: true,
		{StateFee, StateFetch}: true, {StateFetch, StatePrint}: true, {StateFetch, StateRefused}: true,
		{StatePrint, StateSettle}: true, {StatePrint, StateUnknown}: true, {StateSettle, StatePrinted}: true,
		{StateSettle, StateUnknown}: true,
	}
	for _, from := range all {
		for _, to := range all {
			want := forward[[2]State{from, to}]
			if !from.Terminal() && from != StateIdle && from != StatePrint && from != StateSettle && (to == StateFailed || to == StateCancelled || to == StateUnknown) {
				want = true
			}
			if got := allowed(from, to); got != want {
				t.Errorf("allowed(%s, %s) = %v, want %v", from, to, got, want)
			}
		}
	}
}
