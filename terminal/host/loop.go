package host

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"kofu/cardreader"
	"kofu/protocol"
	"kofu/terminal"
)

// UI is the customer UI as the card loop drives it. The loop decides
// when a card came and went; the UI only shows it.
type UI interface {
	// Ready returns nil once the kiosk may take a card, showing why not
	// (out of service) until then. An error ends the loop: ctx ended, or
	// ErrQuit (the emulator's quit key).
	Ready(ctx context.Context) error
	// Welcome shows the idle screen until ctx ends (the loop saw a card
	// placed), then returns nil. It may return before: nil to be asked
	// again after Ready, ErrNotReady when a blocking check failed, or
	// ErrQuit to end the loop.
	Welcome(ctx context.Context) error
	// Panel is the resident's side of one session on a card; gone is
	// closed when the card leaves the reader, so that its finish screen
	// waits for the card itself rather than a key.
	Panel(gone <-chan struct{}) terminal.Panel
	// CardLeft shows, until ctx ends (the card was taken out), that the
	// card of the session that ended with r is still in the reader, for
	// the store's staff; then the screen is wiped.
	CardLeft(ctx context.Context, r terminal.Result)
}

// ErrQuit ends the card loop at the UI's request (emulator mode's quit
// key); a store machine's UI never returns it.
var ErrQuit = errors.New("host: quit")

// ErrNotReady ends the welcome screen when the kiosk can no longer take
// a card; the loop asks UI.Ready again.
var ErrNotReady = errors.New("host: not ready for a card")

// errPlaced ends the welcome screen when a card is on the reader.
var errPlaced = errors.New("host: a card was placed on the reader")

// Loop serves residents one card at a time, the same in emulator mode
// and on a store machine: the welcome screen while the reader is empty
// (and the kiosk ready), one session per card placed, its finish screen
// until the card leaves, and, for a card left in the reader past the
// finish screen's time, a screen for the staff until it is taken out.
// The welcome screen never shows over a card in the reader.
type Loop struct {
	Reader *Reader
	UI     UI
	// Kiosk builds the kiosk of one session.
	Kiosk func() *terminal.Kiosk
	// Finish bounds the finish screen of a card that could not be read
	// (sessions use their kiosk's Timeouts.Finish); zero: the default.
	Finish time.Duration
	// OnResult, when set, is told each session's result (tests, logs).
	OnResult func(terminal.Result)
	// Log, when set, is told of cards left in the reader and taken out.
	Log *slog.Logger
}

func (l *Loop) log() *slog.Logger {
	if l.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.Log
}

// Run serves cards until ctx ends or the UI quits (nil), or the UI fails
// (its error).
func (l *Loop) Run(ctx context.Context) error {
	for {
		if err := l.UI.Ready(ctx); err != nil {
			return l.end(ctx, err)
		}
		reader, err := l.welcome(ctx)
		switch {
		case err != nil:
			return l.end(ctx, err)
		case reader == "":
			continue
		}
		l.session(ctx, reader)
	}
}

// end is Run's result for err.
func (l *Loop) end(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, ErrQuit) {
		return nil
	}
	return err
}

// welcome shows the welcome screen until a card is placed (its reader),
// the UI asks to be made ready again (""), or it ends the loop (error).
func (l *Loop) welcome(ctx context.Context) (string, error) {
	wctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	placed := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if rd, err := l.Reader.waitCard(wctx); err == nil {
			placed <- rd
			stop(errPlaced)
		}
	}()
	err := l.UI.Welcome(wctx)
	stop(nil)
	wg.Wait()
	select {
	case rd := <-placed:
		return rd, nil
	default:
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if err != nil && !errors.Is(err, ErrNotReady) {
		return "", err
	}
	return "", nil
}

// session serves the card placed in reader.
func (l *Loop) session(ctx context.Context, reader string) {
	l.UI.Panel(nil).Progress(terminal.Progress{State: terminal.StateCard})
	p, err := l.Reader.open(ctx, reader)
	var ce *CardError
	switch {
	case errors.As(err, &ce) && removed(err):
		return // taken away again at once: nothing happened
	case errors.As(err, &ce):
		// The card does not answer as a My Number card: say so, and wait
		// for the resident to take it back.
		l.unreadable(ctx, reader)
		return
	case err != nil:
		return
	}
	r := l.Kiosk().Serve(p.Ctx, p.Card, l.UI.Panel(p.Gone()))
	left := !p.Removed()
	p.Close()
	if l.OnResult != nil {
		l.OnResult(r)
	}
	if left {
		l.cardLeft(ctx, reader, r)
	}
}

// removed reports whether opening a card failed because it was no
// longer there.
func removed(err error) bool {
	var r terminal.Removal
	return errors.Is(err, cardreader.ErrNoCard) || (errors.As(err, &r) && r.CardRemoved())
}

// unreadable tells the resident the card in reader cannot be read and
// waits for it to leave, as for a session.
func (l *Loop) unreadable(ctx context.Context, reader string) {
	r := terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-certificate", Payment: "none"}
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gone := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if l.Reader.Gone(gctx, reader) == nil {
			close(gone)
			cancel()
		}
	}()
	d := l.Finish
	if d <= 0 {
		d = terminal.DefaultTimeouts().Finish
	}
	fctx, fcancel := context.WithTimeout(ctx, d)
	l.UI.Panel(gone).Finish(fctx, r)
	fcancel()
	if l.OnResult != nil {
		l.OnResult(r)
	}
	select {
	case <-gone:
	default:
		l.UI.CardLeft(gctx, r) // gctx ends when the card is gone
	}
	cancel()
	wg.Wait()
}

// cardLeft shows the card-left screen for the session that ended with r
// until the card leaves reader (or ctx ends).
func (l *Loop) cardLeft(ctx context.Context, reader string, r terminal.Result) {
	l.log().Warn("a card was left in the reader after its session; the screen calls the staff until it is taken out",
		"session", r.Session, "reader", reader)
	defer func() {
		if ctx.Err() == nil {
			l.log().Info("the card left in the reader was taken out", "session", r.Session, "reader", reader)
		}
	}()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if l.Reader.Gone(gctx, reader) == nil {
			cancel()
		}
	}()
	l.UI.CardLeft(gctx, r)
	cancel()
	wg.Wait()
}
