package cardreader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

var (
	errCancelled = errors.New("cardreader: wait cancelled")
	errTimeout   = errors.New("cardreader: wait timed out")
)

// EventKind says what happened in a reader.
type EventKind int

// Event kinds.
const (
	ReaderAdded EventKind = iota + 1
	ReaderRemoved
	CardInserted
	CardRemoved
	ServiceLost     // pcscd went away; Watch keeps trying to reconnect
	ServiceRestored // pcscd is back; the readers follow as ReaderAdded
	// ReaderEmpty is a reader's first report, after its ReaderAdded, when
	// it holds no card. Without it an empty reader is only silence, and a
	// card pulled between a watch's start and its first look would never
	// be reported at all (the watcher never saw it to report it gone).
	ReaderEmpty
)

func (k EventKind) String() string {
	switch k {
	case ReaderAdded:
		return "reader-added"
	case ReaderRemoved:
		return "reader-removed"
	case CardInserted:
		return "card-inserted"
	case CardRemoved:
		return "card-removed"
	case ServiceLost:
		return "service-lost"
	case ServiceRestored:
		return "service-restored"
	case ReaderEmpty:
		return "reader-empty"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is a change in the readers, from GetStatusChange.
type Event struct {
	Kind   EventKind
	Reader string
	ATR    []byte // CardInserted
	Err    error  // ServiceLost: why
}

func (e Event) String() string {
	if e.Reader == "" {
		return e.Kind.String()
	}
	return fmt.Sprintf("%s %q", e.Kind, e.Reader)
}

// Watch reports reader and card events for the readers matching filter
// until ctx is done, then closes the channel. It first reports what is
// there already (ReaderAdded, then CardInserted for a card present or
// ReaderEmpty for an empty reader), so a caller that needs a card to be
// there learns at once that it is not. It
// uses its own service context, cancelled through SCardCancel when ctx is
// done, and survives pcscd restarts (ServiceLost … ServiceRestored).
// Slow receivers delay it; they lose nothing.
func (c *Context) Watch(ctx context.Context, filter string) <-chan Event {
	ch := make(chan Event)
	w := &watcher{sys: c.sys, filter: filter, out: ch, known: map[string]*watched{}}
	go w.run(ctx)
	return ch
}

// WaitCard waits until a card is in a reader matching filter (at once if
// one is there already) and returns the reader and the card's ATR.
func (c *Context) WaitCard(ctx context.Context, filter string) (reader string, atr []byte, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := c.Watch(wctx, filter)
	defer func() {
		cancel()
		for range ch { // let the watcher finish
		}
	}()
	for ev := range ch {
		if ev.Kind == CardInserted {
			return ev.Reader, ev.ATR, nil
		}
	}
	return "", nil, ctx.Err()
}

// watched is what the watcher knows of a reader: the last event state
// the service reported (the next call's current state) and whether it
// reported a card.
type watched struct {
	raw     uint32
	card    bool
	settled bool // its first known state was reported (card or ReaderEmpty)
}

type watcher struct {
	sys    sysAPI
	filter string
	out    chan<- Event
	known  map[string]*watched

	mu      sync.Mutex
	current sysContext
}

func (w *watcher) emit(ctx context.Context, ev Event) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *watcher) setCurrent(sc sysContext) {
	w.mu.Lock()
	w.current = sc
	w.mu.Unlock()
}

// canceller unblocks GetStatusChange once ctx is done. SCardCancel only
// affects a call in progress, so it is repeated until the loop has seen
// ctx.
func (w *watcher) canceller(ctx context.Context, done <-chan struct{}) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	for {
		w.mu.Lock()
		if w.current != nil {
			_ = w.current.cancel()
		}
		w.mu.Unlock()
		select {
		case <-done:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	done := make(chan struct{})
	defer close(done)
	go w.canceller(ctx, done)

	backoff := 100 * time.Millisecond
	lost := false
	for ctx.Err() == nil {
		sc, err := w.sys.establish()
		if err != nil {
			if !lost {
				lost = true
				if !w.emit(ctx, Event{Kind: ServiceLost, Err: err}) {
					return
				}
			}
			if errors.Is(err, ErrNoBackend) {
				<-ctx.Done()
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		if lost {
			lost = false
			if !w.emit(ctx, Event{Kind: ServiceRestored}) {
				_ = sc.release()
				return
			}
		}
		backoff = 100 * time.Millisecond
		w.setCurrent(sc)
		err = w.loop(ctx, sc)
		w.setCurrent(nil)
		_ = sc.release()
		if ctx.Err() != nil {
			return
		}
		// The service went away: every reader is gone with it.
		lost = true
		if !w.emit(ctx, Event{Kind: ServiceLost, Err: err}) || !w.forgetAll(ctx) {
			return
		}
	}
}

// forgetAll reports every known reader (and card) as removed.
func (w *watcher) forgetAll(ctx context.Context) bool {
	for name, st := range w.known {
		if st.card && !w.emit(ctx, Event{Kind: CardRemoved, Reader: name}) {
			return false
		}
		if !w.emit(ctx, Event{Kind: ReaderRemoved, Reader: name}) {
			return false
		}
		delete(w.known, name)
	}
	return true
}

// loop watches on one service context until the service is lost (the
// error is returned) or ctx is done.
func (w *watcher) loop(ctx context.Context, sc sysContext) error {
	pnp := readerState{reader: pnpReader}
	for ctx.Err() == nil {
		all, err := sc.listReaders()
		if err != nil && !errors.Is(err, ErrNoReader) {
			return err
		}
		if !w.syncReaders(ctx, all) {
			return nil
		}
		states := make([]readerState, 0, len(w.known)+1)
		for name, st := range w.known {
			states = append(states, readerState{reader: name, currentState: st.raw})
		}
		pnp.currentState = uint32(len(all)) << 16
		states = append(states, pnp)
		err = sc.getStatusChange(states, -1)
		switch {
		case err == nil:
		case errors.Is(err, errCancelled) || errors.Is(err, errTimeout):
			continue
		case errors.Is(err, ErrReaderUnavailable):
			continue // a reader went away: list again
		default:
			return err
		}
		for _, st := range states {
			if st.reader == pnpReader {
				continue
			}
			if !w.update(ctx, st) {
				return nil
			}
		}
	}
	return nil
}

// syncReaders reports readers that appeared or went away.
func (w *watcher) syncReaders(ctx context.Context, all []string) bool {
	present := map[string]bool{}
	for _, r := range all {
		if !MatchReader(r, w.filter) {
			continue
		}
		present[r] = true
		if _, ok := w.known[r]; !ok {
			w.known[r] = &watched{}
			if !w.emit(ctx, Event{Kind: ReaderAdded, Reader: r}) {
				return false
			}
		}
	}
	for name, st := range w.known {
		if present[name] {
			continue
		}
		if st.card && !w.emit(ctx, Event{Kind: CardRemoved, Reader: name}) {
			return false
		}
		delete(w.known, name)
		if !w.emit(ctx, Event{Kind: ReaderRemoved, Reader: name}) {
			return false
		}
	}
	return true
}

// update compares a reader's new state with the known one. The upper 16
// bits of the event state count card events (pcsc-lite), so a card pulled
// and reinserted between two calls is reported as both.
func (w *watcher) update(ctx context.Context, st readerState) bool {
	old, ok := w.known[st.reader]
	if !ok || st.eventState&stateChanged == 0 {
		return true
	}
	raw := st.eventState &^ stateChanged
	if raw&(stateUnknown|stateUnavailable) != 0 {
		old.raw = raw
		return true // gone: the next listReaders reports it
	}
	isIn := raw&statePresent != 0 && raw&stateMute == 0
	first := !old.settled
	counted := old.raw != 0 && old.raw>>16 != raw>>16
	if old.card && (!isIn || counted) {
		if !w.emit(ctx, Event{Kind: CardRemoved, Reader: st.reader}) {
			return false
		}
		old.card = false
	}
	if isIn && !old.card {
		if !w.emit(ctx, Event{Kind: CardInserted, Reader: st.reader, ATR: bytes.Clone(st.atr)}) {
			return false
		}
		old.card = true
	}
	if first && !isIn && !w.emit(ctx, Event{Kind: ReaderEmpty, Reader: st.reader}) {
		return false
	}
	old.raw, old.settled = raw, true
	return true
}
