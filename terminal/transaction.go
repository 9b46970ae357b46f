package terminal

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"kofu/protocol"
)

// Card is what a session needs from the resident's card: its user-auth
// certificate, and a signer unlocked by the PIN. The PIN slice is the
// card's to zero.
type Card interface {
	AuthCertificate(ctx context.Context) (*x509.Certificate, error)
	AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error)
}

// Sink receives verified pages — a printer, or the emulator's output
// directory — and says how many pages it confirms came out.
type Sink interface {
	Print(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage) (confirmed int, err error)
	ID() protocol.PrinterID
}

// Identity is the kiosk's identity towards the center.
type Identity struct {
	Term, Store string
	Device      crypto.Signer // device key (signs outcomes)
	DeviceChain [][]byte      // device certificate, DER
	SW          string        // kofu-kiosk/<version>+<revision>
}

// Order is what the resident asked for.
type Order struct {
	Muni string
	Doc  protocol.DocSpec
}

// Result is how one transaction ended, as the autopilot reports it
// (DESIGN §8).
type Result struct {
	Outcome protocol.Result `json:"outcome"`
	Reason  string          `json:"reason"`
	TID     string          `json:"tid"`
	Pages   int             `json:"pages"`
	Fee     int             `json:"fee"`
	Billing string          `json:"billing,omitempty"`
	Files   []string        `json:"files"`
}

// Transaction runs one guarded transaction against a center.
type Transaction struct {
	Client   *protocol.Client
	Verifier *protocol.Verifier
	Identity Identity
	Card     Card
	Sink     Sink
	Now      func() time.Time
}

// Run performs: certificate → sign → submit → verify ticket → fetch and
// verify envelope and every page → print → report the outcome. Nothing
// reaches the sink unless every check of DESIGN §3.4 passed. pin is zeroed
// before Run returns.
func (t *Transaction) Run(ctx context.Context, o Order, pin []byte) Result {
	defer clear(pin)
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	cert, err := t.Card.AuthCertificate(ctx)
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: "card-certificate"}
	}
	req, err := protocol.NewRequest(t.Identity.Term, t.Identity.Store, o.Muni, o.Doc, now(), t.Identity.SW)
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: "request"}
	}
	key, err := t.Card.AuthKey(ctx, pin)
	clear(pin)
	if err != nil {
		return Result{Outcome: protocol.ResultCancelled, Reason: "card-pin"}
	}
	compact, err := protocol.SignRequest(ctx, key, cert.Raw, req)
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: "card-sign"}
	}
	sent, err := protocol.NewSent(compact, cert.Raw)
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: "request"}
	}
	raw, err := t.Client.Submit(ctx, sent)
	if err != nil {
		return Result{Outcome: protocol.ResultFailed, Reason: reasonOf("submit", err)}
	}
	ticket, err := t.Verifier.Ticket(raw, sent)
	if err != nil {
		// No verified ticket: nothing to report the outcome against.
		return Result{Outcome: protocol.ResultRefused, Reason: reasonOf("ticket", err)}
	}
	res := Result{TID: protocol.B64(ticket.TID()), Fee: ticket.Ticket().Fee}
	res.Outcome, res.Reason, res.Pages = t.fetchVerifyPrint(ctx, ticket)
	ans, err := t.report(ctx, ticket, res)
	if err == nil {
		res.Billing = string(ans.Billing)
	}
	return res
}

// fetchVerifyPrint is the guarded part: all pages verified before the
// first is printed; verified rasters wiped afterwards.
func (t *Transaction) fetchVerifyPrint(ctx context.Context, ticket *protocol.VerifiedTicket) (protocol.Result, string, int) {
	envRaw, err := t.Client.Envelope(ctx, ticket)
	if err != nil {
		if _, ok := protocol.AsRefusal(err); ok {
			return protocol.ResultRefused, reasonOf("document", err), 0
		}
		return protocol.ResultFailed, reasonOf("document", err), 0
	}
	env, err := t.Verifier.Envelope(envRaw, ticket)
	if err != nil {
		return protocol.ResultRefused, reasonOf("envelope", err), 0
	}
	n := len(env.Envelope().Pages)
	data := make([][]byte, n)
	for i := range n {
		if data[i], err = t.Client.Page(ctx, env, i+1); err != nil {
			return protocol.ResultFailed, reasonOf("page", err), 0
		}
	}
	verified, err := t.Verifier.Pages(env, data)
	for i := range data {
		clear(data[i])
	}
	if err != nil {
		return protocol.ResultRefused, reasonOf("page", err), 0
	}
	defer func() {
		for _, p := range verified {
			p.Wipe()
		}
	}()
	confirmed, err := t.Sink.Print(ctx, ticket.TID(), verified)
	switch {
	case err != nil && confirmed == 0:
		return protocol.ResultFailed, reasonOf("print", err), confirmed
	case err != nil || confirmed != n:
		return protocol.ResultUnknown, reasonOf("print", err), confirmed
	}
	return protocol.ResultPrinted, "", confirmed
}

// report signs and sends the outcome.
func (t *Transaction) report(ctx context.Context, ticket *protocol.VerifiedTicket, r Result) (*protocol.OutcomeAnswer, error) {
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	o := protocol.Outcome{V: protocol.Version, TID: ticket.TID(), Binding: ticket.Sent().Binding(),
		Result: r.Outcome, Reason: r.Reason, Pages: r.Pages, Printer: t.Sink.ID(), IAT: now().Unix()}
	if len(o.Reason) > 64 {
		o.Reason = o.Reason[:64]
	}
	signed, err := protocol.SignOutcome(t.Identity.Device, t.Identity.DeviceChain, o)
	if err != nil {
		return nil, err
	}
	return t.Client.Outcome(ctx, ticket, signed)
}

// reasonOf turns an error into a stable reason code: the refusal's code,
// the problem type, or the stage with a transport class.
func reasonOf(stage string, err error) string {
	if r, ok := protocol.AsRefusal(err); ok {
		return r.Code()
	}
	var p *protocol.Problem
	if errors.As(err, &p) {
		return "center-" + string(p.Type)
	}
	var te *protocol.TransportError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return stage + "-timeout"
	case errors.As(err, &te):
		return stage + "-transport"
	case errors.Is(err, protocol.ErrTooLarge):
		return stage + "-too-large"
	}
	return fmt.Sprintf("%s-error", stage)
}
