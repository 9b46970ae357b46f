package protocol

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Timeouts are the per-stage deadlines of the kiosk's client. Each call
// runs under the smaller of its stage deadline and the caller's context.
type Timeouts struct {
	Request  time.Duration // POST /v1/requests, all re-sends included
	Document time.Duration // polling for the envelope
	Page     time.Duration // one page
	Outcome  time.Duration // POST outcome
	PollMin  time.Duration // lower bound on a Retry-After wait
	PollMax  time.Duration // upper bound on a Retry-After wait
	// Attempt bounds one GET of the envelope poll or of a page; an attempt
	// that outlives it is a transport failure and is sent again while the
	// stage deadline lasts. Zero: no bound of its own, the stage deadline
	// alone (the default, as configuration has no key for it yet).
	Attempt time.Duration
}

// DefaultTimeouts are sized for a resident waiting at the machine.
func DefaultTimeouts() Timeouts {
	return Timeouts{Request: 20 * time.Second, Document: 90 * time.Second, Page: 20 * time.Second,
		Outcome: 15 * time.Second, PollMin: 100 * time.Millisecond, PollMax: 3 * time.Second}
}

// Body limits of the client (bytes).
const (
	MaxPagePNG = 8 << 20
)

// ClientConfig configures a Client.
type ClientConfig struct {
	BaseURL  string          // https://host:port of the center
	Roots    *x509.CertPool  // the operator CA pinned for the center's TLS certificate
	Device   tls.Certificate // the kiosk's device key and certificate (mutual TLS)
	Timeouts Timeouts        // zero fields take DefaultTimeouts
	// Transport replaces the TLS transport (tests of network faults);
	// when set, Roots and Device are its business.
	Transport http.RoundTripper
	// MaxSends bounds sends of the same request bytes (default 3).
	MaxSends int
	// Now is the kiosk's clock, at which the center's TLS certificate's
	// validity is judged (nil: the wall clock). Unused with Transport.
	Now func() time.Time
}

// Client is the kiosk side of protocol v1. Its only ways to reach a
// document are through a VerifiedTicket or VerifiedEnvelope: it cannot ask
// for "the next" or "the latest" document, nor any ticket but its own.
type Client struct {
	base     *url.URL
	hc       *http.Client
	t        Timeouts
	maxSends int
}

// TransportError is a failure to talk to the center at all (connection,
// TLS, timeout, reset). Callers treat it as "the center did not answer",
// never as a reason to print. Class says which kind of failure it was.
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return "center " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// TransportClass names a kind of transport failure; it is the suffix of
// the session's reason code ("submit-tls-untrusted").
type TransportClass string

// The transport classes. The TLS ones say why no authenticated channel to
// the center could be set up; each points the operator at a different
// fix (docs/operator.md §6).
const (
	// TransportOther: connection refused or reset, DNS, a timeout inside
	// the transport — the network or the center's availability.
	TransportOther TransportClass = "transport"
	// TLSUntrusted: the center's certificate does not chain to the pinned
	// operator CA (center.tls_ca), e.g. a proxy intercepting TLS.
	TLSUntrusted TransportClass = "tls-untrusted"
	// TLSExpired: the center's certificate is expired or not yet valid at
	// the kiosk's clock.
	TLSExpired TransportClass = "tls-expired"
	// TLSName: the certificate chains to the operator CA but is not for the
	// host name of center.url.
	TLSName TransportClass = "tls-name"
	// TLSCertificate: any other failure to verify the center's certificate
	// (wrong key usage, a CA not allowed to sign for the name …).
	TLSCertificate TransportClass = "tls-certificate"
	// TLSVersion: no common protocol version: the center does not offer
	// TLS 1.3, which the kiosk requires.
	TLSVersion TransportClass = "tls-version"
	// TLSRejected: the center's TLS end aborted the handshake with an alert
	// (e.g. it does not accept this kiosk's device certificate).
	TLSRejected TransportClass = "tls-rejected"
)

// alertProtocolVersion is the TLS protocol_version alert (RFC 8446 §6).
const alertProtocolVersion = 70

// Class classifies the failure, most specific first.
func (e *TransportError) Class() TransportClass { return classifyTransport(e.Err) }

// classifyTransport looks through err's chain for the TLS and X.509 errors
// crypto/tls returns: certificate verification errors (wrapped in
// *tls.CertificateVerificationError), alerts the peer sent (a
// *net.OpError "remote error" around crypto/tls's alert code), and the
// client's own refusal of a server that chose an older version, which
// crypto/tls reports only as text.
func classifyTransport(err error) TransportClass {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		op       *net.OpError
	)
	switch {
	case errors.As(err, &unknown):
		return TLSUntrusted
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return TLSExpired
	case errors.As(err, &hostname):
		return TLSName
	case errors.As(err, &verify):
		return TLSCertificate
	case errors.As(err, &op) && op.Op == "remote error":
		if a, ok := tlsAlert(op.Err); ok && a == alertProtocolVersion {
			return TLSVersion
		}
		return TLSRejected
	case strings.Contains(err.Error(), "tls: server selected unsupported protocol version"):
		return TLSVersion
	}
	return TransportOther
}

// tlsAlert reads the alert code of a peer's alert: crypto/tls reports it
// as its unexported alert type, a uint8.
func tlsAlert(err error) (uint8, bool) {
	if err == nil {
		return 0, false
	}
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Uint8 || v.Type().PkgPath() != "crypto/tls" {
		return 0, false
	}
	return uint8(v.Uint()), true
}

// StatusError is an answer with an unexpected status or media type. Err,
// when set, is why a problem document that came with it did not parse.
type StatusError struct {
	Op          string
	Status      int
	ContentType string
	Err         error
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("center %s: unexpected HTTP %d (%s)", e.Op, e.Status, e.ContentType)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *StatusError) Unwrap() error { return e.Err }

// unexpected is an answer where a message of protocol v1 was due (want
// status and media type) that is not one: the center broke the protocol,
// so it is refused at stage, wrapping the StatusError.
func unexpected(stage Stage, op string, a *answer, wantStatus int, wantType string) error {
	se := &StatusError{Op: op, Status: a.status, ContentType: a.ctype}
	reason := ReasonStatus
	switch {
	case a.status >= 300 && a.status < 400:
		reason = ReasonRedirect
	case a.status == wantStatus && a.ctype != wantType:
		reason = ReasonMediaType
	}
	return &RefusalError{Stage: stage, Reason: reason,
		Detail: fmt.Sprintf("HTTP %d %.40q, want %d %s", a.status, a.ctype, wantStatus, wantType), Err: se}
}

// centerFault turns a failed call's error into a refusal at stage when the
// center, not the network, is at fault: an answer over its size bound, or
// an error answer whose problem document is malformed. Other errors pass
// unchanged.
func centerFault(stage Stage, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return &RefusalError{Stage: stage, Reason: ReasonTooLarge, Err: err}
	}
	var se *StatusError
	if errors.As(err, &se) && se.Err != nil {
		return &RefusalError{Stage: stage, Reason: ReasonProblem, Err: err}
	}
	return err
}

// ErrTooLarge is returned when an answer exceeds its size bound.
var ErrTooLarge = errors.New("answer exceeds its size bound")

// NewClient builds a client pinned to TLS 1.3, the operator CA and the
// device certificate.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("center URL %q: must be https://host[:port]", cfg.BaseURL)
	}
	u.Path = ""
	tr := cfg.Transport
	if tr == nil {
		own, err := NewTransport(cfg.Roots, cfg.Device)
		if err != nil {
			return nil, err
		}
		own.TLSClientConfig.Time = cfg.Now
		tr = own
	}
	t := DefaultTimeouts()
	for _, p := range []struct{ dst, src *time.Duration }{
		{&t.Request, &cfg.Timeouts.Request}, {&t.Document, &cfg.Timeouts.Document},
		{&t.Page, &cfg.Timeouts.Page}, {&t.Outcome, &cfg.Timeouts.Outcome},
		{&t.PollMin, &cfg.Timeouts.PollMin}, {&t.PollMax, &cfg.Timeouts.PollMax},
		{&t.Attempt, &cfg.Timeouts.Attempt},
	} {
		if *p.src > 0 {
			*p.dst = *p.src
		}
	}
	n := cfg.MaxSends
	if n <= 0 {
		n = 3
	}
	return &Client{base: u, hc: &http.Client{Transport: tr, CheckRedirect: noRedirects}, t: t, maxSends: n}, nil
}

// NewTransport is the kiosk's TLS transport to the center: TLS 1.3 only,
// the operator CA pinned as the only root, the device certificate offered
// for mutual TLS.
func NewTransport(roots *x509.CertPool, device tls.Certificate) (*http.Transport, error) {
	if roots == nil {
		return nil, errors.New("no operator CA configured for the center's TLS certificate")
	}
	if len(device.Certificate) == 0 {
		return nil, errors.New("no device certificate configured for mutual TLS")
	}
	return &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion:   tls.VersionTLS13,
			RootCAs:      roots,
			Certificates: []tls.Certificate{device},
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		// No ResponseHeaderTimeout: every call runs under its stage
		// deadline, which alone decides when the kiosk gives up.
	}, nil
}

// noRedirects refuses every redirect: the kiosk asks the center for its own
// ticket's resources only.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// CloseIdle drops idle connections (used after a session).
func (c *Client) CloseIdle() { c.hc.CloseIdleConnections() }

func (c *Client) endpoint(parts ...string) string {
	u := *c.base
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.PathEscape(p)
	}
	u.RawPath = "/" + strings.Join(esc, "/")
	u.Path = "/" + strings.Join(parts, "/")
	return u.String()
}

// answer is a bounded response.
type answer struct {
	status int
	ctype  string
	header http.Header
	body   []byte
}

// do sends one HTTP request and reads at most limit bytes of the answer.
func (c *Client) do(ctx context.Context, op, method, target, ctype string, body []byte, limit int64) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fmt.Errorf("center %s: %w", op, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", MediaJOSE+", "+MediaPNG+", "+MediaProblem)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &TransportError{Op: op, Err: err}
	}
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("center %s: %d bytes: %w", op, resp.ContentLength, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &TransportError{Op: op, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("center %s: %w", op, ErrTooLarge)
	}
	// An answer completed after the stage's deadline is not looked at: the
	// session has given up on it, whatever it says.
	if err := ctx.Err(); err != nil {
		clear(data)
		return nil, &TransportError{Op: op, Err: err}
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	a := &answer{status: resp.StatusCode, ctype: mt, header: resp.Header, body: data}
	if mt == MediaProblem || resp.StatusCode >= 400 {
		if mt != MediaProblem {
			return nil, &StatusError{Op: op, Status: resp.StatusCode, ContentType: mt}
		}
		p, err := ParseProblem(data, resp.StatusCode)
		if err != nil {
			return nil, &StatusError{Op: op, Status: resp.StatusCode, ContentType: mt, Err: err}
		}
		return nil, p
	}
	return a, nil
}

// retryable reports whether a failed send of the same bytes may be
// repeated: transport errors other than TLS failures (which a re-send
// meets again), and "busy" only. Every other answer is final for this
// session.
func retryable(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return te.Class() == TransportOther
	}
	var p *Problem
	return errors.As(err, &p) && (p.Type == ProbBusy)
}

// Submit sends the request bytes and returns the compact ticket. On a
// transport error it re-sends the very same bytes (the center answers the
// same ticket for the same bytes), never a new request.
func (c *Client) Submit(ctx context.Context, s *Sent) ([]byte, error) {
	return c.postSame(ctx, StageTicket, "request", "requests", s.compact, MaxTicketJWS)
}

// Household sends the household query bytes (POST /v1/household) and
// returns the compact household list, within the request's stage
// deadline. Like Submit it re-sends the very same bytes after a transport
// error (the center answers the same list for the same bytes), never a
// new query. An answer that is no list is refused at StageHousehold.
func (c *Client) Household(ctx context.Context, s *SentQuery) ([]byte, error) {
	return c.postSame(ctx, StageHousehold, "household", "household", s.compact, MaxHouseholdJWS)
}

// postSame posts a card-signed message (POST /v1/<path>) and returns the
// body of the center's 201 application/jose answer (at most limit bytes),
// within the request stage's deadline. After a retryable error it waits
// its backoff and re-sends the very same bytes, never new ones; any other
// answer is refused at stage (its body cleared) and any other error is
// final (refused at stage when the center is at fault).
func (c *Client) postSame(ctx context.Context, stage Stage, op, path string, body []byte, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.Request)
	defer cancel()
	var last error
	for i := 0; i < c.maxSends; i++ {
		a, err := c.do(ctx, op, http.MethodPost, c.endpoint("v1", path), MediaJOSE, body, limit)
		if err == nil {
			if a.status != http.StatusCreated || a.ctype != MediaJOSE {
				clear(a.body)
				return nil, unexpected(stage, op, a, http.StatusCreated, MediaJOSE)
			}
			return a.body, nil
		}
		err = centerFault(stage, err)
		last = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
		if err := sleepCtx(ctx, c.backoff(i)); err != nil {
			break
		}
	}
	return nil, last
}

// backoff is the wait before re-send i+1: PollMin doubled i times, at
// most PollMax. Doubled step by step, not shifted: a fetch retried until
// its deadline counts far past the 63 doublings an int64 holds.
func (c *Client) backoff(i int) time.Duration {
	d := c.t.PollMin
	for ; i > 0 && d < c.t.PollMax; i-- {
		d *= 2
	}
	return min(d, c.t.PollMax)
}

// Fetch is the result of one of the kiosk's idempotent fetches (the
// envelope poll, one page): the body and how many GETs it took, so that
// the session can journal how hard the network made it. The counts are
// meaningful with an error too.
type Fetch struct {
	Body []byte
	// Attempts is the number of GETs sent: each poll answered 202, each
	// attempt lost to a transport failure, and the last one. (net/http
	// itself may send a GET once more, uncounted, when a kept-alive
	// connection turns out to be closed before any answer.)
	Attempts int
	// Retries is how many of Attempts were sent again after a transport
	// failure (connection refused or reset, EOF, an attempt's timeout).
	Retries int
}

// Envelope polls for the ticket's envelope; see FetchEnvelope.
func (c *Client) Envelope(ctx context.Context, t *VerifiedTicket) ([]byte, error) {
	f, err := c.FetchEnvelope(ctx, t)
	return f.Body, err
}

// FetchEnvelope polls for the ticket's envelope, honouring Retry-After
// within [PollMin, PollMax], until it arrives or the stage deadline
// passes. A GET lost to a transport failure is sent again (see get); any
// answer of the center's that is not 202 or the envelope is final. When
// the deadline passes the wait is over for good: the caller must end the
// session, and nothing that arrives later is looked at.
func (c *Client) FetchEnvelope(ctx context.Context, t *VerifiedTicket) (Fetch, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.Document)
	defer cancel()
	target := c.endpoint("v1", "tickets", B64(t.t.TID), "document")
	var f Fetch
	for {
		a, err := c.get(ctx, "document", target, MaxEnvelopeJWS, &f)
		if err != nil {
			return f, centerFault(StageEnvelope, err)
		}
		switch {
		case a.status == http.StatusOK && a.ctype == MediaJOSE:
			if v := a.header.Get("Kofu-Issuer-Error"); v != "" {
				return f, refuse(StageEnvelope, ReasonErrorFlagged, "issuer error header", nil)
			}
			f.Body = a.body
			return f, nil
		case a.status == http.StatusAccepted:
			if err := sleepCtx(ctx, c.retryAfter(a.header.Get("Retry-After"))); err != nil {
				return f, &TransportError{Op: "document", Err: err}
			}
		default:
			return f, unexpected(StageEnvelope, "document", a, http.StatusOK, MediaJOSE)
		}
	}
}

// get sends GET target until the center answers, under ctx, the stage's
// deadline. GET of the envelope or a page is idempotent — the center
// answers the same bytes however often it is asked — so an attempt lost
// to a transport failure of class TransportOther (connection refused or
// reset, EOF, an attempt's own timeout: Timeouts.Attempt) is sent again
// after a backoff growing from PollMin to PollMax, for as long as ctx
// lasts. Everything else is final at once: any answer (a refusal, a
// problem document, an unexpected status are the caller's to judge), a
// TLS failure (a new attempt would meet it again), an answer over its
// size bound. When ctx ends between attempts the error is the last
// transport failure (see retriesEnded). f counts the attempts.
func (c *Client) get(ctx context.Context, op, target string, limit int64, f *Fetch) (*answer, error) {
	var last error // the previous attempt's transport failure
	ended := func() error {
		return &TransportError{Op: op, Err: &retriesEnded{attempts: f.Attempts, cause: context.Cause(ctx), last: last}}
	}
	for fails := 0; ; fails++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if c.t.Attempt > 0 {
			actx, cancel = context.WithTimeout(ctx, c.t.Attempt)
		}
		f.Attempts++
		a, err := c.do(actx, op, http.MethodGet, target, "", nil, limit)
		cancel()
		if err == nil {
			return a, nil
		}
		if last != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// The stage ended during a retry after the network failed:
			// the fetch failed for the network's reason (the retry may
			// not even have reached the center).
			return nil, ended()
		}
		var te *TransportError
		if !errors.As(err, &te) || te.Class() != TransportOther {
			return nil, err
		}
		last = te.Err
		if ctx.Err() == nil {
			if werr := sleepCtx(ctx, c.backoff(fails)); werr == nil {
				f.Retries++
				continue
			}
		}
		if errors.Is(err, ctx.Err()) {
			return nil, err
		}
		return nil, ended()
	}
}

// retriesEnded is the last transport failure of a fetch whose stage ended
// before another attempt. It unwraps to that failure only: the fetch
// failed for the network's reason (the session's "document-transport"),
// the deadline merely stopped the retries; a center that answered too
// slowly is a deadline error from the attempt itself ("-timeout").
type retriesEnded struct {
	attempts    int
	cause, last error
}

func (e *retriesEnded) Error() string {
	return fmt.Sprintf("%v (%d attempts, then %v)", e.last, e.attempts, e.cause)
}

func (e *retriesEnded) Unwrap() error { return e.last }

// retryAfter converts a Retry-After value (delay-seconds only) to a wait
// bounded by PollMin and PollMax.
func (c *Client) retryAfter(v string) time.Duration {
	d := c.t.PollMin
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	}
	return max(c.t.PollMin, min(d, c.t.PollMax))
}

// Page fetches page n of a verified envelope; see FetchPage.
func (c *Client) Page(ctx context.Context, e *VerifiedEnvelope, n int) ([]byte, error) {
	f, err := c.FetchPage(ctx, e, n)
	return f.Body, err
}

// FetchPage fetches page n of a verified envelope within the Page stage
// deadline, sending the GET again after a transport failure (see get).
func (c *Client) FetchPage(ctx context.Context, e *VerifiedEnvelope, n int) (Fetch, error) {
	if n < 1 || n > len(e.e.Pages) {
		return Fetch{}, fmt.Errorf("page %d not declared by the envelope", n)
	}
	ctx, cancel := context.WithTimeout(ctx, c.t.Page)
	defer cancel()
	var f Fetch
	a, err := c.get(ctx, "page", c.endpoint("v1", "tickets", B64(e.ticket.t.TID), "pages", strconv.Itoa(n)), MaxPagePNG, &f)
	if err != nil {
		return f, centerFault(StagePage, err)
	}
	if a.status != http.StatusOK || a.ctype != MediaPNG {
		clear(a.body)
		return f, unexpected(StagePage, "page", a, http.StatusOK, MediaPNG)
	}
	f.Body = a.body
	return f, nil
}

// Outcome reports a signed outcome for a verified ticket and returns the
// center's billing answer.
func (c *Client) Outcome(ctx context.Context, t *VerifiedTicket, signed []byte) (*OutcomeAnswer, error) {
	return c.postOutcome(ctx, t.t.TID, signed)
}

// RefusalOutcome reports a signed outcome (result refused) for a ticket
// the verifier refused under its authentic ticket id (see RefusedTicket)
// and returns the center's billing answer.
func (c *Client) RefusalOutcome(ctx context.Context, r *RefusedTicket, signed []byte) (*OutcomeAnswer, error) {
	return c.postOutcome(ctx, r.tid, signed)
}

// ResendOutcome sends an outcome again that an earlier report could not
// deliver (the kiosk's outbox, from its journal, possibly after a
// restart): the same POST, by the ticket id the journal kept. signed must
// name that ticket; the center answers a repeat of the same outcome with
// its first answer.
func (c *Client) ResendOutcome(ctx context.Context, tid, signed []byte) (*OutcomeAnswer, error) {
	if len(tid) == 0 {
		return nil, errors.New("outcome: no ticket id")
	}
	return c.postOutcome(ctx, tid, signed)
}

func (c *Client) postOutcome(ctx context.Context, tid, signed []byte) (*OutcomeAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.Outcome)
	defer cancel()
	target := c.endpoint("v1", "tickets", B64(tid), "outcome")
	var last error
	for i := 0; i < c.maxSends; i++ {
		a, err := c.do(ctx, "outcome", http.MethodPost, target, MediaJOSE, signed, 4<<10)
		if err == nil {
			if a.status != http.StatusOK || a.ctype != "application/json" {
				return nil, &StatusError{Op: "outcome", Status: a.status, ContentType: a.ctype}
			}
			var ans OutcomeAnswer
			if err := decodeStrict(a.body, &ans); err != nil {
				return nil, fmt.Errorf("outcome answer: %w", err)
			}
			if ans.V != Version || !bytes.Equal(ans.TID, tid) ||
				(ans.Billing != BillingCaptured && ans.Billing != BillingVoided) {
				return nil, errors.New("outcome answer does not match the ticket")
			}
			return &ans, nil
		}
		last = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
		if err := sleepCtx(ctx, c.backoff(i)); err != nil {
			break
		}
	}
	return nil, last
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}
