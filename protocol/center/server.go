package center

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// TLSConfig is the center's server TLS: TLS 1.3 only, its certificate
// from the operator CA, client certificates verified against the operator
// CA when given (the /v1 routes then require one; /metrics does not).
func (c *Center) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.fx.CenterTLS.TLS()},
		ClientCAs:    c.opRoots,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		Time:         c.cfg.Now, // kiosks' certificates are judged at the center's time
	}
}

// Server is a running center: the HTTPS API and its OCSP responder.
type Server struct {
	Center  *Center
	URL     string // https://127.0.0.1:PORT
	OCSPURL string // http://127.0.0.1:PORT/ocsp
	https   *http.Server
	ocsp    *http.Server
	done    chan error
}

// Start listens on addr (e.g. "127.0.0.1:0") with TLS and starts an OCSP
// responder on a loopback port of its own unless cfg.OCSPURL names one.
func Start(cfg Config, addr string) (*Server, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{Center: c, done: make(chan error, 2)}
	if cfg.OCSPURL == "" {
		ol, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("ocsp listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/ocsp", NewOCSPResponder(cfg.Fixtures, cfg.Now))
		s.ocsp = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		s.OCSPURL = "http://" + ol.Addr().String() + "/ocsp"
		c.SetOCSPURL(s.OCSPURL)
		go func() { s.done <- serveErr(s.ocsp.Serve(ol)) }()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s.https = &http.Server{Handler: c.Handler(), TLSConfig: c.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second,
		MaxHeaderBytes: 16 << 10, ErrorLog: nil}
	s.URL = "https://" + ln.Addr().String()
	go func() { s.done <- serveErr(s.https.ServeTLS(ln, "", "")) }()
	return s, nil
}

func serveErr(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops both listeners at once, abandoning requests in flight.
func (s *Server) Close() error {
	var errs []error
	for _, h := range []*http.Server{s.https, s.ocsp} {
		if h != nil {
			errs = append(errs, h.Close())
		}
	}
	return errors.Join(errs...)
}

// Shutdown stops gracefully within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	for _, h := range []*http.Server{s.https, s.ocsp} {
		if h != nil {
			errs = append(errs, h.Shutdown(ctx))
		}
	}
	return errors.Join(errs...)
}
