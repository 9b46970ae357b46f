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
	"net/http"
	"net/url"
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
// never as a reason to print.
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return "center " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// StatusError is an answer with an unexpected status or media type.
type StatusError struct {
	Op          string
	Status      int
	ContentType string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("center %s: unexpected HTTP %d (%s)", e.Op, e.Status, e.ContentType)
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
		var err error
		if tr, err = NewTransport(cfg.Roots, cfg.Device); err != nil {
			return nil, err
		}
	}
	t := DefaultTimeouts()
	for _, p := range []struct{ dst, src *time.Duration }{
		{&t.Request, &cfg.Timeouts.Request}, {&t.Document, &cfg.Timeouts.Document},
		{&t.Page, &cfg.Timeouts.Page}, {&t.Outcome, &cfg.Timeouts.Outcome},
		{&t.PollMin, &cfg.Timeouts.PollMin}, {&t.PollMax, &cfg.Timeouts.PollMax},
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
			return nil, &StatusError{Op: op, Status: resp.StatusCode, ContentType: mt}
		}
		return nil, p
	}
	return a, nil
}

// retryable reports whether a failed send of the same bytes may be
// repeated: transport errors and "busy" only. Every other answer is final
// for this session.
func retryable(err error) bool {
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var p *Problem
	return errors.As(err, &p) && (p.Type == ProbBusy)
}

// Submit sends the request bytes and returns the compact ticket. On a
// transport error it re-sends the very same bytes (the center answers the
// same ticket for the same bytes), never a new request.
func (c *Client) Submit(ctx context.Context, s *Sent) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.Request)
	defer cancel()
	var last error
	for i := 0; i < c.maxSends; i++ {
		a, err := c.do(ctx, "request", http.MethodPost, c.endpoint("v1", "requests"), MediaJOSE, s.compact, MaxTicketJWS)
		if err == nil {
			if a.status != http.StatusCreated || a.ctype != MediaJOSE {
				return nil, &StatusError{Op: "request", Status: a.status, ContentType: a.ctype}
			}
			return a.body, nil
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

func (c *Client) backoff(i int) time.Duration {
	d := c.t.PollMin << i
	return min(d, c.t.PollMax)
}

// Envelope polls for the ticket's envelope, honouring Retry-After within
// [PollMin, PollMax], until it arrives or the stage deadline passes. When
// the deadline passes the wait is over for good: the caller must end the
// session, and nothing that arrives later is looked at.
func (c *Client) Envelope(ctx context.Context, t *VerifiedTicket) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.t.Document)
	defer cancel()
	target := c.endpoint("v1", "tickets", B64(t.t.TID), "document")
	for {
		a, err := c.do(ctx, "document", http.MethodGet, target, "", nil, MaxEnvelopeJWS)
		if err != nil {
			return nil, err
		}
		switch {
		case a.status == http.StatusOK && a.ctype == MediaJOSE:
			if v := a.header.Get("Kofu-Issuer-Error"); v != "" {
				return nil, refuse(StageEnvelope, ReasonErrorFlagged, "issuer error header", nil)
			}
			return a.body, nil
		case a.status == http.StatusAccepted:
			if err := sleepCtx(ctx, c.retryAfter(a.header.Get("Retry-After"))); err != nil {
				return nil, &TransportError{Op: "document", Err: err}
			}
		default:
			return nil, &StatusError{Op: "document", Status: a.status, ContentType: a.ctype}
		}
	}
}

// retryAfter converts a Retry-After value (delay-seconds only) to a wait
// bounded by PollMin and PollMax.
func (c *Client) retryAfter(v string) time.Duration {
	d := c.t.PollMin
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		d = time.Duration(s) * time.Second
	}
	return max(c.t.PollMin, min(d, c.t.PollMax))
}

// Page fetches page n of a verified envelope.
func (c *Client) Page(ctx context.Context, e *VerifiedEnvelope, n int) ([]byte, error) {
	if n < 1 || n > len(e.e.Pages) {
		return nil, fmt.Errorf("page %d not declared by the envelope", n)
	}
	ctx, cancel := context.WithTimeout(ctx, c.t.Page)
	defer cancel()
	a, err := c.do(ctx, "page", http.MethodGet, c.endpoint("v1", "tickets", B64(e.ticket.t.TID), "pages", strconv.Itoa(n)), "", nil, MaxPagePNG)
	if err != nil {
		return nil, err
	}
	if a.status != http.StatusOK || a.ctype != MediaPNG {
		return nil, &StatusError{Op: "page", Status: a.status, ContentType: a.ctype}
	}
	return a.body, nil
}

// Outcome reports a signed outcome for a verified ticket and returns the
// center's billing answer.
func (c *Client) Outcome(ctx context.Context, t *VerifiedTicket, signed []byte) (*OutcomeAnswer, error) {
	return c.postOutcome(ctx, t.t.TID, signed)
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
