package center_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
)

// Next-generation cards (issue 16) at the emulated center, over the
// loopback mutual-TLS setup of the other center tests and the center's own
// OCSP responder. The card is the committed fixture key of a generation-2
// resident (ECDSA P-384) used as a software crypto.Signer: the protocol
// side of what the card code will hand SignRequest.

// submitChain signs a request for res with its card key (RS256 or ES384
// as the key pins it), x5c = chain (the card certificate alone when nil),
// and submits it through env's client.
func submitChain(t *testing.T, env *emulator.Env, res *fixtures.Resident, doc protocol.DocSpec, chain [][]byte) (*protocol.Sent, []byte, error) {
	t.Helper()
	req, err := protocol.NewRequest(env.Identity.Term, env.Identity.Store, res.RecordMuni(doc.Type), doc, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	key, err := res.CardSigner()
	if err != nil {
		t.Fatal(err)
	}
	if chain == nil {
		chain = [][]byte{res.CardCertDER}
	}
	compact, err := protocol.SignRequestChain(context.Background(), key, chain, req)
	if err != nil {
		t.Fatal(err)
	}
	return submitRaw(t, env, compact, res.CardCertDER)
}

func submitRaw(t *testing.T, env *emulator.Env, compact, certDER []byte) (*protocol.Sent, []byte, error) {
	t.Helper()
	sent, err := protocol.NewSent(compact, certDER)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := env.Client.Submit(context.Background(), sent)
	return sent, tk, err
}

// forgedRequest builds a request JWS by hand: header alg and x5c as given,
// the signature by key over the signing input with hash (the DER of an
// ECDSA key's signature turned into r||s), so that header and key can
// disagree.
func forgedRequest(t *testing.T, env *emulator.Env, muni, alg string, x5c []byte, key crypto.Signer, hash crypto.Hash) []byte {
	t.Helper()
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	req, err := protocol.NewRequest(env.Identity.Term, env.Identity.Store, muni, doc, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(map[string]any{"alg": alg, "typ": protocol.TypRequest, "x5c": []string{base64.StdEncoding.EncodeToString(x5c)}})
	p, _ := json.Marshal(req)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	hh := hash.New()
	hh.Write([]byte(input))
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), hash)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
}

// TestGen2Requests: the center accepts ES384 requests from generation-2
// cards (certificate alone or with its CA), refuses a revoked one through
// the P-384 branch's OCSP responder and an expired one, refuses any
// header alg the certificate's key does not pin, and still serves the
// RSA cards beside them.
func TestGen2Requests(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	res := func(id string) *fixtures.Resident {
		r, ok := fx.Resident(id)
		if !ok {
			t.Fatalf("no resident %s", id)
		}
		return r
	}
	g1, g2, g3, g4, r1 := res("G0001"), res("G0002"), res("G0003"), res("G0004"), res("R0001")
	for _, r := range []*fixtures.Resident{g1, g2, g3, g4} {
		if r.Gen != fixtures.Gen2 {
			t.Fatalf("%s is not a generation-2 card", r.ID)
		}
	}
	g1Key, err := g1.CardECKey()
	if err != nil {
		t.Fatal(err)
	}
	r1Key, err := r1.CardKey()
	if err != nil {
		t.Fatal(err)
	}
	juminhyo, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	inkan, _ := protocol.NewDocSpec(protocol.DocInkan)

	type result struct {
		problem protocol.ProblemType
		detail  string
	}
	cases := []struct {
		name string
		run  func(t *testing.T) error
		want result
	}{
		{"G0001 ES384, certificate alone", func(t *testing.T) error {
			_, _, err := submitChain(t, env, g1, juminhyo, nil)
			return err
		}, result{}},
		{"G0001 ES384, certificate and its CA", func(t *testing.T) error {
			_, _, err := submitChain(t, env, g1, juminhyo, [][]byte{g1.CardCertDER, g1.CardCACertDER})
			return err
		}, result{}},
		{"G0002 ES384 inkan", func(t *testing.T) error {
			_, _, err := submitChain(t, env, g2, inkan, nil)
			return err
		}, result{}},
		{"R0001 RS256 beside them", func(t *testing.T) error {
			_, _, err := submitChain(t, env, r1, juminhyo, nil)
			return err
		}, result{}},
		{"G0003 revoked (OCSP of the P-384 branch)", func(t *testing.T) error {
			_, _, err := submitChain(t, env, g3, juminhyo, nil)
			return err
		}, result{problem: protocol.ProbCardRevoked}},
		{"G0004 expired", func(t *testing.T) error {
			_, _, err := submitChain(t, env, g4, juminhyo, nil)
			return err
		}, result{problem: protocol.ProbCardExpired}},
		{"RS256 header with G0001's P-384 certificate", func(t *testing.T) error {
			_, _, err := submitRaw(t, env, forgedRequest(t, env, g1.Muni, "RS256", g1.CardCertDER, r1Key, crypto.SHA256), g1.CardCertDER)
			return err
		}, result{problem: protocol.ProbBadRequest, detail: "request-alg"}},
		{"ES384 header with R0001's RSA certificate", func(t *testing.T) error {
			c := forgedRequest(t, env, r1.Muni, "ES384", r1.CardCertDER, g1Key, crypto.SHA384)
			// r||s, not the key's DER: the mismatch is refused before any
			// signature is looked at.
			parts := strings.Split(string(c), ".")
			der, _ := base64.RawURLEncoding.DecodeString(parts[2])
			raw, err := protocol.ECDSASignatureToJWS(der, g1Key.Curve)
			if err != nil {
				t.Fatal(err)
			}
			c = []byte(parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(raw))
			_, _, err = submitRaw(t, env, c, r1.CardCertDER)
			return err
		}, result{problem: protocol.ProbBadRequest, detail: "request-alg"}},
		{"ES384 with the card's DER signature", func(t *testing.T) error {
			// What a card code that forgot the conversion would send.
			_, _, err := submitRaw(t, env, forgedRequest(t, env, g1.Muni, "ES384", g1.CardCertDER, g1Key, crypto.SHA384), g1.CardCertDER)
			return err
		}, result{problem: protocol.ProbBadSignature}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			if err != nil && problemType(err) == "" {
				t.Fatalf("not a problem of the center's: %v", err)
			}
			if pt := problemType(err); pt != tc.want.problem || !strings.Contains(problemDetail(err), tc.want.detail) {
				t.Fatalf("problem %q (%q), want %q (%q); err %v", pt, problemDetail(err), tc.want.problem, tc.want.detail, err)
			}
		})
	}
}

func problemDetail(err error) string {
	var p *protocol.Problem
	if errors.As(err, &p) {
		return p.Detail
	}
	return ""
}

// TestGen2Document: a generation-2 card's whole transaction at the
// protocol level: the ticket verifies for its request, the envelope's
// subject is the kiosk's computation from the P-384 certificate, and
// every page passes the kiosk's checks.
func TestGen2Document(t *testing.T) {
	fx := loadFixtures(t)
	env, w := startEnv(t, emulator.Options{Fixtures: fx})
	g1, _ := fx.Resident("G0001")
	juminhyo, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	sent, tk, err := submitChain(t, env, g1, juminhyo, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := jwsHeader(t, sent.Compact()); h["alg"] != "ES384" {
		t.Fatalf("request header %v, want alg ES384", h)
	}
	vt, err := env.Verifier.Ticket(tk, sent)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eb, err := env.Client.Envelope(ctx, vt)
	if err != nil {
		t.Fatal(err)
	}
	ve, err := env.Verifier.Envelope(eb, vt)
	if err != nil {
		t.Fatalf("envelope of a generation-2 request refused: %v", err)
	}
	want := expect(t, w, g1.CardCertDER)
	e := ve.Envelope()
	if !bytes.Equal(e.Subject, want.subject) || !bytes.Equal(e.Binding, want.binding) {
		t.Fatal("envelope subject or binding differs from the wire computation")
	}
	var data [][]byte
	for n := 1; n <= len(e.Pages); n++ {
		b, err := env.Client.Page(ctx, ve, n)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, b)
	}
	vp, err := env.Verifier.Pages(ve, data)
	if err != nil || len(vp) != len(e.Pages) {
		t.Fatalf("pages: %d verified, %v", len(vp), err)
	}
}

func jwsHeader(t *testing.T, compact []byte) map[string]any {
	t.Helper()
	first, _, _ := strings.Cut(string(compact), ".")
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestOCSPBothBranches: the center's OCSP responder, over HTTP, answers
// for generation-1 cards with the responder jpki-ca delegated and for
// generation-2 cards with the one jpki-p384-ca delegated; a CertID that
// names a CA by one branch's subject and the other's key is unknown.
func TestOCSPBothBranches(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	post := func(t *testing.T, der []byte) []byte {
		t.Helper()
		resp, err := http.Post(env.Center.OCSPURL, "application/ocsp-request", bytes.NewReader(der))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		id        string
		responder fixtures.KeyPair
		status    int
	}{
		{"R0001", fx.OCSP, ocsp.Good},
		{"R0005", fx.OCSP, ocsp.Revoked},
		{"G0001", fx.OCSPP384, ocsp.Good},
		{"G0002", fx.OCSPP384, ocsp.Good},
		{"G0003", fx.OCSPP384, ocsp.Revoked},
	} {
		t.Run(tc.id, func(t *testing.T) {
			r, _ := fx.Resident(tc.id)
			for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384} {
				reqDER, err := ocsp.CreateRequest(r.CardCert, r.CardCACert, &ocsp.RequestOptions{Hash: h})
				if err != nil {
					t.Fatal(err)
				}
				resp, err := ocsp.ParseResponseForCert(post(t, reqDER), r.CardCert, r.CardCACert)
				if err != nil {
					t.Fatalf("%v: %v", h, err)
				}
				if resp.Status != tc.status || !bytes.Equal(resp.Certificate.Raw, tc.responder.CertDER) {
					t.Errorf("%v: status %d by %s, want %d by %s", h, resp.Status, resp.Certificate.Subject.CommonName,
						tc.status, tc.responder.Cert.Subject.CommonName)
				}
			}
		})
	}
	// The other branch's CA named as issuer: unknown, never "good".
	g1, _ := fx.Resident("G0001")
	r1, _ := fx.Resident("R0001")
	for name, issuer := range map[string]*x509.Certificate{
		"G0001 under jpki-ca": fx.JPKICA.Cert,
		"jpki-p384-ca's subject, jpki-ca's key": {RawSubject: fx.JPKIP384CA.Cert.RawSubject,
			RawSubjectPublicKeyInfo: fx.JPKICA.Cert.RawSubjectPublicKeyInfo},
	} {
		reqDER, err := ocsp.CreateRequest(g1.CardCert, issuer, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponse(post(t, reqDER), nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if resp.Status != ocsp.Unknown {
			t.Errorf("%s: status %d, want unknown", name, resp.Status)
		}
	}
	reqDER, err := ocsp.CreateRequest(r1.CardCert, fx.JPKIP384CA.Cert, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := ocsp.ParseResponse(post(t, reqDER), nil); err != nil || resp.Status != ocsp.Unknown {
		t.Errorf("R0001 under jpki-p384-ca: %v, %v", resp, err)
	}
}
