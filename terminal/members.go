package terminal

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"kofu/protocol"
)

// Household members chosen individually (世帯の一部; protocol/household.go,
// design notes "Household members chosen individually"). When the order's
// scope is protocol.ScopeMembers the session, after the PIN and before the
// request:
//
//	members: the card signs the household query (the key kept for one more
//	         signature), the center's list is fetched and verified against
//	         the query and the card, the resident chooses from it;
//	submit:  the request, naming the tokens chosen, is signed by the same
//	         unlocked key and sent as any other.
//
// The list lives in memory only, for the choice: it is zeroed and dropped
// as soon as the members are chosen (or the session ends otherwise), and
// nothing of it is journaled or logged — the journal sees the state
// "members", never a name.

// prepareOrder builds what the session will send, before the PIN: the
// request for an ordinary order; for 世帯の一部 the household query, the
// request waiting for the members chosen after the PIN.
func (s *session) prepareOrder(order Order) (protocol.Request, protocol.HouseholdQuery, error) {
	k := s.k
	if order.Doc.WantsMembers() {
		q, err := protocol.NewHouseholdQuery(k.Identity.Term, k.Identity.Store, order.Muni, k.now(), k.Identity.SW)
		return protocol.Request{}, q, err
	}
	req, err := protocol.NewRequest(k.Identity.Term, k.Identity.Store, order.Muni, order.Doc, k.now(), k.Identity.SW)
	return req, protocol.HouseholdQuery{}, err
}

// membersLater reports whether a Validate error of doc says only that the
// household members are not chosen yet: they are chosen after the PIN.
func membersLater(doc protocol.DocSpec, err error) bool {
	return doc.WantsMembers() && errors.Is(err, protocol.ErrMembersNotChosen)
}

// chooseMembers runs the members state: the query signed with key (kept
// for the request's signature), the list fetched and verified, the
// resident's choice. On failure it returns the state to end in, the stage
// of the reason and the error (run's fail makes the reason).
func (s *session) chooseMembers(ctx context.Context, key crypto.Signer, cert *x509.Certificate, q protocol.HouseholdQuery,
	panel Panel, t Timeouts) (*protocol.MemberChoice, State, string, error) {
	k := s.k
	if err := s.to(StateMembers); err != nil {
		return nil, StateFailed, "journal", err
	}
	q.IAT = k.now().Unix() // the moment of signing
	compact, err := protocol.SignHouseholdQuery(ctx, keepFor(ctx, key, t), cert.Raw, q)
	if err != nil {
		return nil, StateFailed, "card-sign", err
	}
	sent, err := protocol.NewSentQuery(compact, cert.Raw)
	if err != nil {
		return nil, StateFailed, "request", err
	}
	raw, err := k.Client.Household(ctx, sent)
	if err != nil {
		if householdUnsupported(err) {
			// A center of DESIGN §3 alone: nothing wrong was sent, and
			// nothing exists yet (no request, no ticket, no fee).
			return nil, StateFailed, "household", unsupportedError{err}
		}
		if _, ok := protocol.AsRefusal(err); ok {
			// No list at all (a redirect, another media type …): refused,
			// with no ticket to report it under.
			return nil, StateRefused, "household", err
		}
		return nil, StateFailed, "household", err
	}
	list, err := k.Verifier.Household(raw, sent)
	clear(raw)
	if err != nil {
		// Not this query's list, or not this card's household: refused
		// before a single name reaches the screen.
		return nil, StateRefused, "household", err
	}
	defer list.Wipe()
	members := make([]Member, list.Len())
	for i := range members {
		name, rel, self := list.Member(i)
		members[i] = Member{Name: name, Relation: rel, Self: self}
	}
	var picked []int
	err = k.question(ctx, t.Members, func(c context.Context) (e error) { picked, e = panel.Members(c, members); return })
	clear(members)
	if err != nil {
		return nil, StateCancelled, "members", err
	}
	choice, err := list.Choose(picked)
	if err != nil {
		return nil, StateFailed, "members", fmt.Errorf("panel: %w", err)
	}
	return choice, "", "", nil
}

// householdUnsupported reports whether err is the answer of a center
// that has no POST /v1/household (世帯の一部 is kofu's extension of
// protocol v1): 404, 405 or 501 with no problem document, or with one
// whose type kofu does not know.
func householdUnsupported(err error) bool {
	unsupported := func(status int) bool {
		return status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented
	}
	var se *protocol.StatusError
	if errors.As(err, &se) && se.Err == nil && unsupported(se.Status) {
		return true
	}
	var p *protocol.Problem
	return errors.As(err, &p) && p.Type == protocol.ProbInternal && unsupported(p.Status)
}

// unsupportedError is a household query the center does not serve; its
// reason is ReasonHouseholdUnsupported.
type unsupportedError struct{ err error }

func (e unsupportedError) Error() string {
	return "the center does not offer 世帯の一部 (POST /v1/household): " + e.err.Error()
}
func (e unsupportedError) Unwrap() error      { return e.err }
func (e unsupportedError) ReasonCode() string { return "unsupported" }

// keepFor is the signer of the household query: a card key that would
// release the card after one signature is asked to keep it, PIN verified,
// for the request's signature after the resident's choice — at most the
// session's whole time (Timeouts.Session, which the session's own
// deadline never outlasts); every way out of the session releases it
// before that (run defers releaseKey). A key that signs as often as asked
// (a software key) is itself.
func keepFor(ctx context.Context, key crypto.Signer, t Timeouts) crypto.Signer {
	ks, ok := key.(KeepSigner)
	if !ok {
		return key
	}
	return keepSigner{ctx: ctx, k: ks, hold: t.Session}
}

// keepSigner signs through KeepSigner.SignKeep.
type keepSigner struct {
	ctx  context.Context
	k    KeepSigner
	hold time.Duration
}

func (s keepSigner) Public() crypto.PublicKey { return s.k.Public() }

func (s keepSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.SignKeep(s.ctx, digest, opts, s.hold)
}
