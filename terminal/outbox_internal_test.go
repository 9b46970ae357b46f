package terminal

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"kofu/protocol"
)

// TestFinalAnswer: which failed reports are worth sending again.
func TestFinalAnswer(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&protocol.TransportError{Op: "outcome", Err: errors.New("reset")}, ""},
		{context.DeadlineExceeded, ""},
		{protocol.NewProblem(protocol.ProbBusy, ""), ""},
		{protocol.NewProblem(protocol.ProbInternal, ""), ""},
		{&protocol.StatusError{Op: "outcome", Status: 503}, ""},
		{&protocol.StatusError{Op: "outcome", Status: 429}, ""},
		{fmt.Errorf("post: %w", protocol.NewProblem(protocol.ProbUnknownTicket, "")), "center-unknown-ticket"},
		{protocol.NewProblem(protocol.ProbTicketClosed, ""), "center-ticket-closed"},
		{&protocol.StatusError{Op: "outcome", Status: 404}, "center-status-404"},
	} {
		if got := finalAnswer(c.err); got != c.want {
			t.Errorf("finalAnswer(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
