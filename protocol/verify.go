package protocol

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"kofu/protocol/pages"
)

// Sent is what the kiosk sent: the exact compact JWS bytes and the values
// every answer must be bound to. Build it with NewSent from the bytes that
// went on the wire.
type Sent struct {
	compact []byte
	req     Request
	binding []byte
	subject []byte
}

// NewSent decodes the payload of the kiosk's own signed request and
// computes its binding and, from the card's user-auth certificate, its
// subject (DESIGN §3.1).
func NewSent(compact, authCertDER []byte) (*Sent, error) {
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		return nil, errors.New("request is not a compact JWS")
	}
	payload, err := B64Decode(string(parts[1]))
	if err != nil {
		return nil, fmt.Errorf("request payload: %w", err)
	}
	var r Request
	if err := decodeStrict(payload, &r); err != nil {
		return nil, fmt.Errorf("request payload: %w", err)
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("request payload: %w", err)
	}
	b := Binding(compact)
	return &Sent{compact: bytes.Clone(compact), req: r, binding: b, subject: Subject(b, authCertDER)}, nil
}

// Compact returns a copy of the exact request bytes (for idempotent re-sends).
func (s *Sent) Compact() []byte { return bytes.Clone(s.compact) }

// Request returns a deep copy of the decoded request.
func (s *Sent) Request() Request { return s.req.Clone() }

// Binding returns a copy of the requester binding.
func (s *Sent) Binding() []byte { return bytes.Clone(s.binding) }

// Subject returns a copy of the subject computed from the card.
func (s *Sent) Subject() []byte { return bytes.Clone(s.subject) }

// VerifiedTicket is a ticket that passed every check against a Sent. Only
// the Verifier makes them, and the client only fetches by them: the kiosk
// has no way to ask for another ticket's document.
type VerifiedTicket struct {
	t       Ticket
	compact []byte
	sent    *Sent
}

// Ticket returns a deep copy of the verified payload: no caller can
// change what was verified.
func (v *VerifiedTicket) Ticket() Ticket { return v.t.Clone() }

// TID returns a copy of the ticket id.
func (v *VerifiedTicket) TID() []byte { return bytes.Clone(v.t.TID) }

// Sent returns the request this ticket answers.
func (v *VerifiedTicket) Sent() *Sent { return v.sent }

// VerifiedEnvelope is an envelope that passed every check against its
// ticket and request.
type VerifiedEnvelope struct {
	e      Envelope
	ticket *VerifiedTicket
}

// Envelope returns a deep copy of the verified payload: no caller can
// change what was verified.
func (v *VerifiedEnvelope) Envelope() Envelope { return v.e.Clone() }

// Ticket returns the ticket this envelope answers.
func (v *VerifiedEnvelope) Ticket() *VerifiedTicket { return v.ticket }

// Verifier holds the trust anchors and limits of DESIGN §3.4. The zero
// value of a limit means its default.
type Verifier struct {
	// CenterRoots sign tickets and IssuerRoots envelopes. They must not
	// share a certificate: identical pools refuse every message, and a
	// message whose chain ends in an anchor the other pool also trusts is
	// refused (reason role). Each signer must carry its role's EKU
	// (EKUTicketSigner, EKUEnvelopeSigner).
	CenterRoots *x509.CertPool
	IssuerRoots *x509.CertPool
	Now         func() time.Time
	MaxSkew     time.Duration // default 2 minutes
	MaxPages    int           // default and upper bound MaxPages
	PageLimits  pages.Limits  // default pages.DefaultLimits()
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) skew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return 2 * time.Minute
}

func (v *Verifier) maxPages() int {
	if v.MaxPages > 0 && v.MaxPages < MaxPages {
		return v.MaxPages
	}
	return MaxPages
}

// checkTimes applies the validity window with bounded skew. NumericDates
// are compared as integers (RFC 7519 §2): time.Unix overflows for values
// near the int64 limit, which made a far-future iat read as expired
// (found by FuzzTicketRules).
func (v *Verifier) checkTimes(stage Stage, iat, exp int64) error {
	now := v.now()
	if iat > now.Add(v.skew()).Unix() {
		return refuse(stage, ReasonNotYetValid, fmt.Sprintf("iat %d is ahead of now %d", iat, now.Unix()), nil)
	}
	if exp <= now.Add(-v.skew()).Unix() {
		return refuse(stage, ReasonExpired, fmt.Sprintf("exp %d, now %d", exp, now.Unix()), nil)
	}
	return nil
}

// flaggedError reports whether a payload carries a member a broken issuer
// may add to flag an error while serving a document anyway (fault
// error-with-document), so it is reported as such rather than as a mere
// unknown field.
func flaggedError(payload []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	for _, k := range [...]string{"error", "status", "problem"} {
		if _, ok := m[k]; ok {
			return k
		}
	}
	return ""
}

// Ticket checks the center's ticket against what was sent (§3.4 rule 1):
// ES256 under the center CA only; rid, binding and doc equal; times.
func (v *Verifier) Ticket(compact []byte, s *Sent) (*VerifiedTicket, error) {
	jv, err := verifyCompact(compact, role{stage: StageTicket, alg: AlgCenter, typ: TypTicket,
		maxSize: MaxTicketJWS, roots: v.CenterRoots, eku: EKUTicketSigner, other: v.IssuerRoots}, v.now())
	if err != nil {
		return nil, err
	}
	if k := flaggedError(jv.payload); k != "" {
		return nil, refuse(StageTicket, ReasonErrorFlagged, "member "+k, nil)
	}
	var t Ticket
	if err := decodePayload(StageTicket, jv.payload, &t); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, refuse(StageTicket, ReasonFields, "", err)
	}
	switch {
	case !bytes.Equal(t.RID, s.req.RID):
		return nil, refuse(StageTicket, ReasonRID, "", nil)
	case !bytes.Equal(t.Binding, s.binding):
		return nil, refuse(StageTicket, ReasonBinding, "", nil)
	case !t.Doc.Equal(s.req.Doc):
		return nil, refuse(StageTicket, ReasonDoc, "", nil)
	}
	if err := v.checkTimes(StageTicket, t.IAT, t.EXP); err != nil {
		return nil, err
	}
	if t.IAT < s.req.IAT-int64(v.skew()/time.Second) {
		return nil, refuse(StageTicket, ReasonStale, "ticket issued before the request", nil)
	}
	return &VerifiedTicket{t: t, compact: bytes.Clone(compact), sent: s}, nil
}

// Envelope checks the issuer's envelope against the ticket and the request
// (§3.4 rule 2): ES256 under the issuer CA only; tid, rid, binding, doc
// equal; subject equal to the kiosk's own computation; asof present;
// 1 ≤ sheets ≤ limit; the faces in structure (faces.go); A4 geometry;
// times.
func (v *Verifier) Envelope(compact []byte, t *VerifiedTicket) (*VerifiedEnvelope, error) {
	jv, err := verifyCompact(compact, role{stage: StageEnvelope, alg: AlgCenter, typ: TypEnvelope,
		maxSize: MaxEnvelopeJWS, roots: v.IssuerRoots, eku: EKUEnvelopeSigner, other: v.CenterRoots}, v.now())
	if err != nil {
		return nil, err
	}
	if k := flaggedError(jv.payload); k != "" {
		return nil, refuse(StageEnvelope, ReasonErrorFlagged, "member "+k, nil)
	}
	var e Envelope
	if err := decodePayload(StageEnvelope, jv.payload, &e); err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, refuse(StageEnvelope, ReasonFields, "", err)
	}
	s := t.sent
	switch {
	case !bytes.Equal(e.TID, t.t.TID):
		return nil, refuse(StageEnvelope, ReasonTID, "", nil)
	case !bytes.Equal(e.RID, s.req.RID):
		return nil, refuse(StageEnvelope, ReasonRID, "", nil)
	case !bytes.Equal(e.Binding, s.binding):
		return nil, refuse(StageEnvelope, ReasonBinding, "", nil)
	case !e.Doc.Equal(s.req.Doc):
		return nil, refuse(StageEnvelope, ReasonDoc, "", nil)
	case !bytes.Equal(e.Subject, s.subject):
		return nil, refuse(StageEnvelope, ReasonSubject, "", nil)
	}
	// Who the document lists: the page's symbol binds it to the request,
	// not to the members printed, so the issuer says whom it rendered.
	if detail := checkListed(&e, s.req.Doc); detail != "" {
		return nil, refuse(StageEnvelope, ReasonMembers, detail, nil)
	}
	if _, err := time.Parse(time.RFC3339, e.AsOf); err != nil {
		return nil, refuse(StageEnvelope, ReasonAsOf, "", err)
	}
	// The limit counts sheets (paper); a sheet has at most two faces. For
	// an envelope without face fields both are its page count.
	if len(e.Pages) < 1 || len(e.Pages) > 2*v.maxPages() || e.Sheets() > v.maxPages() {
		return nil, refuse(StageEnvelope, ReasonCount, fmt.Sprintf("%d pages on %d sheets", len(e.Pages), e.Sheets()), nil)
	}
	if r, n, detail := checkFaces(&e, s.req.Doc.Sides); r != "" {
		return nil, &RefusalError{Stage: StageEnvelope, Reason: r, Page: n, Detail: detail}
	}
	for _, p := range e.Pages {
		w, h, ok := pages.PageSize(p.DPI)
		if !ok || p.W != w || p.H != h {
			return nil, &RefusalError{Stage: StageEnvelope, Reason: ReasonGeometry, Page: p.N,
				Detail: fmt.Sprintf("%dx%d at %d dpi is not A4 at 300/600 dpi", p.W, p.H, p.DPI)}
		}
	}
	if err := v.checkTimes(StageEnvelope, e.IAT, e.EXP); err != nil {
		return nil, err
	}
	if e.IAT < t.t.IAT-int64(v.skew()/time.Second) {
		return nil, refuse(StageEnvelope, ReasonStale, "envelope issued before its ticket", nil)
	}
	return &VerifiedEnvelope{e: e, ticket: t}, nil
}
