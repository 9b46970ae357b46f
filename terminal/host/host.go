// Package host is the store machine's loop around sessions on a real card
// reader: it waits for a My Number card, opens it for one session, watches
// it while the session runs (a card pulled, swapped or a reader unplugged
// cancels the session with terminal.ErrCardRemoved) and waits for the card
// to leave before the next resident.
package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"kofu/cardreader"
	"kofu/terminal"
)

// DefaultGrace is how long a card may be out of sight while pcscd
// restarts before it counts as removed.
const DefaultGrace = 3 * time.Second

// Events is what the host needs from PC/SC: reader and card events
// (cardreader.Context.Watch) and opening a card in a reader.
type Events interface {
	Watch(ctx context.Context, filter string) <-chan cardreader.Event
	Open(ctx context.Context, reader string, o *cardreader.Options) (*cardreader.Card, error)
}

// Reader is the card reader a kiosk serves residents on.
type Reader struct {
	PC     Events
	Filter string        // part of the reader's name; empty: any reader
	Grace  time.Duration // zero: DefaultGrace
	Card   *cardreader.Options
}

// Presented is a card on the reader, open for one session. Serve the
// session under Ctx: it is cancelled with cause terminal.ErrCardRemoved
// when the card leaves. Close it when the session has ended.
type Presented struct {
	Card   *cardreader.Card
	Reader string
	Ctx    context.Context

	cancel context.CancelCauseFunc
	stop   context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	removed bool
	left    chan struct{} // closed once removed (made by Gone)
	events  []cardreader.Event
}

// Next waits until a card is in a matching reader and opens it. A card
// that does not answer as a My Number card is closed again and reported
// with its error (the caller tells the resident and waits for it to
// leave with Gone).
func (r *Reader) Next(ctx context.Context) (*Presented, error) {
	reader, err := r.waitCard(ctx)
	if err != nil {
		return nil, err
	}
	return r.open(ctx, reader)
}

// open opens the card in reader and watches it.
func (r *Reader) open(ctx context.Context, reader string) (*Presented, error) {
	sctx, cancel := context.WithCancelCause(ctx)
	wctx, stop := context.WithCancel(ctx)
	p := &Presented{Reader: reader, Ctx: sctx, cancel: cancel, stop: stop, done: make(chan struct{})}
	go p.watch(wctx, r.PC.Watch(wctx, reader), r.grace())
	card, err := r.PC.Open(sctx, reader, r.Card)
	if err != nil {
		p.Close()
		return nil, &CardError{Reader: reader, Err: err}
	}
	p.Card = card
	return p, nil
}

// CardError is a card in the reader that could not be opened.
type CardError struct {
	Reader string
	Err    error
}

func (e *CardError) Error() string { return fmt.Sprintf("card in %q: %v", e.Reader, e.Err) }
func (e *CardError) Unwrap() error { return e.Err }

func (r *Reader) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return DefaultGrace
}

// waitCard returns the first matching reader that holds a card.
func (r *Reader) waitCard(ctx context.Context) (string, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := r.PC.Watch(wctx, r.Filter)
	defer func() {
		cancel()
		for range ch { // let the watcher finish
		}
	}()
	for ev := range ch {
		if ev.Kind == cardreader.CardInserted {
			return ev.Reader, nil
		}
	}
	if err := context.Cause(ctx); err != nil {
		return "", err
	}
	return "", errors.New("host: card watch ended")
}

// Gone waits until no card is in reader (the resident took it), or ctx
// ends. A reader that goes away counts as empty; a pcscd restart does
// not, unless the card is not back within the grace after it (as for a
// session's watch).
func (r *Reader) Gone(ctx context.Context, reader string) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := r.PC.Watch(wctx, reader)
	defer func() {
		cancel()
		for range ch {
		}
	}()
	// Watch reports the reader first, then its card or ReaderEmpty. A
	// reader not reported at all within a moment is not there (unplugged):
	// empty too.
	present, lost, seen, restoring := false, false, false, false
	settled := time.NewTimer(250 * time.Millisecond)
	defer settled.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return context.Cause(ctx)
			}
			switch ev.Kind {
			case cardreader.ServiceLost:
				lost = true
				settled.Stop()
			case cardreader.ServiceRestored:
				// The watcher reports the readers and cards again: the
				// card is gone unless it is reported within the grace.
				lost, present, restoring = false, false, true
				settled.Reset(r.grace())
			case cardreader.ReaderAdded:
				seen = true
			case cardreader.CardInserted:
				present, restoring = true, false
			case cardreader.ReaderEmpty:
				// Right after a restart a reader may report empty before
				// its card: the grace decides then.
				if !lost && !restoring {
					return nil
				}
			case cardreader.CardRemoved, cardreader.ReaderRemoved:
				if !lost {
					return nil
				}
			}
		case <-settled.C:
			if !present && !lost && (!seen || restoring) {
				return nil
			}
		}
	}
}

// watch cancels the session when the card leaves. A pcscd restart is no
// removal by itself: the card reader code reconnects and checks it is the
// same card; only when the card is not back within grace of the service
// going (or coming back) is it gone.
func (p *Presented) watch(ctx context.Context, ch <-chan cardreader.Event, grace time.Duration) {
	defer close(p.done)
	var timer <-chan time.Time
	lost := false
	restoring := false // pcscd is back; the card is not yet
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return
			}
			p.mu.Lock()
			p.events = append(p.events, ev)
			p.mu.Unlock()
			switch ev.Kind {
			case cardreader.ServiceLost:
				lost, timer = true, time.After(grace)
			case cardreader.ServiceRestored:
				lost, restoring, timer = false, true, time.After(grace)
			case cardreader.CardRemoved, cardreader.ReaderRemoved:
				if !lost {
					p.gone()
				}
			case cardreader.ReaderEmpty:
				// The card left before the watch first looked (the
				// session opened it a moment ago) — unless pcscd has just
				// come back, when the grace decides.
				if !lost && !restoring {
					p.gone()
				}
			case cardreader.CardInserted:
				timer, restoring = nil, false
			}
		case <-timer:
			timer = nil
			p.gone()
		}
	}
}

func (p *Presented) gone() {
	p.mu.Lock()
	if !p.removed && p.left != nil {
		close(p.left)
	}
	p.removed = true
	p.mu.Unlock()
	p.cancel(terminal.ErrCardRemoved)
}

// Gone is closed once the watch takes the card as gone: the customer
// UI's finish screen waits on it for the card to leave (and Ctx ends
// then too, but a finish screen outlives the session's context).
func (p *Presented) Gone() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.left == nil {
		p.left = make(chan struct{})
		if p.removed {
			close(p.left)
		}
	}
	return p.left
}

// Removed reports whether the watch took the card as gone.
func (p *Presented) Removed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.removed
}

// Events returns what the watch saw (for logs and tests).
func (p *Presented) Events() []cardreader.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]cardreader.Event(nil), p.events...)
}

// Close stops the watch and closes the card.
func (p *Presented) Close() error {
	p.stop()
	<-p.done
	p.cancel(context.Canceled)
	if p.Card != nil {
		return p.Card.Close()
	}
	return nil
}
