package terminal

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"kofu/protocol"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// session is one resident's transaction. Its state only moves along the
// edges of the transition table, every move is journaled before anything
// else happens, and once terminal it accepts nothing more.
type session struct {
	k      *Kiosk
	id     string
	state  State
	card   string // keyed hash of the card certificate
	ticket *protocol.VerifiedTicket
	// refused is a ticket refused with an authentic ticket id: the
	// refusal is reported to the center under it (protocol.RefusedTicket).
	refused *protocol.RefusedTicket
	hold    *payment.Hold
	res     Result
	// earned: the printer confirmed every page; the settle record says
	// so (journal.IntentCapture) before the fee is captured.
	earned bool
	// gets counts the document's GETs for the journal's end record:
	// envelope and page attempts, and how many were sent again after a
	// transport failure (protocol.Fetch).
	gets struct{ envelope, envRetries, pages, pageRetries int }
	// entered is when the current state began (observers' stage latency).
	entered time.Time
}

// errIllegal marks a transition the table does not allow (a bug: the
// session ends failed rather than continue on a path nobody reviewed).
var errIllegal = errors.New("illegal state transition")

// to moves the session to st and journals it.
func (s *session) to(st State) error {
	if !allowed(s.state, st) {
		return fmt.Errorf("%w: %s → %s", errIllegal, s.state, st)
	}
	if s.k.Admit != nil {
		if err := s.k.Admit(st); err != nil {
			return err
		}
	}
	rec := journal.Record{Kind: journal.KindState, Session: s.id, State: string(st), Card: s.card}
	if st == StateSettle {
		// The intent, before any money moves: see journal.IntentCapture.
		rec.Billing, rec.Pages = journal.IntentRelease, s.res.Pages
		if s.earned {
			rec.Billing = journal.IntentCapture
		}
	}
	if s.ticket != nil {
		// Once the ticket is known, a crash leaves enough to tell the
		// center later (the outbox): the ticket and the request's binding.
		rec.TID, rec.Binding = s.res.TID, protocol.B64(s.ticket.Sent().Binding())
	}
	if err := s.k.Journal.Append(rec); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	from, now := s.state, time.Now()
	s.state = st
	if s.k.OnState != nil {
		s.k.OnState(st)
	}
	s.k.observeTransition(s.id, from, st, now.Sub(s.entered))
	s.entered = now
	return nil
}

// Serve runs one session for the card in the reader, asking panel for the
// resident's decisions. It returns when the session has reached a
// terminal state and the resident acknowledged the outcome (or the
// reminder time ran out). Cancelling ctx with cause ErrCardRemoved aborts
// the session as the card leaves. A panic on the session's path ends the
// session (guard) instead of the kiosk: Serve returns, and the next
// resident is served.
func (k *Kiosk) Serve(ctx context.Context, card Card, panel Panel) Result {
	t := k.timeouts()
	id, err := newSessionID()
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: "random"}
	}
	s := &session{k: k, id: id, state: StateIdle, entered: time.Now()}
	s.res.Session = s.id
	sctx, cancel := context.WithTimeoutCause(ctx, t.Session, errors.New("session timeout"))
	defer cancel()

	outcome, reason := s.guard(func() (State, Reason) { return s.run(sctx, card, panel, t) })
	panicked := reason == reasonPanic // a bug stays a bug, whatever else happened
	if outcome == StateFailed && !panicked && cardGone(sctx, nil) && !mayHavePrinted(s.state) {
		// Whatever a stage made of its context ending, the resident took
		// the card before printing began: a removal, not a breakdown.
		outcome, reason = StateCancelled, "card-removed"
	}
	if !panicked && (errors.Is(context.Cause(sctx), ErrShutdown) || reason == "shutdown") && (outcome == StateFailed || outcome == StateCancelled) {
		// The machine is stopping: whatever the stage made of its
		// cancelled context, the session was aborted, not broken.
		outcome, reason = StateCancelled, "shutdown"
		if mayHavePrinted(s.state) {
			outcome = StateUnknown
		}
	}
	s.end(ctx, outcome, reason)

	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), t.Finish)
	defer fcancel()
	s.protect("finish", func() { panel.Finish(fctx, s.res) })
	if k.Outbox.Len() > 0 && !errors.Is(context.Cause(ctx), ErrShutdown) {
		// Between residents: tell the center what it has not heard yet,
		// under a deadline of its own. In store mode ctx is the card's and
		// ends as the resident takes the card, as the reminders ask: a
		// refusal (an incident at the center) must not wait for that card
		// to come back, nor for the next start. Only a stopping machine
		// skips it; the next start sends it.
		octx, ocancel := context.WithTimeout(context.WithoutCancel(ctx), t.Outbox)
		s.protect("outbox", func() { _, _ = k.FlushOutbox(octx) })
		ocancel()
	}
	return s.res
}

// stage runs fn under a stage deadline within the session.
func stage(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(c)
}

// run walks the states; it returns the terminal state and reason.
func (s *session) run(ctx context.Context, card Card, panel Panel, t Timeouts) (State, Reason) {
	k := s.k
	fail := func(st State, stageName string, err error) (State, Reason) {
		if cardGone(ctx, err) {
			err = ErrCardRemoved
		}
		if errors.Is(err, errIllegal) {
			return StateFailed, "internal-illegal-transition"
		}
		if errors.Is(err, ErrCancelled) || errors.Is(err, ErrCardRemoved) {
			st = StateCancelled
		}
		if end, ok := endFrom(s.state, st); ok {
			// Once print has begun, the table admits only unknown.
			st = end
		}
		return st, reasonOf(stageName, err)
	}

	if err := s.to(StateCard); err != nil {
		return fail(StateFailed, "journal", err)
	}
	cert, err := card.AuthCertificate(ctx)
	if err != nil {
		return fail(StateFailed, "card-certificate", err)
	}
	s.card = k.Journal.CardHash(cert.Raw)
	// Bad news first (issue 17, item 4): what the card says as it is
	// placed — a certificate past its notAfter, a PIN locked — ends the
	// session before the resident chooses anything. Reading the tries
	// spends none.
	if k.now().After(cert.NotAfter) {
		return StateFailed, "card-certificate-expired"
	}
	tries, err := card.AuthPINRetries(ctx)
	if err != nil {
		if cardGone(ctx, err) {
			return StateCancelled, "card-removed"
		}
		return StateFailed, reasonOf("card-pin", err)
	}
	if tries <= 0 {
		return StateFailed, "card-blocked"
	}

	if err := s.to(StateChoose); err != nil {
		return fail(StateFailed, "journal", err)
	}
	var order Order
	if err := k.question(ctx, t.Choose, func(c context.Context) (e error) { order, e = panel.Choose(c); return }); err != nil {
		return fail(StateCancelled, "choose", err)
	}
	// The site's printer decides whether documents are asked two-sided
	// ([printer] duplex, part of the attested configuration); an order
	// that already says is left as it is.
	if sa, ok := k.Sink.(SidesAsker); ok && order.Doc.Sides == "" {
		order.Doc.Sides = sa.Sides()
	}
	// The whole request is built and validated before the PIN is asked
	// (document, options, copies, municipality, the kiosk's own ids): an
	// order that cannot be sent never leaves an unlocked key behind. For
	// 世帯の一部 the household query is, the members alone come after the
	// PIN (members.go).
	if err := order.Doc.Validate(); err != nil && !membersLater(order.Doc, err) {
		return StateFailed, "choose-invalid"
	}
	req, query, err := s.prepareOrder(order)
	if err != nil {
		if !validMuni(order.Muni) {
			return StateFailed, "choose-invalid"
		}
		return StateFailed, "request"
	}

	if err := s.to(StatePIN); err != nil {
		return fail(StateFailed, "journal", err)
	}
	key, st, reason := s.unlock(ctx, card, panel, t, tries)
	if key == nil {
		return st, reason
	}
	// The key holds the card with its PIN verified until it has signed;
	// every way out of run below, a panic included, releases it at once
	// rather than leaving it to the card's own timer.
	defer releaseKey(key)

	if order.Doc.WantsMembers() {
		choice, st, stageName, err := s.chooseMembers(ctx, key, cert, query, panel, t)
		if err != nil {
			return fail(st, stageName, err)
		}
		order.Doc.Members = choice
		if req, err = protocol.NewRequest(k.Identity.Term, k.Identity.Store, order.Muni, order.Doc, k.now(), k.Identity.SW); err != nil {
			return StateFailed, "request"
		}
	}

	if err := s.to(StateSubmit); err != nil {
		return fail(StateFailed, "journal", err)
	}
	req.IAT = k.now().Unix() // the moment of signing, not of the choice
	compact, err := protocol.SignRequest(ctx, key, cert.Raw, req)
	if err != nil {
		return fail(StateFailed, "card-sign", err)
	}
	sent, err := protocol.NewSent(compact, cert.Raw)
	if err != nil {
		return StateFailed, "request"
	}
	raw, err := k.Client.Submit(ctx, sent)
	if err != nil {
		if _, ok := protocol.AsRefusal(err); ok {
			// The center answered with something that is no ticket at
			// all (a redirect, another media type, too large): refused,
			// with no ticket id to report it under.
			return StateRefused, reasonOf("submit", err)
		}
		return fail(StateFailed, "submit", err)
	}
	ticket, refused, err := k.Verifier.CheckTicket(raw, sent)
	if err != nil {
		if refused != nil {
			// Signed by the center but not an answer to this request:
			// the center hears of it under the ticket's authentic id.
			s.refused = refused
			s.res.TID = protocol.B64(refused.TID())
		}
		if _, ok := protocol.AsRefusal(err); ok {
			return StateRefused, reasonOf("ticket", err)
		}
		return fail(StateFailed, "ticket", err)
	}
	s.ticket = ticket
	s.res.TID, s.res.Fee = protocol.B64(ticket.TID()), ticket.Ticket().Fee

	if err := s.to(StateFee); err != nil {
		return fail(StateFailed, "journal", err)
	}
	panel.Progress(Progress{State: StateFee, Fee: s.res.Fee})
	err = k.question(ctx, t.Pay, func(c context.Context) error {
		if err := panel.Pay(c, s.res.Fee); err != nil {
			return err
		}
		if s.res.Fee == 0 {
			// A fee of 0 is valid (protocol §3.1): the resident confirms,
			// nothing is held, and at the end nothing is captured.
			return nil
		}
		// The hold is journaled before it is taken: a crash after the
		// unit took it leaves its id in the journal, and the start-up
		// recovery (RecoverHolds) resolves it by this session's outcome.
		id, err := payment.NewHoldID()
		if err != nil {
			return err
		}
		if err := k.Journal.Append(journal.Record{Kind: journal.KindHold, Session: s.id, TID: s.res.TID,
			Fee: s.res.Fee, Note: id}); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		h, err := k.Payment.Hold(c, id, s.res.TID, s.res.Fee)
		if err == nil {
			s.hold = &h
		}
		return err
	})
	if err != nil {
		return fail(StateCancelled, "pay", err)
	}

	if err := s.to(StateFetch); err != nil {
		return fail(StateFailed, "journal", err)
	}
	panel.Progress(Progress{State: StateFetch})
	verified, env, st, reason := s.fetch(ctx)
	if verified == nil {
		return st, reason
	}
	defer func() {
		for _, p := range verified {
			p.Wipe()
		}
	}()

	// Everything that may still end the session refused or failed is
	// decided here, in fetch: once in print the table admits only printed
	// or unknown. The printer is asked first whether it can take a job
	// (no byte sent), then — DESIGN §3.4 rule 4 — ticket and envelope are
	// checked again just before the job goes out: the resident may have
	// taken minutes to pay, and the kiosk's clock may have moved meanwhile.
	// Only the journal record of the move to print lies between this
	// check and the first byte.
	if pf, ok := k.Sink.(Preflighter); ok {
		if err := stage(ctx, t.Print, pf.Ready); err != nil {
			return fail(StateFailed, "print", err)
		}
	}
	if pp, ok := k.Sink.(Preparer); ok {
		if err := stage(ctx, t.Print, func(c context.Context) error { return pp.Prepare(c, verified) }); err != nil {
			return fail(StateFailed, "print", err)
		}
	}
	if err := k.Verifier.StillValid(env); err != nil {
		return StateRefused, reasonOf("print", err)
	}
	if err := s.to(StatePrint); err != nil {
		return fail(StateFailed, "journal", err)
	}
	n := len(verified)
	// The resident counts paper: "page k of n" counts sheets, which for a
	// two-sided document are half its faces (the printer reports faces).
	sheets := sheetsOut(verified, n)
	panel.Progress(Progress{State: StatePrint, Page: 0, Pages: sheets})
	var confirmed int
	// The card has signed and the fee is held: a resident who takes the
	// card now does not stop the job half-way (pages would come out with
	// the session ended unknown); the reminders ask for card and paper.
	pctx, pcancel := outlastCard(ctx)
	defer pcancel()
	perr := stage(pctx, t.Print, func(c context.Context) (e error) {
		if pr, ok := k.Sink.(PageReporter); ok {
			confirmed, e = pr.PrintReporting(c, ticket.TID(), verified, func(out int) {
				// On the printer's goroutine, out of guard's reach: a
				// panicking screen must not take the kiosk down mid-job.
				sheet := min(sheetsOut(verified, out)+1, sheets)
				s.protect("progress", func() { panel.Progress(Progress{State: StatePrint, Page: sheet, Pages: sheets}) })
			})
			return
		}
		confirmed, e = k.Sink.Print(c, ticket.TID(), verified)
		return
	})
	// With an error, confirmed is the pages the printer reported out
	// before it stopped: on paper, yet never a confirmed job.
	s.res.Pages = confirmed
	if sheets != n {
		s.res.Sheets = sheetsOut(verified, confirmed)
	}
	s.earned = perr == nil && confirmed == n
	if perr != nil {
		// The resident hears at once why printing stopped (paper out, a
		// jam …); settling and the center's answer come after.
		panel.Progress(Progress{State: StateSettle, Page: sheetsOut(verified, confirmed), Pages: sheets, Stopped: reasonOf("print", perr)})
	}
	if err := s.to(StateSettle); err != nil {
		// The job may be on paper, maybe every page confirmed: the
		// session cannot say printed without its settle record, and must
		// not say failed. Unknown, fee released: staff look at the tray.
		return fail(StateUnknown, "journal", err)
	}
	if s.earned {
		return StatePrinted, ""
	}
	// Some pages may be out, some not — even a printer error that says
	// no byte was sent came after the job was handed over, from a printer
	// its preflight found ready: staff must look; never printed, never
	// failed.
	return StateUnknown, reasonOf("print", perr)
}

// unlock asks the PIN until the card accepts it, the resident backs out,
// or the card blocks. It never retries on its own, and aborts when the
// card's counter does not move as a wrong PIN must move it. tries is
// what the card said as it was placed.
func (s *session) unlock(ctx context.Context, card Card, panel Panel, t Timeouts, tries int) (key crypto.Signer, st State, reason Reason) {
	for {
		if tries <= 0 {
			return nil, StateFailed, "card-blocked"
		}
		panel.Progress(Progress{State: StatePIN, TriesLeft: tries})
		var pin []byte
		err := s.k.question(ctx, t.PIN, func(c context.Context) (e error) { pin, e = panel.PIN(c, tries); return })
		if err != nil {
			clear(pin)
			if cardGone(ctx, err) {
				return nil, StateCancelled, "card-removed"
			}
			if errors.Is(err, ErrCancelled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, StateCancelled, reasonOf("pin", err)
			}
			return nil, StateFailed, reasonOf("pin", err)
		}
		k, err := card.AuthKey(ctx, pin)
		clear(pin)
		if err == nil {
			return k, "", ""
		}
		var pe PINError
		if cardGone(ctx, err) {
			// Pulled during VERIFY: whether a try was spent is unknown.
			return nil, StateCancelled, "card-removed"
		}
		if !errors.As(err, &pe) {
			return nil, StateFailed, reasonOf("card-pin", err)
		}
		if pe.TriesLeft() != tries-1 {
			return nil, StateFailed, "card-pin-counter"
		}
		tries = pe.TriesLeft()
	}
}

// fetch gets and verifies the envelope and every page. Nothing comes back
// unless all of DESIGN §3.4 passed.
func (s *session) fetch(ctx context.Context) ([]*protocol.VerifiedPage, *protocol.VerifiedEnvelope, State, Reason) {
	k, ticket := s.k, s.ticket
	ef, err := k.Client.FetchEnvelope(ctx, ticket)
	s.gets.envelope, s.gets.envRetries = ef.Attempts, ef.Retries
	envRaw := ef.Body
	if err != nil {
		if _, ok := protocol.AsRefusal(err); ok {
			return nil, nil, StateRefused, reasonOf("document", err)
		}
		if cardGone(ctx, err) {
			return nil, nil, StateCancelled, "card-removed"
		}
		return nil, nil, StateFailed, reasonOf("document", err)
	}
	env, err := k.Verifier.Envelope(envRaw, ticket)
	if err != nil {
		return nil, nil, StateRefused, reasonOf("envelope", err)
	}
	n := len(env.Envelope().Pages)
	data := make([][]byte, n)
	defer func() {
		for i := range data {
			clear(data[i])
		}
	}()
	for i := range n {
		pf, err := k.Client.FetchPage(ctx, env, i+1)
		data[i] = pf.Body
		s.gets.pages += pf.Attempts
		s.gets.pageRetries += pf.Retries
		if err != nil {
			if cardGone(ctx, err) {
				return nil, nil, StateCancelled, "card-removed"
			}
			if _, ok := protocol.AsRefusal(err); ok {
				return nil, nil, StateRefused, reasonOf("page", err)
			}
			return nil, nil, StateFailed, reasonOf("page", err)
		}
	}
	verified, err := k.Verifier.Pages(env, data)
	if err != nil {
		return nil, nil, StateRefused, reasonOf("page", err)
	}
	return verified, env, "", ""
}

// end settles the fee, records the terminal state, and reports the outcome
// to the center when there is an authentic ticket id to report it under: a
// verified ticket, or a ticket refused after its signature verified
// (protocol.RefusedTicket).
//
// The end is the table's: a session that may have printed (mayHavePrinted)
// and means to end failed, cancelled or refused ends unknown, its reason
// kept. The fee is captured only for printed; for every other end,
// unknown included, it is released: an unknown session may have put paper
// out, but the kiosk cannot show that it did, and docs/operator.md has
// staff check the tray and settle with the resident by hand rather than
// the machine keep money for a page it cannot confirm (the center voids
// the fee for anything but printed too). A panic in the payment unit, the
// report or an observer is recovered here as well: the payment reads
// *-failed, an unsent report is queued in the outbox.
func (s *session) end(ctx context.Context, st State, reason Reason) {
	k := s.k
	last, spent := s.state, time.Since(s.entered)
	defer func() { s.protect("observe", func() { k.observeEnd(s.id, last, spent, s.res) }) }()
	settle := context.WithoutCancel(ctx)
	if end, ok := endFrom(s.state, st); ok {
		st = end
	} else {
		st, reason = StateFailed, "internal-illegal-transition"
		if allowed(s.state, StateUnknown) {
			st = StateUnknown
		}
	}
	s.res.Outcome, s.res.Reason = outcomeOf(st), reason
	s.res.Payment = "none"
	if s.hold != nil {
		// Captured only for printed; every other end releases.
		s.res.Payment = settleHold(settle, k, s.id, *s.hold, st == StatePrinted, s.protect)
	}
	// Coins inserted and not held go back. Their failure does not hide
	// the hold's settlement: with a hold, Payment keeps captured or
	// released and Refund says the rest could not be given back.
	returnFailed := false
	if s.protect("payment", func() {
		if n, err := k.Payment.Return(settle); err != nil {
			returnFailed = true
		} else if n > 0 && s.hold == nil {
			s.res.Payment = "returned"
		}
	}) {
		returnFailed = true
	}
	if returnFailed {
		s.res.Refund = "return-failed"
		if s.hold == nil {
			s.res.Payment = "return-failed"
		}
		_ = k.Journal.Append(journal.Record{Kind: journal.KindSettled, Session: s.id, TID: s.res.TID, Billing: "return-failed"})
	}
	var unsent error
	tid, binding, reportable := s.reportKey()
	if reportable {
		if s.protect("report", func() {
			ans, err := s.report(settle, tid, binding)
			if err == nil {
				s.res.Billing = string(ans.Billing)
			} else if finalAnswer(err) == "" {
				unsent = err
			}
		}) {
			unsent = errPanicked
		}
	}
	s.state = st
	_ = k.Journal.Append(journal.Record{Kind: journal.KindEnd, Session: s.id, State: string(st), TID: s.res.TID,
		Reason: truncate(string(reason), 64), Fee: s.res.Fee, Billing: s.res.Payment, Pages: s.res.Pages, Card: s.card,
		Note: s.getsNote()})
	if unsent != nil {
		// The center has not heard: keep the outcome to send again.
		_ = k.queue(queued{session: s.id, tid: tid, binding: binding,
			result: s.res.Outcome, reason: string(s.res.Reason), pages: s.res.Pages})
	}
}

// outcomeOf maps a terminal state to the protocol's result.
func outcomeOf(st State) protocol.Result {
	switch st {
	case StatePrinted:
		return protocol.ResultPrinted
	case StateRefused:
		return protocol.ResultRefused
	case StateCancelled:
		return protocol.ResultCancelled
	case StateUnknown:
		return protocol.ResultUnknown
	}
	return protocol.ResultFailed
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// reportKey returns the ticket id and the request binding the outcome is
// reported under, and whether there is one: the verified ticket's, or the
// refused ticket's authentic id. The binding is always the kiosk's own
// (what it sent), never one a refused ticket claims.
func (s *session) reportKey() (tid, binding []byte, ok bool) {
	switch {
	case s.ticket != nil:
		return s.ticket.TID(), s.ticket.Sent().Binding(), true
	case s.refused != nil:
		return s.refused.TID(), s.refused.Sent().Binding(), true
	}
	return nil, nil, false
}

// report signs and sends the outcome under tid and binding (reportKey).
func (s *session) report(ctx context.Context, tid, binding []byte) (*protocol.OutcomeAnswer, error) {
	k := s.k
	o := protocol.Outcome{V: protocol.Version, TID: tid, Binding: binding,
		Result: s.res.Outcome, Reason: truncate(string(s.res.Reason), 64), Pages: s.res.Pages, Printer: k.Sink.ID(),
		IAT: k.now().Unix()}
	signed, err := protocol.SignOutcome(k.Identity.Device, k.Identity.DeviceChain, o)
	if err != nil {
		return nil, err
	}
	if s.ticket != nil {
		return k.Client.Outcome(ctx, s.ticket, signed)
	}
	return k.Client.RefusalOutcome(ctx, s.refused, signed)
}

// validMuni reports whether code has the shape of a local government code
// (6 digits), as protocol.Request.Validate wants it: a bad one is the
// resident's order, not the kiosk's configuration.
func validMuni(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// releaseKey gives the card back when the signer holds it (a
// cardreader.Key: logged out, connection reset). It is a no-op once the
// key has signed, and for signers that hold nothing.
func releaseKey(key crypto.Signer) {
	if c, ok := key.(io.Closer); ok {
		_ = c.Close()
	}
}

// reasonPanic is the reason of a session ended by a recovered panic.
const reasonPanic = "internal-panic"

// errPanicked stands for a report that panicked: not sent, queued.
var errPanicked = errors.New("panicked")

// guard runs the session's steps and turns a panic on the session's
// goroutine into an end. Before print nothing can have reached the
// printer, so the session ends failed (reason internal-panic) — unknown
// would send staff to an empty tray; from print on it ends unknown. Either
// way end releases the hold and reports the outcome, queued in the outbox
// when the center does not answer, and the kiosk goes on serving: one
// resident's crash is not the next resident's out-of-service screen.
// Deferred cleanups in run (the card key, the page bitmaps) have run by
// the time guard recovers.
func (s *session) guard(fn func() (State, Reason)) (st State, reason Reason) {
	defer func() {
		if v := recover(); v != nil {
			s.logPanic("run", v)
			st, reason = StateFailed, reasonPanic
			if mayHavePrinted(s.state) {
				st = StateUnknown
			}
		}
	}()
	return fn()
}

// protect runs fn and recovers a panic in it (logged); it reports whether
// fn panicked.
func (s *session) protect(what string, fn func()) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			s.logPanic(what, v)
			panicked = true
		}
	}()
	fn()
	return false
}

// logPanic logs a recovered panic with what a developer needs and no
// personal data: the session id and state, the panic value's type (never
// the value: it may hold a name, an address or a PIN) and the functions
// and lines on the stack (never their arguments).
func (s *session) logPanic(where string, v any) {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	var stack []string
	for {
		f, more := frames.Next()
		stack = append(stack, fmt.Sprintf("%s:%d", f.Function, f.Line))
		if !more {
			break
		}
	}
	s.k.logger().Error("session panicked", "session", s.id, "state", string(s.state), "where", where,
		"panic_type", fmt.Sprintf("%T", v), "stack", strings.Join(stack, " < "))
}

// outlastCard returns a context that ends when ctx ends, except when ctx
// ends because the card left the reader (cause ErrCardRemoved).
func outlastCard(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if cause := context.Cause(ctx); !errors.Is(cause, ErrCardRemoved) {
			cancel(cause)
		}
	})
	return c, func() { stop(); cancel(context.Canceled) }
}

// getsNote is the journal note of the document's GETs, e.g.
// "gets:e3r1.p2r0" (envelope: 3 sent, 1 after a transport failure;
// pages: 2 sent, none again), or "" when the document was never asked for.
func (s *session) getsNote() string {
	g := s.gets
	if g.envelope == 0 && g.pages == 0 {
		return ""
	}
	return fmt.Sprintf("gets:e%dr%d.p%dr%d", g.envelope, g.envRetries, g.pages, g.pageRetries)
}

// sheetsOut is how many sheets of a document in print order have every
// face among its first faces pages (VerifiedPage.Sheet): the faces for a
// one-sided document, half of them for a two-sided one; sheetsOut(pages,
// len(pages)) is the document's sheets.
func sheetsOut(pages []*protocol.VerifiedPage, faces int) int {
	n := 0
	for i := range min(max(faces, 0), len(pages)) {
		if i+1 == len(pages) || pages[i+1].Sheet() != pages[i].Sheet() {
			n++
		}
	}
	return n
}
