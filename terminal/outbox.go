package terminal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"kofu/protocol"
	"kofu/terminal/journal"
)

// Outbox holds the outcomes the center has not acknowledged: a report lost
// to a partition or a timeout, or a session the kiosk died in after its
// ticket was verified (found unfinished at start, reported unknown). Until
// the center hears, its ticket stays open and its records say nothing of
// what happened at the kiosk; the outbox sends these reports again, after
// later sessions and at start. Every change is journaled, so the outbox
// survives restarts: LoadOutbox rebuilds it from the journal.
type Outbox struct {
	mu      sync.Mutex
	pending []queued
}

// queued is one outcome waiting for the center.
type queued struct {
	session string
	tid     []byte
	binding []byte
	result  protocol.Result
	reason  string
	pages   int
}

// LoadOutbox rebuilds the outbox from the journal at path: outcomes
// queued and not yet answered, and sessions recovered unknown after a
// crash once their ticket was known (their state records carry the ticket
// and binding). Open the journal first, so its recovery is recorded.
func LoadOutbox(path string) (*Outbox, error) {
	type ticketOf struct{ tid, binding string }
	known := map[string]ticketOf{} // session → its ticket, while unfinished
	var order []string
	byTID := map[string]queued{}
	add := func(q queued) {
		key := protocol.B64(q.tid)
		if _, ok := byTID[key]; !ok {
			order = append(order, key)
		}
		byTID[key] = q
	}
	err := journal.Each(path, func(r journal.Record) error {
		switch r.Kind {
		case journal.KindState:
			if r.TID != "" && r.Binding != "" {
				known[r.Session] = ticketOf{r.TID, r.Binding}
			}
		case journal.KindEnd:
			delete(known, r.Session)
		case journal.KindRecovered:
			t, ok := known[r.Session]
			delete(known, r.Session)
			if !ok {
				return nil // no ticket yet: nothing for the center to hear
			}
			q, err := decodeQueued(r.Session, t.tid, t.binding)
			if err != nil {
				return err
			}
			q.result, q.reason = protocol.ResultUnknown, "recovered-at-start"
			if r.State == string(StatePrinted) {
				// Every page was confirmed before the stop (journal.IntentCapture).
				q.result, q.reason, q.pages = protocol.ResultPrinted, "", r.Pages
			}
			add(q)
		case journal.KindOutbox:
			q, err := decodeQueued(r.Session, r.TID, r.Binding)
			if err != nil {
				return err
			}
			q.result, q.reason, q.pages = protocol.Result(r.State), r.Reason, r.Pages
			add(q)
		case journal.KindReported:
			delete(byTID, r.TID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &Outbox{}
	for _, key := range order {
		if q, ok := byTID[key]; ok {
			o.pending = append(o.pending, q)
		}
	}
	return o, nil
}

func decodeQueued(session, tid, binding string) (queued, error) {
	t, err1 := protocol.B64Decode(tid)
	b, err2 := protocol.B64Decode(binding)
	if err := errors.Join(err1, err2); err != nil {
		return queued{}, fmt.Errorf("session %s: %w", session, err)
	}
	return queued{session: session, tid: t, binding: b}, nil
}

// Len is the number of outcomes waiting.
func (o *Outbox) Len() int {
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// queue journals an outcome the center did not acknowledge and keeps it.
func (k *Kiosk) queue(q queued) error {
	if k.Outbox == nil {
		return nil
	}
	err := k.Journal.Append(journal.Record{Kind: journal.KindOutbox, Session: q.session, TID: protocol.B64(q.tid),
		Binding: protocol.B64(q.binding), State: string(q.result), Reason: truncate(q.reason, 64), Pages: q.pages})
	if err != nil {
		return err
	}
	k.Outbox.mu.Lock()
	k.Outbox.pending = append(k.Outbox.pending, q)
	k.Outbox.mu.Unlock()
	return nil
}

// FlushOutbox sends the waiting outcomes, oldest first, each signed anew
// by the device key. An answer, or a refusal that sending again cannot
// change (the ticket expired or was closed), takes it out of the outbox
// and is journaled; a transport failure stops the flush and keeps the rest
// for later. It returns how many the center answered.
func (k *Kiosk) FlushOutbox(ctx context.Context) (int, error) {
	o := k.Outbox
	if o == nil {
		return 0, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	sent := 0
	for len(o.pending) > 0 {
		q := o.pending[0]
		out := protocol.Outcome{V: protocol.Version, TID: q.tid, Binding: q.binding, Result: q.result,
			Reason: truncate(q.reason, 64), Pages: q.pages, Printer: k.Sink.ID(), IAT: k.now().Unix()}
		signed, err := protocol.SignOutcome(k.Identity.Device, k.Identity.DeviceChain, out)
		if err != nil {
			return sent, err
		}
		rec := journal.Record{Kind: journal.KindReported, Session: q.session, TID: protocol.B64(q.tid),
			State: string(q.result), Pages: q.pages}
		ans, err := k.Client.ResendOutcome(ctx, q.tid, signed)
		switch {
		case err == nil:
			rec.Billing = string(ans.Billing)
			sent++
		case finalAnswer(err) != "":
			rec.Note = finalAnswer(err)
		default:
			return sent, err
		}
		if err := k.Journal.Append(rec); err != nil {
			return sent, err
		}
		o.pending = o.pending[1:]
	}
	return sent, nil
}

// finalAnswer names a refusal of an outcome report that sending it again
// cannot change, or returns "" for one worth another try (the network,
// a busy or failing center).
func finalAnswer(err error) string {
	var p *protocol.Problem
	if errors.As(err, &p) {
		switch p.Type {
		case protocol.ProbBusy, protocol.ProbInternal, protocol.ProbIssuerUnavailable:
			return ""
		}
		return "center-" + string(p.Type)
	}
	var se *protocol.StatusError
	if errors.As(err, &se) && se.Status >= 400 && se.Status < 500 && se.Status != http.StatusTooManyRequests {
		return fmt.Sprintf("center-status-%d", se.Status)
	}
	return ""
}
