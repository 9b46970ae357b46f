package protocol

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startCenter runs h behind TLS 1.3 with mutual TLS under the operator CA.
func startCenter(t *testing.T, h http.Handler, mod func(c *tls.Config)) *httptest.Server {
	t.Helper()
	p := getPKI(t)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{tlsCert(p.server)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.operator.pool(),
	}
	if mod != nil {
		mod(srv.TLS)
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// fastTimeouts keeps retries and polls short.
func fastTimeouts() Timeouts {
	return Timeouts{Request: 5 * time.Second, Document: 5 * time.Second, Page: 5 * time.Second,
		Outcome: 5 * time.Second, PollMin: 10 * time.Millisecond, PollMax: 50 * time.Millisecond}
}

func newTestClient(t *testing.T, url string, tm Timeouts, mod func(c *ClientConfig)) *Client {
	t.Helper()
	p := getPKI(t)
	cfg := ClientConfig{BaseURL: url, Roots: p.operator.pool(), Device: tlsCert(p.device), Timeouts: tm}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdle)
	return c
}

// recorder counts and keeps what a handler received.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
	times  []time.Time
}

func (r *recorder) add(req *http.Request) []byte {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, body)
	r.paths = append(r.paths, req.RequestURI)
	r.times = append(r.times, time.Now()) // the gaps between requests only (retry timing)
	return body
}

func (r *recorder) n() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func writeJOSE(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", MediaJOSE)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func TestClientMutualTLS(t *testing.T) {
	f := newFlow(t)
	var got struct {
		version uint16
		peer    []byte
		ctype   string
		accept  string
	}
	var rec recorder
	srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		got.version = r.TLS.Version
		if len(r.TLS.PeerCertificates) > 0 {
			got.peer = r.TLS.PeerCertificates[0].Raw
		}
		got.ctype, got.accept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		if r.Method != http.MethodPost || r.URL.Path != "/v1/requests" {
			http.NotFound(w, r)
			return
		}
		writeJOSE(w, http.StatusCreated, f.tkJWS)
	}), nil)
	c := newTestClient(t, srv.URL, fastTimeouts(), nil)
	tk, err := c.Submit(t.Context(), f.sent)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tk, f.tkJWS) {
		t.Error("Submit returned other bytes than the center sent")
	}
	if got.version != tls.VersionTLS13 {
		t.Errorf("TLS version %#x, want 1.3", got.version)
	}
	if !bytes.Equal(got.peer, f.p.device.der()) {
		t.Error("the server did not see the device certificate")
	}
	if got.ctype != MediaJOSE || !strings.Contains(got.accept, MediaJOSE) || !strings.Contains(got.accept, MediaProblem) {
		t.Errorf("Content-Type %q Accept %q", got.ctype, got.accept)
	}
	if rec.n() != 1 || !bytes.Equal(rec.bodies[0], f.compact) {
		t.Error("the center did not receive the exact request bytes")
	}
	// And the ticket verifies.
	if _, err := f.v.Ticket(tk, f.sent); err != nil {
		t.Error(err)
	}
}

func TestClientHandshakeRefused(t *testing.T) {
	p := getPKI(t)
	f := newFlow(t)
	otherName, err := p.operator.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "elsewhere"},
		DNSNames: []string{"center.example"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, mustEC(elliptic.P256()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		server func(c *tls.Config)
		client func(c *ClientConfig)
		check  func(t *testing.T, err error)
	}{
		{name: "client without a device certificate", client: func(c *ClientConfig) {
			c.Transport = &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: p.operator.pool()}}
		}},
		{name: "device certificate of another CA", client: func(c *ClientConfig) { c.Device = tlsCert(p.foreignDevice) }},
		{name: "server certificate of another CA (pinning)", server: func(c *tls.Config) {
			c.Certificates = []tls.Certificate{tlsCert(p.foreignServer)}
		}, check: func(t *testing.T, err error) {
			var ve *tls.CertificateVerificationError
			var ua x509.UnknownAuthorityError
			if !errors.As(err, &ve) || !errors.As(err, &ua) {
				t.Errorf("not an unknown-authority verification error: %v", err)
			}
		}},
		{name: "server certificate for another name", server: func(c *tls.Config) {
			c.Certificates = []tls.Certificate{tlsCert(otherName)}
		}, check: func(t *testing.T, err error) {
			var he x509.HostnameError
			if !errors.As(err, &he) {
				t.Errorf("not a hostname error: %v", err)
			}
		}},
		{name: "system roots do not replace the pinned CA", client: func(c *ClientConfig) { c.Roots = x509.NewCertPool() }},
		{name: "TLS 1.2-only server", server: func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				writeJOSE(w, http.StatusCreated, f.tkJWS)
			}), c.server)
			cl := newTestClient(t, srv.URL, fastTimeouts(), c.client)
			tk, err := cl.Submit(t.Context(), f.sent)
			if err == nil || tk != nil {
				t.Fatalf("Submit succeeded (%d bytes)", len(tk))
			}
			var te *TransportError
			if !errors.As(err, &te) {
				t.Errorf("not a TransportError: %T %v", err, err)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the handler ran %d times", n)
			}
			if c.check != nil {
				c.check(t, err)
			}
		})
	}
}

func TestNewClientConfig(t *testing.T) {
	p := getPKI(t)
	good := ClientConfig{BaseURL: "https://127.0.0.1:8443", Roots: p.operator.pool(), Device: tlsCert(p.device)}
	for _, c := range []struct {
		name string
		mut  func(c *ClientConfig)
		ok   bool
	}{
		{"good", func(c *ClientConfig) {}, true},
		{"trailing slash", func(c *ClientConfig) { c.BaseURL += "/" }, true},
		{"http", func(c *ClientConfig) { c.BaseURL = "http://127.0.0.1:8443" }, false},
		{"path", func(c *ClientConfig) { c.BaseURL += "/v1" }, false},
		{"query", func(c *ClientConfig) { c.BaseURL += "?x=1" }, false},
		{"no host", func(c *ClientConfig) { c.BaseURL = "https://" }, false},
		{"no roots", func(c *ClientConfig) { c.Roots = nil }, false},
		{"no device", func(c *ClientConfig) { c.Device = tls.Certificate{} }, false},
		{"transport replaces TLS settings", func(c *ClientConfig) {
			c.Roots, c.Device, c.Transport = nil, tls.Certificate{}, http.DefaultTransport
		}, true},
	} {
		cfg := good
		c.mut(&cfg)
		_, err := NewClient(cfg)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestClientSubmitResendsSameBytes: after a dropped connection the client
// sends the very same request bytes again, never a new request.
func TestClientSubmitResendsSameBytes(t *testing.T) {
	f := newFlow(t)
	for _, c := range []struct {
		name     string
		drops    int // attempts the server drops before answering
		maxSends int
		wantOK   bool
	}{
		{"one drop", 1, 3, true},
		{"two drops", 2, 3, true},
		{"every attempt dropped", 99, 3, false},
		{"MaxSends 1: no resend", 99, 1, false},
		{"MaxSends 5", 4, 5, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rec recorder
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				if rec.n() <= c.drops {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					conn.Close()
					return
				}
				writeJOSE(w, http.StatusCreated, f.tkJWS)
			}), nil)
			cl := newTestClient(t, srv.URL, fastTimeouts(), func(cfg *ClientConfig) { cfg.MaxSends = c.maxSends })
			tk, err := cl.Submit(t.Context(), f.sent)
			if c.wantOK {
				if err != nil || !bytes.Equal(tk, f.tkJWS) {
					t.Fatalf("Submit: %v", err)
				}
			} else {
				var te *TransportError
				if err == nil || tk != nil || !errors.As(err, &te) {
					t.Fatalf("Submit: %v (%d bytes)", err, len(tk))
				}
			}
			want := min(c.drops+1, c.maxSends)
			if rec.n() != want {
				t.Errorf("%d attempts, want %d", rec.n(), want)
			}
			for i, b := range rec.bodies {
				if !bytes.Equal(b, f.compact) {
					t.Errorf("attempt %d sent other bytes (%d vs %d)", i+1, len(b), len(f.compact))
				}
				if i > 0 && !bytes.Equal(b, rec.bodies[0]) {
					t.Errorf("attempt %d differs from attempt 1", i+1)
				}
			}
		})
	}
}

// TestClientEnvelopeRetryAfter: 202 + Retry-After is honoured within
// [PollMin, PollMax].
func TestClientEnvelopeRetryAfter(t *testing.T) {
	f := newFlow(t)
	env := f.signEnvelope(t, f.envelope(a4Refs(1)))
	for _, c := range []struct {
		retryAfter       string
		pollMin, pollMax time.Duration
		wait             time.Duration // expected wait between polls
	}{
		{"1", 20 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond}, // bounded by PollMax
		{"0", 80 * time.Millisecond, time.Second, 80 * time.Millisecond},             // raised to PollMin
		{"", 80 * time.Millisecond, time.Second, 80 * time.Millisecond},
		{"soon", 80 * time.Millisecond, time.Second, 80 * time.Millisecond},
		{"-3", 80 * time.Millisecond, time.Second, 80 * time.Millisecond},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 80 * time.Millisecond, time.Second, 80 * time.Millisecond},
	} {
		t.Run("Retry-After "+strconv.Quote(c.retryAfter), func(t *testing.T) {
			const pending = 3
			var rec recorder
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				if rec.n() <= pending {
					if c.retryAfter != "" {
						w.Header().Set("Retry-After", c.retryAfter)
					}
					w.WriteHeader(http.StatusAccepted)
					return
				}
				writeJOSE(w, http.StatusOK, env)
			}), nil)
			tm := fastTimeouts()
			tm.PollMin, tm.PollMax = c.pollMin, c.pollMax
			cl := newTestClient(t, srv.URL, tm, nil)
			got, err := cl.Envelope(t.Context(), f.vt)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, env) {
				t.Error("Envelope returned other bytes")
			}
			if rec.n() != pending+1 {
				t.Fatalf("%d polls, want %d", rec.n(), pending+1)
			}
			for i := 1; i < len(rec.times); i++ {
				gap := rec.times[i].Sub(rec.times[i-1])
				if gap < c.wait-5*time.Millisecond || gap > c.wait+600*time.Millisecond {
					t.Errorf("poll %d came %v after the previous, want about %v", i+1, gap, c.wait)
				}
			}
		})
	}
}

// TestClientEnvelopeDeadline: when the Document deadline passes the client
// gives up with an error and never returns a document that comes later.
func TestClientEnvelopeDeadline(t *testing.T) {
	f := newFlow(t)
	env := f.signEnvelope(t, f.envelope(a4Refs(1)))
	const deadline = 300 * time.Millisecond
	for _, c := range []struct {
		name    string
		handler func(start time.Time) http.HandlerFunc
	}{
		{"always 202", func(time.Time) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusAccepted)
			}
		}},
		{"document ready after the deadline", func(start time.Time) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if time.Since(start) < 2*deadline {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(http.StatusAccepted)
					return
				}
				writeJOSE(w, http.StatusOK, env)
			}
		}},
		{"late delivery: the answer itself is slow", func(time.Time) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(3 * deadline):
				case <-r.Context().Done():
				}
				writeJOSE(w, http.StatusOK, env)
			}
		}},
		{"late delivery: the body trickles in", func(time.Time) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", MediaJOSE)
				w.Header().Set("Content-Length", strconv.Itoa(len(env)))
				w.WriteHeader(http.StatusOK)
				for i := range env {
					if _, err := w.Write(env[i : i+1]); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-time.After(deadline / 20):
					case <-r.Context().Done():
						return
					}
				}
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now() // the handler's Retry-After timing: elapsed time only
			var polls atomic.Int32
			h := c.handler(start)
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				polls.Add(1)
				h(w, r)
			}), nil)
			tm := fastTimeouts()
			tm.Document, tm.PollMin, tm.PollMax = deadline, 20*time.Millisecond, 50*time.Millisecond
			cl := newTestClient(t, srv.URL, tm, nil)
			got, err := cl.Envelope(context.Background(), f.vt)
			took := time.Since(start)
			if err == nil || got != nil {
				t.Fatalf("Envelope returned %d bytes, err %v: a document after the deadline", len(got), err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error is not a deadline: %v", err)
			}
			if took < deadline || took > deadline+time.Second {
				t.Errorf("gave up after %v, deadline %v", took, deadline)
			}
			if polls.Load() == 0 {
				t.Error("never polled")
			}
		})
	}
	// The caller's context ends earlier than the stage deadline.
	srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}), nil)
	cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	if got, err := cl.Envelope(ctx, f.vt); err == nil || got != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
}

// TestClientBodyLimits: answers over their bound are ErrTooLarge, with or
// without a Content-Length; answers at the bound are accepted.
func TestClientBodyLimits(t *testing.T) {
	f := newFlow(t)
	ve, _ := f.verifiedEnvelope(t, f.envelope(a4Refs(2)))
	type call func(cl *Client) ([]byte, error)
	submit := func(cl *Client) ([]byte, error) { return cl.Submit(t.Context(), f.sent) }
	envelope := func(cl *Client) ([]byte, error) { return cl.Envelope(t.Context(), f.vt) }
	page := func(cl *Client) ([]byte, error) { return cl.Page(t.Context(), ve, 1) }
	for _, c := range []struct {
		name    string
		call    call
		status  int
		ctype   string
		size    int
		chunked bool
		tooBig  string // the refusal code; "" = accepted
	}{
		{"page over MaxPagePNG", page, 200, MediaPNG, MaxPagePNG + 1, false, "page-too-large"},
		{"page over MaxPagePNG, chunked", page, 200, MediaPNG, MaxPagePNG + 1, true, "page-too-large"},
		{"page at MaxPagePNG", page, 200, MediaPNG, MaxPagePNG, true, ""},
		{"ticket over MaxTicketJWS", submit, 201, MediaJOSE, MaxTicketJWS + 1, false, "ticket-too-large"},
		{"ticket over MaxTicketJWS, chunked", submit, 201, MediaJOSE, MaxTicketJWS + 1, true, "ticket-too-large"},
		{"ticket at MaxTicketJWS", submit, 201, MediaJOSE, MaxTicketJWS, false, ""},
		{"envelope over MaxEnvelopeJWS", envelope, 200, MediaJOSE, MaxEnvelopeJWS + 1, true, "envelope-too-large"},
		{"envelope at MaxEnvelopeJWS", envelope, 200, MediaJOSE, MaxEnvelopeJWS, true, ""},
		{"problem document over its bound", submit, 503, MediaProblem, 64 << 10, false, "ticket-too-large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", c.ctype)
				body := bytes.Repeat([]byte("A"), c.size)
				if c.chunked {
					w.WriteHeader(c.status)
					w.(http.Flusher).Flush()
				} else {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					w.WriteHeader(c.status)
				}
				_, _ = w.Write(body)
			}), nil)
			cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
			got, err := c.call(cl)
			if c.tooBig != "" {
				if !errors.Is(err, ErrTooLarge) || got != nil {
					t.Fatalf("err %v, %d bytes; want ErrTooLarge", err, len(got))
				}
				if code := refusalCode(err); code != c.tooBig {
					t.Errorf("code %q, want %q: the center is at fault", code, c.tooBig)
				}
				if hits.Load() != 1 {
					t.Errorf("%d requests: a size refusal is not retried", hits.Load())
				}
				return
			}
			if err != nil || len(got) != c.size {
				t.Fatalf("err %v, %d bytes; want %d bytes", err, len(got), c.size)
			}
		})
	}
}

// TestClientProblem: problem+json answers become *Problem with the right
// type; only "busy" is re-sent.
func TestClientProblem(t *testing.T) {
	f := newFlow(t)
	var cases []ProblemInfo
	cases = append(cases, ProblemTypes()...)
	cases = append(cases, ProblemInfo{Type: "teapot", Status: 418})
	for _, info := range cases {
		t.Run(string(info.Type), func(t *testing.T) {
			var rec recorder
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.add(r)
				WriteProblem(w, &Problem{Type: info.Type, Title: "t", Status: info.Status, Detail: "detail"})
			}), nil)
			cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
			tk, err := cl.Submit(t.Context(), f.sent)
			var p *Problem
			if !errors.As(err, &p) || tk != nil {
				t.Fatalf("err %T %v", err, err)
			}
			wantType := info.Type
			if _, known := LookupProblem(info.Type); !known {
				wantType = ProbInternal
			}
			if p.Type != wantType || p.Status != info.Status {
				t.Errorf("problem %s/%d, want %s/%d", p.Type, p.Status, wantType, info.Status)
			}
			wantSends := 1
			if info.Type == ProbBusy {
				wantSends = 3
			}
			if rec.n() != wantSends {
				t.Errorf("%d sends, want %d", rec.n(), wantSends)
			}
			for _, b := range rec.bodies {
				if !bytes.Equal(b, f.compact) {
					t.Error("a re-send carried other bytes")
				}
			}
		})
	}
	// Problems on the other calls, and error statuses that are not problems.
	ve, _ := f.verifiedEnvelope(t, f.envelope(a4Refs(1)))
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		call    func(cl *Client) error
		check   func(err error) bool
		code    string // the refusal code when the center broke protocol v1; "" = not a refusal
	}{
		{"document: ticket-closed", func(w http.ResponseWriter, r *http.Request) {
			WriteProblem(w, NewProblem(ProbTicketClosed, ""))
		}, func(cl *Client) error { _, err := cl.Envelope(t.Context(), f.vt); return err },
			func(err error) bool { var p *Problem; return errors.As(err, &p) && p.Type == ProbTicketClosed }, ""},
		{"page: unknown-ticket", func(w http.ResponseWriter, r *http.Request) {
			WriteProblem(w, NewProblem(ProbUnknownTicket, ""))
		}, func(cl *Client) error { _, err := cl.Page(t.Context(), ve, 1); return err },
			func(err error) bool { var p *Problem; return errors.As(err, &p) && p.Type == ProbUnknownTicket }, ""},
		{"500 text/plain", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", 500)
		}, func(cl *Client) error { _, err := cl.Submit(t.Context(), f.sent); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 500 }, ""},
		{"problem+json that is not a problem", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", MediaProblem)
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`["not","an","object"]`))
		}, func(cl *Client) error { _, err := cl.Submit(t.Context(), f.sent); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 400 }, "ticket-problem"},
		{"ticket with 200 instead of 201", func(w http.ResponseWriter, r *http.Request) {
			writeJOSE(w, 200, f.tkJWS)
		}, func(cl *Client) error { _, err := cl.Submit(t.Context(), f.sent); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 200 }, "ticket-status"},
		{"ticket as text/plain", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(201)
			_, _ = w.Write(f.tkJWS)
		}, func(cl *Client) error { _, err := cl.Submit(t.Context(), f.sent); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.ContentType == "text/plain" }, "ticket-media-type"},
		{"page as image/jpeg", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte{0xff, 0xd8})
		}, func(cl *Client) error { _, err := cl.Page(t.Context(), ve, 1); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.ContentType == "image/jpeg" }, "page-media-type"},
		{"envelope as text/html", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		}, func(cl *Client) error { _, err := cl.Envelope(t.Context(), f.vt); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 200 }, "envelope-media-type"},
		{"envelope with 204", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}, func(cl *Client) error { _, err := cl.Envelope(t.Context(), f.vt); return err },
			func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 204 }, "envelope-status"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startCenter(t, c.handler, nil)
			cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
			err := c.call(cl)
			if !c.check(err) {
				t.Errorf("unexpected error %T %v", err, err)
			}
			_, refused := AsRefusal(err)
			if code := refusalCode(err); refused && code != c.code || !refused && c.code != "" {
				t.Errorf("code %q, want %q", code, c.code)
			}
		})
	}
}

// TestClientNoRedirect: a redirect is an answer, never followed.
func TestClientNoRedirect(t *testing.T) {
	f := newFlow(t)
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var followed atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/elsewhere/", func(w http.ResponseWriter, r *http.Request) {
				followed.Add(1)
				writeJOSE(w, http.StatusOK, f.tkJWS)
			})
			mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere/"+B64(mustRandom(TIDSize))+"/document", status)
			})
			srv := startCenter(t, mux, nil)
			cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
			for name, call := range map[string]func() ([]byte, error){
				"submit":   func() ([]byte, error) { return cl.Submit(t.Context(), f.sent) },
				"envelope": func() ([]byte, error) { return cl.Envelope(t.Context(), f.vt) },
			} {
				got, err := call()
				var se *StatusError
				if !errors.As(err, &se) || se.Status != status || got != nil {
					t.Errorf("%s: %v", name, err)
				}
				if want := map[string]string{"submit": "ticket-redirect", "envelope": "envelope-redirect"}[name]; refusalCode(err) != want {
					t.Errorf("%s: code %q, want %q", name, refusalCode(err), want)
				}
			}
			if followed.Load() != 0 {
				t.Errorf("redirect followed %d times", followed.Load())
			}
		})
	}
}

// TestClientIssuerErrorHeader: a document served with Kofu-Issuer-Error
// is refused as error-flagged.
func TestClientIssuerErrorHeader(t *testing.T) {
	f := newFlow(t)
	env := f.signEnvelope(t, f.envelope(a4Refs(1)))
	for _, v := range []string{"issuer-timeout", "1", " x "} {
		srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Kofu-Issuer-Error", v)
			writeJOSE(w, http.StatusOK, env)
		}), nil)
		cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
		got, err := cl.Envelope(t.Context(), f.vt)
		if refusalCode(err) != "envelope-error-flagged" || got != nil {
			t.Errorf("header %q: %v, %d bytes", v, err, len(got))
		}
	}
}

// TestClientPaths: every ticket URL names exactly the ticket's base64url
// tid, and nothing else is ever asked for.
func TestClientPaths(t *testing.T) {
	p := getPKI(t)
	f := newFlow(t)
	tid := B64(f.tk.TID)
	if !strings.Contains(tid, "-") || !strings.Contains(tid, "_") {
		t.Fatalf("test tid %q should exercise both url-safe characters", tid)
	}
	ve, env := f.verifiedEnvelope(t, f.envelope(a4Refs(2)))
	o := Outcome{V: Version, TID: f.tk.TID, Binding: f.sent.Binding(), Result: ResultPrinted,
		Pages: 2, Printer: PrinterID{MFG: "EMU", MDL: "Jet", SN: "1"}, IAT: testNow.Unix()}
	signed, err := SignOutcome(p.device.key, [][]byte{p.device.der()}, o)
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	var outcomeOK atomic.Bool
	srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := rec.add(r)
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/document"):
			writeJOSE(w, 200, env)
		case r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pages/"):
			w.Header().Set("Content-Type", MediaPNG)
			_, _ = w.Write([]byte("png bytes of " + r.URL.Path))
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/outcome"):
			got, _, err := ParseOutcome(body, p.operator.pool(), testNow)
			outcomeOK.Store(err == nil && got.Result == ResultPrinted && bytes.Equal(body, signed))
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(OutcomeAnswer{V: Version, TID: f.tk.TID, Billing: BillingCaptured})
		default:
			http.NotFound(w, r)
		}
	}), nil)
	cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
	if _, err := cl.Envelope(t.Context(), f.vt); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		b, err := cl.Page(t.Context(), ve, n)
		if err != nil || string(b) != "png bytes of /v1/tickets/"+tid+"/pages/"+strconv.Itoa(n) {
			t.Fatalf("page %d: %q %v", n, b, err)
		}
	}
	for _, n := range []int{0, 3, -1} {
		if _, err := cl.Page(t.Context(), ve, n); err == nil {
			t.Errorf("page %d of 2 was fetched", n)
		}
	}
	ans, err := cl.Outcome(t.Context(), f.vt, signed)
	if err != nil || ans.Billing != BillingCaptured || !outcomeOK.Load() {
		t.Fatalf("outcome: %v %+v", err, ans)
	}
	want := []string{
		"/v1/tickets/" + tid + "/document",
		"/v1/tickets/" + tid + "/pages/1",
		"/v1/tickets/" + tid + "/pages/2",
		"/v1/tickets/" + tid + "/outcome",
	}
	if strings.Join(rec.paths, " ") != strings.Join(want, " ") {
		t.Errorf("requested %q, want %q", rec.paths, want)
	}
}

// TestClientOutcomeAnswer: the center's answer must name this ticket.
func TestClientOutcomeAnswer(t *testing.T) {
	p := getPKI(t)
	f := newFlow(t)
	o := Outcome{V: Version, TID: f.tk.TID, Binding: f.sent.Binding(), Result: ResultRefused, Reason: "envelope-subject",
		Printer: PrinterID{MFG: "EMU", MDL: "Jet", SN: "1"}, IAT: testNow.Unix()}
	signed, err := SignOutcome(p.device.key, [][]byte{p.device.der()}, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		ctype  string
		answer string
		ok     bool
	}{
		{"voided", "application/json", `{"v":1,"tid":"` + B64(f.tk.TID) + `","billing":"voided","incident":"INC-1"}`, true},
		{"another ticket's answer", "application/json", `{"v":1,"tid":"` + B64(mustRandom(TIDSize)) + `","billing":"voided"}`, false},
		{"unknown billing", "application/json", `{"v":1,"tid":"` + B64(f.tk.TID) + `","billing":"maybe"}`, false},
		{"unknown member", "application/json", `{"v":1,"tid":"` + B64(f.tk.TID) + `","billing":"voided","x":1}`, false},
		{"v=2", "application/json", `{"v":2,"tid":"` + B64(f.tk.TID) + `","billing":"voided"}`, false},
		{"text/plain", "text/plain", `{"v":1,"tid":"` + B64(f.tk.TID) + `","billing":"voided"}`, false},
	} {
		srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", c.ctype)
			_, _ = w.Write([]byte(c.answer))
		}), nil)
		cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
		ans, err := cl.Outcome(t.Context(), f.vt, signed)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v", c.name, err)
		}
		if c.ok && (ans.Billing != BillingVoided || ans.Incident != "INC-1") {
			t.Errorf("%s: answer %+v", c.name, ans)
		}
	}
}
