package center

import (
	"bytes"
	"context"
	"crypto/x509"
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
// the test JPKI CA, signed by the delegated responder certificate. It is
// the revocation service the center consults.
type OCSPResponder struct {
	fx      *fixtures.Set
	now     func() time.Time
	revoked map[string]time.Time // serial (hex) → revocation time
}

// NewOCSPResponder builds the responder from the fixtures' revocations.
func NewOCSPResponder(fx *fixtures.Set, now func() time.Time) *OCSPResponder {
	if now == nil {
		now = time.Now
	}
	rv := map[string]time.Time{}
	for _, r := range fx.Residents {
		if r.Revoked {
			rv[r.CardCert.SerialNumber.Text(16)] = r.CardCert.NotBefore.Add(24 * time.Hour)
		}
	}
	return &OCSPResponder{fx: fx, now: now, revoked: rv}
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
	ca := o.fx.JPKICA.Cert
	now := o.now()
	tmpl := ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(5 * time.Minute), Certificate: o.fx.OCSP.Cert}
	issuerMatches := func() bool {
		h := req.HashAlgorithm.New()
		h.Write(ca.RawSubject)
		return bytes.Equal(h.Sum(nil), req.IssuerNameHash)
	}
	switch {
	case !issuerMatches():
		tmpl.Status = ocsp.Unknown
	default:
		if t, ok := o.revoked[req.SerialNumber.Text(16)]; ok {
			tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, t, ocsp.KeyCompromise
		}
	}
	return ocsp.CreateResponse(ca, o.fx.OCSP.Cert, tmpl, o.fx.OCSP.Key)
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
	key := cert.SerialNumber.Text(16)
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
	issuer := c.fx.JPKICA.Cert
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
