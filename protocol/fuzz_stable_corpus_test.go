package protocol_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

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
	reqs, pool := loadVectors(t)
	rc := fuzzcorpus.New("FuzzParseRequestVectors")
	for _, r := range reqs {
		if _, _, err := protocol.ParseRequest(r, pool, time.Now()); err != nil {
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
		if _, _, err := protocol.ParseOutcome(b, of.pool, time.Now()); err != nil {
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
