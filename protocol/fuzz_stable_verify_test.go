package protocol_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// stableFlow is one transaction built only from committed material, so
// that its messages verify in every run: a request signed by resident
// R0001's card key (RS256 is deterministic, so the request bytes, its
// binding and subject are the same every time), the ticket and envelope
// signed by the committed center and issuer signers, and a verifier
// under the committed center and issuer CAs at a fixed instant.
type stableFlow struct {
	v    *protocol.Verifier
	sent *protocol.Sent
	req  protocol.Request
	tk   protocol.Ticket
	env  protocol.Envelope
	now  time.Time
	sign func(tb testing.TB, v any) []byte // signs a ticket (center) or an envelope (issuer)
}

// stableCard is the card of the stable flows, R0001 (an RSA card: its
// RS256 signatures are the same bytes in every run), and their instant, a
// day into the committed center signer's validity.
func stableCard(tb testing.TB, fx *fixtures.Set) (*fixtures.Resident, *rsa.PrivateKey, time.Time) {
	tb.Helper()
	r, ok := fx.Resident("R0001")
	if !ok {
		tb.Fatal("no R0001")
	}
	key, err := r.CardKey()
	if err != nil {
		tb.Fatal(err)
	}
	return r, key, fx.CenterSigner.Cert.NotBefore.Add(24 * time.Hour).Truncate(time.Second)
}

func newStableFlow(tb testing.TB) *stableFlow {
	tb.Helper()
	return newStableFlowSides(tb, "")
}

// newStableFlowSides is the stable flow of a request asking for sides
// (issue 19: "" one-sided, protocol.SidesTwoSided).
func newStableFlowSides(tb testing.TB, sides protocol.Sides) *stableFlow {
	tb.Helper()
	of := newOutcomeFlow(tb)
	fx := of.fx
	r, key, now := stableCard(tb, fx)
	doc, err := protocol.NewDocSpec(protocol.DocJuminhyo)
	if err != nil {
		tb.Fatal(err)
	}
	doc.Sides = sides
	req, err := protocol.NewRequest("T0001", "S0001", r.Muni, doc, now, "kofu-kiosk/fuzz+0000000")
	if err != nil {
		tb.Fatal(err)
	}
	req.RID, req.Nonce = bytes.Repeat([]byte{0x11}, len(req.RID)), bytes.Repeat([]byte{0x22}, len(req.Nonce))
	compact, err := protocol.SignRequest(context.Background(), key, r.CardCertDER, req)
	if err != nil {
		tb.Fatal(err)
	}
	sent, err := protocol.NewSent(compact, r.CardCertDER)
	if err != nil {
		tb.Fatal(err)
	}
	sf := &stableFlow{sent: sent, req: req, now: now,
		v: &protocol.Verifier{CenterRoots: fx.CenterCA.Pool(), IssuerRoots: fx.IssuerCA.Pool(), Now: func() time.Time { return now }}}
	sf.tk = protocol.Ticket{V: protocol.Version, TID: bytes.Repeat([]byte{0x33}, protocol.TIDSize), RID: req.RID,
		Binding: sent.Binding(), Doc: req.Doc, Fee: 300, IAT: now.Unix(), EXP: now.Add(15 * time.Minute).Unix()}
	sf.env = protocol.Envelope{V: protocol.Version, TID: sf.tk.TID, RID: req.RID, Binding: sent.Binding(),
		Subject: sent.Subject(), Doc: req.Doc, Serial: "YK-2026-000123", AsOf: now.Add(-36 * time.Hour).UTC().Format(time.RFC3339),
		Pages: []protocol.PageRef{{N: 1, SHA256: bytes.Repeat([]byte{0x44}, 32), W: 2480, H: 3508, DPI: 300}},
		IAT:   now.Unix() + 1, EXP: now.Add(time.Hour).Unix()}
	sf.sign = func(tb testing.TB, v any) []byte {
		tb.Helper()
		var b []byte
		var err error
		switch m := v.(type) {
		case protocol.Ticket:
			b, err = protocol.SignTicket(fx.CenterSigner.Key, [][]byte{fx.CenterSigner.CertDER}, m)
		default:
			b, err = protocol.SignEnvelope(fx.IssuerSigner.Key, [][]byte{fx.IssuerSigner.CertDER}, m)
		}
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	return sf
}

// FuzzVerifyTicketStable: the kiosk's ticket check under the committed
// center CA: a verified ticket or a RefusalError, never both; what passes
// is ES256 with the whitelisted header, for this request (rid, binding,
// doc), valid and not expired at the verifier's instant.
func FuzzVerifyTicketStable(f *testing.F) {
	sf := newStableFlow(f)
	f.Add(sf.sign(f, sf.tk))
	f.Fuzz(func(t *testing.T, data []byte) {
		vt, err := sf.v.Ticket(data, sf.sent)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || vt != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		tk := vt.Ticket()
		if !bytes.Equal(tk.RID, sf.req.RID) || !bytes.Equal(tk.Binding, sf.sent.Binding()) || !tk.Doc.Equal(sf.req.Doc) {
			t.Fatalf("accepted a ticket for another request: %+v", tk)
		}
		if tk.Validate() != nil || tk.EXP < sf.now.Unix() {
			t.Fatalf("accepted an invalid or expired ticket: %+v", tk)
		}
		checkHeader(t, data, string(protocol.AlgCenter), protocol.TypTicket)
	})
}

// FuzzVerifyEnvelopeStable: the kiosk's envelope check under the
// committed issuer CA, for the stable flow's verified ticket: what passes
// is for this ticket, request and card (tid, rid, binding, subject), with
// 1..MaxPages pages and an asof.
func FuzzVerifyEnvelopeStable(f *testing.F) {
	sf := newStableFlow(f)
	vt, err := sf.v.Ticket(sf.sign(f, sf.tk), sf.sent)
	if err != nil {
		f.Fatalf("the stable ticket is refused: %v", err)
	}
	f.Add(sf.sign(f, sf.env))
	f.Fuzz(func(t *testing.T, data []byte) {
		ve, err := sf.v.Envelope(data, vt)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || ve != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		e := ve.Envelope()
		if !bytes.Equal(e.TID, sf.tk.TID) || !bytes.Equal(e.RID, sf.req.RID) ||
			!bytes.Equal(e.Binding, sf.sent.Binding()) || !bytes.Equal(e.Subject, sf.sent.Subject()) {
			t.Fatal("accepted an envelope for another transaction")
		}
		if len(e.Pages) < 1 || len(e.Pages) > protocol.MaxPages || e.AsOf == "" {
			t.Fatalf("accepted %d pages, asof %q", len(e.Pages), e.AsOf)
		}
		checkHeader(t, data, string(protocol.AlgCenter), protocol.TypEnvelope)
	})
}

// TestStableSeedsVerify: the committed valid seeds of the stable targets
// verify in this run too — the request, its binding and subject are the
// same bytes in every run, so the seeds reach the checks past the
// signature.
func TestStableSeedsVerify(t *testing.T) {
	sf := newStableFlow(t)
	of := newOutcomeFlow(t)
	_, pool, at := loadVectors(t)
	hh := newStableHousehold(t)
	check := map[string]func([]byte) error{
		"FuzzVerifyTicketStable": func(b []byte) error { _, err := sf.v.Ticket(b, sf.sent); return err },
		"FuzzVerifyEnvelopeStable": func(b []byte) error {
			vt, err := sf.v.Ticket(sf.sign(t, sf.tk), sf.sent)
			if err != nil {
				return err
			}
			_, err = sf.v.Envelope(b, vt)
			return err
		},
		"FuzzParseOutcome":          func(b []byte) error { _, _, err := protocol.ParseOutcome(b, of.pool, of.now); return err },
		"FuzzVerifyHouseholdStable": func(b []byte) error { _, err := hh.v.Household(b, hh.sent); return err },
		"FuzzParseHouseholdQueryStable": func(b []byte) error {
			_, _, err := protocol.ParseHouseholdQueryIn(b, hh.trust, hh.now)
			return err
		},
		"FuzzParseRequestVectors": func(b []byte) error { _, _, err := protocol.ParseRequest(b, pool, at); return err },
	}
	for target, fn := range check {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "seed-valid*"))
		if target == "FuzzParseRequestVectors" {
			files, _ = filepath.Glob(filepath.Join("testdata", "fuzz", target, "seed-vector*"))
		}
		if len(files) == 0 {
			t.Errorf("%s: no committed valid seeds", target)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
				t.Fatalf("%s: not a corpus file", f)
			}
			data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := fn([]byte(data)); err != nil {
				t.Errorf("%s does not verify: %v", f, err)
			}
		}
	}
}
