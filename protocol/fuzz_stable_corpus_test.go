package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"kofu/internal/fuzzcorpus"
	"kofu/protocol"
)

// reheader replaces the protected header of a compact JWS after mut,
// keeping payload and signature (so the signature no longer covers it, as
// in a forgery that edits a header).
func reheader(t *testing.T, compact []byte, mut func(map[string]any)) []byte {
	t.Helper()
	parts := strings.Split(string(compact), ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	mut(h)
	nb, _ := json.Marshal(h)
	parts[0] = base64.RawURLEncoding.EncodeToString(nb)
	return []byte(strings.Join(parts, "."))
}

// jwsForgeries are the header and framing forgeries of one real JWS.
func jwsForgeries(t *testing.T, c *fuzzcorpus.Corpus, good []byte) {
	set := func(k string, v any) func(map[string]any) { return func(h map[string]any) { h[k] = v } }
	for name, mut := range map[string]func(map[string]any){
		"alg-none":     set("alg", "none"),
		"alg-hs256":    set("alg", "HS256"),
		"alg-other":    func(h map[string]any) { h["alg"] = map[bool]string{true: "ES256", false: "RS256"}[h["alg"] == "RS256"] },
		"embedded-jwk": set("jwk", map[string]any{"kty": "EC", "crv": "P-256"}),
		"jku":          set("jku", "https://attacker.invalid/keys"),
		"x5u":          set("x5u", "https://attacker.invalid/cert"),
		"crit":         set("crit", []string{"exp"}),
		"b64-false":    set("b64", false),
		"kid":          set("kid", "1"),
		"typ-other":    set("typ", "JWT"),
		"no-x5c":       func(h map[string]any) { delete(h, "x5c") },
		"x5c-four": func(h map[string]any) {
			x := h["x5c"].([]any)
			h["x5c"] = []any{x[0], x[0], x[0], x[0]}
		},
		"x5c-url-base64": func(h map[string]any) {
			x := h["x5c"].([]any)
			h["x5c"] = []any{strings.NewReplacer("+", "-", "/", "_").Replace(x[0].(string))}
		},
	} {
		c.Add(name, reheader(t, good, mut))
	}
	parts := strings.Split(string(good), ".")
	c.Add("signature-cut", []byte(parts[0]+"."+parts[1]+"."+parts[2][:len(parts[2])/2]))
	c.Add("signature-empty", []byte(parts[0]+"."+parts[1]+"."))
	c.Add("two-parts", []byte(parts[0]+"."+parts[1]))
	c.Add("padded", []byte(parts[0]+"=."+parts[1]+"."+parts[2]))
	c.Add("newline", append(bytes.Clone(good), '\n'))
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	c.Add("payload-edited", []byte(parts[0]+"."+base64.RawURLEncoding.EncodeToString(bytes.Replace(p, []byte(`"v":1`), []byte(`"v":2`), 1))+"."+parts[2]))
	c.Add("oversize", append(bytes.Clone(good), bytes.Repeat([]byte("A"), 17<<10)...))
}

// TestWriteStableFuzzCorpus writes the committed corpora of the fuzz
// targets that verify against the committed PKI and vectors: messages
// that verify in every run, and their forgeries.
func TestWriteStableFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	reqs, pool, at := loadVectors(t)
	rc := fuzzcorpus.New("FuzzParseRequestVectors")
	for _, r := range reqs {
		if _, _, err := protocol.ParseRequest(r, pool, at); err != nil {
			t.Fatalf("vector refused: %v", err)
		}
		rc.Add("vector", r)
	}
	jwsForgeries(t, rc, reqs[0])

	of := newOutcomeFlow(t)
	oc := fuzzcorpus.New("FuzzParseOutcome")
	for i, res := range []protocol.Result{protocol.ResultPrinted, protocol.ResultRefused, protocol.ResultFailed,
		protocol.ResultCancelled, protocol.ResultUnknown} {
		o := of.valid
		o.Result = res
		if res != protocol.ResultPrinted {
			o.Pages, o.Reason = 0, []string{"", "page-qr-mismatch", "print-paper-out", "pin", "print-unconfirmed"}[i]
		}
		b := of.sign(t, o, i%2)
		if _, _, err := protocol.ParseOutcome(b, of.pool, of.now); err != nil {
			t.Fatalf("outcome %s refused: %v", res, err)
		}
		oc.Add("valid-"+string(res), b)
	}
	jwsForgeries(t, oc, of.sign(t, of.valid, 0))
	cs := of.fx.CenterSigner
	if b, err := protocol.SignOutcome(cs.Key, [][]byte{cs.CertDER}, of.valid); err == nil {
		oc.Add("signed-by-center-not-a-terminal", b)
	}
	for _, c := range []*fuzzcorpus.Corpus{rc, oc} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteStableVerifyCorpus writes the committed corpora of
// FuzzVerifyTicketStable and FuzzVerifyEnvelopeStable: the stable flow's
// ticket and envelopes, which verify in every run, and the mix-ups of the
// incidents (another request's ids, another card's subject, too many
// pages, expired, the other CA's signer) and header forgeries.
func TestWriteStableVerifyCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	sf := newStableFlow(t)
	of := newOutcomeFlow(t)
	other := func(b []byte) []byte { return bytes.Repeat([]byte{^b[0]}, len(b)) }

	tc := fuzzcorpus.New("FuzzVerifyTicketStable")
	good := sf.sign(t, sf.tk)
	if _, err := sf.v.Ticket(good, sf.sent); err != nil {
		t.Fatal(err)
	}
	tc.Add("valid", good)
	for name, mut := range map[string]func(*protocol.Ticket){
		"other-rid":     func(tk *protocol.Ticket) { tk.RID = other(tk.RID) },
		"other-binding": func(tk *protocol.Ticket) { tk.Binding = other(tk.Binding) },
		"other-doc":     func(tk *protocol.Ticket) { tk.Doc, _ = protocol.NewDocSpec(protocol.DocInkan) },
		"expired":       func(tk *protocol.Ticket) { tk.IAT, tk.EXP = tk.IAT-7200, tk.IAT-3600 },
		"issued-later":  func(tk *protocol.Ticket) { tk.IAT += 3600; tk.EXP += 3600 },
		"fee-zero":      func(tk *protocol.Ticket) { tk.Fee = 0 },
		// Optional options (issue 17): an absent one echoed at its
		// default names the same document; echoed included, another.
		"doc-echo-optional-omit":    func(tk *protocol.Ticket) { tk.Doc = withOpt(tk.Doc, "zairyu-card", "omit") },
		"doc-echo-optional-include": func(tk *protocol.Ticket) { tk.Doc = withOpt(tk.Doc, "kokuseki-zairyu", "include") },
	} {
		tk := sf.tk
		mut(&tk)
		tc.Add(name, sf.sign(t, tk))
	}
	if b, err := protocol.SignTicket(of.fx.IssuerSigner.Key, [][]byte{of.fx.IssuerSigner.CertDER}, sf.tk); err == nil {
		tc.Add("signed-by-the-issuer", b)
	}
	jwsForgeries(t, tc, good)

	ec := fuzzcorpus.New("FuzzVerifyEnvelopeStable")
	vt, err := sf.v.Ticket(good, sf.sent)
	if err != nil {
		t.Fatal(err)
	}
	pages := func(n int) []protocol.PageRef {
		var ps []protocol.PageRef
		for i := 1; i <= n; i++ {
			ps = append(ps, protocol.PageRef{N: i, SHA256: bytes.Repeat([]byte{byte(i)}, 32), W: 2480, H: 3508, DPI: 300})
		}
		return ps
	}
	for _, n := range []int{1, 3, protocol.MaxPages} {
		e := sf.env
		e.Pages = pages(n)
		b := sf.sign(t, e)
		if _, err := sf.v.Envelope(b, vt); err != nil {
			t.Fatalf("%d pages: %v", n, err)
		}
		ec.Add("valid", b)
	}
	for name, mut := range map[string]func(*protocol.Envelope){
		"other-subject-wrong-record": func(e *protocol.Envelope) { e.Subject = other(e.Subject) },
		"other-tid-fifo-dispatch":    func(e *protocol.Envelope) { e.TID = other(e.TID) },
		"other-binding":              func(e *protocol.Envelope) { e.Binding = other(e.Binding) },
		"other-rid":                  func(e *protocol.Envelope) { e.RID = other(e.RID) },
		"no-pages":                   func(e *protocol.Envelope) { e.Pages = nil },
		"too-many-pages":             func(e *protocol.Envelope) { e.Pages = pages(protocol.MaxPages + 1) },
		"no-asof":                    func(e *protocol.Envelope) { e.AsOf = "" },
		"expired":                    func(e *protocol.Envelope) { e.IAT, e.EXP = e.IAT-7200, e.IAT-3600 },
		"page-600dpi":                func(e *protocol.Envelope) { e.Pages[0].DPI, e.Pages[0].W, e.Pages[0].H = 600, 4961, 7016 },
		"page-numbers-repeat":        func(e *protocol.Envelope) { e.Pages = append(pages(2), pages(1)...) },
		// Faces of a two-sided document on this one-sided request (issue
		// 19): refused envelope-sides, after every face field is read.
		"two-sided-faces": func(e *protocol.Envelope) {
			e.Pages = pages(4)
			for i := range e.Pages {
				e.Pages[i].Sheet, e.Pages[i].Face = protocol.SheetNo(i/2+1), []protocol.Face{protocol.FaceFront, protocol.FaceBack}[i%2]
			}
		},
	} {
		e := sf.env
		e.Pages = append([]protocol.PageRef(nil), e.Pages...)
		mut(&e)
		ec.Add(name, sf.sign(t, e))
	}
	if b, err := protocol.SignEnvelope(of.fx.CenterSigner.Key, [][]byte{of.fx.CenterSigner.CertDER}, sf.env); err == nil {
		ec.Add("signed-by-the-center", b)
	}
	jwsForgeries(t, ec, sf.sign(t, sf.env))
	for _, c := range []*fuzzcorpus.Corpus{tc, ec} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}

// withOpt returns a copy of d with option key set to v.
func withOpt(d protocol.DocSpec, key, v string) protocol.DocSpec {
	d = d.Clone()
	d.Opts[key] = v
	return d
}
