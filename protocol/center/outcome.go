package center

import (
	"bytes"
	"encoding/json"
	"net/http"

	"kofu/protocol"
)

// handleOutcome is POST /v1/tickets/{tid}/outcome (DESIGN §3.3): a
// kiosk-signed report. The fee is captured only for a printed result with
// every page confirmed; everything else voids it. A refusal is recorded as
// an incident on the center's side, never "resolved by retry".
func (c *Center) handleOutcome(w http.ResponseWriter, r *http.Request, t terminal) {
	j, p := c.lookupJob(r, t)
	if p != nil {
		c.problem(w, r, p)
		return
	}
	body, err := readJOSE(r, protocol.MaxOutcomeJWS)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbBadRequest, err.Error()))
		return
	}
	o, leaf, err := protocol.ParseOutcome(body, c.opRoots, c.cfg.Now())
	if err != nil {
		prob := protocol.ProbBadRequest
		if ref, ok := protocol.AsRefusal(err); ok && ref.Reason == protocol.ReasonSignature {
			prob = protocol.ProbBadSignature
		}
		c.problem(w, r, protocol.NewProblem(prob, err.Error()))
		return
	}
	if !bytes.Equal(leaf.Raw, t.cert.Raw) {
		c.problem(w, r, protocol.NewProblem(protocol.ProbTerminalRefused, "outcome signed by another device than the TLS peer"))
		return
	}
	if !bytes.Equal(o.TID, j.tid) || !bytes.Equal(o.Binding, j.binding) {
		c.problem(w, r, protocol.NewProblem(protocol.ProbBadRequest, "outcome names another ticket"))
		return
	}

	c.mu.Lock()
	if j.outcome != nil {
		same := sameOutcome(j.outcome, o)
		ans := c.answerLocked(j)
		c.mu.Unlock()
		if !same {
			c.problem(w, r, protocol.NewProblem(protocol.ProbTicketClosed, "an outcome was already reported"))
			return
		}
		writeJSON(w, ans)
		return
	}
	expected := 0
	if j.genuine != nil {
		expected = len(j.genuine.pages)
	}
	j.outcome, j.result, j.reason = o, o.Result, o.Reason
	j.billing = protocol.BillingVoided
	if o.Result == protocol.ResultPrinted && o.Pages == expected && j.state == jobReady {
		j.billing = protocol.BillingCaptured
	}
	if o.Result == protocol.ResultRefused || (o.Result == protocol.ResultPrinted && j.fault != nil && j.fault.Mixup()) {
		id, _ := protocol.RandomID(6)
		j.incident = "INC-" + protocol.B64(id)
	}
	if o.Result == protocol.ResultPrinted && j.fault != nil && j.fault.Mixup() {
		c.m.foreignPrinted.Inc() // the kiosk printed what the center misissued
		j.billing = protocol.BillingVoided
	}
	// The document is no longer needed: drop it (history keeps its own).
	j.delivered = nil
	ans := c.answerLocked(j)
	c.mu.Unlock()
	c.m.outcomes.WithLabelValues(string(o.Result), string(ans.Billing)).Inc()
	if j.incident != "" {
		c.log.Warn("incident", "incident", j.incident, "tid", j.key, "result", o.Result, "reason", o.Reason)
	}
	writeJSON(w, ans)
}

func (c *Center) answerLocked(j *job) protocol.OutcomeAnswer {
	return protocol.OutcomeAnswer{V: protocol.Version, TID: j.tid, Billing: j.billing, Incident: j.incident}
}

func writeJSON(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// sameOutcome reports whether a repeated report says the same thing (a
// kiosk re-sending after a lost answer); signatures and iat may differ.
func sameOutcome(a, b *protocol.Outcome) bool {
	return a.Result == b.Result && a.Reason == b.Reason && a.Pages == b.Pages && a.Printer == b.Printer
}
