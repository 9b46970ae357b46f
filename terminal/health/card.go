package health

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"kofu/cardreader"
)

// Card is what the applet check reads from a card; nothing of it needs
// the PIN (*cardreader.Card).
type Card interface {
	Reader() string
	ATR() []byte
	Token(ctx context.Context) (cardreader.Token, error)
	AuthCertificate(ctx context.Context) (*x509.Certificate, error)
	AuthPINRetries(ctx context.Context) (int, error)
	Close() error
}

// CardOpener opens the card to check, tracing its APDUs to trace when
// trace is not nil. It fails with cardreader.ErrNoCard when no card is
// inserted.
type CardOpener func(ctx context.Context, trace io.Writer) (Card, error)

// PCSCCard opens the first card in a PC/SC reader matching filter.
func PCSCCard(pc *cardreader.Context, filter string) CardOpener {
	return func(ctx context.Context, trace io.Writer) (Card, error) {
		c, err := pc.OpenFirst(ctx, filter, &cardreader.Options{Trace: trace})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// DialerCard opens the card behind one dialer (emulator mode's
// in-process reader).
func DialerCard(d cardreader.Dialer) CardOpener {
	return func(ctx context.Context, trace io.Writer) (Card, error) {
		c, err := cardreader.Open(ctx, d, &cardreader.Options{Trace: trace})
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// OneAtATime lets one card opened through open be in use at a time: the
// next open waits until the card opened before is closed. PC/SC shared
// access has no transactions here, so two checks of the same card (the
// technician UI's overview and its reader screen) would otherwise
// interleave their SELECTs and READ BINARYs.
func OneAtATime(open CardOpener) CardOpener {
	sem := make(chan struct{}, 1)
	return func(ctx context.Context, trace io.Writer) (Card, error) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c, err := open(ctx, trace)
		if err != nil {
			<-sem
			return nil, err
		}
		return &heldCard{Card: c, release: func() { <-sem }}, nil
	}
}

// heldCard releases its turn when closed.
type heldCard struct {
	Card
	once    sync.Once
	release func()
}

func (h *heldCard) Close() error {
	err := h.Card.Close()
	h.once.Do(h.release)
	return err
}

// CardInfo is what the applet check saw. It holds no PIN and nothing that
// needs one.
type CardInfo struct {
	Reader    string
	ATR       []byte
	Token     cardreader.Token
	Subject   string
	Issuer    string
	Serial    string // hexadecimal
	NotBefore time.Time
	NotAfter  time.Time
	Tries     int // PIN tries left (-1: unknown)
}

// ProbeCard opens the inserted card, selects the JPKI applet and reads
// the token label, the user-authentication certificate and the PIN tries
// left, all without the PIN (VERIFY without data spends no try).
func ProbeCard(ctx context.Context, open CardOpener, trace io.Writer, now func() time.Time) (CardInfo, Result) {
	if now == nil {
		now = time.Now
	}
	info := CardInfo{Tries: -1}
	c, err := open(ctx, trace)
	if err != nil {
		return info, cardOpenFailure(err)
	}
	defer c.Close()
	info.Reader, info.ATR = c.Reader(), c.ATR()
	where := c.Reader()
	tok, err := c.Token(ctx)
	if err != nil {
		return info, fail("the JPKI applet in %s answers, but its token label cannot be read (%v): try another card; if every card fails, replace the reader", where, err)
	}
	info.Token = tok
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		if errors.Is(err, cardreader.ErrSecurityStatus) {
			return info, warn("%s: %s answers, but its certificate needs the PIN (a smartphone token): use a My Number test card to check the reader", where, tokenName(tok))
		}
		return info, fail("%s: the user-authentication certificate cannot be read (%v): try another card; if every card fails, replace the reader", where, err)
	}
	info.Subject, info.Issuer = cert.Subject.String(), cert.Issuer.String()
	info.Serial, info.NotBefore, info.NotAfter = cert.SerialNumber.Text(16), cert.NotBefore, cert.NotAfter
	n, err := c.AuthPINRetries(ctx)
	if err != nil {
		return info, fail("%s: the PIN status cannot be read (%v): try another card", where, err)
	}
	info.Tries = n
	summary := fmt.Sprintf("%s: %s, ATR % X, certificate valid until %s, PIN tries left %d",
		where, tokenName(tok), info.ATR, cert.NotAfter.UTC().Format("2006-01-02"), n)
	t := now()
	switch {
	case n == 0:
		return info, warn("%s: the card's PIN is blocked (only the municipal office unblocks it); the reader and applet work", summary)
	case t.After(cert.NotAfter):
		return info, warn("%s: the certificate has expired; the reader and applet work", summary)
	case t.Before(cert.NotBefore):
		return info, warn("%s: the certificate is not valid yet (is the kiosk clock right?)", summary)
	}
	return info, ok("%s", summary)
}

// cardOpenFailure explains why no card could be opened.
func cardOpenFailure(err error) Result {
	switch {
	case errors.Is(err, cardreader.ErrNoCard):
		return warn("no card inserted: insert a test card to check the JPKI applet (this check does not block the kiosk)")
	case errors.Is(err, cardreader.ErrNoReader):
		return warn("no reader to hold a card (see the reader check)")
	case errors.Is(err, cardreader.ErrNotJPKI):
		return fail("the inserted card does not answer the JPKI applet: it is not a My Number card, or it is inserted the wrong way; try the test card")
	case errors.Is(err, cardreader.ErrCardUnresponsive):
		return fail("the inserted card does not respond: clean its contacts or try another card; if every card fails, replace the reader")
	case errors.Is(err, cardreader.ErrSharingViolation):
		return warn("the card is in use by another application (a session in progress?): try again when it is idle")
	case errors.Is(err, cardreader.ErrNoService), errors.Is(err, cardreader.ErrNoBackend):
		return pcscFailure(err)
	}
	return fail("the inserted card cannot be opened: %v", err)
}

func tokenName(t cardreader.Token) string {
	switch t {
	case cardreader.TokenMyNumber:
		return "My Number card (" + string(t) + ")"
	case cardreader.TokenJuki:
		return "Juki card (" + string(t) + ")"
	case cardreader.TokenSmartphone:
		return "smartphone (" + string(t) + ")"
	}
	return fmt.Sprintf("unknown token %q", string(t))
}

// CardApplet checks that the card in the reader answers the JPKI applet.
// It is not blocking: with no card inserted it warns and asks for a test
// card.
func CardApplet(open CardOpener) Check {
	return Check{Name: "card", Run: func(ctx context.Context) Result {
		_, r := ProbeCard(ctx, open, nil, nil)
		return r
	}}
}

// Trace keeps the last lines of an APDU trace for the technician UI. The
// card reader code redacts VERIFY data before it writes a line, so no PIN
// can reach it; the applet check sends no PIN anyway.
type Trace struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial []byte
}

// NewTrace keeps at most n lines (default 200).
func NewTrace(n int) *Trace {
	if n <= 0 {
		n = 200
	}
	return &Trace{max: n}
}

// Write takes trace output; whole lines are kept.
func (t *Trace) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if over := len(t.lines) - t.max; over > 0 {
		t.lines = append([]string(nil), t.lines[over:]...)
	}
	return len(p), nil
}

// Reset forgets the trace (a new card operation starts).
func (t *Trace) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines, t.partial = nil, nil
}

// Lines returns the kept lines.
func (t *Trace) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}

// String is the trace as text.
func (t *Trace) String() string { return strings.Join(t.Lines(), "\n") }
