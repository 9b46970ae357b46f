package center

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"kofu/internal/fixtures"
)

// OCSPResponder answers RFC 6960 requests for card certificates issued by
// the test JPKI CAs — the root for generation-1 cards, the P-384
// intermediate for generation-2 cards — each answer signed by the
// delegated responder that CA certified (RFC 6960 §4.2.2.2). It is the
// revocation service the center consults.
type OCSPResponder struct {
	fx      *fixtures.Set
	now     func() time.Time
	issuers []ocspIssuer
	issued  map[string]bool      // revocationKey of every card certificate the CAs issued
	revoked map[string]time.Time // revocationKey → revocation time
}

// ocspIssuer is a CA the responder answers for and its delegated
// responder.
type ocspIssuer struct {
	ca, responder fixtures.KeyPair
}

// ocspIssuers lists the card CAs with their responders, the root first.
func ocspIssuers(fx *fixtures.Set) []ocspIssuer {
	out := []ocspIssuer{{ca: fx.JPKICA, responder: fx.OCSP}}
	if fx.JPKIP384CA.Cert != nil && fx.OCSPP384.Cert != nil {
		out = append(out, ocspIssuer{ca: fx.JPKIP384CA, responder: fx.OCSPP384})
	}
	return out
}

// revocationKey names a certificate by its issuer's subject and serial:
// two CAs may (in principle) hand out the same serial.
func revocationKey(issuerSubject []byte, serial *big.Int) string {
	return string(issuerSubject) + "/" + serial.Text(16)
}

// NewOCSPResponder builds the responder from the fixtures' revocations.
func NewOCSPResponder(fx *fixtures.Set, now func() time.Time) *OCSPResponder {
	if now == nil {
		now = time.Now
	}
	rv, issued := map[string]time.Time{}, map[string]bool{}
	for _, r := range fx.Residents {
		k := revocationKey(r.CardCert.RawIssuer, r.CardCert.SerialNumber)
		issued[k] = true
		if r.Revoked {
			rv[k] = r.CardCert.NotBefore.Add(24 * time.Hour)
		}
	}
	return &OCSPResponder{fx: fx, now: now, issuers: ocspIssuers(fx), issued: issued, revoked: rv}
}

// ServeHTTP handles POST with an OCSP request body.
func (o *OCSPResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	req, err := ocsp.ParseRequest(body)
	if err != nil {
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	resp, err := o.respond(req)
	if err != nil {
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(ocsp.InternalErrorErrorResponse)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(resp)
}

func (o *OCSPResponder) respond(req *ocsp.Request) ([]byte, error) {
	// An issuer the responder does not serve gets "unknown" from the
	// first (root) responder.
	iss, known := o.issuers[0], false
	for _, c := range o.issuers {
		if issuerMatches(req, c.ca.Cert) {
			iss, known = c, true
			break
		}
	}
	now := o.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(5 * time.Minute), Certificate: iss.responder.Cert}
	key := ""
	if known {
		key = revocationKey(iss.ca.Cert.RawSubject, req.SerialNumber)
	}
	switch {
	case !known || !o.issued[key]:
		// A serial this CA never issued (say, a generation-2 card's asked
		// under the root) is unknown, never good.
		tmpl.Status = ocsp.Unknown
	default:
		if t, ok := o.revoked[key]; ok {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, t, ocsp.KeyCompromise
		}
	}
	return ocsp.CreateResponse(iss.ca.Cert, iss.responder.Cert, tmpl, iss.responder.Key)
}

// issuerMatches reports whether req's CertID names ca: the hashes of its
// subject and of its public key (RFC 6960 §4.1.1).
func issuerMatches(req *ocsp.Request, ca *x509.Certificate) bool {
	if !req.HashAlgorithm.Available() {
		return false
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.RawSubjectPublicKeyInfo, &spki); err != nil {
		return false
	}
	nh := req.HashAlgorithm.New()
	nh.Write(ca.RawSubject)
	kh := req.HashAlgorithm.New()
	kh.Write(spki.PublicKey.RightAlign())
	return bytes.Equal(nh.Sum(nil), req.IssuerNameHash) && bytes.Equal(kh.Sum(nil), req.IssuerKeyHash)
}

// certStatus is the revocation status of a card certificate.
type certStatus int

const (
	certGood certStatus = iota
	certRevoked
)

// ocspChecker asks the responder over HTTP and caches answers until their
// NextUpdate, as a relying party does.
type ocspChecker struct {
	fx  *fixtures.Set
	now func() time.Time
	hc  *http.Client

	mu    sync.Mutex
	url   string
	cache map[string]cached
}

type cached struct {
	status certStatus
	until  time.Time
}

func newOCSPChecker(fx *fixtures.Set, url string, now func() time.Time) *ocspChecker {
	return &ocspChecker{fx: fx, now: now, url: url, cache: map[string]cached{},
		hc: &http.Client{Timeout: 5 * time.Second}}
}

func (c *ocspChecker) setURL(u string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.url = u
}

// check returns the certificate's status, failing closed: no answer, a
// bad signature or "unknown" is an error, never "good".
func (c *ocspChecker) check(ctx context.Context, cert *x509.Certificate) (certStatus, error) {
	key := revocationKey(cert.RawIssuer, cert.SerialNumber)
	c.mu.Lock()
	url := c.url
	if e, ok := c.cache[key]; ok && c.now().Before(e.until) {
		c.mu.Unlock()
		return e.status, nil
	}
	c.mu.Unlock()
	if url == "" {
		return 0, errors.New("no OCSP responder configured")
	}
	ca, ok := c.fx.CardIssuer(cert)
	if !ok {
		return 0, errors.New("ocsp: card certificate issued by no JPKI CA the center knows")
	}
	issuer := ca.Cert
	reqDER, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return 0, fmt.Errorf("ocsp request: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqDER))
	if err != nil {
		return 0, err
	}
	hreq.Header.Set("Content-Type", "application/ocsp-request")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return 0, fmt.Errorf("ocsp: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if err != nil {
		return 0, fmt.Errorf("ocsp: %w", err)
	}
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		return 0, fmt.Errorf("ocsp response: %w", err)
	}
	if r.SerialNumber == nil || r.SerialNumber.Cmp(cert.SerialNumber) != 0 || r.SerialNumber.Cmp(big.NewInt(0)) == 0 {
		return 0, errors.New("ocsp response for another certificate")
	}
	var st certStatus
	switch r.Status {
	case ocsp.Good:
		st = certGood
	case ocsp.Revoked:
		st = certRevoked
	default:
		return 0, errors.New("ocsp status unknown")
	}
	c.mu.Lock()
	c.cache[key] = cached{status: st, until: r.NextUpdate}
	c.mu.Unlock()
	return st, nil
}
