package protocol

import (
	"bytes"
	"testing"
	"time"
)

// TestStillValid: the check before printing refuses a ticket or envelope
// whose window the verifier's clock has left since they arrived, at the
// exact skew boundary, ticket first.
func TestStillValid(t *testing.T) {
	f := newFlow(t)
	e := f.envelope(a4Refs(1))
	e.EXP = testNow.Add(5 * time.Minute).Unix() // before the ticket's (15 minutes)
	env, _ := f.verifiedEnvelope(t, e)
	skew := f.v.skew()
	ticketExp := time.Unix(f.tk.EXP, 0)
	envExp := time.Unix(e.EXP, 0)
	for _, c := range []struct {
		name string
		at   time.Time
		want string // refusal code; "" = still valid
	}{
		{"as it arrived", testNow, ""},
		{"envelope at its last valid second", envExp.Add(skew - time.Second), ""},
		{"envelope at exp plus skew", envExp.Add(skew), "envelope-expired"},
		{"ticket at exp plus skew", ticketExp.Add(skew), "ticket-expired"},
		{"kiosk clock moved 11 minutes on", testNow.Add(11 * time.Minute), "envelope-expired"},
		{"kiosk clock moved 20 minutes on", testNow.Add(20 * time.Minute), "ticket-expired"},
		{"kiosk clock moved an hour back", testNow.Add(-time.Hour), "ticket-not-yet-valid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := *f.v
			v.Now = func() time.Time { return c.at }
			err := v.StillValid(env)
			if got := refusalCode(err); got != c.want {
				t.Fatalf("%v: code %q, want %q", err, got, c.want)
			}
		})
	}
	if err := f.v.StillValid(nil); err == nil {
		t.Error("StillValid(nil) passed")
	}
}

// TestCheckTicketReportable: a ticket refused after its signature verified
// under the center CA yields its authentic ticket id to report under; one
// refused before (signature, chain, alg) or whose tid is not one
// unambiguous well-formed value yields none.
func TestCheckTicketReportable(t *testing.T) {
	f := newFlow(t)
	p := f.p
	signed := func(mod func(tk *Ticket)) []byte {
		tk := f.tk
		mod(&tk)
		b, err := SignTicket(p.centerSig.key, p.centerChain(), tk)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signedAny := func(v any) []byte {
		b, err := signCompact(p.centerSig.key, AlgCenter, TypTicket, p.centerChain(), v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withMember := func(k string, v any) map[string]any {
		m := jsonMap(f.tk)
		m[k] = v
		return m
	}
	wrongBinding := func(tk *Ticket) { tk.Binding = bytes.Repeat([]byte{7}, DigestSize) }
	dupTID := []byte(`{"v":1,"tid":"` + B64(f.tk.TID) + `","tid":"` + B64(mustRandom(TIDSize)) + `","rid":"` +
		B64(f.tk.RID) + `","binding":"` + B64(f.tk.Binding) + `","doc":` + string(mustJSON(f.tk.Doc)) +
		`,"fee":300,"iat":` + string(mustJSON(f.tk.IAT)) + `,"exp":` + string(mustJSON(f.tk.EXP)) + `}`)

	for _, c := range []struct {
		name       string
		compact    []byte
		code       string // "" = verified, "*" = any refusal (the signer check's own code)
		reportable bool
	}{
		{"correct ticket", f.tkJWS, "", false},
		{"binding of other request bytes", signed(wrongBinding), "ticket-binding", true},
		{"another request id", signed(func(tk *Ticket) { tk.RID = mustRandom(RIDSize) }), "ticket-rid", true},
		{"another document", signed(func(tk *Ticket) { tk.Doc = mustDoc(DocInkan) }), "ticket-doc", true},
		{"expired", signed(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(-time.Hour).Unix(), testNow.Add(-30*time.Minute).Unix()
		}), "ticket-expired", true},
		{"issued far ahead", signed(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(time.Hour).Unix(), testNow.Add(2*time.Hour).Unix()
		}), "ticket-not-yet-valid", true},
		{"error member", signedAny(withMember("error", "issuer down")), "ticket-error-flagged", true},
		{"unknown member", signedAny(withMember("extra", 1)), "ticket-fields", true},
		{"tid of the wrong size", signed(func(tk *Ticket) { tk.TID = mustRandom(TIDSize - 1) }), "ticket-fields", false},
		{"tid not base64url", signedAny(withMember("tid", "not base64url!")), "ticket-fields", false},
		{"two tid members", rawJWS(hdr("ES256", TypTicket, p.centerChain(), nil), dupTID, es256(p.centerSig.ecKey())),
			"ticket-fields", false},
		{"wrong binding, signature broken", flipSig(t, signed(wrongBinding)), "ticket-signature", false},
		{"wrong binding, signed by the issuer", func() []byte {
			tk := f.tk
			wrongBinding(&tk)
			b, err := SignTicket(p.issuerSig.key, p.issuerChain(), tk)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}(), "*", false},
		{"wrong binding, alg none", rawJWS(hdr("none", TypTicket, p.centerChain(), nil), mustJSON(f.tk), nil),
			"ticket-alg-none", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			vt, rt, err := f.v.CheckTicket(c.compact, f.sent)
			if _, refused := AsRefusal(err); c.code == "*" && refused {
				c.code = refusalCode(err)
			}
			if got := refusalCode(err); got != c.code {
				t.Fatalf("%v: code %q, want %q", err, got, c.code)
			}
			if (vt != nil) != (c.code == "") {
				t.Errorf("verified ticket %v with code %q", vt != nil, c.code)
			}
			if (rt != nil) != c.reportable {
				t.Fatalf("reportable %v, want %v", rt != nil, c.reportable)
			}
			if rt == nil {
				return
			}
			if !bytes.Equal(rt.TID(), f.tk.TID) || rt.Sent() != f.sent || rt.Refusal().Code() != c.code {
				t.Errorf("refused ticket %s under %s, want %s under %s", rt.Refusal().Code(), B64(rt.TID()), c.code, B64(f.tk.TID))
			}
			tid := rt.TID()
			tid[0] ^= 0xff
			if bytes.Equal(rt.TID(), tid) {
				t.Error("TID hands out the refused ticket's own slice")
			}
		})
	}
}
