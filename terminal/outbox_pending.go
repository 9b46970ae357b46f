package terminal

import "kofu/protocol"

// Pending is one outcome waiting in the outbox, as the technician UI lists
// it: codes only.
type Pending struct {
	Session string          // the session id (its reference number first)
	TID     string          // the ticket id, base64url
	Result  protocol.Result // the outcome the center has not heard
	Reason  string
	Pages   int
}

// Pending lists the outcomes waiting, oldest first (the order they are
// sent in).
func (o *Outbox) Pending() []Pending {
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Pending, 0, len(o.pending))
	for _, q := range o.pending {
		out = append(out, Pending{Session: q.session, TID: protocol.B64(q.tid), Result: q.result, Reason: q.reason, Pages: q.pages})
	}
	return out
}
