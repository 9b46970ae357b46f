package host

import (
	"context"
	"errors"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/terminal"
)

// script is a PC/SC stand-in that plays events on every Watch.
type script struct{ events []cardreader.Event }

func (s *script) Watch(ctx context.Context, _ string) <-chan cardreader.Event {
	ch := make(chan cardreader.Event)
	go func() {
		defer close(ch)
		for _, ev := range s.events {
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return ch
}

func (s *script) Open(context.Context, string, *cardreader.Options) (*cardreader.Card, error) {
	return nil, cardreader.ErrNotJPKI
}

// TestWatchPolicy: which event sequences take the card as gone.
func TestWatchPolicy(t *testing.T) {
	in := cardreader.Event{Kind: cardreader.CardInserted, Reader: "r"}
	added := cardreader.Event{Kind: cardreader.ReaderAdded, Reader: "r"}
	empty := cardreader.Event{Kind: cardreader.ReaderEmpty, Reader: "r"}
	for _, c := range []struct {
		name    string
		events  []cardreader.Event
		removed bool
	}{
		{"card stays", []cardreader.Event{in}, false},
		{"card pulled", []cardreader.Event{in, {Kind: cardreader.CardRemoved, Reader: "r"}}, true},
		{"reader unplugged", []cardreader.Event{in, {Kind: cardreader.ReaderRemoved, Reader: "r"}}, true},
		{"service restart, card back", []cardreader.Event{in, {Kind: cardreader.ServiceLost},
			{Kind: cardreader.ReaderRemoved, Reader: "r"}, {Kind: cardreader.ServiceRestored}, in}, false},
		{"service lost for good", []cardreader.Event{in, {Kind: cardreader.ServiceLost},
			{Kind: cardreader.ReaderRemoved, Reader: "r"}}, true},
		{"service back without the card", []cardreader.Event{in, {Kind: cardreader.ServiceLost},
			{Kind: cardreader.ServiceRestored}}, true},
		// Pulled between the session's open and the watch's first look:
		// the watch never sees the card, only the reader empty.
		{"pulled before the first look", []cardreader.Event{added, empty}, true},
		{"service restart, empty a moment, card back", []cardreader.Event{in, {Kind: cardreader.ServiceLost},
			{Kind: cardreader.ReaderRemoved, Reader: "r"}, {Kind: cardreader.ServiceRestored}, added, empty, in}, false},
		{"service restart, empty for good", []cardreader.Event{in, {Kind: cardreader.ServiceLost},
			{Kind: cardreader.ReaderRemoved, Reader: "r"}, {Kind: cardreader.ServiceRestored}, added, empty}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sctx, scancel := context.WithCancelCause(ctx)
			p := &Presented{Ctx: sctx, cancel: scancel, stop: cancel, done: make(chan struct{})}
			go p.watch(ctx, (&script{events: c.events}).Watch(ctx, "r"), 100*time.Millisecond)
			select {
			case <-sctx.Done():
			case <-time.After(time.Second):
			}
			if p.Removed() != c.removed {
				t.Fatalf("removed %v, want %v (events %v)", p.Removed(), c.removed, p.Events())
			}
			if c.removed && !errors.Is(context.Cause(sctx), terminal.ErrCardRemoved) {
				t.Fatalf("cause %v", context.Cause(sctx))
			}
			p.Close()
		})
	}
}

// TestNextNotACard: a card that is no My Number card is reported with
// its error and leaves nothing running.
func TestNextNotACard(t *testing.T) {
	r := &Reader{PC: &script{events: []cardreader.Event{{Kind: cardreader.CardInserted, Reader: "r"}}}}
	_, err := r.Next(context.Background())
	var ce *CardError
	if !errors.As(err, &ce) || ce.Reader != "r" || !errors.Is(err, cardreader.ErrNotJPKI) {
		t.Fatalf("Next: %v", err)
	}
}

// TestGonePolicy: which event sequences Gone takes as the card taken out
// (the card-left screen ends): a pcscd restart is not, unless the card is
// not back within the grace.
func TestGonePolicy(t *testing.T) {
	in := cardreader.Event{Kind: cardreader.CardInserted, Reader: "r"}
	lost, back := cardreader.Event{Kind: cardreader.ServiceLost}, cardreader.Event{Kind: cardreader.ServiceRestored}
	readerGone := cardreader.Event{Kind: cardreader.ReaderRemoved, Reader: "r"}
	added := cardreader.Event{Kind: cardreader.ReaderAdded, Reader: "r"}
	empty := cardreader.Event{Kind: cardreader.ReaderEmpty, Reader: "r"}
	for _, c := range []struct {
		name   string
		events []cardreader.Event
		gone   bool
	}{
		{"no such reader", nil, true},
		{"empty reader", []cardreader.Event{added, empty}, true},
		// The reader is there; its first report is slow: not gone on a guess.
		{"reader slow to report", []cardreader.Event{added}, false},
		{"card stays", []cardreader.Event{in}, false},
		{"card taken", []cardreader.Event{in, {Kind: cardreader.CardRemoved, Reader: "r"}}, true},
		{"reader unplugged", []cardreader.Event{in, readerGone}, true},
		{"service restart, card back", []cardreader.Event{in, lost, readerGone, back, {Kind: cardreader.ReaderAdded, Reader: "r"}, in}, false},
		{"service back without the card", []cardreader.Event{in, lost, readerGone, back}, true},
		{"service restart, empty a moment, card back", []cardreader.Event{in, lost, readerGone, back, added, empty, in}, false},
		{"service restart, empty for good", []cardreader.Event{in, lost, readerGone, back, added, empty}, true},
		{"service lost for good", []cardreader.Event{in, lost, readerGone}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Reader{PC: &script{events: c.events}, Grace: 100 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			err := r.Gone(ctx, "r")
			if gone := err == nil; gone != c.gone {
				t.Fatalf("gone %v (%v), want %v", gone, err, c.gone)
			}
		})
	}
}
