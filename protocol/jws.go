package protocol

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
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

// Algorithms pinned per message type (DESIGN §3).
const (
	AlgRequest = jose.RS256 // the card's user-authentication key
	AlgCenter  = jose.ES256 // tickets, envelopes, outcomes
)

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
// go-jose for RS256 (PKCS#1 v1.5) or ES256.
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
	digest := sha256.Sum256(payload)
	sig, err := o.s.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	if alg == jose.ES256 {
		return ecdsaASN1ToRaw(sig, 32)
	}
	return sig, nil
}

// ecdsaASN1ToRaw converts an ASN.1 ECDSA signature to JWS's r||s form.
func ecdsaASN1ToRaw(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R == nil || sig.S == nil {
		return nil, errors.New("signer returned a malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

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
// sign r with RS256; certDER is the card's user-auth certificate, sent in
// x5c. The returned bytes are exactly what must be sent: the binding is
// computed over them.
func SignRequest(ctx context.Context, card crypto.Signer, certDER []byte, r Request) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if _, ok := card.Public().(*rsa.PublicKey); !ok {
		return nil, errors.New("request signer is not an RSA key")
	}
	out, err := signCompact(card, AlgRequest, TypRequest, [][]byte{certDER}, r)
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
	stage   Stage
	alg     jose.SignatureAlgorithm
	typ     string
	maxSize int
	roots   *x509.CertPool
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
	case alg != string(r.alg):
		return nil, refuse(r.stage, ReasonAlg, fmt.Sprintf("alg %.16q, want %s", alg, r.alg), nil)
	}
	if json.Unmarshal(hdr["typ"], &typ) != nil || typ != r.typ {
		return nil, refuse(r.stage, ReasonTyp, fmt.Sprintf("typ %.40q, want %s", typ, r.typ), nil)
	}
	leaf, err := verifyX5C(hdr["x5c"], r, now)
	if err != nil {
		return nil, err
	}
	obj, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{r.alg})
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
	switch r.alg {
	case jose.ES256:
		k, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() {
			return nil, refuse(r.stage, ReasonKey, "ES256 needs a P-256 key", nil)
		}
	case jose.RS256:
		k, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok || k.N.BitLen() < 2048 {
			return nil, refuse(r.stage, ReasonKey, "RS256 needs an RSA key of 2048 bits or more", nil)
		}
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

// ParseRequest verifies a card-signed request as the center does: RS256
// only, typ, header whitelist, the user-auth certificate chaining to
// jpkiRoots at now, the signature, and the payload's shape. Revocation,
// replay and eligibility are the center's further business.
func ParseRequest(compact []byte, jpkiRoots *x509.CertPool, now time.Time) (*Request, *x509.Certificate, error) {
	v, err := verifyCompact(compact, role{stage: StageRequest, alg: AlgRequest, typ: TypRequest,
		maxSize: MaxRequestJWS, roots: jpkiRoots}, now)
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
