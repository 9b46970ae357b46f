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
		want  Reason
		class Class
	}{
		{"submit", &protocol.RefusalError{Stage: protocol.StageTicket, Reason: protocol.ReasonRedirect}, "ticket-redirect", ClassVerify},
		{"print", &protocol.RefusalError{Stage: protocol.StageTicket, Reason: protocol.ReasonExpired}, "ticket-expired", ClassVerify},
		{"submit", protocol.NewProblem(protocol.ProbBusy, ""), "center-busy", ClassCenter},
		{"submit", verify(x509.UnknownAuthorityError{}), "submit-tls-untrusted", ClassNetwork},
		{"submit", verify(x509.CertificateInvalidError{Reason: x509.Expired}), "submit-tls-expired", ClassNetwork},
		{"submit", verify(x509.HostnameError{Host: "127.0.0.1"}), "submit-tls-name", ClassNetwork},
		{"document", verify(x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}), "document-tls-certificate", ClassNetwork},
		{"submit", transport(errors.New("tls: server selected unsupported protocol version 303")), "submit-tls-version", ClassNetwork},
		{"page", transport(&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}), "page-tls-rejected", ClassNetwork},
		{"page", transport(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}), "page-transport", ClassNetwork},
		{"document", transport(context.DeadlineExceeded), "document-timeout", ClassNetwork},
		{"submit", &protocol.StatusError{Op: "request", Status: 502, ContentType: "text/html"}, "submit-http-5xx", ClassNetwork},
		{"page", &protocol.StatusError{Op: "page", Status: 404, ContentType: "text/plain"}, "page-http-4xx", ClassNetwork},
		{"submit", fmt.Errorf("center: %w", protocol.ErrTooLarge), "submit-too-large", ClassNetwork},
		{"pay", ErrCancelled, "pay-cancelled", ClassResident},
		{"pay", payment.ErrInsufficient, "payment-insufficient", ClassPayment},
		{"card-sign", errors.New("odd"), "card-sign-error", ClassCard},
	} {
		got := reasonOf(c.stage, c.err)
		if got != c.want {
			t.Errorf("reasonOf(%s, %v) = %q, want %q", c.stage, c.err, got, c.want)
		}
		if got.Class() != c.class {
			t.Errorf("%q: class %q, want %q", got, got.Class(), c.class)
		}
	}
}

// TestReasonClass: every kind of code a session can end with has the
// class the UI, the metrics and the service branch on, and its parts.
func TestReasonClass(t *testing.T) {
	for _, c := range []struct {
		r             Reason
		class         Class
		stage, detail string
	}{
		{"", ClassNone, "", ""},
		{ReasonCardRemoved, ClassResident, "card", "removed"},
		{ReasonShutdown, ClassShutdown, "", "shutdown"},
		{"choose-timeout", ClassResident, "choose", "timeout"},
		{"pin-timeout", ClassResident, "pin", "timeout"},
		{"pay-timeout", ClassResident, "pay", "timeout"},
		{"choose-cancelled", ClassResident, "choose", "cancelled"},
		{"pin-cancelled", ClassResident, "pin", "cancelled"},
		{"card-pin-blocked", ClassCard, "card-pin", "blocked"},
		{"card-certificate-expired", ClassCard, "card-certificate", "expired"},
		{"card-certificate-revoked", ClassCard, "card-certificate", "revoked"},
		{"center-outside-service-hours", ClassCenter, "center", "outside-service-hours"},
		{"center-document-unavailable", ClassCenter, "center", "document-unavailable"},
		{"envelope-subject", ClassVerify, "envelope", "subject"},
		{"envelope-binding", ClassVerify, "envelope", "binding"},
		{"page-qr-missing", ClassVerify, "page", "qr-missing"},
		{"page-hash", ClassVerify, "page", "hash"},
		{"ticket-signature", ClassVerify, "ticket", "signature"},
		{"ticket-timeout", ClassNetwork, "ticket", "timeout"},
		{"envelope-error", ClassSystem, "envelope", "error"},
		{"document-transport", ClassNetwork, "document", "transport"},
		{"print-paper-out", ClassPrinter, "print", "paper-out"},
		{"print-offline", ClassPrinter, "print", "offline"},
		{"print-timeout", ClassPrinter, "print", "timeout"},
		{"pay-coin-jam", ClassPayment, "pay", "coin-jam"},
		{"journal-error", ClassSystem, "journal", "error"},
		{"random", ClassSystem, "", "random"},
		{"recovered-at-start", ClassSystem, "", "recovered-at-start"},
	} {
		if got := c.r.Class(); got != c.class {
			t.Errorf("%q: class %q, want %q", c.r, got, c.class)
		}
		if c.r.Stage() != c.stage || c.r.Detail() != c.detail {
			t.Errorf("%q: stage %q detail %q, want %q %q", c.r, c.r.Stage(), c.r.Detail(), c.stage, c.detail)
		}
	}
	if p, ok := Reason("center-outside-service-hours").Problem(); !ok || p != protocol.ProbOutsideHours {
		t.Errorf("Problem() = %q, %v", p, ok)
	}
	if _, ok := Reason("envelope-subject").Problem(); ok {
		t.Error("a refusal has no problem type")
	}
}
