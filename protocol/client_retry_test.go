package protocol

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// resetConn drops the connection under a request without an answer, as a
// middlebox or a restarting center does: the client sees EOF or a reset.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	_ = conn.Close()
}

// TestClientGetRetriedAfterTransportFailure: the envelope poll and a page
// GET are sent again after the connection is lost, within the stage
// deadline, and the attempts are counted; the center saw exactly the
// counted GETs.
func TestClientGetRetriedAfterTransportFailure(t *testing.T) {
	f := newFlow(t)
	ve, _ := f.verifiedEnvelope(t, f.envelope(a4Refs(2)))
	env := f.signEnvelope(t, f.envelope(a4Refs(1)))
	png := []byte("\x89PNG page bytes")
	fetchEnvelope := func(cl *Client) (Fetch, error) { return cl.FetchEnvelope(t.Context(), f.vt) }
	fetchPage := func(cl *Client) (Fetch, error) { return cl.FetchPage(t.Context(), ve, 2) }
	for _, c := range []struct {
		name    string
		fetch   func(cl *Client) (Fetch, error)
		script  string // per GET: r = reset, p = 202, h = hang past Timeouts.Attempt, a = answer
		want    []byte
		retries int
	}{
		{"page, no failure", fetchPage, "a", png, 0},
		{"page, one reset", fetchPage, "ra", png, 1},
		{"page, three resets", fetchPage, "rrra", png, 3},
		{"page, an attempt that hangs", fetchPage, "ha", png, 1},
		{"envelope, one reset", fetchEnvelope, "ra", env, 1},
		{"envelope, resets between polls", fetchEnvelope, "rprrpa", env, 3},
		{"envelope, an attempt that hangs", fetchEnvelope, "pha", env, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int32
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				step := byte('a')
				if i < len(c.script) {
					step = c.script[i]
				}
				switch step {
				case 'r':
					resetConn(t, w)
				case 'p':
					// Closed after the answer: net/http re-sends a GET
					// once by itself when a kept-alive connection dies
					// under it, which would hide an attempt from the count.
					w.Header().Set("Connection", "close")
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusAccepted)
				case 'h':
					<-r.Context().Done()
				case 'a':
					if bytes.Equal(c.want, png) {
						w.Header().Set("Content-Type", MediaPNG)
						_, _ = w.Write(png)
						return
					}
					writeJOSE(w, http.StatusOK, env)
				}
			}), nil)
			tm := fastTimeouts()
			tm.Attempt = 200 * time.Millisecond
			cl := newTestClient(t, srv.URL, tm, nil)
			got, err := c.fetch(cl)
			if err != nil {
				t.Fatalf("fetch: %v (after %d attempts)", err, got.Attempts)
			}
			if !bytes.Equal(got.Body, c.want) {
				t.Errorf("body %q, want %q", got.Body, c.want)
			}
			if got.Attempts != len(c.script) || got.Retries != c.retries {
				t.Errorf("attempts %d, retries %d; want %d, %d", got.Attempts, got.Retries, len(c.script), c.retries)
			}
			if int(n.Load()) != got.Attempts {
				t.Errorf("the center saw %d GETs, the client counted %d", n.Load(), got.Attempts)
			}
		})
	}
}

// TestClientGetRetriesEndWithTheStage: a center that drops every
// connection is asked again and again until the stage deadline, then the
// fetch ends with the last transport failure — the network's fault, not
// the deadline's (the session says "document-transport", not
// "-timeout").
func TestClientGetRetriesEndWithTheStage(t *testing.T) {
	f := newFlow(t)
	ve, _ := f.verifiedEnvelope(t, f.envelope(a4Refs(1)))
	const deadline = 400 * time.Millisecond
	for _, c := range []struct {
		name  string
		fetch func(cl *Client) (Fetch, error)
	}{
		{"envelope", func(cl *Client) (Fetch, error) { return cl.FetchEnvelope(context.Background(), f.vt) }},
		{"page", func(cl *Client) (Fetch, error) { return cl.FetchPage(context.Background(), ve, 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var n atomic.Int32
			srv := startCenter(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				resetConn(t, w)
			}), nil)
			tm := fastTimeouts()
			tm.Document, tm.Page = deadline, deadline
			cl := newTestClient(t, srv.URL, tm, nil)
			start := time.Now() // elapsed time only: the stage deadline
			got, err := c.fetch(cl)
			took := time.Since(start)
			var te *TransportError
			if err == nil || got.Body != nil || !errors.As(err, &te) {
				t.Fatalf("fetch: %v, %d bytes", err, len(got.Body))
			}
			if errors.Is(err, context.DeadlineExceeded) || te.Class() != TransportOther ||
				!strings.Contains(err.Error(), "attempts, then context deadline exceeded") {
				t.Errorf("want the last reset, ended by the deadline: %v", err)
			}
			if took < deadline || took > deadline+time.Second {
				t.Errorf("gave up after %v, deadline %v", took, deadline)
			}
			// PollMin 10 ms doubling to PollMax 50 ms: several attempts
			// fit in 400 ms, and the backoff keeps them well below a spin.
			if got.Attempts < 3 || got.Attempts > 40 || got.Retries != got.Attempts-1 {
				t.Errorf("attempts %d, retries %d", got.Attempts, got.Retries)
			}
			// The last attempt may be cut by the deadline before it
			// reaches the center.
			if seen := int(n.Load()); seen != got.Attempts && seen != got.Attempts-1 {
				t.Errorf("the center saw %d GETs, the client counted %d", seen, got.Attempts)
			}
		})
	}
}

// TestClientGetFinalFailures: an answer of the center's (a problem, an
// error status, a page over its bound) and a TLS failure end the fetch at
// the first attempt.
func TestClientGetFinalFailures(t *testing.T) {
	f := newFlow(t)
	ve, _ := f.verifiedEnvelope(t, f.envelope(a4Refs(1)))
	p := getPKI(t)
	fetchEnvelope := func(cl *Client) (Fetch, error) { return cl.FetchEnvelope(t.Context(), f.vt) }
	fetchPage := func(cl *Client) (Fetch, error) { return cl.FetchPage(t.Context(), ve, 1) }
	for _, c := range []struct {
		name    string
		fetch   func(cl *Client) (Fetch, error)
		handler http.HandlerFunc
		server  func(c *tls.Config)
		check   func(err error) bool
	}{
		{"envelope: problem ticket-closed", fetchEnvelope, func(w http.ResponseWriter, r *http.Request) {
			WriteProblem(w, NewProblem(ProbTicketClosed, ""))
		}, nil, func(err error) bool { var p *Problem; return errors.As(err, &p) && p.Type == ProbTicketClosed }},
		{"page: problem busy", fetchPage, func(w http.ResponseWriter, r *http.Request) {
			WriteProblem(w, NewProblem(ProbBusy, ""))
		}, nil, func(err error) bool { var p *Problem; return errors.As(err, &p) && p.Type == ProbBusy }},
		{"page: 404 text/plain", fetchPage, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusNotFound)
		}, nil, func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 404 }},
		{"page: 503 text/plain", fetchPage, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "later", http.StatusServiceUnavailable)
		}, nil, func(err error) bool { var s *StatusError; return errors.As(err, &s) && s.Status == 503 }},
		{"page: over MaxPagePNG", fetchPage, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", MediaPNG)
			_, _ = w.Write(make([]byte, MaxPagePNG+1))
		}, nil, func(err error) bool { return errors.Is(err, ErrTooLarge) }},
		{"envelope: refused by the kiosk", fetchEnvelope, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		}, nil, func(err error) bool { _, ok := AsRefusal(err); return ok }},
		{"page: center certificate of another CA", fetchPage, nil, func(c *tls.Config) {
			c.Certificates = []tls.Certificate{tlsCert(p.foreignServer)}
		}, func(err error) bool { var te *TransportError; return errors.As(err, &te) && te.Class() == TLSUntrusted }},
		{"envelope: TLS 1.2-only center", fetchEnvelope, nil, func(c *tls.Config) {
			c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		}, func(err error) bool { var te *TransportError; return errors.As(err, &te) && te.Class() == TLSVersion }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var hellos atomic.Int32
			srv := startCenter(t, c.handler, func(tc *tls.Config) {
				if c.server != nil {
					c.server(tc)
				}
				tc.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
					hellos.Add(1)
					return nil, nil
				}
			})
			cl := newTestClient(t, srv.URL, fastTimeouts(), nil)
			got, err := c.fetch(cl)
			if err == nil || got.Body != nil || !c.check(err) {
				t.Fatalf("unexpected result %T %v, %d bytes", err, err, len(got.Body))
			}
			if got.Attempts != 1 || got.Retries != 0 {
				t.Errorf("attempts %d, retries %d: a final failure is not retried", got.Attempts, got.Retries)
			}
			if n := hellos.Load(); n != 1 {
				t.Errorf("%d TLS handshakes, want 1", n)
			}
		})
	}
}

// TestClientBackoff: the wait doubles from PollMin and stays at PollMax
// however many failures came before (a shift would overflow after a few
// dozen and leave no wait at all: a spin against the center).
func TestClientBackoff(t *testing.T) {
	tm := fastTimeouts()
	tm.PollMin, tm.PollMax = 100*time.Millisecond, 3*time.Second
	cl := newTestClient(t, "https://center.example", tm, nil)
	for _, c := range []struct {
		i    int
		want time.Duration
	}{
		{0, 100 * time.Millisecond}, {1, 200 * time.Millisecond}, {4, 1600 * time.Millisecond},
		{5, 3 * time.Second}, {37, 3 * time.Second}, {64, 3 * time.Second}, {1 << 20, 3 * time.Second},
	} {
		if got := cl.backoff(c.i); got != c.want {
			t.Errorf("backoff(%d) = %v, want %v", c.i, got, c.want)
		}
	}
}
