package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
)

// StillValid checks again, at the verifier's clock, that the envelope and
// the ticket it answers are inside their validity windows (iat and exp,
// with the configured skew). DESIGN §3.4 rule 4 asks for it just before the
// first byte goes to the printer: a ticket verified on arrival can run out
// while the resident pays, and a document must not be printed on a ticket
// the center already considers expired. The ticket is checked first; the
// result is a *RefusalError (ticket-expired, envelope-expired, or
// *-not-yet-valid when the kiosk's clock went back).
func (v *Verifier) StillValid(env *VerifiedEnvelope) error {
	if env == nil || env.ticket == nil {
		return errors.New("validity: no verified envelope")
	}
	t := env.ticket.t
	if err := v.checkTimes(StageTicket, t.IAT, t.EXP); err != nil {
		return err
	}
	return v.checkTimes(StageEnvelope, env.e.IAT, env.e.EXP)
}

// RefusedTicket is a ticket the verifier refused whose ticket id is
// nonetheless authentic, so that the kiosk can report the refusal to the
// center under it (DESIGN §3.3: a refusal is an incident at the center).
// Only CheckTicket makes one.
//
// A ticket id is authentic enough to report under when both hold:
//
//  1. The ticket passed every check of who signed it — size, JOSE hygiene,
//     the pinned alg ES256, typ, the x5c chain under the center CA with the
//     signer's role, the key, and the signature over exactly these bytes —
//     and was refused by a later rule (reportableReasons: rid, binding,
//     doc, expired, not-yet-valid, stale, error-flagged, fields). The
//     center CA's signer wrote this tid; no one else could have.
//  2. Its payload is one JSON object whose member names are unique (no
//     second reading of "tid"), and "tid" is canonical base64url of
//     exactly TIDSize bytes.
//
// Anything refused earlier (a bad signature, an unknown CA, alg none …)
// names no authentic ticket and is not reported: a forger must not be able
// to make the kiosk close a ticket of the forger's choosing. The report
// carries the kiosk's own binding (Sent), never the ticket's, so the
// center accepts it only for the job it made from these request bytes: a
// ticket that names another resident's job cannot make the kiosk close or
// void that job.
type RefusedTicket struct {
	tid     []byte
	sent    *Sent
	refusal *RefusalError
}

// TID returns a copy of the authentic ticket id.
func (r *RefusedTicket) TID() []byte { return bytes.Clone(r.tid) }

// Sent returns the request the ticket was refused as an answer to.
func (r *RefusedTicket) Sent() *Sent { return r.sent }

// Refusal returns why the ticket was refused.
func (r *RefusedTicket) Refusal() *RefusalError { return r.refusal }

// reportableReasons are the ticket-stage refusals Verifier.Ticket returns
// only after the signature verified (rule 1 above). A reason added later is
// not reportable until it is listed here.
func reportableReasons() []Reason {
	return []Reason{ReasonRID, ReasonBinding, ReasonDoc, ReasonExpired, ReasonNotYetValid, ReasonStale,
		ReasonErrorFlagged, ReasonFields}
}

// CheckTicket verifies a ticket as Ticket does. When the ticket is refused
// but its ticket id is authentic (see RefusedTicket), it also returns the
// RefusedTicket to report the refusal under; err is then the refusal.
func (v *Verifier) CheckTicket(compact []byte, s *Sent) (*VerifiedTicket, *RefusedTicket, error) {
	vt, err := v.Ticket(compact, s)
	if err == nil {
		return vt, nil, nil
	}
	r, ok := AsRefusal(err)
	if !ok || r.Stage != StageTicket || !reportable(r.Reason) {
		return nil, nil, err
	}
	tid, ok := signedTID(compact)
	if !ok {
		return nil, nil, err
	}
	return nil, &RefusedTicket{tid: tid, sent: s, refusal: r}, err
}

func reportable(r Reason) bool {
	for _, x := range reportableReasons() {
		if r == x {
			return true
		}
	}
	return false
}

// signedTID reads the "tid" member of a compact JWS's payload whose
// signature has been verified (rule 2 of RefusedTicket).
func signedTID(compact []byte) ([]byte, bool) {
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := B64Decode(string(parts[1]))
	if err != nil || checkJSONShape(payload) != nil {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return nil, false
	}
	var tid Bytes
	if raw, ok := m["tid"]; !ok || json.Unmarshal(raw, &tid) != nil || len(tid) != TIDSize {
		return nil, false
	}
	return tid, true
}
