package protocol

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// tlsNow is the kiosk's clock in the TLS tests. Every certificate's
// validity is pinned relative to it, and the client judges validity at it
// (ClientConfig.Now), so no verdict depends on the day the tests run.
var tlsNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// throwawayCA is a certificate authority made for one test run.
type throwawayCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newThrowawayCA(t *testing.T, name string) *throwawayCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: tlsNow.AddDate(-1, 0, 0), NotAfter: tlsNow.AddDate(2, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &throwawayCA{cert: cert, key: key}
}

func (ca *throwawayCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// leaf is what a test certificate differs in.
type leaf struct {
	ips       []net.IP
	dns       []string
	from, to  time.Time
	clientEKU bool
}

// issue makes a leaf certificate and key under ca.
func (ca *throwawayCA) issue(t *testing.T, l leaf) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	eku := x509.ExtKeyUsageServerAuth
	if l.clientEKU {
		eku = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: l.from, NotAfter: l.to, IPAddresses: l.ips, DNSNames: l.dns,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// testSent is a request as the kiosk would have sent it; the client only
// needs its bytes, so the signature part is a placeholder.
func testSent(t *testing.T) *Sent {
	t.Helper()
	doc, err := NewDocSpec(DocJuminhyo)
	if err != nil {
		t.Fatal(err)
	}
	req, err := NewRequest("T0001", "S0001", "131016", doc, tlsNow, "kofu-kiosk/test")
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSent([]byte("eyJhbGciOiJSUzI1NiJ9."+B64(payload)+".AAAA"), []byte("card certificate"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serverHelloTLS12 serves one connection with a TLS 1.2 ServerHello,
// whatever the client offered: a server that ignores supported_versions.
func serverHelloTLS12(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				hdr := make([]byte, 5)
				if _, err := io.ReadFull(c, hdr); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(hdr[3:]))); err != nil {
					return
				}
				// ServerHello: version 3,3; random; empty session id;
				// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; no compression.
				body := []byte{0x03, 0x03}
				body = append(body, make([]byte, 32)...)
				body = append(body, 0x00, 0xc0, 0x2b, 0x00)
				hs := append([]byte{0x02, 0, 0, byte(len(body))}, body...)
				rec := append([]byte{0x16, 0x03, 0x03, 0, byte(len(hs))}, hs...)
				_, _ = c.Write(rec)
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return "https://" + ln.Addr().String()
}

// TestClientTLSFailureClass: every way the TLS channel to the center fails
// gets its own class (the suffix of the session's reason code), against
// real TLS servers on loopback; none of them is re-sent.
func TestClientTLSFailureClass(t *testing.T) {
	operator := newThrowawayCA(t, "operator CA")
	stranger := newThrowawayCA(t, "another CA")
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	valid := leaf{ips: loopback, from: tlsNow.AddDate(0, -1, 0), to: tlsNow.AddDate(0, 6, 0)}
	device := operator.issue(t, leaf{from: valid.from, to: valid.to, clientEKU: true})
	withCert := func(l leaf, ca *throwawayCA) func(*tls.Config) {
		return func(c *tls.Config) { c.Certificates = []tls.Certificate{ca.issue(t, l)} }
	}
	cases := []struct {
		name   string
		server func(*tls.Config) // nil: a valid certificate for 127.0.0.1
		url    func() string     // a server that is not an httptest server
		want   TransportClass    // "": the call succeeds
	}{
		{name: "valid certificate", want: ""},
		{name: "certificate of another CA", server: withCert(valid, stranger), want: TLSUntrusted},
		{name: "certificate for another host name", want: TLSName,
			server: withCert(leaf{dns: []string{"center.example"}, from: valid.from, to: valid.to}, operator)},
		{name: "certificate expired before the kiosk's now", want: TLSExpired,
			server: withCert(leaf{ips: loopback, from: tlsNow.AddDate(-1, 0, 0), to: tlsNow.Add(-time.Minute)}, operator)},
		{name: "certificate not yet valid at the kiosk's now", want: TLSExpired,
			server: withCert(leaf{ips: loopback, from: tlsNow.Add(time.Hour), to: tlsNow.AddDate(1, 0, 0)}, operator)},
		{name: "certificate without the server-auth usage", want: TLSCertificate,
			server: withCert(leaf{ips: loopback, from: valid.from, to: valid.to, clientEKU: true}, operator)},
		{name: "server offering TLS 1.2 only", want: TLSVersion,
			server: func(c *tls.Config) { c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12 }},
		{name: "server choosing TLS 1.2 anyway", want: TLSVersion, url: func() string { return serverHelloTLS12(t) }},
		{name: "server refusing the device certificate", want: TLSRejected,
			server: func(c *tls.Config) { c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, stranger.pool() }},
		{name: "nothing listening", want: TransportOther, url: func() string {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			return "https://" + addr
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hits atomic.Int32
			url := ""
			if c.url != nil {
				url = c.url()
			} else {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					writeJOSE(w, http.StatusCreated, []byte("a.b.c"))
				}))
				srv.TLS = &tls.Config{Certificates: []tls.Certificate{operator.issue(t, valid)}}
				if c.server != nil {
					c.server(srv.TLS)
				}
				srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are the point
				srv.StartTLS()
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			cl, err := NewClient(ClientConfig{BaseURL: url, Roots: operator.pool(), Device: device,
				Timeouts: fastTimeouts(), Now: func() time.Time { return tlsNow }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cl.CloseIdle)
			got, err := cl.Submit(t.Context(), testSent(t))
			if c.want == "" {
				if err != nil || string(got) != "a.b.c" {
					t.Fatalf("Submit: %q, %v", got, err)
				}
				return
			}
			var te *TransportError
			if !errors.As(err, &te) || got != nil {
				t.Fatalf("Submit: %q, %T %v; want a TransportError", got, err, err)
			}
			if cls := te.Class(); cls != c.want {
				t.Fatalf("class %q, want %q (%v)", cls, c.want, err)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the handler ran %d times", n)
			}
		})
	}
}

// TestClientTLSRetry: a TLS failure is not sent again (the same handshake
// fails the same way), while a connection failure is.
func TestClientTLSRetry(t *testing.T) {
	for _, c := range []struct {
		cls   TransportClass
		retry bool
	}{
		{TransportOther, true}, {TLSUntrusted, false}, {TLSExpired, false}, {TLSName, false},
		{TLSCertificate, false}, {TLSVersion, false}, {TLSRejected, false},
	} {
		var err error
		switch c.cls {
		case TransportOther:
			err = &net.OpError{Op: "dial", Err: errors.New("connection refused")}
		case TLSUntrusted:
			err = &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
		case TLSExpired:
			err = &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}
		case TLSName:
			err = &tls.CertificateVerificationError{Err: x509.HostnameError{Host: "127.0.0.1"}}
		case TLSCertificate:
			err = &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}}
		case TLSVersion:
			err = errors.New("tls: server selected unsupported protocol version 303")
		case TLSRejected:
			err = &net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}
		}
		te := &TransportError{Op: "request", Err: err}
		if got := te.Class(); got != c.cls {
			t.Errorf("%v: class %q, want %q", err, got, c.cls)
		}
		if got := retryable(te); got != c.retry {
			t.Errorf("%s: retryable %v, want %v", c.cls, got, c.retry)
		}
	}
}
