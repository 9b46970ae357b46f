package terminal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"kofu/protocol"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// Timeouts bound each resident-facing stage and the whole session; the
// protocol stages have their own in protocol.Timeouts.
type Timeouts struct {
	Session time.Duration // the whole session, card to settlement
	Choose  time.Duration
	PIN     time.Duration
	// Members is the choice of household members (世帯の一部), after the
	// PIN: the card stays unlocked meanwhile (members.go).
	Members time.Duration
	Pay     time.Duration
	Print   time.Duration
	Finish  time.Duration // reminders before the session's screen is wiped
	// Outbox bounds sending the outcomes the center has not heard, after
	// the session, whatever became of the card.
	Outbox time.Duration
}

// DefaultTimeouts suit a resident at a store machine.
func DefaultTimeouts() Timeouts {
	return Timeouts{Session: 10 * time.Minute, Choose: 2 * time.Minute, PIN: time.Minute, Members: 2 * time.Minute, Pay: 3 * time.Minute,
		Print: 3 * time.Minute, Finish: 2 * time.Minute, Outbox: 30 * time.Second}
}

// Kiosk holds what outlives a session: the center client and verifier,
// identity, printer, payment unit and journal.
type Kiosk struct {
	Client   *protocol.Client
	Verifier *protocol.Verifier
	Identity Identity
	Sink     Sink
	Payment  payment.Unit
	Journal  *journal.Journal
	Timeouts Timeouts // zero fields take DefaultTimeouts
	Now      func() time.Time
	// OnState, when set, is called after each state is journaled (the
	// crash tests that kill the process in every state).
	OnState func(State)
	// Outbox, when set, keeps the outcomes the center did not acknowledge
	// and sends them again after each session (LoadOutbox at start).
	Outbox *Outbox
	// Observers are told of every transition and every session's end
	// (metrics, logs), after the journal.
	Observers []Observer
	// Admit, when set, is asked before each transition is journaled; an
	// error refuses it and ends the session (ErrShutdown: cancelled).
	// The service uses it so that no session starts printing once the
	// machine is stopping, and one that has started is let finish: the
	// decision and the transition cannot cross.
	Admit func(to State) error
	// Log receives what a session cannot tell through its result: a
	// recovered panic (type and stack, never values). Nil: slog.Default.
	Log *slog.Logger
}

// logger is the kiosk's log.
func (k *Kiosk) logger() *slog.Logger {
	if k.Log != nil {
		return k.Log
	}
	return slog.Default()
}

// Observer watches a kiosk's sessions. It is called on the session's
// goroutine after the journal record is written, so it must be quick and
// must not block; it gets codes and durations only, never personal data.
type Observer interface {
	// Transition: session moved from one state to another after spending
	// spent in from.
	Transition(session string, from, to State, spent time.Duration)
	// End: the session ended with r after spent in its last state (r.Outcome,
	// r.Reason, r.Payment are set; the session is journaled and settled).
	End(session string, last State, spent time.Duration, r Result)
}

// observeTransition tells the observers of a transition.
func (k *Kiosk) observeTransition(id string, from, to State, spent time.Duration) {
	for _, o := range k.Observers {
		o.Transition(id, from, to, spent)
	}
}

// observeEnd tells the observers of a session's end.
func (k *Kiosk) observeEnd(id string, last State, spent time.Duration, r Result) {
	for _, o := range k.Observers {
		o.End(id, last, spent, r)
	}
}

// ErrShutdown is the cause a kiosk gives a session's context when the
// machine is stopping (SIGTERM): the session ends cancelled with reason
// "shutdown", its fee released.
var ErrShutdown = errors.New("kiosk shutting down")

func (k *Kiosk) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

func (k *Kiosk) timeouts() Timeouts {
	t, d := k.Timeouts, DefaultTimeouts()
	for _, p := range []struct {
		dst *time.Duration
		def time.Duration
	}{
		{&t.Session, d.Session}, {&t.Choose, d.Choose}, {&t.PIN, d.PIN}, {&t.Members, d.Members}, {&t.Pay, d.Pay},
		{&t.Print, d.Print}, {&t.Finish, d.Finish}, {&t.Outbox, d.Outbox},
	} {
		if *p.dst <= 0 {
			*p.dst = p.def
		}
	}
	return t
}

// reasonOf turns an error into a stable reason code: a refusal's code, a
// problem type, or the stage with a class of failure — for transport
// failures their class ("submit-tls-untrusted", "document-transport"), for
// an HTTP error status without a problem document its class
// ("submit-http-5xx"). docs/operator.md lists every code.
func reasonOf(stage string, err error) Reason {
	if r, ok := protocol.AsRefusal(err); ok {
		return Reason(r.Code())
	}
	var p *protocol.Problem
	if errors.As(err, &p) {
		return Reason("center-" + string(p.Type))
	}
	var te *protocol.TransportError
	var se *protocol.StatusError
	var rc interface{ ReasonCode() string }
	switch {
	case errors.As(err, &rc):
		return Reason(stage + "-" + rc.ReasonCode())
	case errors.Is(err, ErrCardRemoved):
		return ReasonCardRemoved
	case errors.Is(err, ErrShutdown):
		return ReasonShutdown
	case errors.Is(err, ErrCancelled):
		return Reason(stage + "-cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return Reason(stage + "-timeout")
	case errors.As(err, &te):
		return Reason(stage + "-" + string(te.Class()))
	case errors.As(err, &se) && se.Status >= 400 && se.Status < 600:
		return Reason(fmt.Sprintf("%s-http-%dxx", stage, se.Status/100))
	case errors.Is(err, protocol.ErrTooLarge):
		return Reason(stage + "-too-large")
	case errors.Is(err, payment.ErrInsufficient):
		return ReasonPaymentInsufficient
	}
	return Reason(stage + "-error")
}
