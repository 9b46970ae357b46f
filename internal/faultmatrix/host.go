package faultmatrix

import (
	"context"
	"sync"
	"time"

	"kofu/cardreader"
)

// CardWatch is what a kiosk host runs beside a session, as
// terminal.Kiosk.Serve asks of its caller: it watches the session's
// reader through PC/SC (GetStatusChange) and calls removed — which
// cancels the session with cause terminal.ErrCardRemoved — when the card
// leaves or the reader goes away. A pcscd restart alone is no removal:
// the card reader code reconnects and checks it is the same card; only
// if the card is not back within grace after the service returns (or
// the service does not return) is the card taken as gone.
type CardWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	events  []cardreader.Event
	removed bool
}

// WatchCard starts watching reader until Stop.
func WatchCard(ctx context.Context, pc *cardreader.Context, reader string, grace time.Duration, removed func()) *CardWatch {
	wctx, cancel := context.WithCancel(ctx)
	w := &CardWatch{cancel: cancel, done: make(chan struct{})}
	ch := pc.Watch(wctx, reader)
	go func() {
		defer close(w.done)
		var timer <-chan time.Time
		lost := false
		fire := func() {
			w.mu.Lock()
			first := !w.removed
			w.removed = true
			w.mu.Unlock()
			if first {
				removed()
			}
		}
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					return
				}
				w.mu.Lock()
				w.events = append(w.events, ev)
				w.mu.Unlock()
				switch ev.Kind {
				case cardreader.ServiceLost:
					// The watcher reports the readers gone with the
					// service; that is no removal yet.
					lost = true
					timer = time.After(grace)
				case cardreader.ServiceRestored:
					lost = false
					timer = time.After(grace)
				case cardreader.CardRemoved, cardreader.ReaderRemoved:
					if !lost {
						fire()
					}
				case cardreader.CardInserted:
					timer = nil
				}
			case <-timer:
				timer = nil
				fire()
			}
		}
	}()
	return w
}

// Stop ends the watch and returns every event it saw.
func (w *CardWatch) Stop() []cardreader.Event {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]cardreader.Event(nil), w.events...)
}

// Removed reports whether the watch took the card as gone.
func (w *CardWatch) Removed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.removed
}
