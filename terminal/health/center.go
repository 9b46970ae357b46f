package health

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"kofu/protocol"
)

// Center is how to reach the issuance center: its URL, the kiosk's
// mutual-TLS transport (protocol.NewTransport: TLS 1.3, the operator CA
// pinned, the device certificate offered) and the clock skew allowed.
type Center struct {
	URL       string
	Transport *http.Transport
	MaxSkew   time.Duration    // center.max_skew (default 2m)
	Now       func() time.Time // the kiosk's clock; nil: time.Now
}

// DefaultMaxSkew is center.max_skew's default.
const DefaultMaxSkew = 2 * time.Minute

// CenterInfo is what one probe of the center saw.
type CenterInfo struct {
	URL          string
	Status       int    // HTTP status of the probe
	Problem      string // its problem type, if any
	TLSVersion   string
	Cipher       string
	PeerSubject  string
	PeerIssuer   string
	PeerNotAfter time.Time
	RoundTrip    time.Duration // connection, handshake, request and answer
	ServerTime   time.Time     // the answer's Date header
	Skew         time.Duration // center clock minus kiosk clock
	HasDate      bool
}

// ProbeCenter asks the center for the document of a random ticket id no
// one holds, over a fresh mutual-TLS connection. The center has no health
// endpoint; this request changes nothing there and must be answered with
// the problem document unknown-ticket, which proves the route, the TLS
// handshake both ways and the center's acceptance of this terminal. The
// answer's Date header gives the clock skew.
func ProbeCenter(ctx context.Context, c Center) (*CenterInfo, Result) {
	info := &CenterInfo{URL: c.URL}
	if c.Transport == nil {
		return info, fail("no mutual-TLS transport: check center.tls_ca, terminal.cert and terminal.key (`kiosk config check`)")
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return info, fail("center.url %q is not an https:// URL", c.URL)
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	maxSkew := c.MaxSkew
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	// A connection of its own, closed after the probe, so that every probe
	// measures a full handshake.
	tr := c.Transport.Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tid := make([]byte, 16)
	if _, err := rand.Read(tid); err != nil {
		return info, fail("random ticket id: %v", err)
	}
	target := strings.TrimSuffix(c.URL, "/") + "/v1/tickets/" + protocol.B64(tid) + "/document"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return info, fail("center.url %q: %v", c.URL, err)
	}
	req.Header.Set("Accept", protocol.MediaProblem)
	localStart, start := now(), time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return info, centerFailure(u.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	info.RoundTrip = time.Since(start)
	info.Status = resp.StatusCode
	if st := resp.TLS; st != nil {
		info.TLSVersion, info.Cipher = tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)
		if len(st.PeerCertificates) > 0 {
			pc := st.PeerCertificates[0]
			info.PeerSubject, info.PeerIssuer, info.PeerNotAfter = pc.Subject.String(), pc.Issuer.String(), pc.NotAfter
		}
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		info.HasDate, info.ServerTime = true, d
		// Date has whole seconds: the center's clock read somewhere in
		// [d, d+1s), taken as d+0.5s against the middle of the exchange.
		info.Skew = d.Add(500 * time.Millisecond).Sub(localStart.Add(info.RoundTrip / 2))
	}
	if p, perr := protocol.ParseProblem(body, resp.StatusCode); perr == nil {
		info.Problem = string(p.Type)
	}
	rtt := info.RoundTrip.Round(time.Millisecond)
	switch {
	case info.Problem == string(protocol.ProbTerminalRefused):
		return info, fail("%s refused this terminal (terminal-refused): terminal.cert must be the device certificate the operator CA issued to this kiosk, with CN = terminal.id and the store in OU", u.Host)
	case info.Problem != string(protocol.ProbUnknownTicket):
		what := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if info.Problem != "" {
			what += " " + info.Problem
		}
		return info, fail("%s answered the probe with %s instead of unknown-ticket: is center.url the issuance center? If it is, it is in trouble: call the operator", u.Host, what)
	case !info.HasDate:
		return info, warn("%s reachable over %s in %v, but it sent no Date header: clock skew unknown", u.Host, info.TLSVersion, rtt)
	}
	skew := info.Skew.Round(time.Second)
	if info.Skew > maxSkew || -info.Skew > maxSkew {
		dir := "behind"
		if info.Skew < 0 {
			dir = "ahead of"
		}
		return info, fail("the kiosk clock is %v %s the center's (center.max_skew %v): set the clock and check time synchronisation (timedatectl; NTP); tickets and documents would be refused",
			absDuration(skew), dir, maxSkew)
	}
	if !info.PeerNotAfter.IsZero() && info.PeerNotAfter.Sub(now()) < 30*24*time.Hour {
		return info, warn("%s reachable, but its TLS certificate expires on %s: tell the operator", u.Host, info.PeerNotAfter.UTC().Format("2006-01-02"))
	}
	return info, ok("%s reachable over mutual TLS (%s) in %v; clock skew %v (max %v)", u.Host, info.TLSVersion, rtt, skew, maxSkew)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// centerFailure explains a failed connection or handshake.
func centerFailure(host string, err error) Result {
	var (
		uae x509.UnknownAuthorityError
		cie x509.CertificateInvalidError
		hne x509.HostnameError
		dns *net.DNSError
		ne  net.Error
	)
	switch {
	case errors.As(err, &uae):
		return fail("the TLS certificate of %s is not signed by the pinned operator CA (center.tls_ca): wrong CA file, wrong center.url, or something in between intercepts the connection", host)
	case errors.As(err, &cie) && cie.Reason == x509.Expired:
		return fail("the TLS certificate of %s is outside its validity period, or the kiosk clock is wrong: check the clock first", host)
	case errors.As(err, &cie):
		return fail("the TLS certificate of %s is not acceptable (%v): tell the operator", host, cie)
	case errors.As(err, &hne):
		return fail("the TLS certificate of the center is not for %s (%v): check center.url", host, hne)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail("nothing listens at %s (connection refused): the center is down or center.url has the wrong port", host)
	case errors.As(err, &dns):
		return fail("cannot resolve %s: check DNS and center.url", dns.Name)
	case strings.Contains(err.Error(), "remote error: tls:"):
		return fail("%s refused the TLS handshake (%s): terminal.cert must be issued by the operator CA and still valid", host, remoteAlert(err))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fail("no answer from %s in time: check the network (cable, firewall, proxy) and center.url", host)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fail("no route to %s: check the network cable and settings", host)
	}
	return fail("cannot reach the center at %s: %v", host, err)
}

// remoteAlert is the TLS alert the peer sent, as Go words it.
func remoteAlert(err error) string {
	s := err.Error()
	if i := strings.Index(s, "remote error: tls: "); i >= 0 {
		return s[i+len("remote error: "):]
	}
	return s
}

// CenterCheck checks that the center is reachable over mutual TLS and
// that the clocks agree within max_skew. Blocking.
func CenterCheck(c Center) Check {
	return Check{Name: "center", Blocking: true, Run: func(ctx context.Context) Result {
		_, r := ProbeCenter(ctx, c)
		return r
	}}
}
