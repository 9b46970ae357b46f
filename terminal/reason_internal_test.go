package terminal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"testing"

	"kofu/protocol"
	"kofu/terminal/payment"
)

// TestReasonOf: each class of error gets its own stable code; the TLS
// failures are told apart, HTTP errors without a problem document by
// class, and refusals keep their stage-reason code whatever the stage.
func TestReasonOf(t *testing.T) {
	transport := func(err error) error { return &protocol.TransportError{Op: "request", Err: err} }
	verify := func(err error) error { return transport(&tls.CertificateVerificationError{Err: err}) }
	for _, c := range []struct {
		stage string
		err   error
		want  string
	}{
		{"submit", &protocol.RefusalError{Stage: protocol.StageTicket, Reason: protocol.ReasonRedirect}, "ticket-redirect"},
		{"print", &protocol.RefusalError{Stage: protocol.StageTicket, Reason: protocol.ReasonExpired}, "ticket-expired"},
		{"submit", protocol.NewProblem(protocol.ProbBusy, ""), "center-busy"},
		{"submit", verify(x509.UnknownAuthorityError{}), "submit-tls-untrusted"},
		{"submit", verify(x509.CertificateInvalidError{Reason: x509.Expired}), "submit-tls-expired"},
		{"submit", verify(x509.HostnameError{Host: "127.0.0.1"}), "submit-tls-name"},
		{"document", verify(x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}), "document-tls-certificate"},
		{"submit", transport(errors.New("tls: server selected unsupported protocol version 303")), "submit-tls-version"},
		{"page", transport(&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}), "page-tls-rejected"},
		{"page", transport(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}), "page-transport"},
		{"document", transport(context.DeadlineExceeded), "document-timeout"},
		{"submit", &protocol.StatusError{Op: "request", Status: 502, ContentType: "text/html"}, "submit-http-5xx"},
		{"page", &protocol.StatusError{Op: "page", Status: 404, ContentType: "text/plain"}, "page-http-4xx"},
		{"submit", fmt.Errorf("center: %w", protocol.ErrTooLarge), "submit-too-large"},
		{"pay", ErrCancelled, "pay-cancelled"},
		{"pay", payment.ErrInsufficient, "payment-insufficient"},
		{"card-sign", errors.New("odd"), "card-sign-error"},
	} {
		if got := reasonOf(c.stage, c.err); got != c.want {
			t.Errorf("reasonOf(%s, %v) = %q, want %q", c.stage, c.err, got, c.want)
		}
	}
}
