package center

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"net/http"
	"slices"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// Household members chosen individually (世帯の一部; protocol/household.go,
// design notes "Household members chosen individually"). A card-signed
// query gets the household's members, each named by a token made for
// that list alone; a request then names the tokens chosen, and the issuer
// renders those members only, saying whom it rendered in the envelope's
// "listed".

// hhList is one household list the center released: to which card and
// terminal, from which record, and the token of each member.
type hhList struct {
	lid      []byte
	term     string
	card     [sha256.Size]byte // SHA-256 of the user-auth certificate that signed the query
	resident *fixtures.Resident
	tokens   [][]byte // tokens[i] names resident.Household[i]
	answer   []byte   // the signed list as answered (idempotency)
	exp      time.Time
}

// listRetention is how long a list is remembered after it expired, so
// that a request naming it is answered household-stale rather than
// household-foreign.
const listRetention = time.Hour

// chosen is one member a request named: the member's place in the
// resident's household and the token that named them.
type chosen struct {
	index int
	token []byte
}

// handleHousehold is POST /v1/household: verify the card's query as a
// request is verified (signature, chain, revocation, replay window,
// terminal, build, service hours, the record and its eligibility), then
// answer the household's members as a signed list with a fresh token per
// member. The same query bytes always get the same list.
func (c *Center) handleHousehold(w http.ResponseWriter, r *http.Request, t terminal) {
	body, err := readJOSE(r, protocol.MaxHouseholdQueryJWS)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbBadRequest, err.Error()))
		return
	}
	binding := protocol.Binding(body)
	bkey := protocol.B64(binding)
	if l, ok := c.listFor(bkey); ok {
		if l.term != t.id {
			c.problem(w, r, protocol.NewProblem(protocol.ProbReplay, "query bytes already used by another terminal"))
			return
		}
		writeJOSE(w, http.StatusCreated, l.answer)
		return
	}

	now := c.cfg.Now()
	q, leaf, err := protocol.ParseHouseholdQueryIn(body, c.jpki, now)
	if err != nil {
		c.problem(w, r, requestProblem(err))
		return
	}
	if p := c.checkSigned(r, signedBy{iat: q.IAT, term: q.Term, store: q.Store, sw: q.SW, muni: q.Muni,
		doc: protocol.DocJuminhyo}, leaf, t, now); p != nil {
		c.problem(w, r, p)
		return
	}
	res, p := c.eligibleResident(leaf, protocol.DocJuminhyo, q.Muni, now)
	if p != nil {
		c.problem(w, r, p)
		return
	}
	if len(res.Household) == 0 || len(res.Household) > protocol.MaxMembers {
		c.problem(w, r, protocol.NewProblem(protocol.ProbDocumentUnavailable, "no household list for this record"))
		return
	}
	l, list, err := c.newList(res, leaf, t, protocol.Subject(binding, leaf.Raw), q, binding, now)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbInternal, "household list"))
		return
	}
	answer, err := protocol.SignHousehold(c.fx.CenterSigner.Key, [][]byte{c.fx.CenterSigner.CertDER}, list)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbInternal, "signing"))
		return
	}

	answered := func() []byte {
		if prev := c.listByBinding[bkey]; prev != nil {
			return prev.answer
		}
		return nil
	}
	var fault *Fault
	if !c.claimNew(w, r, answered, c.seenQID, "query id", q.QID, q.Nonce, now, func() { fault = c.pickListFaultLocked() }) {
		return
	}

	// A faulty center answers with another list than the one it keeps
	// for this query (faults_household.go); the genuine list's tokens
	// stay valid, as a mixed-up answer does not undo the bookkeeping.
	served := answer
	if fault != nil {
		if served, err = c.listFault(r.Context(), *fault, res, leaf, t, q, binding, now); err != nil {
			c.problem(w, r, protocol.NewProblem(protocol.ProbInternal, "household list"))
			return
		}
	}
	l.answer = served

	c.mu.Lock()
	c.lists[protocol.B64(l.lid)] = l
	c.listByBinding[bkey] = l
	c.mu.Unlock()
	c.m.requests.WithLabelValues("household").Inc()
	writeJOSE(w, http.StatusCreated, served)
}

// listFor returns the list already answered for the query whose bytes
// have binding key bkey.
func (c *Center) listFor(bkey string) (*hhList, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.listByBinding[bkey]
	return l, l != nil
}

// newList makes the list of res's household for a query: a fresh list id
// and a fresh random token per member (never a resident number), the
// query's ids, binding and subject, and the list's lifetime. The resident
// comes first in the household (fixtures.Resident.Household): the member
// marked self.
func (c *Center) newList(res *fixtures.Resident, leaf *x509.Certificate, t terminal, subject []byte, q *protocol.HouseholdQuery,
	binding []byte, now time.Time) (*hhList, protocol.Household, error) {
	lid, err := protocol.RandomID(protocol.LIDSize)
	if err != nil {
		return nil, protocol.Household{}, err
	}
	l := &hhList{lid: lid, term: t.id, card: sha256.Sum256(leaf.Raw), resident: res, exp: now.Add(c.cfg.HouseholdTTL)}
	list := protocol.Household{V: protocol.Version, LID: lid, QID: q.QID, Binding: binding, Subject: subject,
		IAT: now.Unix(), EXP: l.exp.Unix()}
	for i, m := range res.Household {
		tok, err := protocol.RandomID(protocol.TokenSize)
		if err != nil {
			return nil, protocol.Household{}, err
		}
		l.tokens = append(l.tokens, tok)
		list.Members = append(list.Members, protocol.Member{Token: tok, Name: m.Name, Rel: m.Relation, Self: i == 0})
	}
	return l, list, nil
}

// resolveMembers checks the members a request names against the list they
// were chosen from and returns them in the household's order: the list
// must be one this center released to this card at this terminal (else
// household-foreign), not expired (household-stale); every token must be
// on that list (household-foreign: a token of another query or another
// household), none twice (household-duplicate), in the list's order.
func (c *Center) resolveMembers(m *protocol.MemberChoice, leaf *x509.Certificate, t terminal, res *fixtures.Resident, now time.Time) ([]chosen, *protocol.Problem) {
	c.mu.Lock()
	l := c.lists[protocol.B64(m.List)]
	c.mu.Unlock()
	switch {
	case l == nil:
		return nil, protocol.NewProblem(protocol.ProbHouseholdForeign, "no such household list")
	case l.card != sha256.Sum256(leaf.Raw) || l.term != t.id || l.resident != res:
		return nil, protocol.NewProblem(protocol.ProbHouseholdForeign, "the list was released to another card or terminal")
	case !now.Before(l.exp):
		return nil, protocol.NewProblem(protocol.ProbHouseholdStale, "")
	}
	out := make([]chosen, 0, len(m.Tokens))
	for i, tok := range m.Tokens {
		if slices.ContainsFunc(m.Tokens[:i], func(o protocol.Bytes) bool { return bytes.Equal(o, tok) }) {
			return nil, protocol.NewProblem(protocol.ProbHouseholdDuplicate, "")
		}
		idx := slices.IndexFunc(l.tokens, func(o []byte) bool { return bytes.Equal(o, tok) })
		if idx < 0 {
			return nil, protocol.NewProblem(protocol.ProbHouseholdForeign, "a token not on this list")
		}
		if len(out) > 0 && idx <= out[len(out)-1].index {
			return nil, protocol.NewProblem(protocol.ProbBadRequest, "members not in the list's order")
		}
		out = append(out, chosen{index: idx, token: bytes.Clone(tok)})
	}
	return out, nil
}

// listTokens returns the tokens of the household members of ch.
func listTokens(ch []chosen) []protocol.Bytes {
	if ch == nil {
		return nil
	}
	out := make([]protocol.Bytes, len(ch))
	for i, m := range ch {
		out[i] = bytes.Clone(m.token)
	}
	return out
}

// pruneListsLocked forgets query ids older than the replay window and the
// lists expired longer than listRetention ago.
func (c *Center) pruneListsLocked(now time.Time) {
	cut := now.Add(-2 * c.cfg.ReplayWindow)
	for k, at := range c.seenQID {
		if at.Before(cut) {
			delete(c.seenQID, k)
		}
	}
	for k, l := range c.lists {
		if now.Sub(l.exp) > listRetention {
			delete(c.lists, k)
		}
	}
	for k, l := range c.listByBinding {
		if now.Sub(l.exp) > listRetention {
			delete(c.listByBinding, k)
		}
	}
}

// otherHouseholdResident picks an eligible resident other than not whose
// household can be listed, for the list faults.
func (c *Center) otherHouseholdResident(ctx context.Context, not *fixtures.Resident) *fixtures.Resident {
	for range 8 {
		if ctx.Err() != nil {
			break
		}
		if o := c.otherResident(not, protocol.DocJuminhyo); o != not && len(o.Household) > 0 && len(o.Household) <= protocol.MaxMembers {
			return o
		}
	}
	return not
}
