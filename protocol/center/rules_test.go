package center_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"kofu/internal/clock"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
)

// submit signs a request for res (edited by edit) and submits it through
// env's client, returning the ticket bytes or the center's problem.
func submit(t *testing.T, env *emulator.Env, res *fixtures.Resident, doc protocol.DocSpec, edit func(*protocol.Request)) (*protocol.Sent, []byte, error) {
	t.Helper()
	return submitVia(t, env, env.Client, res, doc, edit)
}

// submitVia is submit through client: res's card signs (with its key,
// whatever the card's generation) and client sends.
func submitVia(t *testing.T, env *emulator.Env, client *protocol.Client, res *fixtures.Resident, doc protocol.DocSpec,
	edit func(*protocol.Request)) (*protocol.Sent, []byte, error) {
	t.Helper()
	req, err := protocol.NewRequest(env.Identity.Term, env.Identity.Store, res.Muni, doc, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&req)
	}
	key, err := res.CardSigner()
	if err != nil {
		t.Fatal(err)
	}
	compact, err := protocol.SignRequest(context.Background(), key, res.CardCertDER, req)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := protocol.NewSent(compact, res.CardCertDER)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := client.Submit(context.Background(), sent)
	return sent, tk, err
}

func problemType(err error) protocol.ProblemType {
	var p *protocol.Problem
	if errors.As(err, &p) {
		return p.Type
	}
	return ""
}

func findResident(t *testing.T, fx *fixtures.Set, pred func(*fixtures.Resident) bool) *fixtures.Resident {
	t.Helper()
	for _, r := range fx.Residents {
		if pred(r) {
			return r
		}
	}
	t.Fatal("no such resident in the fixtures")
	return nil
}

// TestRequestRules: every rule of the center's request check answers its
// own problem type.
func TestRequestRules(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	juminhyo, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	inkan, _ := protocol.NewDocSpec(protocol.DocInkan)
	good := findResident(t, fx, func(r *fixtures.Resident) bool {
		return r.Eligible() && !r.Revoked && !r.Expired && r.Seal != nil
	})
	cases := []struct {
		name string
		res  *fixtures.Resident
		doc  protocol.DocSpec
		edit func(*protocol.Request)
		want protocol.ProblemType
	}{
		{"revoked card", findResident(t, fx, func(r *fixtures.Resident) bool { return r.Revoked }), juminhyo, nil, protocol.ProbCardRevoked},
		{"expired card", findResident(t, fx, func(r *fixtures.Resident) bool { return r.Expired }), juminhyo, nil, protocol.ProbCardExpired},
		{"moved out", findResident(t, fx, func(r *fixtures.Resident) bool { return r.MovedOut }), juminhyo, nil, protocol.ProbNotEligible},
		{"DV support measure", findResident(t, fx, func(r *fixtures.Resident) bool { return r.DVSupport }), juminhyo, nil, protocol.ProbNotEligible},
		{"no seal registration", findResident(t, fx, func(r *fixtures.Resident) bool {
			return r.Seal == nil && r.Eligible() && !r.Revoked && !r.Expired
		}), inkan, nil, protocol.ProbDocumentUnavailable},
		{"another municipality", good, juminhyo, func(r *protocol.Request) { r.Muni = otherMuni(fx, good.Muni) }, protocol.ProbNotEligible},
		{"unknown municipality", good, juminhyo, func(r *protocol.Request) { r.Muni = "999999" }, protocol.ProbUnknownMunicipality},
		{"old iat", good, juminhyo, func(r *protocol.Request) { r.IAT -= 600 }, protocol.ProbReplay},
		{"future iat", good, juminhyo, func(r *protocol.Request) { r.IAT += 600 }, protocol.ProbReplay},
		{"another terminal's id", good, juminhyo, func(r *protocol.Request) { r.Term = "T0002" }, protocol.ProbTerminalRefused},
		{"another store's id", good, juminhyo, func(r *protocol.Request) { r.Store = "S9999" }, protocol.ProbTerminalRefused},
		{"accepted", good, juminhyo, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := submit(t, env, tc.res, tc.doc, tc.edit)
			if got := problemType(err); got != tc.want {
				t.Fatalf("problem %q (err %v), want %q", got, err, tc.want)
			}
		})
	}
}

func otherMuni(fx *fixtures.Set, not string) string {
	for _, m := range fx.Municipalities {
		if m.Code != not {
			return m.Code
		}
	}
	return not
}

// TestIdempotentAndReplay: the same bytes get the same ticket; the same
// request id in other bytes is a replay.
func TestIdempotentAndReplay(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	sent, t1, err := submit(t, env, res, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := env.Client.Submit(context.Background(), sent)
	if err != nil || !bytes.Equal(t1, t2) {
		t.Fatalf("re-send got another ticket (err %v)", err)
	}
	rid := sent.Request().RID
	_, _, err = submit(t, env, res, doc, func(r *protocol.Request) { r.RID = rid })
	if problemType(err) != protocol.ProbReplay {
		t.Fatalf("same rid, new bytes: %v", err)
	}
	nonce := sent.Request().Nonce
	_, _, err = submit(t, env, res, doc, func(r *protocol.Request) { r.Nonce = nonce })
	if problemType(err) != protocol.ProbReplay {
		t.Fatalf("same nonce, new bytes: %v", err)
	}
}

// TestFeeAndHours: fees per municipality × copies; service hours.
func TestFeeAndHours(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	muni, _ := fx.Municipality(res.Muni)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	doc.Copies = 2
	sent, tk, err := submit(t, env, res, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	vt, err := env.Verifier.Ticket(tk, sent)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := vt.Ticket().Fee, 2*muni.Fees["juminhyo"]; got != want || want == 0 {
		t.Fatalf("fee %d, want %d", got, want)
	}

	night := time.Date(2026, 11, 23, 3, 0, 0, 0, time.FixedZone("JST", 9*3600))
	closed, _ := startEnv(t, emulator.Options{Fixtures: fx, Now: clock.Starting(night), Center: func(c *center.Config) {
		c.Hours = center.DefaultHours()
	}})
	_, _, err = submit(t, closed, res, doc, nil)
	if problemType(err) != protocol.ProbOutsideHours {
		t.Fatalf("at 03:00 JST: %v", err)
	}
}

// TestSlowJobAborted: a render slower than JobTimeout ends in
// issuer-unavailable, never in another job's document.
func TestSlowJobAborted(t *testing.T) {
	fx := loadFixtures(t)
	env, w := startEnv(t, emulator.Options{Fixtures: fx, Center: func(c *center.Config) {
		c.JobTimeout = 200 * time.Millisecond
		c.RenderDelay = 2 * time.Second
	}})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	r := runAuto(t, env, newRecordingSink(t), res, doc)
	if r.Outcome != protocol.ResultFailed || r.Reason != "center-issuer-unavailable" {
		t.Fatalf("got %s/%s", r.Outcome, r.Reason)
	}
	if _, ok := w.find("/document", http.StatusOK); ok {
		t.Fatal("a document was served for an aborted job")
	}
}

// TestTerminalIsolation: a ticket is reachable only with its terminal's
// TLS identity; /v1 needs a client certificate; /metrics does not.
func TestTerminalIsolation(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	sent, tk, err := submit(t, env, res, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	vt, err := env.Verifier.Ticket(tk, sent)
	if err != nil {
		t.Fatal(err)
	}
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	other, _ := fx.Terminal("T0002")
	get := func(cert *tls.Certificate, path string) (int, string) {
		cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: op}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := hc.Get(env.Center.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tc := other.Device.TLS()
	if code, body := get(&tc, "/v1/tickets/"+protocol.B64(vt.TID())+"/document"); code != http.StatusNotFound || !strings.Contains(body, string(protocol.ProbUnknownTicket)) {
		t.Fatalf("another terminal fetched our ticket: %d %s", code, body)
	}
	if code, body := get(nil, "/v1/tickets/"+protocol.B64(vt.TID())+"/document"); code != http.StatusForbidden || !strings.Contains(body, string(protocol.ProbTerminalRefused)) {
		t.Fatalf("no client certificate: %d %s", code, body)
	}
	if code, body := get(nil, "/metrics"); code != http.StatusOK || !strings.Contains(body, "kofu_center_requests_total") {
		t.Fatalf("metrics: %d", code)
	}
}

// TestOutcomeBilling: printed with every page captures the fee; a second
// identical report gets the same answer; a different one is refused; a
// refusal voids and opens an incident.
func TestOutcomeBilling(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	ctx := context.Background()
	outcome := func(vt *protocol.VerifiedTicket, result protocol.Result, pages int) (*protocol.OutcomeAnswer, error) {
		o := protocol.Outcome{V: 1, TID: vt.TID(), Binding: vt.Sent().Binding(), Result: result, Pages: pages,
			IAT: env.Now().Unix()}
		signed, err := protocol.SignOutcome(env.Identity.Device, env.Identity.DeviceChain, o)
		if err != nil {
			t.Fatal(err)
		}
		return env.Client.Outcome(ctx, vt, signed)
	}
	ticket := func() *protocol.VerifiedTicket {
		sent, tk, err := submit(t, env, res, doc, nil)
		if err != nil {
			t.Fatal(err)
		}
		vt, err := env.Verifier.Ticket(tk, sent)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Client.Envelope(ctx, vt); err != nil { // wait for the issuer
			t.Fatal(err)
		}
		return vt
	}
	vt := ticket()
	if a, err := outcome(vt, protocol.ResultPrinted, 2); err != nil || a.Billing != protocol.BillingVoided {
		t.Fatalf("printed with a wrong page count: %+v %v", a, err)
	}
	vt = ticket()
	a, err := outcome(vt, protocol.ResultPrinted, 1)
	if err != nil || a.Billing != protocol.BillingCaptured {
		t.Fatalf("printed: %+v %v", a, err)
	}
	if a2, err := outcome(vt, protocol.ResultPrinted, 1); err != nil || a2.Billing != protocol.BillingCaptured {
		t.Fatalf("repeat: %+v %v", a2, err)
	}
	if _, err := outcome(vt, protocol.ResultFailed, 0); problemType(err) != protocol.ProbTicketClosed {
		t.Fatalf("conflicting outcome: %v", err)
	}
	vt = ticket()
	a, err = outcome(vt, protocol.ResultRefused, 0)
	if err != nil || a.Billing != protocol.BillingVoided || a.Incident == "" {
		t.Fatalf("refused: %+v %v", a, err)
	}
}

// TestParseFaults covers the --fault syntax.
func TestParseFaults(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		fail bool
	}{
		{"", 0, false},
		{"page-swap", 1, false},
		{"page-swap, slow:2s ,drop", 3, false},
		{"all", len(center.AllFaults()), false},
		{"slow:x", 0, true},
		{"drop:1s", 0, true},
		{"nonsense", 0, true},
	}
	for _, tc := range cases {
		f, err := center.ParseFaults(tc.in)
		if (err != nil) != tc.fail || len(f) != tc.n {
			t.Errorf("ParseFaults(%q) = %v, %v", tc.in, f, err)
		}
	}
	if f, _ := center.ParseFaults("slow:2s"); f[0].Delay != 2*time.Second {
		t.Errorf("slow:2s delay %v", f[0].Delay)
	}
}

// TestBuildAttestation: a center told which kiosk builds the deployment
// attested refuses any other build with a problem document, and accepts
// the attested one.
func TestBuildAttestation(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	refusing, _ := startEnv(t, emulator.Options{Fixtures: fx, Center: func(c *center.Config) {
		c.Builds = []string{"kofu-kiosk/9.9.9+attested"}
	}})
	_, _, err := submit(t, refusing, res, doc, nil)
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Type != protocol.ProbTerminalRefused || !strings.Contains(p.Detail, "not attested") {
		t.Fatalf("unattested build: %v", err)
	}
	accepting, _ := startEnv(t, emulator.Options{Fixtures: fx, Center: func(c *center.Config) {
		c.Builds = []string{"kofu-kiosk/9.9.9+attested"}
	}})
	_, _, err = submit(t, accepting, res, doc, func(r *protocol.Request) { r.SW = "kofu-kiosk/9.9.9+attested" })
	if err != nil {
		t.Fatalf("attested build refused: %v", err)
	}
}
