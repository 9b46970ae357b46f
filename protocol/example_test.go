package protocol_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"kofu/protocol"
)

func ExampleBinding() {
	// The binding is SHA-256 over the exact bytes of the compact JWS that
	// went on the wire; the subject salts the hash of the card's
	// certificate with it.
	request := []byte("eyJhbGciOiJSUzI1NiJ9.eyJ2IjoxfQ.c2lnbmF0dXJl")
	certDER := []byte("DER of the user-authentication certificate")

	binding := protocol.Binding(request)
	subject := protocol.Subject(binding, certDER)

	certHash := sha256.Sum256(certDER)
	again := sha256.Sum256(append(append([]byte{}, binding...), certHash[:]...))

	fmt.Println("binding:", hex.EncodeToString(binding))
	fmt.Println("base64url:", protocol.B64(binding))
	fmt.Println("subject matches the formula:", hex.EncodeToString(subject) == hex.EncodeToString(again[:]))
	fmt.Println("one byte more, same binding:", protocol.B64(protocol.Binding(append(request, '\n'))) == protocol.B64(binding))
	// Output:
	// binding: 87d01945c41b9edece96827cd250bd712c1caef859c93cd14b64f07a3e474d4f
	// base64url: h9AZRcQbnt7OloJ80lC9cSwcrvhZyTzRS2Twej5HTU8
	// subject matches the formula: true
	// one byte more, same binding: false
}

// exampleCA makes a CA and a leaf under it whose extended key usage is
// eku, the signer's role (nil for a card); errors ignored for brevity:
// only test keys are made here.
func exampleCA(name string, leafKey crypto.Signer, eku asn1.ObjectIdentifier, now time.Time) (pool *x509.CertPool, leafDER []byte) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if eku != nil {
		leaf.UnknownExtKeyUsage = []asn1.ObjectIdentifier{eku}
	}
	leafDER, _ = x509.CreateCertificate(rand.Reader, leaf, caCert, leafKey.Public(), caKey)
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, leafDER
}

func ExampleVerifier_Ticket() {
	// Every certificate and message below is made relative to now and
	// checked at now, so the date cannot change the output.
	now := time.Now().Truncate(time.Second)

	// The card (an RSA key and its user-authentication certificate), the
	// center's ticket signer and the issuer's envelope signer, each under
	// its own CA and each signer with its role's extended key usage.
	cardKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, cardDER := exampleCA("resident", cardKey, nil, now)
	centerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	centerRoots, centerDER := exampleCA("center", centerKey, protocol.SignerEKU(protocol.StageTicket), now)
	issuerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	issuerRoots, issuerDER := exampleCA("issuer", issuerKey, protocol.SignerEKU(protocol.StageEnvelope), now)

	// The kiosk signs and sends a request, and keeps what it sent.
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	req, _ := protocol.NewRequest("K-0001", "S-0042", "141003", doc, now, "kofu-kiosk/example")
	compact, _ := protocol.SignRequest(context.Background(), cardKey, cardDER, req)
	sent, _ := protocol.NewSent(compact, cardDER)

	v := &protocol.Verifier{CenterRoots: centerRoots, IssuerRoots: issuerRoots, Now: func() time.Time { return now }}

	// The center answers with a ticket bound to those bytes.
	tid, _ := protocol.RandomID(protocol.TIDSize)
	ticket := protocol.Ticket{V: 1, TID: tid, RID: req.RID, Binding: sent.Binding(), Doc: req.Doc,
		Fee: 300, IAT: now.Unix(), EXP: now.Add(10 * time.Minute).Unix()}
	ticketJWS, _ := protocol.SignTicket(centerKey, [][]byte{centerDER}, ticket)
	vt, err := v.Ticket(ticketJWS, sent)
	fmt.Println("ticket:", err == nil, "fee", vt.Ticket().Fee)

	// A ticket for other request bytes is refused, whoever signed it.
	forged := ticket
	forged.Binding = protocol.Binding([]byte("somebody else's request"))
	forgedJWS, _ := protocol.SignTicket(centerKey, [][]byte{centerDER}, forged)
	_, err = v.Ticket(forgedJWS, sent)
	if r, ok := protocol.AsRefusal(err); ok {
		fmt.Println("forged ticket:", r.Code())
	}
	// So is a ticket signed by the issuer instead of the center.
	wrongRole, _ := protocol.SignTicket(issuerKey, [][]byte{issuerDER}, ticket)
	_, err = v.Ticket(wrongRole, sent)
	if r, ok := protocol.AsRefusal(err); ok {
		fmt.Println("ticket signed by the issuer:", r.Code())
	}

	// The issuer's envelope must name this ticket, request and card.
	page := sha256.Sum256([]byte("page 1"))
	env := protocol.Envelope{V: 1, TID: tid, RID: req.RID, Binding: sent.Binding(), Subject: sent.Subject(),
		Doc: req.Doc, Serial: "YK-0001", AsOf: "2026-04-01T09:30:00+09:00",
		Pages: []protocol.PageRef{{N: 1, SHA256: page[:], W: 2480, H: 3508, DPI: 300}},
		IAT:   now.Unix(), EXP: now.Add(time.Hour).Unix()}
	envJWS, _ := protocol.SignEnvelope(issuerKey, [][]byte{issuerDER}, env)
	ve, err := v.Envelope(envJWS, vt)
	fmt.Println("envelope:", err == nil, len(ve.Envelope().Pages), "page")

	// A document rendered from another resident's record is refused.
	env.Subject = protocol.Subject(sent.Binding(), []byte("another resident's certificate"))
	otherJWS, _ := protocol.SignEnvelope(issuerKey, [][]byte{issuerDER}, env)
	_, err = v.Envelope(otherJWS, vt)
	if r, ok := protocol.AsRefusal(err); ok {
		fmt.Println("other record:", r.Code())
	}
	// Output:
	// ticket: true fee 300
	// forged ticket: ticket-binding
	// ticket signed by the issuer: ticket-chain
	// envelope: true 1 page
	// other record: envelope-subject
}
