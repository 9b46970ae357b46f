package cardreader_test

import (
	"context"
	"sync"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/fixtures"
	"kofu/terminal"
)

// The card is what a kiosk session needs (checked at compile time; a test
// file, so that cardreader does not import terminal).
var (
	_ terminal.Card     = (*cardreader.Card)(nil)
	_ terminal.PINError = (*cardreader.AuthError)(nil)
)

func loadFixtures(t testing.TB) *fixtures.Set {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func resident(t testing.TB, fx *fixtures.Set, id string) *fixtures.Resident {
	t.Helper()
	r, ok := fx.Resident(id)
	if !ok {
		t.Fatalf("no resident %s", id)
	}
	return r
}

func emu(t testing.TB, fx *fixtures.Set, id string, o emucard.Options) *emucard.Card {
	t.Helper()
	c, err := emucard.New(fx, resident(t, fx, id), o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// open opens a cardreader.Card on an in-process emulated card.
func open(t testing.TB, e *emucard.Card, o *cardreader.Options) *cardreader.Card {
	t.Helper()
	c, err := cardreader.Open(context.Background(), e.Dialer("emulated"), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// recorder is a Transmitter wrapper that records the commands (their
// INS) and can rewrite responses.
type recorder struct {
	next cardreader.Transmitter
	mu   sync.Mutex
	ins  []byte
	// rewrite, if set, may answer instead of next.
	rewrite func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error)
}

func (r *recorder) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	r.mu.Lock()
	r.ins = append(r.ins, apdu[1])
	r.mu.Unlock()
	pass := func(a []byte) ([]byte, error) { return r.next.Transmit(ctx, a) }
	if r.rewrite != nil {
		return r.rewrite(apdu, pass)
	}
	return pass(apdu)
}

func (r *recorder) count(ins byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, i := range r.ins {
		if i == ins {
			n++
		}
	}
	return n
}

// script is a Transmitter that answers from a function of the command.
type script func(apdu []byte) []byte

func (s script) Transmit(_ context.Context, apdu []byte) ([]byte, error) { return s(apdu), nil }

func ceilDiv(a, b int) int { return (a + b - 1) / b }
