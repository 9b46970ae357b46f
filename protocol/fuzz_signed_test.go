package protocol_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"kofu/internal/fuzzcorpus"
	"kofu/protocol"
)

// Fuzz targets that sign inside the target (issue 14, item 9). The
// targets of fuzz_test.go and fuzz_stable_verify_test.go mutate signed
// bytes, so every mutation breaks the signature and the rules after it
// (rid, binding, doc, subject, times) only ever see the unmodified seed.
// Here the fuzzer supplies the protected header and payload, or the
// individual field values, and the target signs them with the committed
// test PKI's role keys before handing them to the verifier: every rule
// after the signature runs on mutated input.
//
// The *Rules targets check the verifier against an oracle: the §3.4 rules
// restated over the field values, in the verifier's documented order, say
// which code (or acceptance) each input must get. The *Raw targets take
// arbitrary header and payload bytes and check invariants: what is
// accepted has the whitelisted header and is bound to this request, and
// every refusal is a *RefusalError of the target's stage with a known
// reason.
//
// Every verification runs at the stable flow's pinned instant.

// fuzzSkew is the verifier's clock skew in these targets, set explicitly
// so that the oracle does not depend on the default.
const fuzzSkew = 2 * time.Minute

// roleSigner is one signing key with its certificate chain, and the code
// suffix a ticket and an envelope it signs must get ("" accepted as far as
// the signer goes).
type roleSigner struct {
	name             string
	key              *ecdsa.PrivateKey
	chain            [][]byte
	ticket, envelope string
}

// signedFlow is the stable flow with the committed signers and a few
// wrong-role signers issued at set-up under the committed CAs.
type signedFlow struct {
	*stableFlow
	v       *protocol.Verifier
	signers []roleSigner
	vt      *protocol.VerifiedTicket // the stable ticket, verified
	docs    []protocol.DocSpec
	// answers are the requests an envelope may answer: [0] the stable
	// flow's (one-sided), [1] the same request asking for two sides.
	answers [2]answer
}

// answer is one request an envelope answers, with its verified ticket and
// the documents the fuzzer picks from (the request's own first).
type answer struct {
	req  protocol.Request
	sent *protocol.Sent
	tk   protocol.Ticket
	vt   *protocol.VerifiedTicket
	docs []protocol.DocSpec
}

func newSignedFlow(tb testing.TB) *signedFlow {
	tb.Helper()
	sf := newStableFlow(tb)
	fx := newOutcomeFlow(tb).fx
	now := sf.now
	v := &protocol.Verifier{CenterRoots: fx.CenterCA.Pool(), IssuerRoots: fx.IssuerCA.Pool(),
		Now: func() time.Time { return now }, MaxSkew: fuzzSkew}
	ecKey := func(k crypto.Signer) *ecdsa.PrivateKey {
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			tb.Fatalf("signer key is %T, want ECDSA", k)
		}
		return ek
	}
	// issue certifies a fresh P-256 key under a committed CA with the
	// template edited by edit.
	serial := int64(100)
	issue := func(ca crypto.Signer, caCert *x509.Certificate, name string, edit func(*x509.Certificate)) roleSigner {
		serial++
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tb.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "fuzz " + name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		edit(tmpl)
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca)
		if err != nil {
			tb.Fatal(err)
		}
		return roleSigner{name: name, key: key, chain: [][]byte{der}}
	}
	eku := func(stage protocol.Stage) []asn1.ObjectIdentifier {
		return []asn1.ObjectIdentifier{protocol.SignerEKU(stage)}
	}
	with := func(s roleSigner, ticket, envelope string) roleSigner {
		s.ticket, s.envelope = ticket, envelope
		return s
	}
	cca, ica := fx.CenterCA, fx.IssuerCA
	signers := []roleSigner{
		{name: "center-signer", key: ecKey(fx.CenterSigner.Key), chain: [][]byte{fx.CenterSigner.CertDER}, ticket: "", envelope: "chain"},
		{name: "issuer-signer", key: ecKey(fx.IssuerSigner.Key), chain: [][]byte{fx.IssuerSigner.CertDER}, ticket: "chain", envelope: ""},
		with(issue(cca.Key, cca.Cert, "center CA leaf with the envelope EKU", func(c *x509.Certificate) {
			c.UnknownExtKeyUsage = eku(protocol.StageEnvelope)
		}), "role", "chain"),
		with(issue(cca.Key, cca.Cert, "center CA leaf without EKU", func(*x509.Certificate) {}), "role", "chain"),
		with(issue(cca.Key, cca.Cert, "center CA leaf with anyExtendedKeyUsage", func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
		}), "role", "chain"),
		with(issue(cca.Key, cca.Cert, "center CA leaf without KeyUsage", func(c *x509.Certificate) {
			c.KeyUsage, c.UnknownExtKeyUsage = 0, eku(protocol.StageTicket)
		}), "key", "chain"),
		with(issue(ica.Key, ica.Cert, "issuer CA leaf with the ticket EKU", func(c *x509.Certificate) {
			c.UnknownExtKeyUsage = eku(protocol.StageTicket)
		}), "chain", "role"),
		with(issue(ica.Key, ica.Cert, "issuer CA leaf with serverAuth too", func(c *x509.Certificate) {
			c.UnknownExtKeyUsage, c.ExtKeyUsage = eku(protocol.StageEnvelope), []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}), "chain", "role"),
		with(issue(ica.Key, ica.Cert, "issuer CA leaf as a CA", func(c *x509.Certificate) {
			c.UnknownExtKeyUsage, c.IsCA, c.BasicConstraintsValid = eku(protocol.StageEnvelope), true, true
		}), "chain", "role"),
	}
	vt, err := v.Ticket(sf.sign(tb, sf.tk), sf.sent)
	if err != nil {
		tb.Fatalf("the stable ticket is refused: %v", err)
	}
	docs := docsFor(tb, sf.req.Doc)
	out := &signedFlow{stableFlow: sf, v: v, signers: signers, vt: vt, docs: docs}
	out.answers[0] = answer{req: sf.req, sent: sf.sent, tk: sf.tk, vt: vt, docs: docs}
	two := newStableFlowSides(tb, protocol.SidesTwoSided)
	vt2, err := v.Ticket(two.sign(tb, two.tk), two.sent)
	if err != nil {
		tb.Fatalf("the two-sided stable ticket is refused: %v", err)
	}
	out.answers[1] = answer{req: two.req, sent: two.sent, tk: two.tk, vt: vt2, docs: docsFor(tb, two.req.Doc)}
	return out
}

// docsFor is the documents a fuzzer picks from for a request for base:
// base itself, another type, other options, other copies, invalid ones,
// and base with the other sides.
func docsFor(tb testing.TB, base protocol.DocSpec) []protocol.DocSpec {
	household := base.Clone()
	household.Opts["scope"] = "household"
	inkan, err := protocol.NewDocSpec(protocol.DocInkan)
	if err != nil {
		tb.Fatal(err)
	}
	twoCopies, noCopies, unknownOpt, otherSides := base, base, household, base
	twoCopies.Copies, noCopies.Copies = 2, 0
	unknownOpt.Opts = map[string]string{"photo": "include"}
	otherSides.Sides = protocol.SidesTwoSided
	if base.Sides == protocol.SidesTwoSided {
		otherSides.Sides = ""
	}
	return []protocol.DocSpec{base, inkan, household, twoCopies, noCopies, unknownOpt, otherSides}
}

// signRaw signs header.payload as JWS ES256 with key: the input is taken
// as it is, so any header and any payload bytes are well signed.
func signRaw(tb testing.TB, key *ecdsa.PrivateKey, header, payload []byte) []byte {
	tb.Helper()
	input := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return []byte(input + "." + base64.RawURLEncoding.EncodeToString(sig))
}

// header is the protected header {alg, typ, x5c} of a signer's chain.
func header(typ string, chain [][]byte) []byte {
	b, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": typ, "x5c": json.RawMessage(x5cJSON(chain))})
	return b
}

// x5cJSON is the x5c member's value for chain: standard base64 DER.
func x5cJSON(chain [][]byte) []byte {
	x5c := make([]string, len(chain))
	for i, der := range chain {
		x5c[i] = base64.StdEncoding.EncodeToString(der)
	}
	b, _ := json.Marshal(x5c)
	return b
}

// x5cMark in a raw target's header stands for the signer's x5c value, so
// the committed seeds hold no certificate (they survive a regenerated
// test PKI) and the fuzzer spends no effort inside certificate bytes; it
// can still write any other x5c.
const x5cMark = `"$x5c"`

// withMember appends the member "name": 1 to a JSON object's bytes
// (duplicates included, as a broken or hostile signer could).
func withMember(obj []byte, name string) []byte {
	if name == "" {
		return obj
	}
	k, _ := json.Marshal(name)
	out := append(bytes.Clone(obj[:len(obj)-1]), ',')
	out = append(out, k...)
	return append(out, ":1}"...)
}

// flagged are the members a broken issuer adds to flag an error while
// serving a document anyway (refused as error-flagged before decoding).
var flagged = map[string]bool{"error": true, "status": true, "problem": true}

// ticketReasons and envelopeReasons are every reason the ticket and
// envelope checks may give; a refusal with any other is a bug (or a new
// reason this list must learn).
func knownReasons(stage protocol.Stage) map[protocol.Reason]bool {
	m := map[protocol.Reason]bool{}
	for _, r := range []protocol.Reason{protocol.ReasonTooLarge, protocol.ReasonMalformed, protocol.ReasonAlgNone,
		protocol.ReasonAlgHMAC, protocol.ReasonAlg, protocol.ReasonEmbeddedJWK, protocol.ReasonRemoteKey,
		protocol.ReasonCrit, protocol.ReasonHeader, protocol.ReasonTyp, protocol.ReasonChain, protocol.ReasonKey,
		protocol.ReasonSignature, protocol.ReasonFields, protocol.ReasonRole, protocol.ReasonErrorFlagged,
		protocol.ReasonRID, protocol.ReasonBinding, protocol.ReasonDoc, protocol.ReasonExpired,
		protocol.ReasonNotYetValid, protocol.ReasonStale} {
		m[r] = true
	}
	if stage == protocol.StageEnvelope {
		for _, r := range []protocol.Reason{protocol.ReasonTID, protocol.ReasonSubject, protocol.ReasonAsOf,
			protocol.ReasonCount, protocol.ReasonGeometry, protocol.ReasonFaces, protocol.ReasonBackMissing, protocol.ReasonSides} {
			m[r] = true
		}
	}
	return m
}

// checkRefusal fails t unless err is a *RefusalError of stage with a
// known reason, naming a page only for a page's geometry or the faces'
// structure.
func checkRefusal(t *testing.T, stage protocol.Stage, err error) *protocol.RefusalError {
	t.Helper()
	r, ok := protocol.AsRefusal(err)
	if !ok {
		t.Fatalf("refusal is not a RefusalError: %v", err)
	}
	pageReason := r.Reason == protocol.ReasonGeometry || r.Reason == protocol.ReasonFaces || r.Reason == protocol.ReasonBackMissing
	if r.Stage != stage || !knownReasons(stage)[r.Reason] || (r.Page != 0) != pageReason {
		t.Fatalf("refusal %s (page %d) is not a known %s reason", r.Code(), r.Page, stage)
	}
	return r
}

// timesCode is the oracle of the validity window: "" when iat and exp are
// inside it at now with skew, else the reason's code suffix. It compares
// NumericDates as integers, as RFC 7519 defines them.
func timesCode(now time.Time, iat, exp, notBefore int64) string {
	skew := int64(fuzzSkew / time.Second)
	switch {
	case iat > now.Unix()+skew:
		return "not-yet-valid"
	case exp <= now.Unix()-skew:
		return "expired"
	case iat < notBefore-skew:
		return "stale"
	}
	return ""
}

// or returns b when a is nil or empty: the fuzzer leaves a value empty to
// mean "the right one", which keeps the later rules reachable.
func or(a, b []byte) protocol.Bytes {
	if len(a) == 0 {
		return bytes.Clone(b)
	}
	return bytes.Clone(a)
}

// ticketCode is the oracle of the ticket rules after the signature: the
// code suffix the verifier must give tk signed with extra member extra,
// "" for acceptance.
func (sf *signedFlow) ticketCode(tk protocol.Ticket, extra string) string {
	switch {
	case flagged[extra]:
		return "error-flagged"
	case extra != "":
		return "fields" // unknown or duplicate member
	case tk.Validate() != nil:
		return "fields"
	case !bytes.Equal(tk.RID, sf.req.RID):
		return "rid"
	case !bytes.Equal(tk.Binding, sf.sent.Binding()):
		return "binding"
	case !tk.Doc.Equal(sf.req.Doc):
		return "doc"
	}
	return timesCode(sf.now, tk.IAT, tk.EXP, sf.req.IAT)
}

// FuzzTicketRules: the fuzzer picks the signer and every field of a
// ticket; the target signs it and the verifier must answer exactly what
// the oracle says: the signer's code for a wrong signer, else the first
// rule the fields break, else acceptance of exactly those values.
func FuzzTicketRules(f *testing.F) {
	sf := newSignedFlow(f)
	for _, s := range ticketRuleSeeds(sf) {
		f.Add(s.signer, s.tid, s.rid, s.binding, s.doc, s.fee, s.iatOff, s.expOff, s.extra)
	}
	f.Fuzz(func(t *testing.T, signer uint8, tid, rid, binding []byte, doc uint8, fee int, iatOff, expOff int64, extra string) {
		s := sf.signers[int(signer)%len(sf.signers)]
		tk := protocol.Ticket{V: protocol.Version, TID: or(tid, sf.tk.TID), RID: or(rid, sf.req.RID),
			Binding: or(binding, sf.sent.Binding()), Doc: sf.docs[int(doc)%len(sf.docs)], Fee: fee,
			IAT: sf.now.Unix() + iatOff, EXP: sf.now.Unix() + expOff}
		payload, err := json.Marshal(tk)
		if err != nil {
			t.Fatal(err)
		}
		compact := signRaw(t, s.key, header(protocol.TypTicket, s.chain), withMember(payload, extra))
		want := s.ticket
		switch {
		case len(compact) > protocol.MaxTicketJWS:
			want = "too-large"
		case want == "":
			want = sf.ticketCode(tk, extra)
		}
		vt, err := sf.v.Ticket(compact, sf.sent)
		got := ""
		if err != nil {
			got = string(checkRefusal(t, protocol.StageTicket, err).Reason)
			if vt != nil {
				t.Fatal("refused ticket returned with a value")
			}
		}
		if got != want {
			t.Fatalf("signer %q, ticket %+v, extra %q: got %q, want %q (err: %v)", s.name, tk, extra, got, want, err)
		}
		if err == nil && !bytes.Equal(mustMarshal(vt.Ticket()), payload) {
			t.Fatalf("accepted ticket %+v differs from the signed one %s", vt.Ticket(), payload)
		}
	})
}

// envelopeCode is the oracle of the envelope rules after the signature,
// for an envelope answering the stable one-sided request.
func (sf *signedFlow) envelopeCode(e protocol.Envelope, extra string) string {
	return sf.answerCode(e, extra, sf.answers[0])
}

// facesCode restates the structure rules of the faces (issue 19): in
// print order, for sheet s = 1, 2, …, the front of s, then the back of s
// (required for a two-sided request, else absent); after a front only its
// back or the next front. Pages without face fields are the fronts of
// sheets 1..n.
func facesCode(e protocol.Envelope, sides protocol.Sides) string {
	type face struct {
		sheet int
		back  bool
	}
	fs := make([]face, len(e.Pages))
	for i, p := range e.Pages {
		fs[i] = face{i + 1, false}
		if p.Face != "" {
			fs[i] = face{int(p.Sheet), p.Face == protocol.FaceBack}
		}
	}
	backs := 0
	for s, i := 1, 0; i < len(fs); s++ {
		if fs[i] != (face{s, false}) {
			return "faces"
		}
		if i++; i < len(fs) && fs[i] == (face{s, true}) {
			i, backs = i+1, backs+1
			continue
		}
		if i < len(fs) && fs[i] != (face{s + 1, false}) {
			return "faces"
		}
		if sides == protocol.SidesTwoSided {
			return "back-missing"
		}
	}
	if sides != protocol.SidesTwoSided && backs > 0 {
		return "sides"
	}
	return ""
}

// answerCode is the oracle of the envelope rules after the signature, for
// an envelope answering a.
func (sf *signedFlow) answerCode(e protocol.Envelope, extra string, a answer) string {
	tk := a.tk
	switch {
	case flagged[extra]:
		return "error-flagged"
	case extra != "":
		return "fields"
	case e.Validate() != nil:
		return "fields"
	case !bytes.Equal(e.TID, tk.TID):
		return "tid"
	case !bytes.Equal(e.RID, a.req.RID):
		return "rid"
	case !bytes.Equal(e.Binding, a.sent.Binding()):
		return "binding"
	case !e.Doc.Equal(a.req.Doc):
		return "doc"
	case !bytes.Equal(e.Subject, a.sent.Subject()):
		return "subject"
	}
	if _, err := time.Parse(time.RFC3339, e.AsOf); err != nil {
		return "asof"
	}
	// The limit counts sheets: the highest sheet declared, or the pages
	// of an envelope without face fields; at most two faces a sheet.
	sheets := len(e.Pages)
	if len(e.Pages) > 0 && e.Pages[0].Face != "" {
		sheets = 0
		for _, p := range e.Pages {
			sheets = max(sheets, int(p.Sheet))
		}
	}
	if len(e.Pages) < 1 || len(e.Pages) > 2*protocol.MaxPages || sheets > protocol.MaxPages {
		return "count"
	}
	if c := facesCode(e, a.req.Doc.Sides); c != "" {
		return c
	}
	for _, p := range e.Pages {
		// A4 in pixels at 300 and 600 dpi (210 × 297 mm).
		if a4 := map[int][2]int{300: {2480, 3508}, 600: {4961, 7016}}[p.DPI]; a4 == [2]int{} || p.W != a4[0] || p.H != a4[1] {
			return "geometry"
		}
	}
	return timesCode(sf.now, e.IAT, e.EXP, tk.IAT)
}

// FuzzEnvelopeRules: as FuzzTicketRules for the envelope answering a
// verified ticket of the stable flow — its one-sided request or, with
// twoSided, the same request asking for two sides: the fuzzer picks the
// signer, the ids, the subject, the document, asof, the page count
// (0..MaxFaces+1) and dpi, the times, and the pages' face fields (faces[i]
// declares page i: sheet faces[i]>>1, the back when faces[i]&1; pages
// past len(faces) declare none).
func FuzzEnvelopeRules(f *testing.F) {
	sf := newSignedFlow(f)
	for _, s := range envelopeRuleSeeds(sf) {
		f.Add(s.signer, s.tid, s.rid, s.binding, s.subject, s.doc, s.asof, s.pages, s.dpi, s.iatOff, s.expOff, s.extra,
			s.twoSided, s.faces)
	}
	f.Fuzz(func(t *testing.T, signer uint8, tid, rid, binding, subject []byte, doc uint8, asof string,
		pages uint8, dpi int, iatOff, expOff int64, extra string, twoSided bool, faces []byte) {
		s := sf.signers[int(signer)%len(sf.signers)]
		a := sf.answers[0]
		if twoSided {
			a = sf.answers[1]
		}
		e := protocol.Envelope{V: protocol.Version, TID: or(tid, a.tk.TID), RID: or(rid, a.req.RID),
			Binding: or(binding, a.sent.Binding()), Subject: or(subject, a.sent.Subject()),
			Doc: a.docs[int(doc)%len(a.docs)], Serial: "YK-2026-000123", AsOf: asof,
			IAT: sf.now.Unix() + iatOff, EXP: sf.now.Unix() + expOff}
		w, h := 2480, 3508
		if dpi == 600 {
			w, h = 4961, 7016
		}
		for i := range int(pages) % (protocol.MaxFaces + 2) {
			d := sha256.Sum256([]byte("page " + strconv.Itoa(i+1)))
			p := protocol.PageRef{N: i + 1, SHA256: d[:], W: w, H: h, DPI: dpi}
			if i < len(faces) {
				p.Sheet, p.Face = protocol.SheetNo(faces[i]>>1), protocol.FaceFront
				if faces[i]&1 == 1 {
					p.Face = protocol.FaceBack
				}
			}
			e.Pages = append(e.Pages, p)
		}
		payload, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		compact := signRaw(t, s.key, header(protocol.TypEnvelope, s.chain), withMember(payload, extra))
		want := s.envelope
		switch {
		case len(compact) > protocol.MaxEnvelopeJWS:
			want = "too-large"
		case want == "":
			want = sf.answerCode(e, extra, a)
		}
		ve, err := sf.v.Envelope(compact, a.vt)
		got := ""
		if err != nil {
			got = string(checkRefusal(t, protocol.StageEnvelope, err).Reason)
			if ve != nil {
				t.Fatal("refused envelope returned with a value")
			}
		}
		if got != want {
			t.Fatalf("signer %q, envelope %+v, extra %q: got %q, want %q (err: %v)", s.name, e, extra, got, want, err)
		}
		if err == nil && !bytes.Equal(mustMarshal(ve.Envelope()), payload) {
			t.Fatalf("accepted envelope differs from the signed one %s", payload)
		}
	})
}

// FuzzTicketRaw: the fuzzer supplies the protected header and the
// payload bytes; the target signs them with the center's ticket signer.
// Whatever the bytes, the answer is a verified ticket or a ticket-stage
// RefusalError with a known reason; what is accepted has exactly the
// pinned header, decodes to the accepted ticket, and is bound to this
// request inside the validity window at the pinned instant.
func FuzzTicketRaw(f *testing.F) {
	sf := newSignedFlow(f)
	s := sf.signers[0]
	x5c := x5cJSON(s.chain)
	for _, seed := range rawSeeds(protocol.TypTicket, mustMarshal(sf.tk)) {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, hdr, payload []byte) {
		compact := signRaw(t, s.key, bytes.ReplaceAll(hdr, []byte(x5cMark), x5c), payload)
		vt, err := sf.v.Ticket(compact, sf.sent)
		if err != nil {
			checkRefusal(t, protocol.StageTicket, err)
			if vt != nil {
				t.Fatal("refused ticket returned with a value")
			}
			return
		}
		checkHeader(t, compact, string(protocol.AlgCenter), protocol.TypTicket)
		tk := vt.Ticket()
		var back protocol.Ticket
		if err := json.Unmarshal(payload, &back); err != nil || !bytes.Equal(mustMarshal(back), mustMarshal(tk)) {
			t.Fatalf("accepted ticket %+v is not the signed payload %q (%v)", tk, payload, err)
		}
		if sf.ticketCode(tk, "") != "" {
			t.Fatalf("accepted a ticket the rules refuse (%s): %+v", sf.ticketCode(tk, ""), tk)
		}
	})
}

// FuzzEnvelopeRaw: as FuzzTicketRaw for envelopes signed by the issuer's
// envelope signer, checked against the stable verified ticket.
func FuzzEnvelopeRaw(f *testing.F) {
	sf := newSignedFlow(f)
	s := sf.signers[1]
	x5c := x5cJSON(s.chain)
	for _, seed := range rawSeeds(protocol.TypEnvelope, mustMarshal(sf.env)) {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, hdr, payload []byte) {
		compact := signRaw(t, s.key, bytes.ReplaceAll(hdr, []byte(x5cMark), x5c), payload)
		ve, err := sf.v.Envelope(compact, sf.vt)
		if err != nil {
			checkRefusal(t, protocol.StageEnvelope, err)
			if ve != nil {
				t.Fatal("refused envelope returned with a value")
			}
			return
		}
		checkHeader(t, compact, string(protocol.AlgCenter), protocol.TypEnvelope)
		e := ve.Envelope()
		var back protocol.Envelope
		if err := json.Unmarshal(payload, &back); err != nil || !bytes.Equal(mustMarshal(back), mustMarshal(e)) {
			t.Fatalf("accepted envelope is not the signed payload %q (%v)", payload, err)
		}
		if c := sf.envelopeCode(e, ""); c != "" {
			t.Fatalf("accepted an envelope the rules refuse (%s)", c)
		}
	})
}

// ---- seeds ----

// ticketRuleSeed is one argument list of FuzzTicketRules.
type ticketRuleSeed struct {
	name              string
	signer            uint8
	tid, rid, binding []byte
	doc               uint8
	fee               int
	iatOff, expOff    int64
	extra             string
}

// ticketRuleSeeds reach every rule once: each wrong signer, then the
// correct ticket with one field broken at a time, and the window edges.
func ticketRuleSeeds(sf *signedFlow) []ticketRuleSeed {
	good := ticketRuleSeed{name: "valid", fee: 300, expOff: 900}
	var out []ticketRuleSeed
	add := func(name string, edit func(*ticketRuleSeed)) {
		s := good
		s.name = name
		edit(&s)
		out = append(out, s)
	}
	add("valid", func(*ticketRuleSeed) {})
	for i := range sf.signers {
		add("signer-"+strconv.Itoa(i), func(s *ticketRuleSeed) { s.signer = uint8(i) })
	}
	skew := int64(fuzzSkew / time.Second)
	add("other-rid", func(s *ticketRuleSeed) { s.rid = bytes.Repeat([]byte{0xee}, protocol.RIDSize) })
	add("short-rid", func(s *ticketRuleSeed) { s.rid = []byte{1} })
	add("other-binding", func(s *ticketRuleSeed) { s.binding = bytes.Repeat([]byte{0xbb}, protocol.DigestSize) })
	add("short-tid", func(s *ticketRuleSeed) { s.tid = []byte{1, 2, 3} })
	add("other-doc", func(s *ticketRuleSeed) { s.doc = 1 })
	add("other-opts", func(s *ticketRuleSeed) { s.doc = 2 })
	add("other-copies", func(s *ticketRuleSeed) { s.doc = 3 })
	add("invalid-copies", func(s *ticketRuleSeed) { s.doc = 4 })
	add("unknown-opt", func(s *ticketRuleSeed) { s.doc = 5 })
	add("negative-fee", func(s *ticketRuleSeed) { s.fee = -1 })
	add("expired-at-edge", func(s *ticketRuleSeed) { s.iatOff, s.expOff = -3600, -skew })
	add("valid-at-expiry-edge", func(s *ticketRuleSeed) { s.iatOff, s.expOff = -skew, -skew+1 })
	add("not-yet-valid-at-edge", func(s *ticketRuleSeed) { s.iatOff, s.expOff = skew+1, skew+900 })
	add("valid-at-iat-edge", func(s *ticketRuleSeed) { s.iatOff, s.expOff = skew, skew+900 })
	add("stale", func(s *ticketRuleSeed) { s.iatOff = -skew - 1 })
	add("exp-before-iat", func(s *ticketRuleSeed) { s.expOff = -1 })
	add("far-future-iat", func(s *ticketRuleSeed) { s.iatOff, s.expOff = 1<<62, 1<<62+1 })
	add("iat-at-int64-max", func(s *ticketRuleSeed) {
		s.iatOff, s.expOff = math.MaxInt64-sf.now.Unix()-1, math.MaxInt64-sf.now.Unix()
	})
	add("error-member", func(s *ticketRuleSeed) { s.extra = "error" })
	add("status-member", func(s *ticketRuleSeed) { s.extra = "status" })
	add("unknown-member", func(s *ticketRuleSeed) { s.extra = "kid" })
	add("duplicate-rid", func(s *ticketRuleSeed) { s.extra = "rid" })
	return out
}

// envelopeRuleSeed is one argument list of FuzzEnvelopeRules.
type envelopeRuleSeed struct {
	name                       string
	signer                     uint8
	tid, rid, binding, subject []byte
	doc                        uint8
	asof                       string
	pages                      uint8
	dpi                        int
	iatOff, expOff             int64
	extra                      string
	twoSided                   bool
	faces                      []byte
}

// faceBytes encodes a layout for FuzzEnvelopeRules' faces: "1f 1b 2f".
func faceBytes(layout string) []byte {
	var out []byte
	for _, f := range strings.Fields(layout) {
		n, _ := strconv.Atoi(f[:len(f)-1])
		b := byte(n << 1)
		if f[len(f)-1] == 'b' {
			b |= 1
		}
		out = append(out, b)
	}
	return out
}

func envelopeRuleSeeds(sf *signedFlow) []envelopeRuleSeed {
	good := envelopeRuleSeed{name: "valid", signer: 1, asof: sf.env.AsOf, pages: 1, dpi: 300, iatOff: 1, expOff: 3600}
	var out []envelopeRuleSeed
	add := func(name string, edit func(*envelopeRuleSeed)) {
		s := good
		s.name = name
		edit(&s)
		out = append(out, s)
	}
	add("valid", func(*envelopeRuleSeed) {})
	for i := range sf.signers {
		add("signer-"+strconv.Itoa(i), func(s *envelopeRuleSeed) { s.signer = uint8(i) })
	}
	skew := int64(fuzzSkew / time.Second)
	add("other-tid-fifo-dispatch", func(s *envelopeRuleSeed) { s.tid = bytes.Repeat([]byte{0xcc}, protocol.TIDSize) })
	add("other-rid", func(s *envelopeRuleSeed) { s.rid = bytes.Repeat([]byte{0xee}, protocol.RIDSize) })
	add("other-binding", func(s *envelopeRuleSeed) { s.binding = bytes.Repeat([]byte{0xbb}, protocol.DigestSize) })
	add("other-subject-wrong-record", func(s *envelopeRuleSeed) { s.subject = bytes.Repeat([]byte{0x5b}, protocol.DigestSize) })
	add("short-subject", func(s *envelopeRuleSeed) { s.subject = []byte{1} })
	add("other-doc", func(s *envelopeRuleSeed) { s.doc = 1 })
	add("other-copies", func(s *envelopeRuleSeed) { s.doc = 3 })
	add("no-asof", func(s *envelopeRuleSeed) { s.asof = "" })
	add("asof-date-only", func(s *envelopeRuleSeed) { s.asof = "2026-04-01" })
	add("no-pages", func(s *envelopeRuleSeed) { s.pages = 0 })
	add("max-pages", func(s *envelopeRuleSeed) { s.pages = protocol.MaxPages })
	add("too-many-pages", func(s *envelopeRuleSeed) { s.pages = protocol.MaxPages + 1 })
	add("600dpi", func(s *envelopeRuleSeed) { s.dpi = 600 })
	add("72dpi", func(s *envelopeRuleSeed) { s.dpi = 72 })
	add("expired-at-edge", func(s *envelopeRuleSeed) { s.iatOff, s.expOff = -3600, -skew })
	add("not-yet-valid-at-edge", func(s *envelopeRuleSeed) { s.iatOff, s.expOff = skew+1, skew+900 })
	add("stale-before-ticket", func(s *envelopeRuleSeed) { s.iatOff = -skew - 1 })
	add("far-future-iat", func(s *envelopeRuleSeed) { s.iatOff, s.expOff = 1<<62, 1<<62+1 })
	add("iat-at-int64-max", func(s *envelopeRuleSeed) {
		s.iatOff, s.expOff = math.MaxInt64-sf.now.Unix()-1, math.MaxInt64-sf.now.Unix()
	})
	add("error-member", func(s *envelopeRuleSeed) { s.extra = "error" })
	add("problem-member", func(s *envelopeRuleSeed) { s.extra = "problem" })
	add("unknown-member", func(s *envelopeRuleSeed) { s.extra = "note" })
	add("duplicate-subject", func(s *envelopeRuleSeed) { s.extra = "subject" })
	// Two-sided documents (issue 19).
	twelve := ""
	for i := 1; i <= protocol.MaxPages; i++ {
		twelve += fmt.Sprintf("%df %db ", i, i)
	}
	duplex := func(name, layout string, pages int) {
		add(name, func(s *envelopeRuleSeed) {
			s.twoSided, s.faces, s.pages = true, faceBytes(layout), uint8(pages)
		})
	}
	duplex("two-sided-valid", "1f 1b 2f 2b", 4)
	duplex("two-sided-12-sheets", twelve, 24)
	duplex("two-sided-13-sheets", twelve+"13f 13b", 26)
	duplex("two-sided-back-missing", "1f 1b 2f 3f 3b", 5)
	duplex("two-sided-last-back-missing", "1f 1b 2f", 3)
	duplex("two-sided-no-face-fields", "", 2)
	duplex("two-sided-back-first", "1b 1f", 2)
	duplex("two-sided-two-fronts", "1f 1f 1b", 3)
	duplex("two-sided-gap", "1f 1b 3f 3b", 4)
	duplex("two-sided-some-pages-undeclared", "1f 1b", 4)
	duplex("two-sided-sheet-0", "0f 0b", 2)
	add("two-sided-answered-one-sided", func(s *envelopeRuleSeed) { s.twoSided, s.doc = true, 6 })
	add("one-sided-answered-two-sided", func(s *envelopeRuleSeed) { s.doc, s.faces, s.pages = 6, faceBytes("1f 1b"), 2 })
	add("one-sided-with-a-back", func(s *envelopeRuleSeed) { s.faces, s.pages = faceBytes("1f 1b 2f"), 3 })
	add("one-sided-fronts-declared", func(s *envelopeRuleSeed) { s.faces, s.pages = faceBytes("1f 2f 3f"), 3 })
	return out
}

// rawSeeds are header and payload pairs for the raw targets: the right
// header (x5c as x5cMark) and payload, header variants of every JOSE rule,
// and payload variants.
func rawSeeds(typ string, payload []byte) [][2][]byte {
	h := map[string]any{"alg": "ES256", "typ": typ, "x5c": json.RawMessage(x5cMark)}
	good, _ := json.Marshal(h)
	edit := func(k string, v any) []byte {
		m := map[string]any{}
		for kk, vv := range h {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return b
	}
	out := [][2][]byte{{good, payload}}
	for _, hv := range [][]byte{
		edit("alg", "none"), edit("alg", "HS256"), edit("alg", "ES384"), edit("typ", "JWT"),
		edit("typ", nil), edit("x5c", nil), edit("kid", "1"), edit("jwk", map[string]any{"kty": "EC"}),
		edit("jku", "https://attacker.invalid/"), edit("crit", []string{"exp"}), edit("b64", false),
		[]byte(`{"alg":"ES256","alg":"ES256","typ":"` + typ + `","x5c":` + x5cMark + `}`), []byte(`[]`), {},
	} {
		out = append(out, [2][]byte{hv, payload})
	}
	for _, pv := range [][]byte{[]byte(`{}`), []byte(`null`), append(bytes.Clone(payload), ' '), []byte(fmt.Sprintf("%s{}", payload))} {
		out = append(out, [2][]byte{good, pv})
	}
	return out
}

// TestWriteSignedFuzzCorpus writes the committed corpora of the targets
// that sign inside the target: the seeds above, by name. They hold
// neither signature nor certificate, so they stay valid when the test PKI
// is regenerated.
func TestWriteSignedFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	sf := newSignedFlow(t)
	tr, er := fuzzcorpus.New("FuzzTicketRules"), fuzzcorpus.New("FuzzEnvelopeRules")
	for _, s := range ticketRuleSeeds(sf) {
		tr.Add(s.name, s.signer, s.tid, s.rid, s.binding, s.doc, s.fee, s.iatOff, s.expOff, s.extra)
	}
	for _, s := range envelopeRuleSeeds(sf) {
		er.Add(s.name, s.signer, s.tid, s.rid, s.binding, s.subject, s.doc, s.asof, s.pages, s.dpi, s.iatOff, s.expOff, s.extra,
			s.twoSided, s.faces)
	}
	names := []string{"valid", "alg-none", "alg-hs256", "alg-es384", "typ-jwt", "no-typ", "no-x5c", "kid", "jwk", "jku",
		"crit", "b64-false", "duplicate-alg", "header-array", "header-empty", "payload-empty-object", "payload-null",
		"payload-trailing-space", "payload-trailing-object"}
	tw, ew := fuzzcorpus.New("FuzzTicketRaw"), fuzzcorpus.New("FuzzEnvelopeRaw")
	for i, s := range rawSeeds(protocol.TypTicket, mustMarshal(sf.tk)) {
		tw.Add(names[i], s[0], s[1])
	}
	for i, s := range rawSeeds(protocol.TypEnvelope, mustMarshal(sf.env)) {
		ew.Add(names[i], s[0], s[1])
	}
	for _, c := range []*fuzzcorpus.Corpus{tr, er, tw, ew} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
