package emulator

import (
	"context"
	"strings"
	"sync"

	"kofu/cardreader"
)

// CardReader is emulator mode's card reader: the test resident's card
// (a CardSlot) is placed on it and pulled off again, as a resident does
// at a store machine. It is the card source of the kiosk's card loop
// (terminal/host): Watch reports the card arriving and leaving as PC/SC
// does, and Open connects to the card in it. A pulled card answers every
// command with cardreader.ErrCardRemoved; placed again it is the same
// card, its PIN counter kept, unpowered (a verified PIN is gone).
type CardReader struct {
	slot *CardSlot

	mu      sync.Mutex
	present bool
	gen     int           // counts the changes
	changed chan struct{} // closed and replaced at every change
}

// NewCardReader is an empty reader for slot's card: the resident has not
// placed it yet.
func NewCardReader(slot *CardSlot) *CardReader {
	slot.ec.Remove()
	return &CardReader{slot: slot, changed: make(chan struct{})}
}

// Name is the reader's name.
func (r *CardReader) Name() string { return r.slot.reader }

// Present reports whether the card is on the reader.
func (r *CardReader) Present() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.present
}

// Place puts the card on the reader (nothing when it is there).
func (r *CardReader) Place() { r.set(true) }

// Pull takes the card off the reader (nothing when it is not there); a
// session using it sees its commands fail as removed.
func (r *CardReader) Pull() { r.set(false) }

// Toggle places the card when the reader is empty and pulls it when it is
// there; it reports whether the card is now on the reader. It does not
// block (the customer UI calls it on its event loop).
func (r *CardReader) Toggle() bool {
	r.mu.Lock()
	present := !r.present
	r.mu.Unlock()
	r.set(present)
	return present
}

func (r *CardReader) set(present bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.present == present {
		return
	}
	r.present = present
	r.gen++
	if present {
		r.slot.ec.Insert()
	} else {
		r.slot.ec.Remove()
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// state is the card's presence, the count of changes and the channel
// closed at the next change.
func (r *CardReader) state() (bool, int, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.present, r.gen, r.changed
}

// Readers lists the reader when its name contains filter.
func (r *CardReader) Readers(_ context.Context, filter string) ([]string, error) {
	if !strings.Contains(r.Name(), filter) {
		return nil, cardreader.ErrNoReader
	}
	return []string{r.Name()}, nil
}

// Watch reports the card's arrivals and departures until ctx ends, then
// closes the channel; first what is there already (the reader, then the
// card when present or ReaderEmpty when not), as cardreader.Context.Watch
// does. A filter the reader's name does not contain matches nothing.
func (r *CardReader) Watch(ctx context.Context, filter string) <-chan cardreader.Event {
	ch := make(chan cardreader.Event)
	go func() {
		defer close(ch)
		if !strings.Contains(r.Name(), filter) {
			<-ctx.Done()
			return
		}
		emit := func(k cardreader.EventKind) bool {
			select {
			case ch <- cardreader.Event{Kind: k, Reader: r.Name()}:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !emit(cardreader.ReaderAdded) {
			return
		}
		reported, seen := false, -1
		for {
			present, gen, changed := r.state()
			if gen != seen {
				// A card pulled and placed again between two looks is
				// reported as both, as PC/SC's event counter would.
				if reported && (!present || gen-seen > 1) {
					if !emit(cardreader.CardRemoved) {
						return
					}
					reported = false
				}
				if present && !reported {
					if !emit(cardreader.CardInserted) {
						return
					}
					reported = true
				}
				if !present && seen < 0 && !emit(cardreader.ReaderEmpty) {
					return
				}
				seen = gen
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// Open connects to the card on the reader for one session through the
// real cardreader code; cardreader.ErrNoCard when the reader is empty.
func (r *CardReader) Open(ctx context.Context, reader string, o *cardreader.Options) (*cardreader.Card, error) {
	if reader != r.Name() {
		return nil, cardreader.ErrReaderUnavailable
	}
	return cardreader.Open(ctx, r.slot.ec.Dialer(reader), o)
}
