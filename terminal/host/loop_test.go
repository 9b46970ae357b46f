package host_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/host"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// fakeUI records what the card loop asks of the customer UI; its panel
// backs out of the document choice (or waits there) and its finish
// screen waits for the card as the real one does.
type fakeUI struct {
	events chan string
	// choose is the resident at the document choice.
	choose func(ctx context.Context) (terminal.Order, error)
}

func (u *fakeUI) Ready(ctx context.Context) error { return ctx.Err() }

func (u *fakeUI) Welcome(ctx context.Context) error {
	u.events <- "welcome"
	<-ctx.Done()
	return nil
}

func (u *fakeUI) Panel(gone <-chan struct{}) terminal.Panel { return &fakePanel{u: u, gone: gone} }

func (u *fakeUI) CardLeft(ctx context.Context, r terminal.Result) {
	u.events <- "left " + string(r.Reason)
	<-ctx.Done()
	u.events <- "taken"
}

type fakePanel struct {
	u    *fakeUI
	gone <-chan struct{}
}

func (p *fakePanel) Choose(ctx context.Context) (terminal.Order, error) { return p.u.choose(ctx) }
func (p *fakePanel) PIN(context.Context, int) ([]byte, error)           { return nil, terminal.ErrCancelled }
func (p *fakePanel) Pay(context.Context, int) error                     { return terminal.ErrCancelled }
func (p *fakePanel) Members(context.Context, []terminal.Member) ([]int, error) {
	return nil, terminal.ErrCancelled
}
func (p *fakePanel) Progress(terminal.Progress) {}

func (p *fakePanel) Finish(ctx context.Context, r terminal.Result) {
	out := "in"
	select {
	case <-p.gone:
		out = "out"
	default:
	}
	p.u.events <- fmt.Sprintf("finish %s card-%s", r.Reason, out)
	select {
	case <-p.gone:
		p.u.events <- "finish: card gone"
	case <-ctx.Done():
		p.u.events <- "finish: time out"
	}
}

// notJPKI is a reader whose card is no My Number card.
type notJPKI struct{ *emulator.CardReader }

func (notJPKI) Open(context.Context, string, *cardreader.Options) (*cardreader.Card, error) {
	return nil, cardreader.ErrNotJPKI
}

// TestLoop drives the card loop with the emulator's card reader and real
// sessions against the emulated center: a card pulled mid-session ends
// it as a removal; the finish screen waits for the card, not a key; a
// card left past the finish time gets the staff's screen until it is
// taken out, and the welcome screen never shows over it.
func TestLoop(t *testing.T) {
	back := func(context.Context) (terminal.Order, error) { return terminal.Order{}, terminal.ErrCancelled }
	cases := []struct {
		name   string
		opener func(*emulator.CardReader) host.Events
		choose func(r *emulator.CardReader) func(context.Context) (terminal.Order, error)
		// act is what the test does once the finish screen shows.
		act    func(t *testing.T, r *emulator.CardReader, next func() string)
		finish string   // the finish screen as it opens
		want   []string // events, in order, after act
		result string   // outcome/reason
	}{
		{
			name: "pulled mid-session",
			choose: func(r *emulator.CardReader) func(context.Context) (terminal.Order, error) {
				return func(ctx context.Context) (terminal.Order, error) {
					r.Pull()
					<-ctx.Done()
					return terminal.Order{}, ctx.Err()
				}
			},
			finish: "finish card-removed card-out",
			want:   []string{"finish: card gone", "welcome"},
			result: "cancelled/card-removed",
		},
		{
			name:   "pulled at the finish screen",
			choose: func(*emulator.CardReader) func(context.Context) (terminal.Order, error) { return back },
			act: func(t *testing.T, r *emulator.CardReader, next func() string) {
				time.Sleep(100 * time.Millisecond) // a moment at the screen: nothing happens without the card leaving
				r.Pull()
			},
			finish: "finish choose-cancelled card-in",
			want:   []string{"finish: card gone", "welcome"},
			result: "cancelled/choose-cancelled",
		},
		{
			name:   "left in the reader",
			choose: func(*emulator.CardReader) func(context.Context) (terminal.Order, error) { return back },
			finish: "finish choose-cancelled card-in",
			act: func(t *testing.T, r *emulator.CardReader, next func() string) {
				for _, want := range []string{"finish: time out", "left choose-cancelled"} {
					if got := next(); got != want {
						t.Fatalf("%q, want %q", got, want)
					}
				}
				time.Sleep(300 * time.Millisecond) // the staff's screen stays; no welcome screen
				r.Pull()
			},
			want:   []string{"taken", "welcome"},
			result: "cancelled/choose-cancelled",
		},
		{
			name:   "not a My Number card, taken",
			opener: func(r *emulator.CardReader) host.Events { return notJPKI{r} },
			finish: "finish card-certificate card-in",
			act: func(t *testing.T, r *emulator.CardReader, next func() string) {
				r.Pull()
			},
			want:   []string{"finish: card gone", "welcome"},
			result: "failed/card-certificate",
		},
		{
			name:   "not a My Number card, left",
			opener: func(r *emulator.CardReader) host.Events { return notJPKI{r} },
			finish: "finish card-certificate card-in",
			act: func(t *testing.T, r *emulator.CardReader, next func() string) {
				for _, want := range []string{"finish: time out", "left card-certificate"} {
					if got := next(); got != want {
						t.Fatalf("%q, want %q", got, want)
					}
				}
				r.Pull()
			},
			want:   []string{"taken", "welcome"},
			result: "failed/card-certificate",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			res, _ := env.Fixtures.Resident("R0001")
			slot, err := emulator.NewCardSlot(env.Fixtures, res)
			if err != nil {
				t.Fatal(err)
			}
			reader := emulator.NewCardReader(slot)
			dir := t.TempDir()
			j, _, err := journal.Open(filepath.Join(dir, "journal"), bytes.Repeat([]byte{3}, 32), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			sink, err := emulator.NewPrinter(ctx, dir, "")
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			u := &fakeUI{events: make(chan string, 16), choose: back}
			if tc.choose != nil {
				u.choose = tc.choose(reader)
			}
			var events host.Events = reader
			if tc.opener != nil {
				events = tc.opener(reader)
			}
			results := make(chan terminal.Result, 2)
			loop := &host.Loop{Reader: &host.Reader{PC: events}, UI: u, Finish: 500 * time.Millisecond,
				Kiosk: func() *terminal.Kiosk {
					k := env.Kiosk(sink, payment.NewCoins(), j)
					k.Timeouts = terminal.Timeouts{Finish: 500 * time.Millisecond}
					return k
				},
				OnResult: func(r terminal.Result) { results <- r }}
			done := make(chan error, 1)
			go func() { done <- loop.Run(ctx) }()
			next := func() string {
				t.Helper()
				select {
				case ev := <-u.events:
					return ev
				case <-time.After(20 * time.Second):
					t.Fatal("the loop asked nothing more of the UI")
				}
				return ""
			}
			if ev := next(); ev != "welcome" {
				t.Fatalf("first %q", ev)
			}
			reader.Place()
			if ev := next(); ev != tc.finish {
				t.Fatalf("%q, want %q", ev, tc.finish)
			}
			if tc.act != nil {
				tc.act(t, reader, next)
			}
			for _, want := range tc.want {
				if got := next(); got != want {
					t.Fatalf("%q, want %q", got, want)
				}
			}
			select {
			case r := <-results:
				if got := string(r.Outcome) + "/" + string(r.Reason); got != tc.result {
					t.Fatalf("result %s, want %s", got, tc.result)
				}
				if r.Outcome == protocol.ResultPrinted {
					t.Fatal("printed")
				}
			default:
				t.Fatal("no result")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("Run: %v", err)
			}
		})
	}
}

// quitUI quits at once, or after the welcome screen said the kiosk is no
// longer ready.
type quitUI struct {
	fakeUI
	readies int
}

func (u *quitUI) Ready(context.Context) error {
	u.readies++
	if u.readies > 1 {
		return host.ErrQuit
	}
	return nil
}

func (u *quitUI) Welcome(context.Context) error { return host.ErrNotReady }

// TestLoopQuits: the UI's quit ends Run without error; a welcome screen
// that is no longer ready sends the loop back to Ready.
func TestLoopQuits(t *testing.T) {
	u := &quitUI{}
	loop := &host.Loop{Reader: &host.Reader{PC: &emptyReader{}}, UI: u}
	if err := loop.Run(context.Background()); err != nil || u.readies != 2 {
		t.Fatalf("Run: %v after %d Ready", err, u.readies)
	}
	stopped := errors.New("UI stopped")
	loop.UI = &failingUI{err: stopped}
	if err := loop.Run(context.Background()); !errors.Is(err, stopped) {
		t.Fatalf("Run: %v", err)
	}
}

type failingUI struct {
	fakeUI
	err error
}

func (u *failingUI) Welcome(context.Context) error { return u.err }

// emptyReader never has a card.
type emptyReader struct{}

func (emptyReader) Watch(ctx context.Context, _ string) <-chan cardreader.Event {
	ch := make(chan cardreader.Event)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

func (emptyReader) Open(context.Context, string, *cardreader.Options) (*cardreader.Card, error) {
	return nil, cardreader.ErrNoCard
}
