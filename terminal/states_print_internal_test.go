package terminal

import (
	"slices"
	"testing"
)

// allStates lists every state of a session, terminal ones last.
var allStates = []State{StateIdle, StateCard, StateChoose, StatePIN, StateMembers, StateSubmit, StateFee, StateFetch, StatePrint,
	StateSettle, StatePrinted, StateRefused, StateFailed, StateCancelled, StateUnknown}

// TestOncePrintingOnlyPrintedOrUnknown enumerates the transition table
// (issue 15, finding 1): from print and settle, the only moves are print →
// settle, settle → printed and either → unknown; and walking the table
// from print, whatever path a future edit adds, reaches no terminal state
// but printed and unknown and never leads back before print.
func TestOncePrintingOnlyPrintedOrUnknown(t *testing.T) {
	want := map[[2]State]bool{
		{StatePrint, StateSettle}: true, {StatePrint, StateUnknown}: true,
		{StateSettle, StatePrinted}: true, {StateSettle, StateUnknown}: true,
	}
	for _, from := range []State{StatePrint, StateSettle} {
		for _, to := range allStates {
			if got := allowed(from, to); got != want[[2]State{from, to}] {
				t.Errorf("allowed(%s, %s) = %v, want %v", from, to, got, !got)
			}
		}
	}

	seen := map[State]bool{StatePrint: true}
	queue := []State{StatePrint}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, to := range allStates {
			if allowed(from, to) && !seen[to] {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	for st := range seen {
		if !slices.Contains([]State{StatePrint, StateSettle, StatePrinted, StateUnknown}, st) {
			t.Errorf("%s is reachable from print", st)
		}
	}
}

// TestEndFrom: a session that means to end failed, cancelled or refused
// ends so before print, and unknown from print on; printed only from
// settle; a state that is not terminal is never an end.
func TestEndFrom(t *testing.T) {
	cases := []struct {
		from, want, got State
		ok              bool
	}{
		{StateFetch, StateFailed, StateFailed, true},
		{StateFetch, StateRefused, StateRefused, true},
		{StateFee, StateCancelled, StateCancelled, true},
		{StatePrint, StateFailed, StateUnknown, true},
		{StatePrint, StateCancelled, StateUnknown, true},
		{StatePrint, StateRefused, StateUnknown, true},
		{StateSettle, StateFailed, StateUnknown, true},
		{StateSettle, StatePrinted, StatePrinted, true},
		{StatePrint, StatePrinted, "", false},
		{StateFetch, StatePrinted, "", false},
		{StateIdle, StateFailed, StateFailed, true},
		{StateIdle, StateUnknown, "", false},
		{StatePrinted, StateUnknown, "", false},
		{StateFetch, StatePrint, "", false},
	}
	for _, c := range cases {
		got, ok := endFrom(c.from, c.want)
		if got != c.got || ok != c.ok {
			t.Errorf("endFrom(%s, %s) = %s, %v; want %s, %v", c.from, c.want, got, ok, c.got, c.ok)
		}
	}
}
