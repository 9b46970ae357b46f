package host_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
	"kofu/terminal"
	"kofu/terminal/host"
)

// TestHostThroughPCSC drives the host loop through a real pcscd with the
// emulated card on vsmartcard-vpcd: the card is found and opened, a
// pcscd restart is not taken for a removal, pulling the card cancels the
// session with terminal.ErrCardRemoved, and Gone returns once the reader
// is empty.
func TestHostThroughPCSC(t *testing.T) {
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0002")
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := &host.Reader{PC: pc, Filter: s.Reader(0), Grace: 5 * time.Second}

	// Nothing in the reader: Next waits.
	wctx, wcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	if _, err := r.Next(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next on an empty reader: %v", err)
	}
	wcancel()

	s.Insert(t, card, 0)
	p, err := r.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v\n%s", err, s.Tail(20))
	}
	defer p.Close()
	if _, err := p.Card.AuthCertificate(p.Ctx); err != nil {
		t.Fatal(err)
	}

	// A pcscd restart with the card back in time is no removal.
	s.Restart(t)
	if err := s.WaitCard(0, 15*time.Second); err != nil {
		t.Fatalf("card after restart: %v", err)
	}
	if n, err := p.Card.AuthPINRetries(p.Ctx); n != 3 || err != nil {
		t.Fatalf("after the restart: %d, %v (events %v)", n, err, p.Events())
	}
	if p.Removed() || p.Ctx.Err() != nil {
		t.Fatalf("a pcscd restart was taken for a removal: %v", p.Events())
	}

	// Pulled: the session's context ends with ErrCardRemoved.
	card.Remove()
	select {
	case <-p.Ctx.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("no removal seen; events %v", p.Events())
	}
	if !errors.Is(context.Cause(p.Ctx), terminal.ErrCardRemoved) || !p.Removed() {
		t.Fatalf("cause %v", context.Cause(p.Ctx))
	}
	gctx, gcancel := context.WithTimeout(ctx, 10*time.Second)
	defer gcancel()
	if err := r.Gone(gctx, p.Reader); err != nil {
		t.Fatalf("Gone with the reader empty: %v", err)
	}

	// Put back: Gone waits while it is there; Next opens it again.
	card.Insert()
	if err := s.WaitCard(0, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	gctx2, gcancel2 := context.WithTimeout(ctx, time.Second)
	defer gcancel2()
	if err := r.Gone(gctx2, p.Reader); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Gone with the card in: %v", err)
	}
	p2, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if _, err := p2.Card.AuthCertificate(p2.Ctx); err != nil {
		t.Fatal(err)
	}
}
