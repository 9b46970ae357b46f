package protocol_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// rfc6979 signs with deterministic ECDSA nonces (crypto/ecdsa signs by
// RFC 6979 when given no random source), so that the requests of the
// committed generation-2 card are the same bytes in every run.
type rfc6979 struct{ k *ecdsa.PrivateKey }

func (s rfc6979) Public() crypto.PublicKey { return s.k.Public() }
func (s rfc6979) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(nil, digest, opts)
}

// p384Flow is the committed generation-2 card G0001 (P-384 key under
// jpki-p384-ca, an intermediate under jpki-ca) and the center's trust in
// the committed JPKI, at a fixed instant inside the certificates.
type p384Flow struct {
	fx    *fixtures.Set
	trust protocol.CardTrust
	now   time.Time
	req   protocol.Request
	valid []byte // ES384, x5c = [card]
	chain []byte // ES384, x5c = [card, jpki-p384-ca]
}

func newP384Flow(tb testing.TB) *p384Flow {
	tb.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		tb.Fatal(err)
	}
	r, ok := fx.Resident("G0001")
	if !ok || r.Gen != fixtures.Gen2 {
		tb.Fatal("no generation-2 resident G0001")
	}
	key, err := r.CardECKey()
	if err != nil {
		tb.Fatal(err)
	}
	now := r.CardCert.NotBefore.Add(24 * time.Hour)
	doc, err := protocol.NewDocSpec(protocol.DocJuminhyo)
	if err != nil {
		tb.Fatal(err)
	}
	req, err := protocol.NewRequest("T0001", "S0001", r.Muni, doc, now, "kofu-kiosk/fuzz+0000000")
	if err != nil {
		tb.Fatal(err)
	}
	req.RID, req.Nonce = bytes.Repeat([]byte{0x55}, len(req.RID)), bytes.Repeat([]byte{0x66}, len(req.Nonce))
	pf := &p384Flow{fx: fx, now: now, req: req,
		trust: protocol.CardTrust{Roots: fx.JPKICA.Pool(), Intermediates: fx.JPKIP384CA.Pool()}}
	if pf.valid, err = protocol.SignRequest(context.Background(), rfc6979{key}, r.CardCertDER, req); err != nil {
		tb.Fatal(err)
	}
	if pf.chain, err = protocol.SignRequestChain(context.Background(), rfc6979{key}, [][]byte{r.CardCertDER, r.CardCACertDER}, req); err != nil {
		tb.Fatal(err)
	}
	return pf
}

// variants are requests derived from the valid one without a key: a
// header naming another alg over the same signature, the signature in
// other forms, another resident's RSA certificate.
func (pf *p384Flow) variants(tb testing.TB) map[string][]byte {
	tb.Helper()
	parts := strings.Split(string(pf.valid), ".")
	header := func(alg string, x5c ...[]byte) string {
		s := make([]string, len(x5c))
		for i, d := range x5c {
			s[i] = base64.StdEncoding.EncodeToString(d)
		}
		b, err := json.Marshal(map[string]any{"alg": alg, "typ": protocol.TypRequest, "x5c": s})
		if err != nil {
			tb.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	g1, _ := pf.fx.Resident("G0001")
	r1, _ := pf.fx.Resident("R0001")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		tb.Fatal(err)
	}
	der, err := protocol.ECDSASignatureFromJWS(sig, g1.CardCert.PublicKey.(*ecdsa.PublicKey).Curve)
	if err != nil {
		tb.Fatal(err)
	}
	join := func(h, p string, s []byte) []byte {
		return []byte(h + "." + p + "." + base64.RawURLEncoding.EncodeToString(s))
	}
	return map[string][]byte{
		"valid":                 pf.valid,
		"valid-chain":           pf.chain,
		"rs256-header":          join(header("RS256", g1.CardCertDER), parts[1], sig),
		"es256-header":          join(header("ES256", g1.CardCertDER), parts[1], sig),
		"es384-with-rsa-cert":   join(header("ES384", r1.CardCertDER), parts[1], sig),
		"der-signature":         join(parts[0], parts[1], der),
		"short-signature":       join(parts[0], parts[1], sig[1:]),
		"none":                  join(header("none", g1.CardCertDER), parts[1], nil),
		"hs384":                 join(header("HS384", g1.CardCertDER), parts[1], sig[:48]),
		"ca-as-leaf":            join(header("ES384", g1.CardCACertDER), parts[1], sig),
		"chain-reversed":        join(header("ES384", g1.CardCACertDER, g1.CardCertDER), parts[1], sig),
		"other-p384-card-x5c":   join(header("ES384", pf.otherGen2(tb).CardCertDER), parts[1], sig),
		"payload-of-other-bind": join(parts[0], base64.RawURLEncoding.EncodeToString([]byte(`{"v":1}`)), sig),
	}
}

func (pf *p384Flow) otherGen2(tb testing.TB) *fixtures.Resident {
	tb.Helper()
	r, ok := pf.fx.Resident("G0002")
	if !ok {
		tb.Fatal("no G0002")
	}
	return r
}

// FuzzParseRequestP384: the center's request parser, under the committed
// JPKI root and its P-384 intermediate, over requests of the committed
// generation-2 card: a request or a RefusalError, never both; what is
// accepted names exactly the alg its certificate's key pins, chains to
// the JPKI root, and is a valid request.
func FuzzParseRequestP384(f *testing.F) {
	pf := newP384Flow(f)
	for _, v := range pf.variants(f) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, leaf, err := protocol.ParseRequestIn(data, pf.trust, pf.now)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || r != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if r.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid request")
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pf.trust.Roots, Intermediates: pf.trust.Intermediates,
			CurrentTime: pf.now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("accepted a certificate outside the JPKI: %v", err)
		}
		pinned, err := protocol.RequestAlg(leaf.PublicKey)
		if err != nil {
			t.Fatalf("accepted a card key with no pinned alg: %v", err)
		}
		checkHeader(t, data, string(pinned), protocol.TypRequest)
	})
}

// TestP384StableSeeds: the generation-2 card's requests are the same bytes
// in every run, the valid ones verify and the variants get their codes.
func TestP384StableSeeds(t *testing.T) {
	a, b := newP384Flow(t), newP384Flow(t)
	if !bytes.Equal(a.valid, b.valid) || !bytes.Equal(a.chain, b.chain) {
		t.Fatal("RFC 6979 requests differ between two runs")
	}
	want := map[string]string{
		"valid": "", "valid-chain": "",
		"rs256-header": "request-alg", "es256-header": "request-alg", "es384-with-rsa-cert": "request-alg",
		"der-signature": "request-signature", "short-signature": "request-signature",
		"none": "request-alg-none", "hs384": "request-alg-hmac",
		"ca-as-leaf": "request-key", "chain-reversed": "request-key", // a CA certificate does not sign (KeyUsage)
		"other-p384-card-x5c": "request-signature", "payload-of-other-bind": "request-signature",
	}
	vs := a.variants(t)
	for name, data := range vs {
		_, _, err := protocol.ParseRequestIn(data, a.trust, a.now)
		got := ""
		if err != nil {
			ref, ok := protocol.AsRefusal(err)
			if !ok {
				t.Fatalf("%s: not a refusal: %v", name, err)
			}
			got = ref.Code()
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expected code", name)
		}
		if got != w {
			t.Errorf("%s: code %q, want %q (%v)", name, got, w, err)
		}
	}
}
