package protocol

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Size bounds of signed messages (bytes of the compact serialization).
const (
	MaxRequestJWS  = 16 << 10
	MaxTicketJWS   = 16 << 10
	MaxEnvelopeJWS = 32 << 10
	MaxOutcomeJWS  = 16 << 10
	maxX5C         = 3
)

// Algorithms pinned per message type (DESIGN §3). A request's algorithm
// is pinned by its certificate's key type (RequestAlg), never taken from
// the header alone: RS256 for the current card's RSA-2048 key, ES384 for
// the next-generation card's ECDSA P-384 key.
const (
	AlgRequest     = jose.RS256 // a generation-1 card's user-authentication key (RSA)
	AlgRequestP384 = jose.ES384 // a generation-2 card's user-authentication key (ECDSA P-384)
	AlgCenter      = jose.ES256 // tickets, envelopes, outcomes
)

// ErrCardKey is wrapped when a card key (a request signer's, or the key
// of the certificate in a request's x5c) is neither RSA of 2048 bits or
// more nor ECDSA P-384: no request algorithm is pinned for it.
var ErrCardKey = errors.New("card key is neither RSA-2048 (or larger) nor ECDSA P-384")

// RequestAlg returns the one algorithm a request signed with the card key
// pub must carry: RS256 for RSA of 2048 bits or more, ES384 for ECDSA
// P-384. Any other key (P-256, RSA-1024, Ed25519 …) fails with ErrCardKey.
func RequestAlg(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N != nil && k.N.BitLen() >= 2048 {
			return AlgRequest, nil
		}
		return "", fmt.Errorf("%s: %w", keyName(pub), ErrCardKey)
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P384() {
			return AlgRequestP384, nil
		}
	}
	return "", fmt.Errorf("%s: %w", keyName(pub), ErrCardKey)
}

// RequestAlgs lists the algorithms a request header may name at all; which
// one a given request must name is pinned by its certificate (RequestAlg).
func RequestAlgs() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{AlgRequest, AlgRequestP384}
}

// keyName names a public key's type and size for refusal details.
func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N == nil {
			return "RSA"
		}
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		if k.Curve == nil {
			return "ECDSA"
		}
		return "ECDSA " + k.Curve.Params().Name
	case nil:
		return "no key"
	}
	return fmt.Sprintf("%T", pub)
}

// AlgMismatchError is the cause (RefusalError.Err) of a request refused
// with ReasonAlg because its header names a request algorithm, but not the
// one its certificate's key pins: RS256 with a P-384 certificate, ES384
// with an RSA one.
type AlgMismatchError struct {
	Header jose.SignatureAlgorithm // the alg the header names
	Pinned jose.SignatureAlgorithm // the alg the certificate's key pins
	Key    string                  // the certificate's key, e.g. "ECDSA P-384", "RSA-2048"
}

func (e *AlgMismatchError) Error() string {
	return fmt.Sprintf("header alg %s, but the certificate's %s key pins %s", e.Header, e.Key, e.Pinned)
}

// Signer roles. A ticket signer's certificate and an envelope signer's
// certificate each carry exactly one extended key usage, the OID of their
// role, so that a key certified for one message type can never sign the
// other, whichever CA it chains to (issue 14). The OIDs are under
// 1.3.6.1.4.1.32473, the enterprise number IANA reserves for documentation
// and examples (RFC 5612): they identify kofu's test PKI and emulators. A
// production deployment agrees its own OIDs with the center's operator;
// changing them is a protocol change (docs/design-notes.md, "Signer
// roles").
const (
	EKUTicketSigner   = "1.3.6.1.4.1.32473.1046.1" // the center's ticket signer
	EKUEnvelopeSigner = "1.3.6.1.4.1.32473.1046.2" // the issuer's envelope signer
)

// SignerEKU returns the extended key usage OID a signer of messages
// checked at stage must carry (StageTicket, StageEnvelope), as a new value
// for certificate templates; nil for stages without a role OID (requests
// are signed by cards, outcomes by kiosk device keys with ClientAuth).
func SignerEKU(stage Stage) asn1.ObjectIdentifier {
	switch stage {
	case StageTicket:
		return mustOID(EKUTicketSigner)
	case StageEnvelope:
		return mustOID(EKUEnvelopeSigner)
	}
	return nil
}

// mustOID parses one of this package's dotted OID constants.
func mustOID(dotted string) asn1.ObjectIdentifier {
	var oid asn1.ObjectIdentifier
	for _, arc := range strings.Split(dotted, ".") {
		n, err := strconv.Atoi(arc)
		if err != nil {
			panic("protocol: bad OID constant " + dotted)
		}
		oid = append(oid, n)
	}
	return oid
}

// opaqueSigner adapts any crypto.Signer (a card, a software key) to
// go-jose for RS256 (PKCS#1 v1.5 with SHA-256), ES256 or ES384 (ECDSA with
// SHA-256 or SHA-384; the signer returns ASN.1 DER as crypto.Signer does,
// converted here to JWS's r||s).
type opaqueSigner struct {
	s   crypto.Signer
	alg jose.SignatureAlgorithm
}

func (o opaqueSigner) Public() *jose.JSONWebKey { return &jose.JSONWebKey{Key: o.s.Public()} }

func (o opaqueSigner) Algs() []jose.SignatureAlgorithm { return []jose.SignatureAlgorithm{o.alg} }

func (o opaqueSigner) SignPayload(payload []byte, alg jose.SignatureAlgorithm) ([]byte, error) {
	if alg != o.alg {
		return nil, fmt.Errorf("signer pinned to %s, asked for %s", o.alg, alg)
	}
	var h crypto.Hash
	var curve elliptic.Curve
	switch alg {
	case jose.RS256:
		h = crypto.SHA256
	case jose.ES256:
		h, curve = crypto.SHA256, elliptic.P256()
	case jose.ES384:
		h, curve = crypto.SHA384, elliptic.P384()
	default:
		return nil, fmt.Errorf("signer: alg %s not supported", alg)
	}
	if curve != nil {
		if k, ok := o.s.Public().(*ecdsa.PublicKey); !ok || k.Curve != curve {
			return nil, fmt.Errorf("signer: %s needs an ECDSA %s key, have %s", alg, curve.Params().Name, keyName(o.s.Public()))
		}
	}
	hh := h.New()
	hh.Write(payload)
	sig, err := o.s.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		return nil, err
	}
	if curve != nil {
		return ECDSASignatureToJWS(sig, curve)
	}
	return sig, nil
}

// ErrECDSASignature is wrapped by ECDSASignatureToJWS and
// ECDSASignatureFromJWS when the signature is not of the form they convert.
var ErrECDSASignature = errors.New("malformed ECDSA signature")

// ecdsaDER is an ECDSA signature as ASN.1: SEQUENCE { r INTEGER, s INTEGER }.
type ecdsaDER struct{ R, S *big.Int }

// ECDSASignatureToJWS converts an ECDSA signature in ASN.1 DER, the form
// crypto.Signer returns (SEQUENCE { r INTEGER, s INTEGER }), to the form a
// JWS carries (RFC 7518 §3.4): r and s as big-endian unsigned integers,
// each left-padded to the curve's byte length, concatenated — 96 bytes
// for P-384 (ES384), 64 for P-256 (ES256). It accepts only canonical DER
// with nothing after it, and r and s in [1, n-1] for the curve's order n;
// anything else wraps ErrECDSASignature. Card code whose card answers r||s
// has ECDSASignatureFromJWS for the way back.
func ECDSASignatureToJWS(der []byte, curve elliptic.Curve) ([]byte, error) {
	size, n, err := curveSize(curve)
	if err != nil {
		return nil, err
	}
	var sig ecdsaDER
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrECDSASignature, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the DER", ErrECDSASignature, len(rest))
	}
	if !inOrder(sig.R, n) || !inOrder(sig.S, n) {
		return nil, fmt.Errorf("%w: r or s outside [1, n-1] of %s", ErrECDSASignature, curve.Params().Name)
	}
	// encoding/asn1 tolerates some non-DER (e.g. a SEQUENCE with extra
	// trailing members): only the canonical encoding is accepted.
	if canon, err := asn1.Marshal(sig); err != nil || !bytes.Equal(canon, der) {
		return nil, fmt.Errorf("%w: not canonical DER", ErrECDSASignature)
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// ECDSASignatureFromJWS converts a JWS ECDSA signature (r||s, each exactly
// the curve's byte length) to ASN.1 DER, the form crypto.Signer.Sign must
// return. r and s must be in [1, n-1]; anything else wraps
// ErrECDSASignature.
func ECDSASignatureFromJWS(raw []byte, curve elliptic.Curve) ([]byte, error) {
	size, n, err := curveSize(curve)
	if err != nil {
		return nil, err
	}
	if len(raw) != 2*size {
		return nil, fmt.Errorf("%w: %d bytes, want %d for %s", ErrECDSASignature, len(raw), 2*size, curve.Params().Name)
	}
	sig := ecdsaDER{R: new(big.Int).SetBytes(raw[:size]), S: new(big.Int).SetBytes(raw[size:])}
	if !inOrder(sig.R, n) || !inOrder(sig.S, n) {
		return nil, fmt.Errorf("%w: r or s outside [1, n-1] of %s", ErrECDSASignature, curve.Params().Name)
	}
	return asn1.Marshal(sig)
}

// curveSize returns a curve's byte length and order.
func curveSize(curve elliptic.Curve) (int, *big.Int, error) {
	if curve == nil || curve.Params() == nil || curve.Params().N == nil {
		return 0, nil, fmt.Errorf("%w: no curve", ErrECDSASignature)
	}
	p := curve.Params()
	return (p.BitSize + 7) / 8, p.N, nil
}

// inOrder reports whether 1 <= x < n.
func inOrder(x, n *big.Int) bool { return x != nil && x.Sign() > 0 && x.Cmp(n) < 0 }

// signCompact signs payload as a compact JWS with header {alg, typ, x5c}.
func signCompact(s crypto.Signer, alg jose.SignatureAlgorithm, typ string, chain [][]byte, payload any) ([]byte, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	x5c := make([]string, len(chain))
	for i, der := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(der)
	}
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("x5c", x5c)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: opaqueSigner{s: s, alg: alg}}, opts)
	if err != nil {
		return nil, fmt.Errorf("jws signer: %w", err)
	}
	obj, err := signer.Sign(body)
	if err != nil {
		return nil, fmt.Errorf("jws sign: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}

// SignRequest has the card (any crypto.Signer holding the user-auth key)
// sign r; certDER is the card's user-auth certificate, sent in x5c. The
// algorithm is pinned by the card's key (RequestAlg): RS256 for an RSA
// key, ES384 for an ECDSA P-384 key, whose Sign gets a SHA-384 digest and
// must return ASN.1 DER, as crypto.Signer does. The returned bytes are
// exactly what must be sent: the binding is computed over them.
func SignRequest(ctx context.Context, card crypto.Signer, certDER []byte, r Request) ([]byte, error) {
	return SignRequestChain(ctx, card, [][]byte{certDER}, r)
}

// SignRequestChain is SignRequest with the certificate chain to send in
// x5c: the card's user-auth certificate first, then (optionally) the CA
// certificate that issued it, as a card's EF 000B holds it. The center
// trusts its own JPKI roots either way.
func SignRequestChain(ctx context.Context, card crypto.Signer, chain [][]byte, r Request) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if len(chain) == 0 || len(chain) > maxX5C {
		return nil, fmt.Errorf("request: %d certificates in x5c, want 1–%d", len(chain), maxX5C)
	}
	alg, err := RequestAlg(card.Public())
	if err != nil {
		return nil, fmt.Errorf("request signer: %w", err)
	}
	out, err := signCompact(card, alg, TypRequest, chain, r)
	if err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// SignTicket signs a ticket with a center key (ES256).
func SignTicket(key crypto.Signer, chain [][]byte, t Ticket) ([]byte, error) {
	return signCompact(key, AlgCenter, TypTicket, chain, t)
}

// SignEnvelope signs an envelope with an issuer key (ES256). It takes any
// value so that the fault modes of the emulated center can sign what a
// broken issuer would; the kiosk's checks decide what is acceptable.
func SignEnvelope(key crypto.Signer, chain [][]byte, e any) ([]byte, error) {
	return signCompact(key, AlgCenter, TypEnvelope, chain, e)
}

// SignOutcome signs an outcome with the kiosk's device key (ES256).
func SignOutcome(key crypto.Signer, chain [][]byte, o Outcome) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("outcome: %w", err)
	}
	return signCompact(key, AlgCenter, TypOutcome, chain, o)
}

// role says what a signed message must look like and who may sign it.
type role struct {
	stage Stage
	// alg is the one algorithm of the role; with byKey the header may name
	// any of RequestAlgs and the certificate's key pins the one it must
	// (RequestAlg).
	alg     jose.SignatureAlgorithm
	byKey   bool
	typ     string
	maxSize int
	roots   *x509.CertPool
	inter   *x509.CertPool // intermediates known beforehand (requests); may be nil
	usage   []x509.ExtKeyUsage
	// eku, when set, pins the signer to one role: the leaf must carry
	// exactly this extended key usage (a dotted OID) and KeyUsage
	// digitalSignature, and every CA above it must allow the OID.
	eku string
	// other are the trust anchors of the other signing role (the issuer's
	// for tickets, the center's for envelopes): an anchor this role's chain
	// ends in must not be trusted there too.
	other *x509.CertPool
}

// verified is a JWS whose signature, header and chain passed.
type verified struct {
	payload []byte
	leaf    *x509.Certificate
}

// verifyCompact checks a compact JWS against role r: size, structure,
// header whitelist (alg, typ, x5c only), the pinned alg, typ, the x5c chain
// under the role's roots at now, the key type and the signature. It
// returns the payload bytes; decoding them is the caller's job.
func verifyCompact(compact []byte, r role, now time.Time) (*verified, error) {
	if len(compact) > r.maxSize {
		return nil, refuse(r.stage, ReasonTooLarge, fmt.Sprintf("%d bytes > %d", len(compact), r.maxSize), nil)
	}
	for _, c := range compact {
		if c <= ' ' || c > '~' {
			return nil, refuse(r.stage, ReasonMalformed, "non-printable byte in compact JWS", nil)
		}
	}
	parts := strings.Split(string(compact), ".")
	if len(parts) != 3 {
		return nil, refuse(r.stage, ReasonMalformed, "not three dot-separated parts", nil)
	}
	hdrJSON, err := B64Decode(parts[0])
	if err != nil {
		return nil, refuse(r.stage, ReasonMalformed, "protected header", err)
	}
	if err := checkJSONShape(hdrJSON); err != nil {
		return nil, refuse(r.stage, ReasonMalformed, "protected header", err)
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return nil, refuse(r.stage, ReasonMalformed, "protected header", err)
	}
	// Refusable members are checked in a fixed priority order so a header
	// with several of them always gets the same code.
	for _, rule := range headerRules() {
		for k := range hdr {
			if rule.match(k) {
				return nil, refuse(r.stage, rule.reason, fmt.Sprintf("header %.32q not allowed", k), nil)
			}
		}
	}
	var alg, typ string
	if json.Unmarshal(hdr["alg"], &alg) != nil {
		return nil, refuse(r.stage, ReasonMalformed, "alg missing or not a string", nil)
	}
	switch {
	case strings.EqualFold(alg, "none"):
		return nil, refuse(r.stage, ReasonAlgNone, "", nil)
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		return nil, refuse(r.stage, ReasonAlgHMAC, fmt.Sprintf("alg %.16q", alg), nil)
	case r.byKey && !slices.Contains(RequestAlgs(), jose.SignatureAlgorithm(alg)):
		return nil, refuse(r.stage, ReasonAlg, fmt.Sprintf("alg %.16q, want %s (RSA card) or %s (P-384 card)", alg, AlgRequest, AlgRequestP384), nil)
	case !r.byKey && alg != string(r.alg):
		return nil, refuse(r.stage, ReasonAlg, fmt.Sprintf("alg %.16q, want %s", alg, r.alg), nil)
	}
	if json.Unmarshal(hdr["typ"], &typ) != nil || typ != r.typ {
		return nil, refuse(r.stage, ReasonTyp, fmt.Sprintf("typ %.40q, want %s", typ, r.typ), nil)
	}
	leaf, err := verifyX5C(hdr["x5c"], r, now)
	if err != nil {
		return nil, err
	}
	pinned := r.alg
	if r.byKey {
		// verifyX5C refused a key with no pinned algorithm.
		if pinned, err = RequestAlg(leaf.PublicKey); err != nil {
			return nil, refuse(r.stage, ReasonKey, "", err)
		}
		if alg != string(pinned) {
			return nil, refuse(r.stage, ReasonAlg, "",
				&AlgMismatchError{Header: jose.SignatureAlgorithm(alg), Pinned: pinned, Key: keyName(leaf.PublicKey)})
		}
	}
	obj, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{pinned})
	if err != nil {
		return nil, refuse(r.stage, ReasonMalformed, "jws", err)
	}
	payload, err := obj.Verify(leaf.PublicKey)
	if err != nil {
		return nil, refuse(r.stage, ReasonSignature, "", err)
	}
	return &verified{payload: payload, leaf: leaf}, nil
}

// headerRule matches refusable protected-header members.
type headerRule struct {
	reason Reason
	match  func(string) bool
}

// headerRules are the refusable protected-header members, most specific
// first: anything but alg, typ and x5c is refused.
func headerRules() []headerRule {
	return []headerRule{
		{ReasonCrit, func(k string) bool { return k == "crit" || k == "b64" }},
		{ReasonEmbeddedJWK, func(k string) bool { return k == "jwk" }},
		{ReasonRemoteKey, func(k string) bool { return k == "jku" || k == "x5u" }},
		{ReasonHeader, func(k string) bool { return k != "alg" && k != "typ" && k != "x5c" }},
	}
}

// verifyX5C parses the x5c header (standard base64 DER, leaf first) and
// verifies the chain under the role's roots at now, then the signer's
// fitness for the role: KeyUsage, key type, not a CA, the role's EKU and
// an anchor not shared with the other role. The checks run in that order
// so each certificate gets one stable code.
func verifyX5C(raw json.RawMessage, r role, now time.Time) (*x509.Certificate, error) {
	var x5c []string
	if raw == nil || json.Unmarshal(raw, &x5c) != nil || len(x5c) == 0 || len(x5c) > maxX5C {
		return nil, refuse(r.stage, ReasonChain, "x5c missing or not 1–3 certificates", nil)
	}
	var certs []*x509.Certificate
	for i, s := range x5c {
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, refuse(r.stage, ReasonChain, fmt.Sprintf("x5c[%d] base64", i), err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, refuse(r.stage, ReasonChain, fmt.Sprintf("x5c[%d] certificate", i), err)
		}
		certs = append(certs, c)
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	if r.inter != nil {
		inter = r.inter.Clone()
	}
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	usage := r.usage
	if usage == nil {
		// The role EKU is a private OID the x509 package cannot be asked
		// for; checkRoleEKU checks it and its nesting below.
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	if r.roots == nil {
		return nil, refuse(r.stage, ReasonChain, "no trust anchor configured for this role", nil)
	}
	if r.other != nil && (r.other == r.roots || r.other.Equal(r.roots)) {
		return nil, refuse(r.stage, ReasonRole, "the center and issuer trust anchors are the same certificates", nil)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: r.roots, Intermediates: inter, CurrentTime: now, KeyUsages: usage})
	if err != nil {
		return nil, refuse(r.stage, ReasonChain, "", err)
	}
	switch {
	case r.eku != "" && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0:
		// A role signer must say it signs: no KeyUsage at all is refused.
		return nil, refuse(r.stage, ReasonKey, "signer certificate lacks KeyUsage digitalSignature", nil)
	case leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0:
		return nil, refuse(r.stage, ReasonKey, "signer certificate lacks digitalSignature", nil)
	}
	switch {
	case r.byKey:
		if _, err := RequestAlg(leaf.PublicKey); err != nil {
			return nil, refuse(r.stage, ReasonKey, "", err)
		}
	case r.alg == jose.ES256:
		k, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return nil, refuse(r.stage, ReasonKey, "ES256 needs a P-256 key", nil)
		}
	default:
		return nil, refuse(r.stage, ReasonKey, fmt.Sprintf("no key rule for %s", r.alg), nil)
	}
	// RFC 5280 §4.2.1.9: keyCertSign only with cA; either way a key that
	// certifies others is not a message signer.
	if leaf.IsCA || leaf.KeyUsage&x509.KeyUsageCertSign != 0 {
		return nil, refuse(r.stage, ReasonRole, "signer certificate is a CA certificate", nil)
	}
	if r.eku != "" {
		if err := checkRoleEKU(leaf, chains, r.eku); err != nil {
			return nil, refuse(r.stage, ReasonRole, err.Error(), nil)
		}
	}
	if r.other != nil {
		for _, ch := range chains {
			anchor := ch[len(ch)-1]
			if _, err := anchor.Verify(x509.VerifyOptions{Roots: r.other, CurrentTime: now,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
				return nil, refuse(r.stage, ReasonRole, "the signer's trust anchor is trusted for the other role too", nil)
			}
		}
	}
	return leaf, nil
}

// checkRoleEKU says why leaf is not pinned to the role whose EKU is want
// (a dotted OID): it must carry that EKU and no other (no
// anyExtendedKeyUsage, no TLS or other usage), and at least one verified
// chain must have every CA above the leaf allow it (no EKU extension,
// anyExtendedKeyUsage, or the OID itself) — the nesting the x509 package
// applies to the usages it knows.
func checkRoleEKU(leaf *x509.Certificate, chains [][]*x509.Certificate, want string) error {
	if len(leaf.ExtKeyUsage) > 0 {
		return fmt.Errorf("signer certificate carries extended key usage %s besides the role's %s", ekuName(leaf.ExtKeyUsage[0]), want)
	}
	if len(leaf.UnknownExtKeyUsage) == 0 {
		return fmt.Errorf("signer certificate lacks the role's extended key usage %s", want)
	}
	for _, oid := range leaf.UnknownExtKeyUsage {
		if oid.String() != want {
			return fmt.Errorf("signer certificate carries extended key usage %s, not the role's %s", oid, want)
		}
	}
	for _, ch := range chains {
		if caChainAllows(ch[1:], want) {
			return nil
		}
	}
	return fmt.Errorf("a CA above the signer restricts extended key usage and does not allow %s", want)
}

// ekuName names the usages a wrong signer most likely carries, for the
// refusal's detail.
func ekuName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "anyExtendedKeyUsage"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return "#" + strconv.Itoa(int(u))
}

// caChainAllows reports whether every CA certificate of cas allows the
// extended key usage want.
func caChainAllows(cas []*x509.Certificate, want string) bool {
	for _, ca := range cas {
		if len(ca.ExtKeyUsage) == 0 && len(ca.UnknownExtKeyUsage) == 0 {
			continue
		}
		ok := false
		for _, u := range ca.ExtKeyUsage {
			ok = ok || u == x509.ExtKeyUsageAny
		}
		for _, oid := range ca.UnknownExtKeyUsage {
			ok = ok || oid.String() == want
		}
		if !ok {
			return false
		}
	}
	return true
}

// decodePayload decodes a verified payload strictly into v.
func decodePayload(stage Stage, payload []byte, v any) error {
	if err := decodeStrict(payload, v); err != nil {
		return refuse(stage, ReasonFields, "", err)
	}
	return nil
}

// ParseRequest verifies a card-signed request as the center does: the
// algorithm pinned by the certificate's key (RS256 for RSA-2048, ES384 for
// P-384: a header alg that disagrees is refused with ReasonAlg and an
// *AlgMismatchError cause), typ, header whitelist, the user-auth
// certificate chaining to jpkiRoots at now (through the x5c's further
// certificates), the signature, and the payload's shape. Revocation,
// replay and eligibility are the center's further business.
func ParseRequest(compact []byte, jpkiRoots *x509.CertPool, now time.Time) (*Request, *x509.Certificate, error) {
	return ParseRequestIn(compact, CardTrust{Roots: jpkiRoots}, now)
}

// CardTrust is what a center trusts for card certificates: the JPKI roots
// and the JPKI intermediate CAs it knows (the generation-2 CA below the
// root), so that a card may send its certificate alone.
type CardTrust struct {
	Roots         *x509.CertPool
	Intermediates *x509.CertPool // may be nil
}

// ParseRequestIn is ParseRequest under trust: the chain may also pass
// through trust.Intermediates.
func ParseRequestIn(compact []byte, trust CardTrust, now time.Time) (*Request, *x509.Certificate, error) {
	v, err := verifyCompact(compact, role{stage: StageRequest, byKey: true, typ: TypRequest,
		maxSize: MaxRequestJWS, roots: trust.Roots, inter: trust.Intermediates}, now)
	if err != nil {
		return nil, nil, err
	}
	var r Request
	if err := decodePayload(StageRequest, v.payload, &r); err != nil {
		return nil, nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, nil, refuse(StageRequest, ReasonFields, "", err)
	}
	return &r, v.leaf, nil
}

// ParseOutcome verifies a kiosk's outcome report as the center does: ES256
// under the operator CA (the kiosk's device certificate).
func ParseOutcome(compact []byte, operatorRoots *x509.CertPool, now time.Time) (*Outcome, *x509.Certificate, error) {
	v, err := verifyCompact(compact, role{stage: StageOutcome, alg: AlgCenter, typ: TypOutcome,
		maxSize: MaxOutcomeJWS, roots: operatorRoots, usage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, now)
	if err != nil {
		return nil, nil, err
	}
	var o Outcome
	if err := decodePayload(StageOutcome, v.payload, &o); err != nil {
		return nil, nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, nil, refuse(StageOutcome, ReasonFields, "", err)
	}
	return &o, v.leaf, nil
}
