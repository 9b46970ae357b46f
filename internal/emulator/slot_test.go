package emulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/internal/fixtures"
	"kofu/terminal"
)

func testReader(t *testing.T) *CardReader {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	slot, err := NewCardSlot(fx, res)
	if err != nil {
		t.Fatal(err)
	}
	return NewCardReader(slot)
}

// next is the next event on ch, or a failure after a second.
func next(t *testing.T, ch <-chan cardreader.Event) cardreader.Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(time.Second):
		t.Fatal("no event")
	}
	return cardreader.Event{}
}

// quiet fails if ch reports anything within a moment.
func quiet(t *testing.T, ch <-chan cardreader.Event) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %v", ev)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestCardReaderWatch: Watch reports what is there first, then every
// arrival and departure, as PC/SC does; a filter the name does not
// contain matches nothing.
func TestCardReaderWatch(t *testing.T) {
	r := testReader(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := r.Watch(ctx, "emulated")
	if ev := next(t, ch); ev.Kind != cardreader.ReaderAdded || ev.Reader != r.Name() {
		t.Fatalf("first %v", ev)
	}
	if ev := next(t, ch); ev.Kind != cardreader.ReaderEmpty {
		t.Fatalf("second %v, want reader-empty", ev) // empty at start: the resident places it
	}
	quiet(t, ch)
	steps := []struct {
		do   func()
		want []cardreader.EventKind
	}{
		{r.Place, []cardreader.EventKind{cardreader.CardInserted}},
		{r.Place, nil},
		{r.Pull, []cardreader.EventKind{cardreader.CardRemoved}},
		{r.Pull, nil},
		{func() { r.Toggle() }, []cardreader.EventKind{cardreader.CardInserted}},
		// Pulled and placed again before the watcher looks: both reported.
		{func() { r.Pull(); r.Place() }, []cardreader.EventKind{cardreader.CardRemoved, cardreader.CardInserted}},
	}
	for i, st := range steps {
		st.do()
		for _, k := range st.want {
			if ev := next(t, ch); ev.Kind != k {
				t.Fatalf("step %d: %v, want %v", i, ev, k)
			}
		}
		quiet(t, ch)
	}
	// A watch started now reports the card that is there.
	ch2 := r.Watch(ctx, "")
	if a, b := next(t, ch2), next(t, ch2); a.Kind != cardreader.ReaderAdded || b.Kind != cardreader.CardInserted {
		t.Fatalf("%v %v", a, b)
	}
	other := r.Watch(ctx, "Virtual PCD")
	quiet(t, other)
	cancel()
	for range ch { // closed once ctx ends
	}
	for range other {
	}
}

// TestCardReaderSessions: an empty reader opens no card; a pulled card
// fails as removed, as PC/SC would say; placed again it is the same card
// with the same PIN counter.
func TestCardReaderSessions(t *testing.T) {
	r := testReader(t)
	ctx := context.Background()
	if _, err := r.Open(ctx, r.Name(), nil); !errors.Is(err, cardreader.ErrNoCard) {
		t.Fatalf("open on an empty reader: %v", err)
	}
	if present := r.Toggle(); !present || !r.Present() {
		t.Fatal("Toggle did not place the card")
	}
	if _, err := r.Open(ctx, "another reader", nil); err == nil {
		t.Fatal("opened a card in another reader")
	}
	c, err := r.Open(ctx, r.Name(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthKey(ctx, []byte("0000")); err == nil {
		t.Fatal("a wrong PIN was accepted")
	}
	r.Pull()
	_, err = c.AuthPINRetries(ctx)
	var rm terminal.Removal
	if !errors.As(err, &rm) || !rm.CardRemoved() {
		t.Fatalf("a pulled card answered %v", err)
	}
	c.Close()
	r.Place()
	c, err = r.Open(ctx, r.Name(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.AuthPINRetries(ctx); n != 2 || err != nil {
		t.Fatalf("tries after one wrong PIN and a pull: %d, %v", n, err)
	}
	if rs, err := r.Readers(ctx, "emulated"); err != nil || len(rs) != 1 || rs[0] != r.Name() {
		t.Fatalf("Readers: %v %v", rs, err)
	}
}
