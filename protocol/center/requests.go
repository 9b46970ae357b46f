package center

import (
	"crypto/x509"
	"errors"
	"net/http"
	"slices"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// handleRequest is POST /v1/requests (DESIGN §3.1): verify the card's
// signature, chain and revocation, the replay window, the terminal,
// service hours and eligibility; answer a signed ticket and start the
// issuer. The same request bytes always get the same ticket.
func (c *Center) handleRequest(w http.ResponseWriter, r *http.Request, t terminal) {
	start := c.cfg.Now()
	body, err := readJOSE(r, protocol.MaxRequestJWS)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbBadRequest, err.Error()))
		return
	}
	binding := protocol.Binding(body)
	bkey := protocol.B64(binding)

	c.mu.Lock()
	if j := c.byBinding[bkey]; j != nil {
		c.mu.Unlock()
		if j.term != t.id {
			c.problem(w, r, protocol.NewProblem(protocol.ProbReplay, "request bytes already used by another terminal"))
			return
		}
		c.m.requests.WithLabelValues("idempotent").Inc()
		writeJOSE(w, http.StatusCreated, j.ticket)
		return
	}
	c.mu.Unlock()

	now := c.cfg.Now()
	req, leaf, err := protocol.ParseRequestIn(body, c.jpki, now)
	if err != nil {
		c.problem(w, r, requestProblem(err))
		return
	}
	if p := c.checkRequest(r, req, leaf, t, now); p != nil {
		c.problem(w, r, p)
		return
	}
	res, p := c.eligibleResident(leaf, req.Doc.Type, req.Muni, now)
	if p != nil {
		c.problem(w, r, p)
		return
	}
	var members []chosen
	if req.Doc.Members != nil {
		var p *protocol.Problem
		if members, p = c.resolveMembers(req.Doc.Members, leaf, t, res, now); p != nil {
			c.problem(w, r, p)
			return
		}
	}
	muni, _ := c.fx.Municipality(req.Muni)
	fee := muni.Fees[string(req.Doc.Type)] * req.Doc.Copies

	tid, err := protocol.RandomID(protocol.TIDSize)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbInternal, "random"))
		return
	}
	ticket := protocol.Ticket{V: protocol.Version, TID: tid, RID: req.RID, Binding: binding, Doc: req.Doc,
		Fee: fee, IAT: now.Unix(), EXP: now.Add(c.cfg.TicketTTL).Unix()}
	signed, err := protocol.SignTicket(c.fx.CenterSigner.Key, [][]byte{c.fx.CenterSigner.CertDER}, ticket)
	if err != nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbInternal, "signing"))
		return
	}
	j := &job{tid: tid, key: protocol.B64(tid), req: *req, binding: binding,
		subject: protocol.Subject(binding, leaf.Raw), resident: res, term: t.id, ticket: signed, fee: fee,
		created: now, ready: make(chan struct{}), members: members}

	answered := func() []byte {
		if prev := c.byBinding[bkey]; prev != nil {
			return prev.ticket
		}
		return nil
	}
	if !c.claimNew(w, r, answered, c.seenRID, "request id", req.RID, req.Nonce, now, func() {
		j.fault = c.pickFaultLocked(req.Doc, len(res.Household)-len(members))
		c.jobs[j.key] = j
		c.byBinding[bkey] = j
	}) {
		return
	}

	c.m.requests.WithLabelValues("ticket").Inc()
	c.m.stage.WithLabelValues("request").Observe(c.cfg.Now().Sub(start).Seconds())
	go c.issue(j)
	writeJOSE(w, http.StatusCreated, signed)
}

// requestProblem maps a refused request to the problem the kiosk shows.
func requestProblem(err error) *protocol.Problem {
	ref, ok := protocol.AsRefusal(err)
	if !ok {
		return protocol.NewProblem(protocol.ProbBadRequest, "")
	}
	if errors.Is(err, protocol.ErrMemberTwice) {
		return protocol.NewProblem(protocol.ProbHouseholdDuplicate, ref.Code())
	}
	switch ref.Reason {
	case protocol.ReasonSignature:
		return protocol.NewProblem(protocol.ProbBadSignature, "")
	case protocol.ReasonChain:
		var ci x509.CertificateInvalidError
		if errors.As(err, &ci) && ci.Reason == x509.Expired {
			return protocol.NewProblem(protocol.ProbCardExpired, "")
		}
		return protocol.NewProblem(protocol.ProbCardUntrusted, ref.Code())
	}
	return protocol.NewProblem(protocol.ProbBadRequest, ref.Code())
}

// checkRequest applies the checks that need no resident record: replay
// window, terminal identity, build attestation, service hours, revocation.
func (c *Center) checkRequest(r *http.Request, req *protocol.Request, leaf *x509.Certificate, t terminal, now time.Time) *protocol.Problem {
	return c.checkSigned(r, signedBy{iat: req.IAT, term: req.Term, store: req.Store, sw: req.SW, muni: req.Muni,
		doc: req.Doc.Type}, leaf, t, now)
}

// signedBy is what checkSigned reads of a card-signed message (a request,
// a household query).
type signedBy struct {
	iat                   int64
	term, store, sw, muni string
	doc                   protocol.DocType // whose hours apply
}

// checkSigned is checkRequest for any card-signed message.
func (c *Center) checkSigned(r *http.Request, req signedBy, leaf *x509.Certificate, t terminal, now time.Time) *protocol.Problem {
	iat := time.Unix(req.iat, 0)
	if d := now.Sub(iat); d > c.cfg.ReplayWindow || -d > c.cfg.ReplayWindow {
		return protocol.NewProblem(protocol.ProbReplay, "iat outside the replay window")
	}
	if req.term != t.id || req.store != t.store {
		return protocol.NewProblem(protocol.ProbTerminalRefused, "request names another terminal or store than its TLS identity")
	}
	if len(c.cfg.Builds) > 0 && !slices.Contains(c.cfg.Builds, req.sw) {
		return protocol.NewProblem(protocol.ProbTerminalRefused, "kiosk build not attested for this deployment")
	}
	if _, ok := c.fx.Municipality(req.muni); !ok {
		return protocol.NewProblem(protocol.ProbUnknownMunicipality, "")
	}
	if h := c.cfg.Hours; h != nil && !h.Open(now) {
		_, why, _ := ClosedFor(h, fixtures.Municipality{}, req.doc, now)
		return protocol.NewProblem(protocol.ProbOutsideHours, why)
	}
	status, err := c.ocsp.check(r.Context(), leaf)
	switch {
	case err != nil:
		c.log.Warn("ocsp", "err", err)
		return protocol.NewProblem(protocol.ProbIssuerUnavailable, "revocation status unavailable")
	case status == certRevoked:
		return protocol.NewProblem(protocol.ProbCardRevoked, "")
	}
	return nil
}

// eligibleResident is the resident record linked to the card whose
// certificate is leaf, when the record's rules let it have a document of
// type doc from municipality muni (a household query asks as for a
// 住民票); else the problem to answer.
func (c *Center) eligibleResident(leaf *x509.Certificate, doc protocol.DocType, muni string, now time.Time) (*fixtures.Resident, *protocol.Problem) {
	res, ok := c.fx.ResidentByCert(leaf.Raw)
	if !ok {
		return nil, protocol.NewProblem(protocol.ProbNotEligible, "card not linked to a resident record")
	}
	if p := c.eligibility(res, doc, muni, now); p != nil {
		return nil, p
	}
	return res, nil
}

// eligibility applies the resident record's rules to a document of type
// doc from municipality muni.
func (c *Center) eligibility(res *fixtures.Resident, doc protocol.DocType, muni string, now time.Time) *protocol.Problem {
	if res.MovedOut || res.DVSupport {
		return protocol.NewProblem(protocol.ProbNotEligible, "")
	}
	if res.RecordMuni(doc) != muni {
		return protocol.NewProblem(protocol.ProbNotEligible, "no record in this municipality")
	}
	if doc == protocol.DocInkan && res.Seal == nil {
		return protocol.NewProblem(protocol.ProbDocumentUnavailable, "no seal registration")
	}
	if doc.FamilyRegister() {
		m, _ := c.fx.Municipality(muni)
		if p, why, closed := ClosedFor(nil, m, doc, now); closed {
			return protocol.NewProblem(p, why)
		}
		if len(res.Koseki) == 0 {
			return protocol.NewProblem(protocol.ProbDocumentUnavailable, "no family register")
		}
	}
	return nil
}

// claimNew keeps the answer to a new card-signed message, unless another
// answer got there first. Under c.mu: when answered (called with c.mu
// held) finds an answer to the same bytes, kept meanwhile by a re-send
// that won the race, it writes that answer; else it claims the message's
// id and nonce (claimLocked), answering the replay problem when either
// was used, and runs keep with c.mu still held. It reports whether the
// caller's answer was kept (the caller then writes it); on false it has
// answered already.
func (c *Center) claimNew(w http.ResponseWriter, r *http.Request, answered func() []byte,
	seen map[string]time.Time, what string, id, nonce []byte, now time.Time, keep func()) bool {
	c.mu.Lock()
	if prev := answered(); prev != nil {
		c.mu.Unlock()
		writeJOSE(w, http.StatusCreated, prev)
		return false
	}
	if p := c.claimLocked(seen, what, id, nonce, now); p != nil {
		c.mu.Unlock()
		c.problem(w, r, p)
		return false
	}
	keep()
	c.mu.Unlock()
	return true
}

// claimLocked takes a signed message's id (kept in seen: request ids,
// query ids) and its nonce as used at now, or answers the replay problem
// when either was used before. Requests and household queries share the
// nonce space. c.mu is held.
func (c *Center) claimLocked(seen map[string]time.Time, what string, id, nonce []byte, now time.Time) *protocol.Problem {
	if _, ok := seen[protocol.B64(id)]; ok {
		return protocol.NewProblem(protocol.ProbReplay, what+" already used")
	}
	if _, ok := c.seenNonce[protocol.B64(nonce)]; ok {
		return protocol.NewProblem(protocol.ProbReplay, "nonce already used")
	}
	c.pruneLocked(now)
	seen[protocol.B64(id)] = now
	c.seenNonce[protocol.B64(nonce)] = now
	return nil
}

// pruneLocked forgets request ids and nonces older than the replay
// window (older requests are refused by their iat anyway) and drops the
// documents of tickets that are closed or expired, so memory stays flat
// however many tickets pass. It runs at most once a second.
func (c *Center) pruneLocked(now time.Time) {
	if now.Sub(c.pruned) < time.Second {
		return
	}
	c.pruned = now
	cut := now.Add(-2 * c.cfg.ReplayWindow)
	for k, t := range c.seenRID {
		if t.Before(cut) {
			delete(c.seenRID, k)
		}
	}
	for k, t := range c.seenNonce {
		if t.Before(cut) {
			delete(c.seenNonce, k)
		}
	}
	for _, j := range c.jobs {
		if j.genuine != nil && (j.result != "" || now.Sub(j.created) > c.cfg.TicketTTL) {
			j.genuine, j.delivered, j.rendered = nil, nil, nil
		}
	}
	c.pruneListsLocked(now)
}
