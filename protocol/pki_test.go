package protocol

// Test fixtures shared by the protocol tests: an ephemeral PKI built once
// per test binary, hand-built JWS helpers that do not go through this
// package's signing code, and the happy-path transaction (request, ticket)
// every forged variant is derived from.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testNow is the fixed "now" of every verification in these tests: whole
// seconds, so that NumericDate arithmetic is exact. The test PKI here is
// minted relative to it, and the TLS handshakes of client_test.go judge
// those certificates at the wall clock, seconds from testNow: no verdict
// depends on the date it is read on.
var testNow = time.Now().Truncate(time.Second)

func fixedNow() time.Time { return testNow }

// testCA is a certificate authority of the ephemeral test PKI.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// testLeaf is an end-entity key with its certificate.
type testLeaf struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func (l *testLeaf) der() []byte { return l.cert.Raw }

func (l *testLeaf) ecKey() *ecdsa.PrivateKey { return l.key.(*ecdsa.PrivateKey) }

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

var serialCounter atomic.Int64

func nextSerial() *big.Int { return big.NewInt(1000 + serialCounter.Add(1)) }

func mustEC(curve elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// newRootCA makes a self-signed CA valid over [nb, na].
func newRootCA(cn string, key crypto.Signer, nb, na time.Time) (*testCA, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"kofu test PKI"}},
		NotBefore:             nb,
		NotAfter:              na,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testCA{cert: c, key: key}, nil
}

// issue signs tmpl (serial and validity filled in when zero) for key.
func (ca *testCA) issue(tmpl *x509.Certificate, key crypto.Signer) (*testLeaf, error) {
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = nextSerial()
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = ca.cert.NotBefore
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testLeaf{cert: c, key: key}, nil
}

// signerTmpl is the template of a JWS signer leaf: KeyUsage
// digitalSignature and, by the role its common name starts with, the
// role's extended key usage — EKUTicketSigner for "center …",
// EKUEnvelopeSigner for "issuer …", none for any other (cards, operator
// leaves). Role tests build their own templates (roleLeaves).
func signerTmpl(cn string) *x509.Certificate {
	t := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature}
	switch {
	case strings.HasPrefix(cn, "center "):
		t.UnknownExtKeyUsage = []asn1.ObjectIdentifier{SignerEKU(StageTicket)}
	case strings.HasPrefix(cn, "issuer "):
		t.UnknownExtKeyUsage = []asn1.ObjectIdentifier{SignerEKU(StageEnvelope)}
	}
	return t
}

// selfSigned makes a self-signed end-entity certificate for key.
func selfSigned(cn string, key crypto.Signer, ku x509.KeyUsage) (*testLeaf, error) {
	tmpl := &x509.Certificate{SerialNumber: nextSerial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: testNow.Add(-24 * time.Hour), NotAfter: testNow.Add(30 * 24 * time.Hour), KeyUsage: ku}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testLeaf{cert: c, key: key}, nil
}

// testPKI is the ephemeral PKI of DESIGN §4: a JPKI-like RSA CA with an
// RSA-2048 card, distinct center and issuer CAs with ES256 signer leaves,
// and an operator CA for mutual TLS.
type testPKI struct {
	jpki  *testCA   // RSA, signs user-authentication certificates
	card  *testLeaf // RSA-2048 user-auth key and certificate of "our" resident
	card2 *testLeaf // another resident's user-auth certificate (same key, other record)

	center    *testCA   // ECDSA P-256, signs the center's ticket key
	centerSig *testLeaf // ES256 ticket signer
	issuer    *testCA   // ECDSA P-256, signs the issuer's envelope key
	issuerSig *testLeaf // ES256 envelope signer

	operator *testCA   // TLS CA of the operator
	server   *testLeaf // center TLS server certificate (127.0.0.1, localhost)
	device   *testLeaf // kiosk device certificate (ClientAuth)

	foreign       *testCA   // an unrelated CA: pinning and chain tests
	foreignServer *testLeaf // a TLS server certificate for 127.0.0.1 under it
	foreignDevice *testLeaf // a client certificate under it
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

// getPKI returns the shared test PKI, building it on first use.
func getPKI(tb testing.TB) *testPKI {
	tb.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = buildPKI() })
	if pkiErr != nil {
		tb.Fatalf("test PKI: %v", pkiErr)
	}
	return pkiVal
}

func buildPKI() (*testPKI, error) {
	nb, na := testNow.Add(-24*time.Hour), testNow.Add(30*24*time.Hour)
	p := &testPKI{}
	var err error
	if p.jpki, err = newRootCA("JPKI-like user authentication CA (test)", mustRSA(2048), nb, na); err != nil {
		return nil, err
	}
	cardKey := mustRSA(2048)
	cardTmpl := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	}
	if p.card, err = p.jpki.issue(cardTmpl("resident R0001"), cardKey); err != nil {
		return nil, err
	}
	if p.card2, err = p.jpki.issue(cardTmpl("resident R0002"), cardKey); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		ca   **testCA
		leaf **testLeaf
		name string
	}{{&p.center, &p.centerSig, "center"}, {&p.issuer, &p.issuerSig, "issuer"}} {
		if *x.ca, err = newRootCA(x.name+" CA (test)", mustEC(elliptic.P256()), nb, na); err != nil {
			return nil, err
		}
		if *x.leaf, err = (*x.ca).issue(signerTmpl(x.name+" signer"), mustEC(elliptic.P256())); err != nil {
			return nil, err
		}
	}
	tlsPair := func(ca *testCA) (server, device *testLeaf, err error) {
		server, err = ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "center.test"},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
			mustEC(elliptic.P256()))
		if err != nil {
			return nil, nil, err
		}
		device, err = ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "kiosk K-0001"},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
			mustEC(elliptic.P256()))
		return server, device, err
	}
	if p.operator, err = newRootCA("operator CA (test)", mustEC(elliptic.P256()), nb, na); err != nil {
		return nil, err
	}
	if p.server, p.device, err = tlsPair(p.operator); err != nil {
		return nil, err
	}
	if p.foreign, err = newRootCA("foreign CA (test)", mustEC(elliptic.P256()), nb, na); err != nil {
		return nil, err
	}
	if p.foreignServer, p.foreignDevice, err = tlsPair(p.foreign); err != nil {
		return nil, err
	}
	return p, nil
}

// verifier returns a Verifier with the test trust anchors and clock.
func (p *testPKI) verifier() *Verifier {
	return &Verifier{CenterRoots: p.center.pool(), IssuerRoots: p.issuer.pool(), Now: fixedNow}
}

func (p *testPKI) centerChain() [][]byte { return [][]byte{p.centerSig.der()} }
func (p *testPKI) issuerChain() [][]byte { return [][]byte{p.issuerSig.der()} }

func tlsCert(l *testLeaf) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{l.der()}, PrivateKey: l.key, Leaf: l.cert}
}

// ---- hand-built JWS, independent of this package's signing code ----

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// hdr is a protected header {alg, typ, x5c} plus extra members.
func hdr(alg, typ string, x5c [][]byte, extra map[string]any) []byte {
	m := map[string]any{"alg": alg, "typ": typ}
	if x5c != nil {
		s := make([]string, len(x5c))
		for i, d := range x5c {
			s[i] = base64.StdEncoding.EncodeToString(d)
		}
		m["x5c"] = s
	}
	for k, v := range extra {
		m[k] = v
	}
	return mustJSON(m)
}

// rawJWS assembles header.payload.signature from raw JSON bytes; sign gets
// the JWS signing input.
func rawJWS(header, payload []byte, sign func(input []byte) []byte) []byte {
	input := b64url(header) + "." + b64url(payload)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return []byte(input + "." + b64url(sig))
}

// es256 signs as JWS ES256: SHA-256, ECDSA, r||s in 32 bytes each (in
// the curve's size for other curves).
func es256(key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		der, err := key.Sign(rand.Reader, d[:], crypto.SHA256)
		if err != nil {
			panic(err)
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			panic(err)
		}
		n := (key.Curve.Params().BitSize + 7) / 8 // 32 for P-256
		out := make([]byte, 2*n)
		rs.R.FillBytes(out[:n])
		rs.S.FillBytes(out[n:])
		return out
	}
}

// rs256 signs as JWS RS256: RSASSA-PKCS1-v1_5 with SHA-256.
func rs256(key *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		d := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
		if err != nil {
			panic(err)
		}
		return sig
	}
}

// hs256 "signs" with HMAC-SHA-256 under secret.
func hs256(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

// jsonMap turns a message into a generic JSON object for mutation.
func jsonMap(v any) map[string]any {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(mustJSON(v)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// splitJWS returns the three decoded parts of a compact JWS.
func splitJWS(tb testing.TB, compact []byte) (header, payload, sig []byte) {
	tb.Helper()
	parts := splitDots(string(compact))
	if len(parts) != 3 {
		tb.Fatalf("not a compact JWS: %q", compact)
	}
	var out [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			tb.Fatalf("part %d: %v", i, err)
		}
		out[i] = b
	}
	return out[0], out[1], out[2]
}

// withPart replaces part i (0 header, 1 payload, 2 signature) of a compact
// JWS by the base64url of b, keeping the other parts byte for byte.
func withPart(compact []byte, i int, b []byte) []byte {
	parts := splitDots(string(compact))
	parts[i] = b64url(b)
	return []byte(parts[0] + "." + parts[1] + "." + parts[2])
}

func splitDots(s string) []string { return strings.Split(s, ".") }

// flipSig flips one bit in the middle of the decoded signature.
func flipSig(tb testing.TB, compact []byte) []byte {
	tb.Helper()
	_, _, sig := splitJWS(tb, compact)
	if len(sig) == 0 {
		tb.Fatal("no signature to flip")
	}
	sig = append([]byte(nil), sig...)
	sig[len(sig)/2] ^= 0x01
	return withPart(compact, 2, sig)
}

// refusalCode is the RefusalError code of err, "" for nil, and a marker
// for an error that is not a refusal at all.
func refusalCode(err error) string {
	if err == nil {
		return ""
	}
	var r *RefusalError
	if errors.As(err, &r) {
		return r.Code()
	}
	return "<not a refusal: " + err.Error() + ">"
}

// ---- the happy-path transaction ----

// flow is one kiosk transaction up to a verified ticket.
type flow struct {
	p       *testPKI
	v       *Verifier
	req     Request
	compact []byte
	sent    *Sent
	tk      Ticket
	tkJWS   []byte
	vt      *VerifiedTicket
}

// fixedTID returns a ticket id whose base64url form contains '-' and '_'
// (0xfbefbe → "----", 0xffffff → "____"), followed by random bytes.
func fixedTID(tb testing.TB) Bytes {
	tb.Helper()
	r, err := RandomID(TIDSize - 6)
	if err != nil {
		tb.Fatal(err)
	}
	return append(Bytes{0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff}, r...)
}

// newFlow builds a request signed by the card, its Sent, and a correct
// ticket signed by the center, and checks the ticket passes.
func newFlow(tb testing.TB) *flow {
	tb.Helper()
	return newFlowDoc(tb, DocJuminhyo)
}

func newFlowDoc(tb testing.TB, dt DocType) *flow {
	tb.Helper()
	p := getPKI(tb)
	doc, err := NewDocSpec(dt)
	if err != nil {
		tb.Fatal(err)
	}
	return newFlowSpec(tb, p, doc)
}

// newFlowSpec is the flow of a request for doc.
func newFlowSpec(tb testing.TB, p *testPKI, doc DocSpec) *flow {
	tb.Helper()
	req, err := NewRequest("K-0001", "S-0042", "141003", doc, testNow, "kofu-kiosk/test+0123abc")
	if err != nil {
		tb.Fatal(err)
	}
	compact, err := SignRequest(context.Background(), p.card.key, p.card.der(), req)
	if err != nil {
		tb.Fatal(err)
	}
	sent, err := NewSent(compact, p.card.der())
	if err != nil {
		tb.Fatal(err)
	}
	f := &flow{p: p, v: p.verifier(), req: req, compact: compact, sent: sent}
	f.tk = Ticket{V: Version, TID: fixedTID(tb), RID: req.RID, Binding: sent.Binding(), Doc: req.Doc,
		Fee: 300, IAT: testNow.Unix(), EXP: testNow.Add(15 * time.Minute).Unix()}
	if f.tkJWS, err = SignTicket(p.centerSig.key, p.centerChain(), f.tk); err != nil {
		tb.Fatal(err)
	}
	if f.vt, err = f.v.Ticket(f.tkJWS, sent); err != nil {
		tb.Fatalf("the correct ticket is refused: %v", err)
	}
	return f
}

// envelope returns a correct envelope for the flow's ticket declaring refs.
func (f *flow) envelope(refs []PageRef) Envelope {
	return Envelope{V: Version, TID: f.tk.TID, RID: f.req.RID, Binding: f.sent.Binding(),
		Subject: f.sent.Subject(), Doc: f.req.Doc, Serial: "YK-2026-000123",
		AsOf: testNow.Add(-36 * time.Hour).UTC().Format(time.RFC3339), Pages: refs,
		IAT: testNow.Unix() + 1, EXP: testNow.Add(time.Hour).Unix()}
}

// a4Refs declares n A4 pages at 300 dpi with hashes of distinct junk.
func a4Refs(n int) []PageRef {
	refs := make([]PageRef, n)
	for i := range refs {
		h := sha256.Sum256([]byte(fmt.Sprintf("page %d", i+1)))
		refs[i] = PageRef{N: i + 1, SHA256: h[:], W: 2480, H: 3508, DPI: 300}
	}
	return refs
}

// signEnvelope signs v with the issuer signer.
func (f *flow) signEnvelope(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := SignEnvelope(f.p.issuerSig.key, f.p.issuerChain(), v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// verifiedEnvelope signs e and checks it passes.
func (f *flow) verifiedEnvelope(tb testing.TB, e Envelope) (*VerifiedEnvelope, []byte) {
	tb.Helper()
	b := f.signEnvelope(tb, e)
	ve, err := f.v.Envelope(b, f.vt)
	if err != nil {
		tb.Fatalf("the correct envelope is refused: %v", err)
	}
	return ve, b
}

func stdEncode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mustRandom returns n random bytes.
func mustRandom(n int) Bytes {
	b, err := RandomID(n)
	if err != nil {
		panic(err)
	}
	return b
}

// mustDoc returns the default spec of a document type.
func mustDoc(dt DocType) DocSpec {
	d, err := NewDocSpec(dt)
	if err != nil {
		panic(err)
	}
	return d
}

// f16 is 16 bytes of 0xff (base64url "_____..."); with padding appended it
// is a non-canonical encoding.
func f16() []byte { return bytes.Repeat([]byte{0xff}, 16) }

// ---- signer roles (issue 14) ----

// roleCase is one signer certificate profile and the code the verifier
// must answer for a ticket (stage ticket) or an envelope (stage envelope)
// it signs; "" means accepted.
type roleCase struct {
	name string
	// tmpl edits the template of a signer leaf that starts as the right
	// one for the stage: KeyUsage digitalSignature and the role's EKU.
	tmpl func(t *x509.Certificate)
	// inter, when set, puts an intermediate CA between the role's CA and
	// the leaf, its template edited by inter.
	inter func(t *x509.Certificate)
	// otherRole gives the leaf (or, with inter, the intermediate) the
	// other role's EKU instead.
	otherRole bool
	want      string // code without the stage, "" for accepted
}

func roleCases() []roleCase {
	oid := func(s string) asn1.ObjectIdentifier { return mustOID(s) }
	eku := func(u ...x509.ExtKeyUsage) func(*x509.Certificate) {
		return func(t *x509.Certificate) { t.ExtKeyUsage = u }
	}
	unknown := func(o ...asn1.ObjectIdentifier) func(*x509.Certificate) {
		return func(t *x509.Certificate) { t.UnknownExtKeyUsage = o }
	}
	both := func(a, b func(*x509.Certificate)) func(*x509.Certificate) {
		return func(t *x509.Certificate) { a(t); b(t) }
	}
	return []roleCase{
		{name: "control: the role's EKU and digitalSignature", want: ""},
		{name: "the other role's EKU", otherRole: true, want: "role"},
		{name: "no EKU", tmpl: unknown(), want: "role"},
		{name: "anyExtendedKeyUsage only", tmpl: both(unknown(), eku(x509.ExtKeyUsageAny)), want: "role"},
		{name: "the role's EKU and anyExtendedKeyUsage", tmpl: eku(x509.ExtKeyUsageAny), want: "role"},
		{name: "the role's EKU and serverAuth", tmpl: eku(x509.ExtKeyUsageServerAuth), want: "role"},
		{name: "the role's EKU and a foreign private OID", tmpl: func(t *x509.Certificate) {
			t.UnknownExtKeyUsage = append(t.UnknownExtKeyUsage, oid("1.3.6.1.4.1.32473.1046.99"))
		}, want: "role"},
		{name: "no KeyUsage", tmpl: func(t *x509.Certificate) { t.KeyUsage = 0 }, want: "key"},
		{name: "KeyUsage without digitalSignature", tmpl: func(t *x509.Certificate) { t.KeyUsage = x509.KeyUsageKeyAgreement }, want: "key"},
		{name: "KeyUsage nonRepudiation only", tmpl: func(t *x509.Certificate) { t.KeyUsage = x509.KeyUsageContentCommitment }, want: "key"},
		{name: "a CA certificate with the role's EKU", tmpl: func(t *x509.Certificate) {
			t.IsCA, t.BasicConstraintsValid = true, true
			t.KeyUsage |= x509.KeyUsageCertSign
		}, want: "role"},
		{name: "a CA certificate that only signs (no keyCertSign)", tmpl: func(t *x509.Certificate) {
			t.IsCA, t.BasicConstraintsValid = true, true
		}, want: "role"},
		{name: "keyCertSign on a leaf", tmpl: func(t *x509.Certificate) { t.KeyUsage |= x509.KeyUsageCertSign }, want: "role"},
		{name: "control: intermediate without EKU", inter: func(t *x509.Certificate) {}, want: ""},
		{name: "control: intermediate allowing anyExtendedKeyUsage", inter: eku(x509.ExtKeyUsageAny), want: ""},
		{name: "intermediate restricted to serverAuth", inter: eku(x509.ExtKeyUsageServerAuth), want: "role"},
		{name: "intermediate restricted to the other role", inter: func(t *x509.Certificate) {}, otherRole: true, want: "role"},
	}
}

// roleSigner issues a signer leaf for stage under ca (through an
// intermediate when c.inter is set), the template edited by c.
func roleSigner(tb testing.TB, ca *testCA, stage Stage, c roleCase) (*testLeaf, [][]byte) {
	tb.Helper()
	own, other := SignerEKU(StageTicket), SignerEKU(StageEnvelope)
	if stage == StageEnvelope {
		own, other = other, own
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: string(stage) + " role test: " + c.name},
		KeyUsage: x509.KeyUsageDigitalSignature, UnknownExtKeyUsage: []asn1.ObjectIdentifier{own}}
	if c.tmpl != nil {
		c.tmpl(tmpl)
	}
	if c.otherRole && c.inter == nil {
		tmpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{other}
	}
	issuer, chain := ca, [][]byte(nil)
	if c.inter != nil {
		it := &x509.Certificate{Subject: pkix.Name{CommonName: string(stage) + " role test intermediate: " + c.name},
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		c.inter(it)
		if c.otherRole {
			it.UnknownExtKeyUsage = []asn1.ObjectIdentifier{other}
		}
		il, err := ca.issue(it, mustEC(elliptic.P256()))
		if err != nil {
			tb.Fatal(err)
		}
		issuer, chain = &testCA{cert: il.cert, key: il.key}, [][]byte{il.der()}
	}
	leaf, err := issuer.issue(tmpl, mustEC(elliptic.P256()))
	if err != nil {
		tb.Fatal(err)
	}
	return leaf, append([][]byte{leaf.der()}, chain...)
}

// TestSignerRoles: a ticket or an envelope is accepted only from a signer
// certificate made for its role: KeyUsage digitalSignature, exactly the
// role's EKU, not a CA, under CAs that allow the role.
func TestSignerRoles(t *testing.T) {
	f := newFlow(t)
	for _, stage := range []Stage{StageTicket, StageEnvelope} {
		for _, c := range roleCases() {
			t.Run(string(stage)+"/"+c.name, func(t *testing.T) {
				var err error
				if stage == StageTicket {
					leaf, chain := roleSigner(t, f.p.center, stage, c)
					b, serr := SignTicket(leaf.key, chain, f.tk)
					if serr != nil {
						t.Fatal(serr)
					}
					_, err = f.v.Ticket(b, f.sent)
				} else {
					leaf, chain := roleSigner(t, f.p.issuer, stage, c)
					b, serr := SignEnvelope(leaf.key, chain, f.envelope(a4Refs(1)))
					if serr != nil {
						t.Fatal(serr)
					}
					_, err = f.v.Envelope(b, f.vt)
				}
				want := ""
				if c.want != "" {
					want = string(stage) + "-" + c.want
				}
				if got := refusalCode(err); got != want {
					t.Fatalf("code %q, want %q (err: %v)", got, want, err)
				}
			})
		}
	}
}

// TestSharedAnchors: the center and issuer trust anchors are compared by
// content. Identical pools refuse everything; an anchor trusted for both
// roles refuses the messages whose chain ends in it, even from a signer
// with the right EKU.
func TestSharedAnchors(t *testing.T) {
	f := newFlow(t)
	both := f.p.issuer.pool()
	both.AddCert(f.p.center.cert)
	sameCopy := f.p.center.pool() // another pool with the same certificate
	envJWS := f.signEnvelope(t, f.envelope(a4Refs(1)))
	cases := []struct {
		name           string
		center, issuer *x509.CertPool
		ticket, env    string // codes; "" accepted
	}{
		{"control: distinct anchors", f.p.center.pool(), f.p.issuer.pool(), "", ""},
		{"the same pool for both roles", both, both, "ticket-role", "envelope-role"},
		{"two pools with the same certificate", f.p.center.pool(), sameCopy, "ticket-role", "envelope-role"},
		{"the center CA trusted for envelopes too", f.p.center.pool(), both, "ticket-role", ""},
		{"the issuer CA trusted for tickets too", both, f.p.issuer.pool(), "", "envelope-role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{CenterRoots: tc.center, IssuerRoots: tc.issuer, Now: fixedNow}
			_, err := v.Ticket(f.tkJWS, f.sent)
			if got := refusalCode(err); got != tc.ticket {
				t.Errorf("ticket: code %q, want %q (err: %v)", got, tc.ticket, err)
			}
			_, err = v.Envelope(envJWS, f.vt)
			if got := refusalCode(err); got != tc.env {
				t.Errorf("envelope: code %q, want %q (err: %v)", got, tc.env, err)
			}
		})
	}
}

// TestSignerEKU: the role OIDs are distinct, parse back to their dotted
// constants, and are handed out as copies.
func TestSignerEKU(t *testing.T) {
	tk, env := SignerEKU(StageTicket), SignerEKU(StageEnvelope)
	if tk.String() != EKUTicketSigner || env.String() != EKUEnvelopeSigner || tk.Equal(env) {
		t.Fatalf("ticket %v, envelope %v", tk, env)
	}
	tk[len(tk)-1] = 99
	if SignerEKU(StageTicket).String() != EKUTicketSigner {
		t.Fatal("SignerEKU hands out shared state")
	}
	for _, s := range []Stage{StageRequest, StageOutcome, StagePage} {
		if SignerEKU(s) != nil {
			t.Errorf("%s has a signer EKU", s)
		}
	}
}
