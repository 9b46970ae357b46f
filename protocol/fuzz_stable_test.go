package protocol_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// These fuzz targets verify against trust anchors that do not change from
// run to run — the committed test PKI, and the CA of the committed
// protocol vectors — so that their committed corpora hold messages that
// really verify, not only forgeries.

// loadVectors reads testdata/protocol/vectors.json: requests really signed
// by RSA card keys under one CA, valid for 50 years, and a pinned instant
// to verify them at (a day after the CA's notBefore), so that no test
// reads the wall clock.
func loadVectors(tb testing.TB) (reqs [][]byte, pool *x509.CertPool, at time.Time) {
	tb.Helper()
	b, err := os.ReadFile("../testdata/protocol/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []struct {
		RequestJWS string `json:"request_jws"`
		CADER      string `json:"ca_der"`
	}
	if err := json.Unmarshal(b, &vs); err != nil || len(vs) == 0 {
		tb.Fatalf("vectors: %v", err)
	}
	der, err := base64.StdEncoding.DecodeString(vs[0].CADER)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(ca)
	for _, v := range vs {
		reqs = append(reqs, []byte(v.RequestJWS))
	}
	return reqs, pool, ca.NotBefore.Add(24 * time.Hour)
}

// protectedHeader decodes the first part of a compact JWS.
func protectedHeader(t *testing.T, compact []byte) map[string]json.RawMessage {
	t.Helper()
	first, _, _ := strings.Cut(string(compact), ".")
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		t.Fatalf("accepted a JWS whose header is not base64url: %v", err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("accepted a JWS whose header is not an object: %v", err)
	}
	return h
}

// checkHeader: what was accepted has only alg, typ and x5c, with the
// pinned values.
func checkHeader(t *testing.T, compact []byte, alg, typ string) {
	t.Helper()
	h := protectedHeader(t, compact)
	for k := range h {
		if k != "alg" && k != "typ" && k != "x5c" {
			t.Fatalf("accepted header member %q", k)
		}
	}
	var a, ty string
	json.Unmarshal(h["alg"], &a)
	json.Unmarshal(h["typ"], &ty)
	if a != alg || ty != typ {
		t.Fatalf("accepted alg %q typ %q", a, ty)
	}
}

// FuzzParseRequestVectors: the center's request parser over the committed
// vectors: a request or a RefusalError, never both; what is accepted has
// the whitelisted header, a valid payload, a certificate under the
// vectors' CA, and the binding of exactly its bytes.
func FuzzParseRequestVectors(f *testing.F) {
	reqs, pool, at := loadVectors(f)
	for _, r := range reqs {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, leaf, err := protocol.ParseRequest(data, pool, at)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || r != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if r.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid request")
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Fatalf("accepted a certificate outside the CA: %v", err)
		}
		checkHeader(t, data, string(protocol.AlgRequest), protocol.TypRequest)
		if len(data) > protocol.MaxRequestJWS || len(protocol.Binding(data)) != protocol.DigestSize {
			t.Fatal("size or binding")
		}
	})
}

// outcomeFlow signs outcomes with terminal T0001's device key from the
// committed test PKI.
type outcomeFlow struct {
	fx    *fixtures.Set
	pool  *x509.CertPool
	valid protocol.Outcome
	now   time.Time // a fixed instant inside the committed certificates' validity
}

func newOutcomeFlow(tb testing.TB) *outcomeFlow {
	tb.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		tb.Fatal(err)
	}
	o := protocol.Outcome{V: protocol.Version, TID: bytes.Repeat([]byte{0x5a}, protocol.TIDSize),
		Binding: bytes.Repeat([]byte{0xb1}, protocol.DigestSize), Result: protocol.ResultPrinted, Pages: 2,
		Printer: protocol.PrinterID{MFG: "kofu", MDL: "Emulated Laser 5", SN: "EMU0001"}, IAT: 1795417722}
	return &outcomeFlow{fx: fx, pool: fx.OperatorCA.Pool(), valid: o,
		now: fx.Terminals[0].Device.Cert.NotBefore.Add(24 * time.Hour)}
}

func (of *outcomeFlow) sign(tb testing.TB, o protocol.Outcome, term int) []byte {
	tb.Helper()
	d := of.fx.Terminals[term].Device
	b, err := protocol.SignOutcome(d.Key, [][]byte{d.CertDER}, o)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzParseOutcome: the center's parser of a kiosk's outcome report: an
// outcome or a RefusalError, never both; what is accepted is ES256 with
// the whitelisted header, signed by a device certificate under the
// operator CA, and a valid outcome whose JSON re-encodes to the same
// outcome.
func FuzzParseOutcome(f *testing.F) {
	of := newOutcomeFlow(f)
	f.Add(of.sign(f, of.valid, 0))
	refused := of.valid
	refused.Result, refused.Reason, refused.Pages = protocol.ResultRefused, "page-qr-mismatch", 0
	f.Add(of.sign(f, refused, 1))
	f.Add([]byte("eyJhbGciOiJub25lIn0.e30."))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, leaf, err := protocol.ParseOutcome(data, of.pool, of.now)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || o != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if o.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid outcome")
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: of.pool, CurrentTime: of.now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("accepted a signer outside the operator CA: %v", err)
		}
		checkHeader(t, data, string(protocol.AlgCenter), protocol.TypOutcome)
		var back protocol.Outcome
		enc, _ := json.Marshal(o)
		if err := json.Unmarshal(enc, &back); err != nil || back.Validate() != nil || !bytes.Equal(mustMarshal(back), enc) {
			t.Fatalf("outcome does not survive a round trip: %v", err)
		}
	})
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
