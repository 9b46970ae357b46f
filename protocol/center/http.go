package center

import (
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kofu/protocol"
)

// Handler returns the center's HTTP API (DESIGN §3) and /metrics. The
// /v1 routes require a verified client certificate from the operator CA
// (mutual TLS); /metrics does not.
func (c *Center) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/requests", c.withTerminal(c.handleRequest))
	if !c.cfg.V1Only {
		mux.HandleFunc("POST /v1/household", c.withTerminal(c.handleHousehold))
	}
	mux.HandleFunc("GET /v1/tickets/{tid}/document", c.withTerminal(c.handleDocument))
	mux.HandleFunc("GET /v1/tickets/{tid}/pages/{n}", c.withTerminal(c.handlePage))
	mux.HandleFunc("POST /v1/tickets/{tid}/outcome", c.withTerminal(c.handleOutcome))
	mux.Handle("GET /metrics", promhttp.HandlerFor(c.m.gatherer, promhttp.HandlerOpts{}))
	// The Date header tells kiosks the center's time (their clock-skew
	// check reads it): it comes from the center's clock, not the
	// machine's, so an emulated world at another instant agrees with
	// itself.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", c.cfg.Now().UTC().Format(http.TimeFormat))
		mux.ServeHTTP(w, r)
	})
}

// terminal is the kiosk identity taken from its TLS client certificate.
type terminal struct {
	id, store string
	cert      *x509.Certificate
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// terminalOf reads the kiosk identity from a verified client certificate:
// CN is the terminal id, the first OU (else O) the store id.
func terminalOf(cert *x509.Certificate) (terminal, bool) {
	t := terminal{id: cert.Subject.CommonName, cert: cert}
	switch {
	case len(cert.Subject.OrganizationalUnit) > 0:
		t.store = cert.Subject.OrganizationalUnit[0]
	case len(cert.Subject.Organization) > 0:
		t.store = cert.Subject.Organization[0]
	}
	return t, idRe.MatchString(t.id) && idRe.MatchString(t.store)
}

type terminalHandler func(w http.ResponseWriter, r *http.Request, t terminal)

// withTerminal refuses requests without a verified client certificate.
func (c *Center) withTerminal(h terminalHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			c.problem(w, r, protocol.NewProblem(protocol.ProbTerminalRefused, "no verified client certificate"))
			return
		}
		t, ok := terminalOf(r.TLS.VerifiedChains[0][0])
		if !ok {
			c.problem(w, r, protocol.NewProblem(protocol.ProbTerminalRefused, "client certificate names no terminal/store"))
			return
		}
		h(w, r, t)
	}
}

func (c *Center) problem(w http.ResponseWriter, r *http.Request, p *protocol.Problem) {
	c.m.problems.WithLabelValues(string(p.Type)).Inc()
	c.log.Info("problem", "path", r.URL.Path, "type", p.Type, "detail", p.Detail)
	protocol.WriteProblem(w, p)
}

var errBody = errors.New("body too large or unreadable")

// readJOSE reads a bounded application/jose body.
func readJOSE(r *http.Request, limit int64) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != protocol.MediaJOSE {
		return nil, errors.New("content type must be " + protocol.MediaJOSE)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, errBody
	}
	return data, nil
}

func writeJOSE(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", protocol.MediaJOSE)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// lookupJob finds the caller's own ticket. A ticket of another terminal
// is answered exactly like an unknown one.
func (c *Center) lookupJob(r *http.Request, t terminal) (*job, *protocol.Problem) {
	raw, err := protocol.B64Decode(r.PathValue("tid"))
	if err != nil || len(raw) != protocol.TIDSize {
		return nil, protocol.NewProblem(protocol.ProbBadRequest, "malformed ticket id")
	}
	c.mu.Lock()
	j := c.jobs[protocol.B64(raw)]
	c.mu.Unlock()
	if j == nil || j.term != t.id {
		return nil, protocol.NewProblem(protocol.ProbUnknownTicket, "")
	}
	return j, nil
}
