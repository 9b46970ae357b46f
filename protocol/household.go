package protocol

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

// Household members chosen individually: 世帯の一部（任意の方）(issue 17;
// docs/design-notes.md, "Household members chosen individually").
//
// A resident asking for 住民票 may have it list only some members of the
// household. The household's names are personal data the municipality
// releases to an authenticated resident only, so the kiosk asks for them
// after the PIN, in a query the card signs (the same PIN-verified session
// signs the request afterwards):
//
//	POST /v1/household   kofu-household-query+jws (card)   → 201 kofu-household+jws (center)
//	POST /v1/requests    doc.scope "members", doc.members {list, tokens}
//
// The list names each member by display name and relationship, with an
// opaque token the center made for this list alone (never a resident
// number). The request names the tokens chosen; the binding covers the
// request bytes, so the ticket, the envelope and every page's symbol are
// bound to that choice. The envelope names the members the issuer
// rendered ("listed"), which the kiosk compares with its choice.

// Message types, sizes and bounds of the household list.
const (
	TypHouseholdQuery = "kofu-household-query+jws"
	TypHousehold      = "kofu-household+jws"

	MaxHouseholdQueryJWS = 16 << 10
	MaxHouseholdJWS      = 16 << 10

	QIDSize   = 16 // the query's id, drawn by the kiosk
	LIDSize   = 16 // the list's id, drawn by the center
	TokenSize = 16 // one member's token on one list

	// MaxMembers bounds the members of one household list, and so the
	// tokens a request or an envelope may name.
	MaxMembers = 30
	// MaxMemberName and MaxRelation bound a member's display name and
	// relationship (UTF-8 bytes).
	MaxMemberName = 128
	MaxRelation   = 32
)

// ScopeMembers is the value of option "scope" that asks for the members
// named in doc.members (世帯の一部).
const ScopeMembers = "members"

// Errors of a DocSpec's members (wrapped by Validate): callers branch on
// them.
var (
	// ErrMembersNotChosen: scope is "members" and doc.members is absent —
	// the members are chosen after the PIN, so an order before it has none.
	ErrMembersNotChosen = errors.New("scope members: no members chosen yet")
	// ErrMemberTwice: a token is named twice (the center answers
	// household-duplicate).
	ErrMemberTwice = errors.New("a household member is named twice")
)

// MemberChoice is doc.members: the list the members were chosen from and
// their tokens, in the list's order.
type MemberChoice struct {
	List   Bytes   `json:"list"`
	Tokens []Bytes `json:"tokens"`
}

// Clone returns a deep copy (nil for nil).
func (m *MemberChoice) Clone() *MemberChoice {
	if m == nil {
		return nil
	}
	return &MemberChoice{List: bytes.Clone(m.List), Tokens: cloneTokens(m.Tokens)}
}

// Equal reports whether two choices name the same list and tokens in the
// same order (two nils are equal).
func (m *MemberChoice) Equal(o *MemberChoice) bool {
	if m == nil || o == nil {
		return m == nil && o == nil
	}
	return bytes.Equal(m.List, o.List) && slices.EqualFunc(m.Tokens, o.Tokens, func(a, b Bytes) bool { return bytes.Equal(a, b) })
}

// cloneTokens deep-copies a token list (nil for nil).
func cloneTokens(ts []Bytes) []Bytes {
	if ts == nil {
		return nil
	}
	out := make([]Bytes, len(ts))
	for i, t := range ts {
		out[i] = bytes.Clone(t)
	}
	return out
}

// validateTokens checks a token list's shape: at least min and at most
// MaxMembers tokens of TokenSize bytes each; with unique, no token twice
// (ErrMemberTwice).
func validateTokens(what string, ts []Bytes, min int, unique bool) error {
	if len(ts) < min || len(ts) > MaxMembers {
		return fmt.Errorf("%s: %d tokens, want %d..%d", what, len(ts), min, MaxMembers)
	}
	for i, t := range ts {
		if len(t) != TokenSize {
			return fmt.Errorf("%s: token %d has %d bytes, want %d", what, i+1, len(t), TokenSize)
		}
		if unique && slices.ContainsFunc(ts[:i], func(o Bytes) bool { return bytes.Equal(o, t) }) {
			return fmt.Errorf("%s: token %d: %w", what, i+1, ErrMemberTwice)
		}
	}
	return nil
}

// WantsMembers reports whether the spec asks for household members chosen
// individually (scope "members").
func (d DocSpec) WantsMembers() bool { return d.Opts["scope"] == ScopeMembers }

// validateMembers is the members' part of Validate: doc.members present
// exactly when scope is "members", with a list id and 1..MaxMembers
// distinct tokens.
func (d DocSpec) validateMembers() error {
	switch {
	case d.Members == nil && d.WantsMembers():
		return ErrMembersNotChosen
	case d.Members == nil:
		return nil
	case !d.WantsMembers():
		return fmt.Errorf("document %s: members named without scope %q", d.Type, ScopeMembers)
	case len(d.Members.List) != LIDSize:
		return fmt.Errorf("members: list id has %d bytes, want %d", len(d.Members.List), LIDSize)
	}
	return validateTokens("members", d.Members.Tokens, 1, true)
}

// HouseholdQuery is the payload the card signs to ask for its household's
// members (POST /v1/household): a request without a document.
type HouseholdQuery struct {
	V     int    `json:"v"`
	QID   Bytes  `json:"qid"`
	Nonce Bytes  `json:"nonce"`
	Term  string `json:"term"`
	Store string `json:"store"`
	Muni  string `json:"muni"`
	IAT   int64  `json:"iat"`
	SW    string `json:"sw"`
}

// NewHouseholdQuery fills in a query with a fresh random qid and nonce.
func NewHouseholdQuery(term, store, muni string, now time.Time, sw string) (HouseholdQuery, error) {
	qid, err := RandomID(QIDSize)
	if err != nil {
		return HouseholdQuery{}, err
	}
	nonce, err := RandomID(NonceSize)
	if err != nil {
		return HouseholdQuery{}, err
	}
	q := HouseholdQuery{V: Version, QID: qid, Nonce: nonce, Term: term, Store: store, Muni: muni, IAT: now.Unix(), SW: sw}
	return q, q.Validate()
}

// Validate checks the query's shape (not its signature).
func (q *HouseholdQuery) Validate() error {
	if err := validateHead(q.V, sized{"qid", q.QID, QIDSize}); err != nil {
		return err
	}
	return validateOrigin(q.Nonce, q.Term, q.Store, q.Muni, q.IAT, q.SW)
}

// Member is one person of a household list: the name and relationship
// (続柄 to the head of household) the resident chooses by, the token that
// names them on this list only, and whether it is the card's holder.
type Member struct {
	Token Bytes  `json:"token"`
	Name  string `json:"name"`
	Rel   string `json:"rel"`
	Self  bool   `json:"self,omitempty"`
}

// Household is the center's answer to a query: the list's id, the query
// it answers (its qid and binding, SHA-256 of the query's compact JWS),
// the subject (DESIGN §3.1's formula over the query's binding and the
// certificate linked to the record the list was read from) and the
// members, in the register's order.
type Household struct {
	V       int      `json:"v"`
	LID     Bytes    `json:"lid"`
	QID     Bytes    `json:"qid"`
	Binding Bytes    `json:"binding"`
	Subject Bytes    `json:"subject"`
	Members []Member `json:"members"`
	IAT     int64    `json:"iat"`
	EXP     int64    `json:"exp"`
}

// Validate checks the list's shape: ids and binding of their sizes,
// 1..MaxMembers members with distinct tokens, names and relationships
// that are displayable text within their bounds, exactly one member who
// is the card's holder, and times.
func (h *Household) Validate() error {
	if err := validateHead(h.V, sized{"lid", h.LID, LIDSize}, sized{"qid", h.QID, QIDSize},
		sized{"binding", h.Binding, DigestSize}, sized{"subject", h.Subject, DigestSize}); err != nil {
		return err
	}
	switch {
	case h.IAT <= 0 || h.EXP <= h.IAT:
		return errors.New("iat/exp invalid")
	case len(h.Members) < 1 || len(h.Members) > MaxMembers:
		return fmt.Errorf("%d members, want 1..%d", len(h.Members), MaxMembers)
	}
	tokens := make([]Bytes, len(h.Members))
	self := 0
	for i, m := range h.Members {
		tokens[i] = m.Token
		if err := displayText(m.Name, MaxMemberName); err != nil {
			return fmt.Errorf("member %d: name: %w", i+1, err)
		}
		if err := displayText(m.Rel, MaxRelation); err != nil {
			return fmt.Errorf("member %d: rel: %w", i+1, err)
		}
		if m.Self {
			self++
		}
	}
	if self != 1 {
		return fmt.Errorf("%d members marked self, want 1", self)
	}
	return validateTokens("members", tokens, 1, true)
}

// displayText checks that s can be shown as it is: 1..max bytes of valid
// UTF-8 with no control, format (bidirectional overrides, zero-width),
// line or paragraph separator characters, so a name cannot rearrange or
// hide what is around it on the screen.
func displayText(s string, max int) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > max:
		return fmt.Errorf("%d bytes > %d", len(s), max)
	case !utf8.ValidString(s):
		return errors.New("not UTF-8")
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Errorf("character %U not allowed", r)
		}
	}
	return nil
}

// Clone returns a deep copy of h, sharing no slice with it.
func (h Household) Clone() Household {
	h.LID, h.QID, h.Binding, h.Subject = bytes.Clone(h.LID), bytes.Clone(h.QID), bytes.Clone(h.Binding), bytes.Clone(h.Subject)
	if h.Members != nil {
		ms := make([]Member, len(h.Members))
		for i, m := range h.Members {
			m.Token = bytes.Clone(m.Token)
			ms[i] = m
		}
		h.Members = ms
	}
	return h
}

// SignHouseholdQuery has the card sign q, as SignRequest signs a request:
// the algorithm pinned by the card's key, certDER in x5c. The returned
// bytes are exactly what must be sent; the list's binding is computed
// over them.
func SignHouseholdQuery(ctx context.Context, card crypto.Signer, certDER []byte, q HouseholdQuery) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("household query: %w", err)
	}
	alg, err := RequestAlg(card.Public())
	if err != nil {
		return nil, fmt.Errorf("household query signer: %w", err)
	}
	out, err := signCompact(card, alg, TypHouseholdQuery, [][]byte{certDER}, q)
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// SignHousehold signs a household list with a center key (ES256), the
// key that signs tickets: the list is the center's answer, as a ticket
// is. It takes any value so that the emulated center's fault modes can
// sign what a broken center would; the kiosk's checks decide.
func SignHousehold(key crypto.Signer, chain [][]byte, h any) ([]byte, error) {
	return signCompact(key, AlgCenter, TypHousehold, chain, h)
}

// ParseHouseholdQueryIn verifies a card-signed household query as the
// center does, with the rules of ParseRequestIn: the algorithm pinned by
// the certificate's key, typ, header whitelist, the chain under trust at
// now, the signature, and the payload's shape. Revocation, replay and the
// resident record are the center's further business.
func ParseHouseholdQueryIn(compact []byte, trust CardTrust, now time.Time) (*HouseholdQuery, *x509.Certificate, error) {
	v, err := verifyCompact(compact, role{stage: StageHouseholdQuery, byKey: true, typ: TypHouseholdQuery,
		maxSize: MaxHouseholdQueryJWS, roots: trust.Roots, inter: trust.Intermediates}, now)
	if err != nil {
		return nil, nil, err
	}
	var q HouseholdQuery
	if err := decodePayload(StageHouseholdQuery, v.payload, &q); err != nil {
		return nil, nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, nil, refuse(StageHouseholdQuery, ReasonFields, "", err)
	}
	return &q, v.leaf, nil
}

// SentQuery is a household query as the kiosk sent it: the exact bytes,
// and the binding and subject the list must carry. Build it with
// NewSentQuery from the bytes that went on the wire.
type SentQuery struct {
	compact []byte
	q       HouseholdQuery
	binding []byte
	subject []byte
}

// NewSentQuery decodes the payload of the kiosk's own signed query and
// computes its binding, SHA-256 of the compact bytes, and from the card's
// user-auth certificate its subject, by the formulas of a request's.
func NewSentQuery(compact, authCertDER []byte) (*SentQuery, error) {
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		return nil, errors.New("household query is not a compact JWS")
	}
	payload, err := B64Decode(string(parts[1]))
	if err != nil {
		return nil, fmt.Errorf("household query payload: %w", err)
	}
	var q HouseholdQuery
	if err := decodeStrict(payload, &q); err != nil {
		return nil, fmt.Errorf("household query payload: %w", err)
	}
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("household query payload: %w", err)
	}
	b := Binding(compact)
	return &SentQuery{compact: bytes.Clone(compact), q: q, binding: b, subject: Subject(b, authCertDER)}, nil
}

// Subject returns a copy of the subject computed from the card.
func (s *SentQuery) Subject() []byte { return bytes.Clone(s.subject) }

// Binding returns a copy of the query's binding.
func (s *SentQuery) Binding() []byte { return bytes.Clone(s.binding) }

// Query returns a copy of the decoded query.
func (s *SentQuery) Query() HouseholdQuery {
	q := s.q
	q.QID, q.Nonce = bytes.Clone(q.QID), bytes.Clone(q.Nonce)
	return q
}

// VerifiedHousehold is a household list that passed every check against
// the query the kiosk sent. It holds the members as bytes it can zero
// (Wipe): the kiosk keeps the list in memory only, for the one session.
type VerifiedHousehold struct {
	lid    []byte
	tokens [][]byte
	names  [][]byte
	rels   [][]byte
	self   []bool
}

// ErrChoice is wrapped by VerifiedHousehold.Choose for a choice that does
// not name 1..n distinct members of the list.
var ErrChoice = errors.New("not a choice of members of this list")

// Len is the number of members on the list (0 once wiped).
func (v *VerifiedHousehold) Len() int { return len(v.tokens) }

// Member returns member i's display name and relationship, and whether
// it is the card's holder.
func (v *VerifiedHousehold) Member(i int) (name, rel string, self bool) {
	return string(v.names[i]), string(v.rels[i]), v.self[i]
}

// Choose builds doc.members from positions on the list (0-based, each
// once, at least one), in the list's order whatever the order given.
func (v *VerifiedHousehold) Choose(positions []int) (*MemberChoice, error) {
	if len(positions) == 0 {
		return nil, fmt.Errorf("%w: nobody chosen", ErrChoice)
	}
	ps := slices.Sorted(slices.Values(positions))
	for i, p := range ps {
		if p < 0 || p >= len(v.tokens) {
			return nil, fmt.Errorf("%w: position %d of %d", ErrChoice, p, len(v.tokens))
		}
		if i > 0 && ps[i-1] == p {
			return nil, fmt.Errorf("%w: position %d twice", ErrChoice, p)
		}
	}
	c := &MemberChoice{List: bytes.Clone(v.lid), Tokens: make([]Bytes, len(ps))}
	for i, p := range ps {
		c.Tokens[i] = bytes.Clone(v.tokens[p])
	}
	return c, nil
}

// Wipe zeroes the list's ids, tokens, names and relationships and drops
// them: nothing of the household outlives the session.
func (v *VerifiedHousehold) Wipe() {
	if v == nil {
		return
	}
	clear(v.lid)
	for _, set := range [][][]byte{v.tokens, v.names, v.rels} {
		for _, b := range set {
			clear(b)
		}
	}
	v.lid, v.tokens, v.names, v.rels, v.self = nil, nil, nil, nil, nil
}

// Household checks the center's household list against the query the
// kiosk sent: ES256 under the center CA with the ticket signer's role
// (the center answers queries as it answers requests), typ, the shape
// (Household.Validate), qid and binding equal to the query's, the
// subject equal to the kiosk's own computation from the card (a list read
// from another resident's record is refused), and times. Nothing of a
// list that fails is shown to anyone.
func (v *Verifier) Household(compact []byte, s *SentQuery) (*VerifiedHousehold, error) {
	jv, err := verifyCompact(compact, role{stage: StageHousehold, alg: AlgCenter, typ: TypHousehold,
		maxSize: MaxHouseholdJWS, roots: v.CenterRoots, eku: EKUTicketSigner, other: v.IssuerRoots}, v.now())
	if err != nil {
		return nil, err
	}
	defer clear(jv.payload)
	if k := flaggedError(jv.payload); k != "" {
		return nil, refuse(StageHousehold, ReasonErrorFlagged, "member "+k, nil)
	}
	var h Household
	if err := decodePayload(StageHousehold, jv.payload, &h); err != nil {
		return nil, err
	}
	if err := h.Validate(); err != nil {
		return nil, refuse(StageHousehold, ReasonFields, "", err)
	}
	switch {
	case !bytes.Equal(h.QID, s.q.QID):
		return nil, refuse(StageHousehold, ReasonQID, "", nil)
	case !bytes.Equal(h.Binding, s.binding):
		return nil, refuse(StageHousehold, ReasonBinding, "", nil)
	case !bytes.Equal(h.Subject, s.subject):
		return nil, refuse(StageHousehold, ReasonSubject, "", nil)
	}
	if err := v.checkTimes(StageHousehold, h.IAT, h.EXP); err != nil {
		return nil, err
	}
	if h.IAT < s.q.IAT-int64(v.skew()/time.Second) {
		return nil, refuse(StageHousehold, ReasonStale, "list issued before the query", nil)
	}
	out := &VerifiedHousehold{lid: bytes.Clone(h.LID)}
	for _, m := range h.Members {
		out.tokens = append(out.tokens, bytes.Clone(m.Token))
		out.names = append(out.names, []byte(m.Name))
		out.rels = append(out.rels, []byte(m.Rel))
		out.self = append(out.self, m.Self)
	}
	return out, nil
}

// checkListed is DESIGN §3.4 rule 2 for the members of a document: the
// envelope's "listed" names exactly the members the request chose, in
// the order chosen (the list's), and is absent on a document that chose
// none. It returns a detail for the refusal, or "" when it holds. The
// detail counts, never names.
func checkListed(e *Envelope, doc DocSpec) string {
	if doc.Members == nil {
		if len(e.Listed) > 0 {
			return fmt.Sprintf("%d members listed on a document that chose none", len(e.Listed))
		}
		return ""
	}
	chosen := doc.Members.Tokens
	if slices.EqualFunc(e.Listed, chosen, func(a, b Bytes) bool { return bytes.Equal(a, b) }) {
		return ""
	}
	extra := 0
	for _, t := range e.Listed {
		if !slices.ContainsFunc(chosen, func(c Bytes) bool { return bytes.Equal(c, t) }) {
			extra++
		}
	}
	missing := 0
	for _, c := range chosen {
		if !slices.ContainsFunc(e.Listed, func(t Bytes) bool { return bytes.Equal(c, t) }) {
			missing++
		}
	}
	return fmt.Sprintf("%d members listed, %d chosen: %d not chosen, %d chosen missing", len(e.Listed), len(chosen), extra, missing)
}
