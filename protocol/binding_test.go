package protocol

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math/bits"
	"os"
	"path/filepath"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// update regenerates golden files (testdata/protocol/vectors.json).
var update = flag.Bool("update", false, "regenerate golden test vectors")

const vectorsPath = "../testdata/protocol/vectors.json"

// sha256Scratch is SHA-256 written out from FIPS 180-4, so that the
// binding and subject formulas are checked against a computation that
// shares no code with crypto/sha256.
func sha256Scratch(msg []byte) [32]byte {
	k := [64]uint32{
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
		0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
		0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
		0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
		0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
		0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
		0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
		0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	}
	h := [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
	// Padding: 0x80, zeros to 56 mod 64, then the bit length big-endian.
	m := append(append([]byte(nil), msg...), 0x80)
	for len(m)%64 != 56 {
		m = append(m, 0)
	}
	m = binary.BigEndian.AppendUint64(m, uint64(len(msg))*8)
	var w [64]uint32
	for off := 0; off < len(m); off += 64 {
		for i := 0; i < 16; i++ {
			w[i] = binary.BigEndian.Uint32(m[off+4*i:])
		}
		for i := 16; i < 64; i++ {
			s0 := bits.RotateLeft32(w[i-15], -7) ^ bits.RotateLeft32(w[i-15], -18) ^ (w[i-15] >> 3)
			s1 := bits.RotateLeft32(w[i-2], -17) ^ bits.RotateLeft32(w[i-2], -19) ^ (w[i-2] >> 10)
			w[i] = w[i-16] + s0 + w[i-7] + s1
		}
		a, b, c, d, e, f, g, hh := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
		for i := 0; i < 64; i++ {
			S1 := bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)
			ch := (e & f) ^ (^e & g)
			t1 := hh + S1 + ch + k[i] + w[i]
			S0 := bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)
			maj := (a & b) ^ (a & c) ^ (b & c)
			t2 := S0 + maj
			hh, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
		}
		for i, v := range [8]uint32{a, b, c, d, e, f, g, hh} {
			h[i] += v
		}
	}
	var out [32]byte
	for i, v := range h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// scratchBinding and scratchSubject are the DESIGN §3.1 formulas over the
// from-scratch SHA-256.
func scratchBinding(compact []byte) []byte {
	s := sha256Scratch(compact)
	return s[:]
}

func scratchSubject(binding, certDER []byte) []byte {
	ch := sha256Scratch(certDER)
	s := sha256Scratch(append(append([]byte(nil), binding...), ch[:]...))
	return s[:]
}

// TestSHA256Scratch pins the from-scratch SHA-256 to the FIPS 180-4
// examples and to crypto/sha256 around the padding boundaries, so that a
// mistake in it cannot hide one in Binding or Subject.
func TestSHA256Scratch(t *testing.T) {
	known := []struct{ in, hex string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	}
	for _, k := range known {
		got := sha256Scratch([]byte(k.in))
		if hex.EncodeToString(got[:]) != k.hex {
			t.Errorf("sha256Scratch(%q) = %x, want %s", k.in, got, k.hex)
		}
	}
	for n := 0; n <= 200; n++ {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		if sha256Scratch(msg) != sha256.Sum256(msg) {
			t.Fatalf("sha256Scratch differs from crypto/sha256 at length %d", n)
		}
	}
}

func TestBindingAndSubject(t *testing.T) {
	p := getPKI(t)
	f := newFlow(t)
	certs := map[string][]byte{"card": p.card.der(), "card2": p.card2.der(), "empty": {}, "center": p.centerSig.der()}
	inputs := map[string][]byte{
		"real request": f.compact,
		"empty":        {},
		"one byte":     {'.'},
		"55 bytes":     bytes.Repeat([]byte{'a'}, 55),
		"64 bytes":     bytes.Repeat([]byte{'b'}, 64),
		"trailing LF":  append(append([]byte(nil), f.compact...), '\n'),
	}
	seenB := map[string]string{}
	for in, compact := range inputs {
		b := Binding(compact)
		if len(b) != DigestSize {
			t.Fatalf("%s: binding has %d bytes", in, len(b))
		}
		if want := scratchBinding(compact); !bytes.Equal(b, want) {
			t.Errorf("%s: Binding = %x, want %x", in, b, want)
		}
		if prev, dup := seenB[string(b)]; dup {
			t.Errorf("inputs %q and %q have the same binding", prev, in)
		}
		seenB[string(b)] = in
		seenS := map[string]string{}
		for cn, der := range certs {
			s := Subject(b, der)
			if want := scratchSubject(b, der); !bytes.Equal(s, want) {
				t.Errorf("%s/%s: Subject = %x, want %x", in, cn, s, want)
			}
			if prev, dup := seenS[string(s)]; dup {
				t.Errorf("%s: certificates %s and %s give the same subject", in, prev, cn)
			}
			seenS[string(s)] = cn
		}
	}
	// The subject is salted by the binding: the same card gives unrelated
	// subjects for two requests.
	g := newFlow(t)
	if bytes.Equal(f.sent.Subject(), g.sent.Subject()) {
		t.Error("two requests by the same card have the same subject")
	}
	// Sent computes the same values from the bytes it was given.
	if !bytes.Equal(f.sent.Binding(), scratchBinding(f.compact)) ||
		!bytes.Equal(f.sent.Subject(), scratchSubject(scratchBinding(f.compact), p.card.der())) {
		t.Error("Sent's binding/subject differ from the formulas")
	}
	if !bytes.Equal(f.sent.Compact(), f.compact) {
		t.Error("Sent.Compact is not the bytes sent")
	}
}

// vector is one entry of testdata/protocol/vectors.json.
type vector struct {
	Comment    string `json:"comment"`
	RequestJWS string `json:"request_jws"`
	CertDER    string `json:"cert_der"` // std base64
	CADER      string `json:"ca_der"`   // std base64, the ephemeral JPKI-like CA
	Binding    string `json:"binding"`  // base64url, unpadded
	Subject    string `json:"subject"`  // base64url, unpadded
}

func updateVectors() bool { return *update || os.Getenv("KOFU_UPDATE_VECTORS") == "1" }

// TestGenerateVectors writes testdata/protocol/vectors.json: requests
// really signed by an RSA-2048 card key with SignRequest, with their
// bindings and subjects. It runs only with -update or
// KOFU_UPDATE_VECTORS=1; the vectors are then committed.
func TestGenerateVectors(t *testing.T) {
	if !updateVectors() {
		t.Skip("run with -update or KOFU_UPDATE_VECTORS=1 to regenerate " + vectorsPath)
	}
	// Only when regenerating the committed vectors: their CA is valid for
	// 50 years from then, and the tests verify them at pinned instants.
	nb := time.Now().Truncate(time.Hour).Add(-time.Hour)
	na := nb.AddDate(50, 0, 0)
	ca, err := newRootCA("kofu test vectors JPKI-like CA", mustRSA(2048), nb, na)
	if err != nil {
		t.Fatal(err)
	}
	docs := []struct {
		t    DocType
		opts map[string]string
	}{
		{DocJuminhyo, nil},
		{DocJuminhyo, map[string]string{"scope": "household", "honseki": "include", "zokugara": "include", "kojin-bango": "omit"}},
		{DocInkan, nil},
		{DocKosekiZenbu, nil},
		{DocKosekiFuhyo, map[string]string{"honseki": "include"}},
		{DocKazei, map[string]string{"year": "2025"}},
	}
	var out []vector
	for i, d := range docs {
		key := mustRSA(2048)
		leaf, err := ca.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "vector resident " + string(rune('A'+i))},
			KeyUsage: x509.KeyUsageDigitalSignature}, key)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := NewDocSpec(d.t)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range d.opts {
			doc.Opts[k] = v
		}
		doc.Copies = 1 + i%MaxCopies
		req, err := NewRequest("K-VEC", "S-VEC", "131016", doc, nb.Add(time.Hour), "kofu-kiosk/vectors+0000000")
		if err != nil {
			t.Fatal(err)
		}
		compact, err := SignRequest(context.Background(), key, leaf.der(), req)
		if err != nil {
			t.Fatal(err)
		}
		b := scratchBinding(compact)
		out = append(out, vector{
			Comment:    doc.String(),
			RequestJWS: string(compact),
			CertDER:    base64.StdEncoding.EncodeToString(leaf.der()),
			CADER:      base64.StdEncoding.EncodeToString(ca.cert.Raw),
			Binding:    b64url(b),
			Subject:    b64url(scratchSubject(b, leaf.der())),
		})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(vectorsPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vectorsPath, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d vectors to %s", len(out), vectorsPath)
}

// TestVectors recomputes every committed vector's binding and subject with
// Binding/Subject and with the from-scratch SHA-256, checks the request's
// RS256 signature with go-jose directly against cert_der's key, and has
// ParseRequest accept it under the vectors' CA at NotBefore+1h.
func TestVectors(t *testing.T) {
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("%v (regenerate with KOFU_UPDATE_VECTORS=1)", err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 5 {
		t.Fatalf("%d vectors, want at least 5", len(vs))
	}
	seen := map[string]bool{}
	for i, v := range vs {
		certDER, err := base64.StdEncoding.DecodeString(v.CertDER)
		if err != nil {
			t.Fatalf("vector %d: cert_der: %v", i, err)
		}
		caDER, err := base64.StdEncoding.DecodeString(v.CADER)
		if err != nil {
			t.Fatalf("vector %d: ca_der: %v", i, err)
		}
		wantB, err := base64.RawURLEncoding.Strict().DecodeString(v.Binding)
		if err != nil {
			t.Fatalf("vector %d: binding: %v", i, err)
		}
		wantS, err := base64.RawURLEncoding.Strict().DecodeString(v.Subject)
		if err != nil {
			t.Fatalf("vector %d: subject: %v", i, err)
		}
		compact := []byte(v.RequestJWS)
		if seen[v.RequestJWS] {
			t.Errorf("vector %d repeats an earlier request", i)
		}
		seen[v.RequestJWS] = true

		if got := Binding(compact); !bytes.Equal(got, wantB) {
			t.Errorf("vector %d: Binding = %s, want %s", i, b64url(got), v.Binding)
		}
		if got := scratchBinding(compact); !bytes.Equal(got, wantB) {
			t.Errorf("vector %d: from-scratch binding = %s, want %s", i, b64url(got), v.Binding)
		}
		if got := Subject(wantB, certDER); !bytes.Equal(got, wantS) {
			t.Errorf("vector %d: Subject = %s, want %s", i, b64url(got), v.Subject)
		}
		if got := scratchSubject(wantB, certDER); !bytes.Equal(got, wantS) {
			t.Errorf("vector %d: from-scratch subject = %s, want %s", i, b64url(got), v.Subject)
		}
		sent, err := NewSent(compact, certDER)
		if err != nil {
			t.Fatalf("vector %d: NewSent: %v", i, err)
		}
		if !bytes.Equal(sent.Binding(), wantB) || !bytes.Equal(sent.Subject(), wantS) {
			t.Errorf("vector %d: Sent computes other values", i)
		}

		cert, err := x509.ParseCertificate(certDER)
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		ca, err := x509.ParseCertificate(caDER)
		if err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		// go-jose, directly: RS256 under the certificate's RSA key.
		obj, err := jose.ParseSignedCompact(v.RequestJWS, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("vector %d: go-jose parse: %v", i, err)
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			t.Fatalf("vector %d: cert key is %T", i, cert.PublicKey)
		}
		payload, err := obj.Verify(cert.PublicKey)
		if err != nil {
			t.Errorf("vector %d: RS256 signature does not verify: %v", i, err)
		}
		if h := obj.Signatures[0].Protected; h.Algorithm != "RS256" || h.ExtraHeaders["typ"] != TypRequest {
			t.Errorf("vector %d: header alg=%q typ=%v", i, h.Algorithm, h.ExtraHeaders["typ"])
		}
		// And the center's parser.
		pool := x509.NewCertPool()
		pool.AddCert(ca)
		req, leaf, err := ParseRequest(compact, pool, cert.NotBefore.Add(time.Hour))
		if err != nil {
			t.Fatalf("vector %d: ParseRequest: %v", i, err)
		}
		if !bytes.Equal(leaf.Raw, certDER) {
			t.Errorf("vector %d: ParseRequest returned another certificate", i)
		}
		var direct Request
		if err := json.Unmarshal(payload, &direct); err != nil || !bytes.Equal(direct.RID, req.RID) || !direct.Doc.Equal(req.Doc) {
			t.Errorf("vector %d: payload differs between go-jose and ParseRequest (%v)", i, err)
		}
		// A one-byte change in the request changes the binding.
		mut := append([]byte(nil), compact...)
		mut[len(mut)-1] ^= 1
		if bytes.Equal(Binding(mut), wantB) {
			t.Errorf("vector %d: binding does not cover the last byte", i)
		}
	}
}
