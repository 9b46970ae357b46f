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
	"sync"
	"time"

	"kofu/internal/buildinfo"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// Options selects what the emulated world looks like.
type Options struct {
	Fixtures  *fixtures.Set // nil: fixtures.Load()
	Faults    []center.Fault
	FaultRate float64
	DPI       int
	Terminal  string // terminal id in the fixtures (default T0001)
	// Now is the emulated world's clock, shared by the center (its
	// calendar, tickets and OCSP), the verifier and the kiosk. Required:
	// a test pins the instant it means (kofu/internal/testclock), emulator
	// mode passes --clock or the wall clock (kofu/internal/clock), so no
	// verdict depends on the day a test happens to run.
	Now      func() time.Time
	Timeouts protocol.Timeouts
	Logger   *slog.Logger
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
	// Now is the world's clock (Options.Now); Kiosk gives it to the kiosk.
	Now func() time.Time
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
	if o.Now == nil {
		return nil, errors.New("emulator: Options.Now is required (the emulated world's clock: clock.Wall, clock.Starting or testclock.Now)")
	}
	if o.Terminal == "" {
		o.Terminal = "T0001"
	}
	term, ok := fx.Terminal(o.Terminal)
	if !ok {
		return nil, fmt.Errorf("no terminal %q in the fixtures", o.Terminal)
	}
	cfg := center.Config{Fixtures: fx, Faults: o.Faults, FaultRate: o.FaultRate, DPI: o.DPI, Logger: o.Logger, Now: o.Now}
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
	client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: srv.URL, Transport: rt, Timeouts: o.Timeouts, Now: o.Now})
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
		Now:      o.Now,
		Verifier: &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir, Now: o.Now},
		Identity: terminal.Identity{Term: term.ID, Store: term.Store, Device: term.Device.Key,
			DeviceChain: [][]byte{term.Device.CertDER}, SW: buildinfo.SW()},
	}, nil
}

// Close stops the center.
func (e *Env) Close() error {
	e.Client.CloseIdle()
	return e.Center.Close()
}

// Kiosk returns a kiosk for this world with the given output, payment
// unit and journal.
func (e *Env) Kiosk(sink terminal.Sink, pay payment.Unit, j *journal.Journal) *terminal.Kiosk {
	return &terminal.Kiosk{Client: e.Client, Verifier: e.Verifier, Identity: e.Identity, Sink: sink,
		Payment: pay, Journal: j, Now: e.Now}
}

// wrongPIN is the SoftCard's typed wrong-PIN error.
type wrongPIN struct{ left int }

func (w wrongPIN) Error() string  { return fmt.Sprintf("wrong PIN, %d tries left", w.left) }
func (w wrongPIN) TriesLeft() int { return w.left }

// ErrBlocked is returned once the SoftCard's PIN is blocked.
var ErrBlocked = errors.New("PIN blocked")

// SoftCard is a resident's card held in software: the key and certificate
// of the fixtures, unlocked by the resident's PIN, with a PIN counter. Tests
// of the center and of session logic use it for speed and to script odd
// card behaviour; emulator mode and the fleet use CardSlot, the real
// cardreader code on the APDU-level emulated card.
type SoftCard struct {
	Resident *fixtures.Resident
	mu       sync.Mutex
	tries    int
	init     bool
}

// NewSoftCard returns the card of res with its PIN counter from the fixtures.
func NewSoftCard(res *fixtures.Resident) *SoftCard { return &SoftCard{Resident: res} }

func (s *SoftCard) counter() *int {
	if !s.init {
		s.tries, s.init = s.Resident.PINTries, true
		if s.Resident.PINBlocked {
			s.tries = 0
		}
	}
	return &s.tries
}

// AuthCertificate returns the card's user-auth certificate.
func (s *SoftCard) AuthCertificate(ctx context.Context) (*x509.Certificate, error) {
	return s.Resident.CardCert, ctx.Err()
}

// AuthPINRetries returns the tries left without spending one.
func (s *SoftCard) AuthPINRetries(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.counter(), ctx.Err()
}

// AuthKey checks pin in constant time, counting wrong tries as the card does.
func (s *SoftCard) AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error) {
	defer clear(pin)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.counter()
	if *t <= 0 {
		return nil, ErrBlocked
	}
	if subtle.ConstantTimeCompare(pin, []byte(s.Resident.PIN)) != 1 {
		*t--
		return nil, wrongPIN{left: *t}
	}
	*t = 3
	// Either generation: an *rsa.PrivateKey, or a P-384 *ecdsa.PrivateKey
	// whose Sign returns ASN.1 DER as the card's key does.
	return s.Resident.CardSigner()
}

// Autopilot runs one session for res on the kiosk of this world with a
// fresh coin unit, answering as the autopilot does; it returns the result
// and the coin unit's ledger.
func (e *Env) Autopilot(ctx context.Context, j *journal.Journal, sink terminal.Sink, card terminal.Card,
	o terminal.Order, pin []byte) (terminal.Result, payment.Ledger) {
	coins := payment.NewCoins()
	r := e.Kiosk(sink, coins, j).Serve(ctx, card, terminal.NewAutopilot(o, pin, coins))
	return r, coins.Ledger()
}
