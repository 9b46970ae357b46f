// Package emulator assembles emulator mode: the emulated center on loopback
// HTTPS with mutual TLS, a kiosk client with the test terminal identity,
// an emulated card for a test resident and a file output, so that the real
// kiosk code paths run on a laptop with no hardware.
package emulator

import (
	"context"
	"crypto"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"kofu/internal/buildinfo"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
)

// Options selects what the emulated world looks like.
type Options struct {
	Fixtures  *fixtures.Set // nil: fixtures.Load()
	Faults    []center.Fault
	FaultRate float64
	DPI       int
	Terminal  string // terminal id in the fixtures (default T0001)
	Timeouts  protocol.Timeouts
	Logger    *slog.Logger
	// Center tweaks the center's configuration before it starts.
	Center func(*center.Config)
	// Transport wraps the kiosk's TLS transport (tests observe the wire
	// or inject network faults with it).
	Transport func(http.RoundTripper) http.RoundTripper
}

// Env is a running emulated world.
type Env struct {
	Fixtures *fixtures.Set
	Center   *center.Server
	Client   *protocol.Client
	Verifier *protocol.Verifier
	Identity terminal.Identity
}

// Start starts the center and builds the kiosk side against it.
func Start(ctx context.Context, o Options) (*Env, error) {
	fx := o.Fixtures
	if fx == nil {
		var err error
		if fx, err = fixtures.Load(); err != nil {
			return nil, err
		}
	}
	if o.Terminal == "" {
		o.Terminal = "T0001"
	}
	term, ok := fx.Terminal(o.Terminal)
	if !ok {
		return nil, fmt.Errorf("no terminal %q in the fixtures", o.Terminal)
	}
	cfg := center.Config{Fixtures: fx, Faults: o.Faults, FaultRate: o.FaultRate, DPI: o.DPI, Logger: o.Logger}
	if o.Center != nil {
		o.Center(&cfg)
	}
	srv, err := center.Start(cfg, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	tr, err := protocol.NewTransport(op, term.Device.TLS())
	if err != nil {
		srv.Close()
		return nil, err
	}
	var rt http.RoundTripper = tr
	if o.Transport != nil {
		rt = o.Transport(tr)
	}
	client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: srv.URL, Transport: rt, Timeouts: o.Timeouts})
	if err != nil {
		srv.Close()
		return nil, err
	}
	cr := x509.NewCertPool()
	cr.AddCert(fx.CenterCA.Cert)
	ir := x509.NewCertPool()
	ir.AddCert(fx.IssuerCA.Cert)
	return &Env{
		Fixtures: fx, Center: srv, Client: client,
		Verifier: &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir},
		Identity: terminal.Identity{Term: term.ID, Store: term.Store, Device: term.Device.Key,
			DeviceChain: [][]byte{term.Device.CertDER}, SW: buildinfo.SW()},
	}, nil
}

// Close stops the center.
func (e *Env) Close() error {
	e.Client.CloseIdle()
	return e.Center.Close()
}

// Transaction returns a transaction for this world with the given card
// and output.
func (e *Env) Transaction(card terminal.Card, sink terminal.Sink) *terminal.Transaction {
	return &terminal.Transaction{Client: e.Client, Verifier: e.Verifier, Identity: e.Identity, Card: card, Sink: sink}
}

// ErrWrongPIN is returned by SoftCard for a PIN that does not match.
var ErrWrongPIN = errors.New("wrong PIN")

// SoftCard is a resident's card held in software: the key and certificate
// of the fixtures, unlocked by the resident's PIN. It stands in for the
// APDU-level emulated card until cardreader provides it.
type SoftCard struct {
	Resident *fixtures.Resident
}

// AuthCertificate returns the card's user-auth certificate.
func (s SoftCard) AuthCertificate(ctx context.Context) (*x509.Certificate, error) {
	return s.Resident.CardCert, ctx.Err()
}

// AuthKey returns the card key after checking pin in constant time.
func (s SoftCard) AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error) {
	defer clear(pin)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(pin, []byte(s.Resident.PIN)) != 1 {
		return nil, ErrWrongPIN
	}
	return s.Resident.CardKey()
}
