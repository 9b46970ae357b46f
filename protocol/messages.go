package protocol

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"maps"
	"regexp"
	"time"
)

// Version is the protocol version carried in every message's "v".
const Version = 1

// Sizes of the binary identifiers (DESIGN §3).
const (
	RIDSize     = 16
	NonceSize   = 32
	TIDSize     = 16
	DigestSize  = 32 // binding, subject, page sha256
	MaxPages    = 12 // hard upper bound on sheets in one envelope (pages of a one-sided one; faces: MaxFaces)
	MaxSerial   = 64
	MaxTermID   = 32
	MaxSWString = 128
)

// Media types and JWS "typ" values.
const (
	MediaJOSE    = "application/jose"
	MediaProblem = "application/problem+json"
	MediaPNG     = "image/png"

	TypRequest  = "kofu-request+jws"
	TypTicket   = "kofu-ticket+jws"
	TypEnvelope = "kofu-envelope+jws"
	TypOutcome  = "kofu-outcome+jws"
)

// Request is the payload the card signs (DESIGN §3.1).
type Request struct {
	V     int     `json:"v"`
	RID   Bytes   `json:"rid"`
	Nonce Bytes   `json:"nonce"`
	Term  string  `json:"term"`
	Store string  `json:"store"`
	Muni  string  `json:"muni"`
	Doc   DocSpec `json:"doc"`
	IAT   int64   `json:"iat"`
	SW    string  `json:"sw"`
}

// Ticket is the center's answer to a request (DESIGN §3.1).
type Ticket struct {
	V       int     `json:"v"`
	TID     Bytes   `json:"tid"`
	RID     Bytes   `json:"rid"`
	Binding Bytes   `json:"binding"`
	Doc     DocSpec `json:"doc"`
	Fee     int     `json:"fee"`
	IAT     int64   `json:"iat"`
	EXP     int64   `json:"exp"`
}

// PageRef is one page as declared in an envelope: one face of a sheet.
// Sheet and Face are both set or both absent in every page of an
// envelope; absent, page n is the front of sheet n (faces.go).
type PageRef struct {
	N      int     `json:"n"`
	SHA256 Bytes   `json:"sha256"`
	W      int     `json:"w"`
	H      int     `json:"h"`
	DPI    int     `json:"dpi"`
	Sheet  SheetNo `json:"sheet,omitempty"`
	Face   Face    `json:"face,omitempty"`
}

// Envelope is the issuer-signed description of a rendered document
// (DESIGN §3.2).
type Envelope struct {
	V       int       `json:"v"`
	TID     Bytes     `json:"tid"`
	RID     Bytes     `json:"rid"`
	Binding Bytes     `json:"binding"`
	Subject Bytes     `json:"subject"`
	Doc     DocSpec   `json:"doc"`
	Serial  string    `json:"serial"`
	AsOf    string    `json:"asof"`
	Pages   []PageRef `json:"pages"`
	IAT     int64     `json:"iat"`
	EXP     int64     `json:"exp"`
	// Listed, on a document of household members chosen individually
	// (doc.members), names the members the issuer rendered, by their
	// tokens, in the order printed; absent on every other document
	// (household.go). The kiosk checks it against its own choice, as the
	// page's QR symbol cannot say who is printed.
	Listed []Bytes `json:"listed,omitempty"`
}

// Result is the outcome of a session as reported to the center (§3.3).
type Result string

// The outcome results.
const (
	ResultPrinted   Result = "printed"
	ResultRefused   Result = "refused"
	ResultFailed    Result = "failed"
	ResultCancelled Result = "cancelled"
	ResultUnknown   Result = "unknown"
)

// Valid reports whether r is one of the five results.
func (r Result) Valid() bool {
	switch r {
	case ResultPrinted, ResultRefused, ResultFailed, ResultCancelled, ResultUnknown:
		return true
	}
	return false
}

// PrinterID identifies the printer that handled the job.
type PrinterID struct {
	MFG string `json:"mfg"`
	MDL string `json:"mdl"`
	SN  string `json:"sn"`
}

// Outcome is the kiosk's signed report of how a ticket ended (§3.3).
type Outcome struct {
	V       int       `json:"v"`
	TID     Bytes     `json:"tid"`
	Binding Bytes     `json:"binding"`
	Result  Result    `json:"result"`
	Reason  string    `json:"reason"`
	Pages   int       `json:"pages"`
	Printer PrinterID `json:"printer"`
	IAT     int64     `json:"iat"`
}

// Billing is what the center did with the fee of a ticket.
type Billing string

// Billing answers.
const (
	BillingCaptured Billing = "captured"
	BillingVoided   Billing = "voided"
)

// OutcomeAnswer is the center's answer to an outcome report.
type OutcomeAnswer struct {
	V       int     `json:"v"`
	TID     Bytes   `json:"tid"`
	Billing Billing `json:"billing"`
	// Incident is set when the center recorded the outcome as an incident
	// on its side (every refusal is one; never "resolved by retry").
	Incident string `json:"incident,omitempty"`
}

var (
	termRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)
	muniRe = regexp.MustCompile(`^[0-9]{6}$`)
)

// RandomID returns n bytes from crypto/rand. Identifiers are never derived
// from time (DESIGN §3.1).
func RandomID(n int) (Bytes, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("crypto/rand: %w", err)
	}
	return b, nil
}

// NewRequest fills in a request with fresh random rid and nonce.
func NewRequest(term, store, muni string, doc DocSpec, now time.Time, sw string) (Request, error) {
	rid, err := RandomID(RIDSize)
	if err != nil {
		return Request{}, err
	}
	nonce, err := RandomID(NonceSize)
	if err != nil {
		return Request{}, err
	}
	r := Request{V: Version, RID: rid, Nonce: nonce, Term: term, Store: store, Muni: muni,
		Doc: doc, IAT: now.Unix(), SW: sw}
	return r, r.Validate()
}

// sized is one fixed-size binary member of a message: its JSON name, its
// value and the size it must have.
type sized struct {
	name string
	b    []byte
	size int
}

// validateHead checks what the messages of protocol v1 begin with: the
// version v, then each fixed-size binary member in the order given. The
// first that is wrong is the error.
func validateHead(v int, fields ...sized) error {
	if v != Version {
		return fmt.Errorf("v=%d, want %d", v, Version)
	}
	for _, f := range fields {
		if len(f.b) != f.size {
			return fmt.Errorf("%s has %d bytes, want %d", f.name, len(f.b), f.size)
		}
	}
	return nil
}

// Validate checks the request's shape (not its signature).
func (r *Request) Validate() error {
	if err := validateHead(r.V, sized{"rid", r.RID, RIDSize}); err != nil {
		return err
	}
	if err := validateOrigin(r.Nonce, r.Term, r.Store, r.Muni, r.IAT, r.SW); err != nil {
		return err
	}
	if err := r.Doc.Validate(); err != nil {
		return fmt.Errorf("doc: %w", err)
	}
	return nil
}

// validateOrigin checks the fields a card-signed message (a request, a
// household query) carries about where and when it was made.
func validateOrigin(nonce Bytes, term, store, muni string, iat int64, sw string) error {
	switch {
	case len(nonce) != NonceSize:
		return fmt.Errorf("nonce has %d bytes, want %d", len(nonce), NonceSize)
	case !termRe.MatchString(term):
		return fmt.Errorf("term %q is not a terminal id", term)
	case !termRe.MatchString(store):
		return fmt.Errorf("store %q is not a store id", store)
	case !muniRe.MatchString(muni):
		return fmt.Errorf("muni %q is not a 6-digit code", muni)
	case iat <= 0:
		return fmt.Errorf("iat missing")
	case len(sw) == 0 || len(sw) > MaxSWString:
		return fmt.Errorf("sw missing or too long")
	}
	return nil
}

// Validate checks the ticket's shape.
func (t *Ticket) Validate() error {
	if err := validateHead(t.V, sized{"tid", t.TID, TIDSize}, sized{"rid", t.RID, RIDSize},
		sized{"binding", t.Binding, DigestSize}); err != nil {
		return err
	}
	switch {
	case t.Fee < 0 || t.Fee > 100000:
		return fmt.Errorf("fee %d out of range", t.Fee)
	case t.IAT <= 0 || t.EXP <= t.IAT:
		return fmt.Errorf("iat/exp invalid")
	}
	return t.Doc.Validate()
}

// Validate checks the envelope's shape. It does not compare it with
// anything; see Verifier.Envelope.
func (e *Envelope) Validate() error {
	if err := validateHead(e.V, sized{"tid", e.TID, TIDSize}, sized{"rid", e.RID, RIDSize},
		sized{"binding", e.Binding, DigestSize}, sized{"subject", e.Subject, DigestSize}); err != nil {
		return err
	}
	switch {
	case len(e.Serial) == 0 || len(e.Serial) > MaxSerial:
		return fmt.Errorf("serial missing or too long")
	case e.IAT <= 0 || e.EXP <= e.IAT:
		return fmt.Errorf("iat/exp invalid")
	}
	for i, p := range e.Pages {
		if p.N != i+1 {
			return fmt.Errorf("page %d declared as n=%d", i+1, p.N)
		}
		if len(p.SHA256) != DigestSize {
			return fmt.Errorf("page %d: sha256 has %d bytes", p.N, len(p.SHA256))
		}
	}
	if err := e.validateFaceFields(); err != nil {
		return err
	}
	if err := validateTokens("listed", e.Listed, 0, false); err != nil {
		return err
	}
	return e.Doc.Validate()
}

// Validate checks the outcome's shape.
func (o *Outcome) Validate() error {
	switch {
	case o.V != Version:
		return fmt.Errorf("v=%d, want %d", o.V, Version)
	case len(o.TID) != TIDSize:
		return fmt.Errorf("tid has %d bytes", len(o.TID))
	case len(o.Binding) != DigestSize:
		return fmt.Errorf("binding has %d bytes", len(o.Binding))
	case !o.Result.Valid():
		return fmt.Errorf("result %q unknown", o.Result)
	case o.Pages < 0 || o.Pages > MaxPages*MaxCopies:
		return fmt.Errorf("pages %d out of range", o.Pages)
	case len(o.Reason) > 64:
		return fmt.Errorf("reason too long")
	case o.IAT <= 0:
		return fmt.Errorf("iat missing")
	}
	return nil
}

// Clone returns a deep copy: the options map and the members chosen are
// the copy's own.
func (d DocSpec) Clone() DocSpec {
	if d.Opts != nil {
		d.Opts = maps.Clone(d.Opts)
	}
	d.Members = d.Members.Clone()
	return d
}

// Clone returns a deep copy of r, sharing no slice or map with it.
func (r Request) Clone() Request {
	r.RID, r.Nonce, r.Doc = bytes.Clone(r.RID), bytes.Clone(r.Nonce), r.Doc.Clone()
	return r
}

// Clone returns a deep copy of t, sharing no slice or map with it.
func (t Ticket) Clone() Ticket {
	t.TID, t.RID, t.Binding, t.Doc = bytes.Clone(t.TID), bytes.Clone(t.RID), bytes.Clone(t.Binding), t.Doc.Clone()
	return t
}

// Clone returns a deep copy of e, sharing no slice or map with it.
func (e Envelope) Clone() Envelope {
	e.TID, e.RID, e.Binding, e.Subject = bytes.Clone(e.TID), bytes.Clone(e.RID), bytes.Clone(e.Binding), bytes.Clone(e.Subject)
	e.Doc = e.Doc.Clone()
	e.Listed = cloneTokens(e.Listed)
	if e.Pages != nil {
		pages := make([]PageRef, len(e.Pages))
		for i, p := range e.Pages {
			p.SHA256 = bytes.Clone(p.SHA256)
			pages[i] = p
		}
		e.Pages = pages
	}
	return e
}
