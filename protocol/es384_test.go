package protocol

// Requests from the next-generation card (issue 16): an ECDSA P-384
// user-authentication key signs ES384, pinned by the certificate's key
// type exactly as RS256 is for the RSA-2048 card. The card here is a
// software key (crypto/ecdsa): a crypto.Signer whose Public() is a P-384
// *ecdsa.PublicKey and whose Sign returns ASN.1 DER, as the card code's
// signer must.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// gen2PKI is the generation-2 branch of the ephemeral test PKI: a P-384
// user-authentication CA under the JPKI-like RSA root, and cards under it.
type gen2PKI struct {
	inter     *testCA   // P-384 intermediate under p.jpki
	card      *testLeaf // "our" P-384 card, by inter
	direct    *testLeaf // a P-384 card certified by the root itself
	p256      *testLeaf // a P-256 card by inter: the wrong curve
	p521      *testLeaf // a P-521 card by inter: the wrong curve
	expired   *testLeaf // our P-384 key, certificate expired
	otherCard *testLeaf // another P-384 key and card by inter
}

var (
	gen2Once sync.Once
	gen2Val  *gen2PKI
	gen2Err  error
)

func getGen2(tb testing.TB) *gen2PKI {
	tb.Helper()
	p := getPKI(tb)
	gen2Once.Do(func() { gen2Val, gen2Err = buildGen2(p) })
	if gen2Err != nil {
		tb.Fatalf("generation-2 test PKI: %v", gen2Err)
	}
	return gen2Val
}

func buildGen2(p *testPKI) (*gen2PKI, error) {
	g := &gen2PKI{}
	il, err := p.jpki.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "JPKI-like user authentication CA P-384 (test)"},
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign}, mustEC(elliptic.P384()))
	if err != nil {
		return nil, err
	}
	g.inter = &testCA{cert: il.cert, key: il.key}
	card := func(ca *testCA, cn string, key crypto.Signer) (*testLeaf, error) {
		return ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature}, key)
	}
	key := mustEC(elliptic.P384())
	for _, c := range []struct {
		dst **testLeaf
		ca  *testCA
		cn  string
		key crypto.Signer
	}{
		{&g.card, g.inter, "resident G0001", key},
		{&g.direct, p.jpki, "resident G0001 (root-certified)", key},
		{&g.p256, g.inter, "resident P-256", mustEC(elliptic.P256())},
		{&g.p521, g.inter, "resident P-521", mustEC(elliptic.P521())},
		{&g.otherCard, g.inter, "resident G0002", mustEC(elliptic.P384())},
	} {
		if *c.dst, err = card(c.ca, c.cn, c.key); err != nil {
			return nil, err
		}
	}
	g.expired, err = g.inter.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "resident G0001 expired"},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: testNow.Add(-20 * time.Hour), NotAfter: testNow.Add(-time.Hour)}, key)
	return g, err
}

// trust is what the center trusts: the root, and the P-384 CA as a known
// intermediate.
func (g *gen2PKI) trust(p *testPKI) CardTrust {
	inter := x509.NewCertPool()
	inter.AddCert(g.inter.cert)
	return CardTrust{Roots: p.jpki.pool(), Intermediates: inter}
}

// chain is the card's certificate and its CA's, as x5c.
func (g *gen2PKI) chain(l *testLeaf) [][]byte { return [][]byte{l.der(), g.inter.cert.Raw} }

// es384 signs as JWS ES384: SHA-384, ECDSA, r||s in 48 bytes each —
// hand-built, independent of this package's signing code.
func es384(key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha512.Sum384(in)
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			panic(err)
		}
		n := (key.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*n)
		r.FillBytes(out[:n])
		s.FillBytes(out[n:])
		return out
	}
}

// es384DER signs SHA-384 with ECDSA and keeps the ASN.1 DER form, as a
// card would return it: not what a JWS carries.
func es384DER(key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha512.Sum384(in)
		der, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		if err != nil {
			panic(err)
		}
		return der
	}
}

// gen2Request signs the flow's request with our P-384 card by
// SignRequestChain; chain nil sends the leaf alone.
func gen2Request(tb testing.TB, f *flow, chain [][]byte) []byte {
	tb.Helper()
	g := getGen2(tb)
	if chain == nil {
		chain = [][]byte{g.card.der()}
	}
	b, err := SignRequestChain(tb.Context(), g.card.key, chain, f.req)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// es384Forgeries are the request variants of the P-384 card, each under
// the root alone (the card's x5c carries its CA's certificate where it
// needs to): they join requestForgeries, so TestParseRequest and
// FuzzParseRequest (whose pool is the root alone) run them.
func es384Forgeries() []forged {
	g := func(t testing.TB) *gen2PKI { return getGen2(t) }
	req := func(f *flow) []byte { return mustJSON(f.req) }
	return []forged{
		{"es384/control: SignRequestChain with the card's CA in x5c", func(t testing.TB, f *flow) []byte {
			return gen2Request(t, f, g(t).chain(g(t).card))
		}, ""},
		{"es384/control: hand-built ES384", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), es384(x.card.ecKey()))
		}, ""},
		{"es384/control: card certified by the root itself", func(t testing.TB, f *flow) []byte {
			return gen2Request(t, f, [][]byte{g(t).direct.der()})
		}, ""},
		{"es384/chain: leaf alone, its CA unknown to the root pool", func(t testing.TB, f *flow) []byte {
			return gen2Request(t, f, nil)
		}, "request-chain"},
		{"es384/chain: expired card certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.expired), nil), req(f), es384(x.card.ecKey()))
		}, "request-chain"},
		{"es384/alg: RS256 header with a P-384 certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("RS256", TypRequest, x.chain(x.card), nil), req(f), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-alg"},
		{"es384/alg: ES384 header with an RSA certificate, ECDSA signature", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("ES384", TypRequest, [][]byte{f.p.card.der()}, nil), req(f), es384(g(t).card.ecKey()))
		}, "request-alg"},
		{"es384/alg: ES384 header with an RSA certificate, RSA signature", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("ES384", TypRequest, [][]byte{f.p.card.der()}, nil), req(f), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-alg"},
		{"es384/alg: ES256 header with a P-384 certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES256", TypRequest, x.chain(x.card), nil), req(f), es256(x.card.ecKey()))
		}, "request-alg"},
		{"es384/alg: ES512 header", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES512", TypRequest, x.chain(x.card), nil), req(f), es384(x.card.ecKey()))
		}, "request-alg"},
		{"es384/alg: PS384 header", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("PS384", TypRequest, [][]byte{f.p.card.der()}, nil), req(f), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-alg"},
		{"es384/alg: lower-case es384", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("es384", TypRequest, x.chain(x.card), nil), req(f), es384(x.card.ecKey()))
		}, "request-alg"},
		{"es384/alg none with a P-384 certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("none", TypRequest, x.chain(x.card), nil), req(f), nil)
		}, "request-alg-none"},
		{"es384/alg HS256 keyed with the P-384 certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("HS256", TypRequest, x.chain(x.card), nil), req(f), hs256(x.card.der()))
		}, "request-alg-hmac"},
		{"es384/alg HS384 keyed with the P-384 certificate", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("HS384", TypRequest, x.chain(x.card), nil), req(f), hs256(x.card.der()))
		}, "request-alg-hmac"},
		{"es384/key: P-256 card (wrong curve)", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.p256), nil), req(f), es384(x.p256.ecKey()))
		}, "request-key"},
		{"es384/key: P-521 card (wrong curve)", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.p521), nil), req(f), es384(x.p521.ecKey()))
		}, "request-key"},
		{"es384/signature: ASN.1 DER instead of r||s", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), es384DER(x.card.ecKey()))
		}, "request-signature"},
		{"es384/signature: r||s one byte short", func(t testing.TB, f *flow) []byte {
			x := g(t)
			sign := es384(x.card.ecKey())
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), func(in []byte) []byte { return sign(in)[1:] })
		}, "request-signature"},
		{"es384/signature: r and s swapped", func(t testing.TB, f *flow) []byte {
			x := g(t)
			sign := es384(x.card.ecKey())
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), func(in []byte) []byte {
				s := sign(in)
				return append(bytes.Clone(s[48:]), s[:48]...)
			})
		}, "request-signature"},
		{"es384/signature: SHA-256 digest signed", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), func(in []byte) []byte {
				d := sha256.Sum256(in)
				r, s, err := ecdsa.Sign(rand.Reader, x.card.ecKey(), d[:])
				if err != nil {
					t.Fatal(err)
				}
				out := make([]byte, 96)
				r.FillBytes(out[:48])
				s.FillBytes(out[48:])
				return out
			})
		}, "request-signature"},
		{"es384/signature: another P-384 card's key", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), req(f), es384(x.otherCard.ecKey()))
		}, "request-signature"},
		{"es384/signature: flipped bit", func(t testing.TB, f *flow) []byte {
			return flipSig(t, gen2Request(t, f, g(t).chain(g(t).card)))
		}, "request-signature"},
		{"es384/signature: payload changed after signing", func(t testing.TB, f *flow) []byte {
			r := f.req
			r.Muni = "131016"
			return withPart(gen2Request(t, f, g(t).chain(g(t).card)), 1, mustJSON(r))
		}, "request-signature"},
		{"es384/fields: unknown member", func(t testing.TB, f *flow) []byte {
			x := g(t)
			m := jsonMap(f.req)
			m["alg"] = "RS256"
			return rawJWS(hdr("ES384", TypRequest, x.chain(x.card), nil), mustJSON(m), es384(x.card.ecKey()))
		}, "request-fields"},
		{"es384/typ of a ticket", func(t testing.TB, f *flow) []byte {
			x := g(t)
			return rawJWS(hdr("ES384", TypTicket, x.chain(x.card), nil), req(f), es384(x.card.ecKey()))
		}, "request-typ"},
	}
}

// TestParseRequestES384Trust: under the center's trust (root plus the
// known P-384 intermediate) the card may send its certificate alone; the
// key pins the algorithm whatever the chain.
func TestParseRequestES384Trust(t *testing.T) {
	f := newFlow(t)
	x := getGen2(t)
	trust := x.trust(f.p)
	for _, c := range []struct {
		name    string
		compact []byte
		trust   CardTrust
		want    string
	}{
		{"leaf alone, intermediate known", gen2Request(t, f, nil), trust, ""},
		{"leaf and CA in x5c, intermediate known", gen2Request(t, f, x.chain(x.card)), trust, ""},
		{"leaf alone, root only", gen2Request(t, f, nil), CardTrust{Roots: f.p.jpki.pool()}, "request-chain"},
		{"the RSA card under the same trust", f.compact, trust, ""},
		{"intermediate known, no root", gen2Request(t, f, nil), CardTrust{Intermediates: trust.Intermediates}, "request-chain"},
		{"RS256 header, P-384 leaf alone", rawJWS(hdr("RS256", TypRequest, [][]byte{x.card.der()}, nil), mustJSON(f.req),
			rs256(f.p.card.key.(*rsa.PrivateKey))), trust, "request-alg"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, leaf, err := ParseRequestIn(c.compact, c.trust, testNow)
			if got := refusalCode(err); got != c.want {
				t.Fatalf("code %q, want %q (err: %v)", got, c.want, err)
			}
			if err == nil && (!bytes.Equal(r.RID, f.req.RID) || leaf == nil) {
				t.Fatal("accepted request does not carry the flow's values")
			}
		})
	}
	// A request's x5c does not leak into the caller's pool: after a
	// request that carried the CA, a leaf alone is still unknown.
	bare := CardTrust{Roots: f.p.jpki.pool(), Intermediates: x509.NewCertPool()}
	if _, _, err := ParseRequestIn(gen2Request(t, f, x.chain(x.card)), bare, testNow); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseRequestIn(gen2Request(t, f, nil), bare, testNow); refusalCode(err) != "request-chain" {
		t.Errorf("leaf alone after a chained request: %v", err)
	}
}

// TestAlgMismatchError: a header alg that disagrees with the
// certificate's key type is refused with ReasonAlg, and the cause says
// which alg the key pins; callers branch on it with errors.As.
func TestAlgMismatchError(t *testing.T) {
	f := newFlow(t)
	x := getGen2(t)
	pool := f.p.jpki.pool()
	for _, c := range []struct {
		name           string
		compact        []byte
		header, pinned jose.SignatureAlgorithm
		key            string
	}{
		{"RS256 with a P-384 certificate", rawJWS(hdr("RS256", TypRequest, x.chain(x.card), nil), mustJSON(f.req),
			rs256(f.p.card.key.(*rsa.PrivateKey))), "RS256", "ES384", "ECDSA P-384"},
		{"ES384 with an RSA-2048 certificate", rawJWS(hdr("ES384", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(f.req),
			es384(x.card.ecKey())), "ES384", "RS256", "RSA-2048"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseRequest(c.compact, pool, testNow)
			ref, ok := AsRefusal(err)
			if !ok || ref.Stage != StageRequest || ref.Reason != ReasonAlg {
				t.Fatalf("err %v, want a request-alg refusal", err)
			}
			var mm *AlgMismatchError
			if !errors.As(err, &mm) || mm.Header != c.header || mm.Pinned != c.pinned || mm.Key != c.key {
				t.Fatalf("cause %#v, want header %s pinned %s key %s", mm, c.header, c.pinned, c.key)
			}
			want := "refused request-alg: header alg " + string(c.header) + ", but the certificate's " + c.key + " key pins " + string(c.pinned)
			if err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
	// An alg outside the request algorithms is no mismatch: no cause.
	_, _, err := ParseRequest(rawJWS(hdr("ES256", TypRequest, x.chain(x.card), nil), mustJSON(f.req), es256(x.card.ecKey())), pool, testNow)
	var mm *AlgMismatchError
	if refusalCode(err) != "request-alg" || errors.As(err, &mm) {
		t.Errorf("ES256: %v", err)
	}
}

// TestRequestAlg: the algorithm is pinned by the key type alone.
func TestRequestAlg(t *testing.T) {
	p := getPKI(t)
	x := getGen2(t)
	for _, c := range []struct {
		name string
		pub  crypto.PublicKey
		want jose.SignatureAlgorithm
	}{
		{"RSA-2048", p.card.key.Public(), jose.RS256},
		{"RSA-1024", mustRSA(1024).Public(), ""},
		{"P-384", x.card.key.Public(), jose.ES384},
		{"P-256", x.p256.key.Public(), ""},
		{"P-521", x.p521.key.Public(), ""},
		{"nil", nil, ""},
		{"RSA without modulus", &rsa.PublicKey{}, ""},
		{"ECDSA without curve", &ecdsa.PublicKey{}, ""},
	} {
		got, err := RequestAlg(c.pub)
		if got != c.want || (err == nil) != (c.want != "") || (err != nil && !errors.Is(err, ErrCardKey)) {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if algs := RequestAlgs(); len(algs) != 2 || algs[0] != AlgRequest || algs[1] != AlgRequestP384 {
		t.Errorf("RequestAlgs() = %v", algs)
	}
}

// derSigner is a card that returns what it is told to instead of a
// signature (a malfunctioning or hostile card).
type derSigner struct {
	pub crypto.PublicKey
	sig []byte
	err error
}

func (d derSigner) Public() crypto.PublicKey { return d.pub }
func (d derSigner) Sign(_ io.Reader, _ []byte, _ crypto.SignerOpts) ([]byte, error) {
	return d.sig, d.err
}

// TestSignRequestES384: SignRequest picks ES384 for a P-384 card by its
// key, hashes with SHA-384, turns the card's DER into r||s, and refuses
// keys with no pinned algorithm and malformed card answers.
func TestSignRequestES384(t *testing.T) {
	f := newFlow(t)
	x := getGen2(t)
	b, err := SignRequest(t.Context(), x.card.key, x.card.der(), f.req)
	if err != nil {
		t.Fatal(err)
	}
	h, _, sig := splitJWS(t, b)
	var hm map[string]any
	if err := json.Unmarshal(h, &hm); err != nil || hm["alg"] != "ES384" || hm["typ"] != TypRequest || len(hm) != 3 {
		t.Fatalf("header %s (%v)", h, err)
	}
	if len(sig) != 96 {
		t.Fatalf("signature %d bytes, want 96 (r||s)", len(sig))
	}
	d := sha512.Sum384(b[:bytes.LastIndexByte(b, '.')])
	r, s := new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])
	if !ecdsa.Verify(&x.card.ecKey().PublicKey, d[:], r, s) {
		t.Fatal("ES384 signature does not verify over the signing input with SHA-384")
	}
	if _, _, err := ParseRequestIn(b, x.trust(f.p), testNow); err != nil {
		t.Fatalf("SignRequest output refused: %v", err)
	}

	pub := x.card.key.Public()
	for _, c := range []struct {
		name string
		card crypto.Signer
	}{
		{"P-256 card", x.p256.key},
		{"P-521 card", x.p521.key},
		{"RSA-1024 card", mustRSA(1024)},
		{"card answers r||s instead of DER", derSigner{pub: pub, sig: bytes.Repeat([]byte{1}, 96)}},
		{"card answers DER with trailing bytes", derSigner{pub: pub, sig: append(mustDER(t, big.NewInt(1), big.NewInt(1)), 0)}},
		{"card answers r = 0", derSigner{pub: pub, sig: mustDER(t, big.NewInt(0), big.NewInt(1))}},
		{"card answers s = n", derSigner{pub: pub, sig: mustDER(t, big.NewInt(1), elliptic.P384().Params().N)}},
		{"card answers a 2^400 r", derSigner{pub: pub, sig: mustDER(t, new(big.Int).Lsh(big.NewInt(1), 400), big.NewInt(1))}},
		{"card fails", derSigner{pub: pub, err: errors.New("card removed")}},
	} {
		if _, err := SignRequest(t.Context(), c.card, x.card.der(), f.req); err == nil {
			t.Errorf("%s: SignRequest succeeded", c.name)
		}
	}
	// The card's own error stays reachable.
	cause := errors.New("card removed")
	if _, err := SignRequest(t.Context(), derSigner{pub: pub, err: cause}, x.card.der(), f.req); !errors.Is(err, cause) {
		t.Errorf("card error lost: %v", err)
	}
	if _, err := SignRequest(t.Context(), x.p256.key, x.p256.der(), f.req); !errors.Is(err, ErrCardKey) {
		t.Errorf("P-256 card: %v, want ErrCardKey", err)
	}
	if _, err := SignRequestChain(t.Context(), x.card.key, nil, f.req); err == nil {
		t.Error("SignRequestChain signed with no certificate")
	}
	if _, err := SignRequestChain(t.Context(), x.card.key, make([][]byte, maxX5C+1), f.req); err == nil {
		t.Error("SignRequestChain signed with too many certificates")
	}
}

func mustDER(t testing.TB, r, s *big.Int) []byte {
	t.Helper()
	b, err := asn1.Marshal(ecdsaDER{R: r, S: s})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestECDSASignatureJWS: the conversion between the card's DER and the
// JWS r||s, on every curve, both ways, and its refusals.
func TestECDSASignatureJWS(t *testing.T) {
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		key := mustEC(curve)
		size := (curve.Params().BitSize + 7) / 8
		for range 16 { // short r or s (leading zero bytes) turn up in a few tries
			d := sha512.Sum384([]byte("kofu"))
			der, err := ecdsa.SignASN1(rand.Reader, key, d[:])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := ECDSASignatureToJWS(der, curve)
			if err != nil || len(raw) != 2*size {
				t.Fatalf("%s: %d bytes, %v", curve.Params().Name, len(raw), err)
			}
			r, s := new(big.Int).SetBytes(raw[:size]), new(big.Int).SetBytes(raw[size:])
			if !ecdsa.Verify(&key.PublicKey, d[:], r, s) {
				t.Fatalf("%s: r||s does not verify", curve.Params().Name)
			}
			back, err := ECDSASignatureFromJWS(raw, curve)
			if err != nil || !bytes.Equal(back, der) {
				t.Fatalf("%s: round trip %x → %x, %v", curve.Params().Name, der, back, err)
			}
		}
	}
	p384 := elliptic.P384()
	n := p384.Params().N
	one := big.NewInt(1)
	nm1 := new(big.Int).Sub(n, one)
	// Known answer: r = 1, s = n-1 pad to 48 bytes each.
	raw, err := ECDSASignatureToJWS(mustDER(t, one, nm1), p384)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 96)
	want[47] = 1
	nm1.FillBytes(want[48:])
	if !bytes.Equal(raw, want) {
		t.Errorf("r=1, s=n-1: %x", raw)
	}
	good := mustDER(t, big.NewInt(5), big.NewInt(7))
	longForm := append([]byte{0x30, 0x81, byte(len(good) - 2)}, good[2:]...) // non-minimal length
	padded := []byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07}   // r with a needless zero byte
	threeInts, _ := asn1.Marshal(struct{ R, S, T *big.Int }{big.NewInt(5), big.NewInt(7), big.NewInt(9)})
	for _, c := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"r||s instead of DER", want},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"non-minimal length", longForm},
		{"non-minimal integer", padded},
		{"three integers", threeInts},
		{"negative r", mustDER(t, big.NewInt(-5), big.NewInt(7))},
		{"r = 0", mustDER(t, big.NewInt(0), big.NewInt(7))},
		{"s = n", mustDER(t, big.NewInt(5), n)},
		{"r of 49 bytes", mustDER(t, new(big.Int).Lsh(one, 390), big.NewInt(7))},
		{"a SET, not a SEQUENCE", append([]byte{0x31}, good[1:]...)},
	} {
		if _, err := ECDSASignatureToJWS(c.der, p384); !errors.Is(err, ErrECDSASignature) {
			t.Errorf("ToJWS %s: %v, want ErrECDSASignature", c.name, err)
		}
	}
	for _, c := range []struct {
		name string
		raw  []byte
	}{
		{"95 bytes", want[1:]},
		{"97 bytes", append([]byte{0}, want...)},
		{"P-256 length", make([]byte, 64)},
		{"r = 0", append(make([]byte, 48), want[48:]...)},
		{"s = n", append(bytes.Clone(want[:48]), n.FillBytes(make([]byte, 48))...)},
		{"all ones", bytes.Repeat([]byte{0xff}, 96)},
	} {
		if _, err := ECDSASignatureFromJWS(c.raw, p384); !errors.Is(err, ErrECDSASignature) {
			t.Errorf("FromJWS %s: %v, want ErrECDSASignature", c.name, err)
		}
	}
	if _, err := ECDSASignatureToJWS(good, nil); !errors.Is(err, ErrECDSASignature) {
		t.Errorf("nil curve: %v", err)
	}
}

// FuzzECDSASignatureJWS: the conversion never panics; what it accepts
// round-trips exactly (only canonical DER is accepted, so DER → r||s →
// DER gives back the same bytes), and r||s → DER → r||s likewise.
func FuzzECDSASignatureJWS(f *testing.F) {
	key := mustEC(elliptic.P384())
	d := sha512.Sum384([]byte("seed"))
	der, err := ecdsa.SignASN1(rand.Reader, key, d[:])
	if err != nil {
		f.Fatal(err)
	}
	raw, err := ECDSASignatureToJWS(der, elliptic.P384())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der, uint8(0))
	f.Add(raw, uint8(0))
	f.Add(append(bytes.Clone(der), 0), uint8(0))
	f.Add(der[:len(der)-1], uint8(0))
	f.Add(mustDER(f, big.NewInt(1), big.NewInt(1)), uint8(1))
	f.Add(mustDER(f, big.NewInt(-1), big.NewInt(1)), uint8(2))
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00}, uint8(0)) // indefinite length (BER)
	curves := []elliptic.Curve{elliptic.P384(), elliptic.P256(), elliptic.P521()}
	f.Fuzz(func(t *testing.T, data []byte, c uint8) {
		curve := curves[int(c)%len(curves)]
		size := (curve.Params().BitSize + 7) / 8
		if rs, err := ECDSASignatureToJWS(data, curve); err == nil {
			if len(rs) != 2*size {
				t.Fatalf("r||s of %d bytes for %s", len(rs), curve.Params().Name)
			}
			back, err := ECDSASignatureFromJWS(rs, curve)
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("accepted DER %x does not round-trip: %x, %v", data, back, err)
			}
		} else if !errors.Is(err, ErrECDSASignature) {
			t.Fatalf("refusal does not wrap ErrECDSASignature: %v", err)
		}
		if d, err := ECDSASignatureFromJWS(data, curve); err == nil {
			rs, err := ECDSASignatureToJWS(d, curve)
			if err != nil || !bytes.Equal(rs, data) {
				t.Fatalf("accepted r||s %x does not round-trip: %x, %v", data, rs, err)
			}
		} else if !errors.Is(err, ErrECDSASignature) {
			t.Fatalf("refusal does not wrap ErrECDSASignature: %v", err)
		}
	})
}
