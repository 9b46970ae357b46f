package cardreader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The PC/SC system under a Context: libpcsclite through ebfe/scard when
// built with cgo (pcsc_scard.go), a stub that answers ErrNoBackend
// otherwise (pcsc_nocgo.go). Errors it returns are *PCSCError.
type sysAPI interface {
	establish() (sysContext, error)
}

type sysContext interface {
	listReaders() ([]string, error)
	// getStatusChange waits for a change of states (timeout < 0: forever)
	// and updates their event states and ATRs.
	getStatusChange(states []readerState, timeout time.Duration) error
	// cancel unblocks a getStatusChange in another goroutine.
	cancel() error
	connect(reader string, exclusive bool) (sysCard, error)
	release() error
}

type sysCard interface {
	transmit(apdu []byte) ([]byte, error)
	// beginTransaction waits until no other handle holds a transaction on
	// the card, then holds one; endTransaction releases it, leaving the
	// card as it is.
	beginTransaction() error
	endTransaction() error
	reconnect(exclusive bool) error
	status() (atr []byte, err error)
	disconnect(unpower bool) error
}

// readerState mirrors SCARD_READERSTATE.
type readerState struct {
	reader       string
	currentState uint32
	eventState   uint32
	atr          []byte
}

// SCARD_STATE_* flags (the same values in pcsc-lite and WinSCard).
const (
	stateChanged     = 0x0002
	stateUnknown     = 0x0004
	stateUnavailable = 0x0008
	stateEmpty       = 0x0010
	statePresent     = 0x0020
	stateMute        = 0x0200
)

// pnpReader is the pseudo-reader whose state changes when readers are
// added or removed.
const pnpReader = `\\?PnP?\Notification`

// Context is kofu's connection to the PC/SC service (pcscd). It is
// established on first use and again after the service restarts, so a
// kiosk survives a pcscd restart without restarting itself. It is safe
// for concurrent use.
type Context struct {
	sys sysAPI

	mu     sync.Mutex
	sc     sysContext
	closed bool
}

// NewContext returns a Context over the PC/SC service. Without cgo it
// fails with ErrNoBackend. It does not need pcscd to be running yet.
func NewContext() (*Context, error) {
	sys, err := newSys()
	if err != nil {
		return nil, err
	}
	return &Context{sys: sys}, nil
}

// Close releases the service context. Cards opened through it stop
// working.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.sc == nil {
		return nil
	}
	err := c.sc.release()
	c.sc = nil
	return err
}

// do runs fn on the established service context. If the service was
// restarted (ErrNoService), the context is established again and fn runs
// once more.
func (c *Context) do(fn func(sysContext) error) error {
	for attempt := 0; ; attempt++ {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return errors.New("cardreader: context closed")
		}
		if c.sc == nil {
			sc, err := c.sys.establish()
			if err != nil {
				c.mu.Unlock()
				return err
			}
			c.sc = sc
		}
		sc := c.sc
		c.mu.Unlock()
		err := fn(sc)
		if err == nil || attempt > 0 || !errors.Is(err, ErrNoService) {
			return err
		}
		c.mu.Lock()
		if c.sc == sc {
			_ = sc.release()
			c.sc = nil
		}
		c.mu.Unlock()
	}
}

// MatchReader reports whether reader matches filter: a case-insensitive
// substring; the empty filter matches every reader.
func MatchReader(reader, filter string) bool {
	return strings.Contains(strings.ToLower(reader), strings.ToLower(filter))
}

// Readers lists the readers whose names match filter, sorted.
func (c *Context) Readers(ctx context.Context, filter string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []string
	err := c.do(func(sc sysContext) error {
		var err error
		all, err = sc.listReaders()
		return err
	})
	if errors.Is(err, ErrNoReader) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range all {
		if MatchReader(r, filter) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Dialer returns a Dialer for the card in reader.
func (c *Context) Dialer(reader string) Dialer { return &pcscDialer{c: c, reader: reader} }

// Open opens the card in reader (see the package function Open).
func (c *Context) Open(ctx context.Context, reader string, o *Options) (*Card, error) {
	return Open(ctx, c.Dialer(reader), o)
}

// OpenFirst opens the card in the first reader matching filter that
// holds a JPKI card. It fails with ErrNoReader when no reader matches,
// ErrNoCard when none holds a card, or the error of the last card tried.
func (c *Context) OpenFirst(ctx context.Context, filter string, o *Options) (*Card, error) {
	readers, err := c.Readers(ctx, filter)
	if err != nil {
		return nil, err
	}
	if len(readers) == 0 {
		return nil, fmt.Errorf("%w for %q", ErrNoReader, filter)
	}
	last := fmt.Errorf("%w in %s", ErrNoCard, strings.Join(readers, ", "))
	for _, r := range readers {
		card, err := c.Open(ctx, r, o)
		if err == nil {
			return card, nil
		}
		if !errors.Is(err, ErrNoCard) {
			last = err
		}
	}
	return nil, last
}

type pcscDialer struct {
	c      *Context
	reader string
}

func (d *pcscDialer) Reader() string { return d.reader }

// Dial connects shared, waiting up to 2 s while another application
// holds the card exclusively.
func (d *pcscDialer) Dial(ctx context.Context) (Conn, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var card sysCard
		err := d.c.do(func(sc sysContext) error {
			var err error
			card, err = sc.connect(d.reader, false)
			return err
		})
		if errors.Is(err, ErrSharingViolation) && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		atr, err := card.status()
		if err != nil {
			_ = card.disconnect(false)
			return nil, err
		}
		return &pcscConn{card: card, atr: atr}, nil
	}
}

type pcscConn struct {
	card sysCard
	atr  []byte
}

func (p *pcscConn) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(apdu) < 4 {
		return nil, fmt.Errorf("cardreader: command APDU of %d bytes", len(apdu))
	}
	r, err := p.card.transmit(apdu)
	var pe *PCSCError
	switch {
	case err == nil && len(r) < 2:
		// vpcd (and some drivers) answer a card pulled mid-command with
		// an empty response.
		return nil, p.probe(ctx, fmt.Errorf("%w: response of %d bytes", ErrMalformed, len(r)))
	case errors.As(err, &pe) && pe.Kind == nil:
		// SCARD_E_NOT_TRANSACTED and the like: was the card pulled?
		return nil, p.probe(ctx, err)
	}
	return r, err
}

// probe asks the service, for up to 1.5 s (its polling of readers
// without events takes up to 400 ms), whether the card was removed; if
// so the error says so, else orig stands.
func (p *pcscConn) probe(ctx context.Context, orig error) error {
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		_, err := p.card.status()
		switch {
		case errors.Is(err, ErrCardRemoved), errors.Is(err, ErrNoCard):
			return fmt.Errorf("%w (%v)", err, orig)
		case err != nil && !errors.Is(err, ErrCardUnresponsive):
			return err
		}
		if time.Now().After(deadline) {
			return orig
		}
		select {
		case <-ctx.Done():
			return orig
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *pcscConn) ATR() []byte { return p.atr }

// BeginTransaction is SCardBeginTransaction. pcsc-lite's client library
// waits inside the call while another application holds a transaction on
// the card (it cannot be interrupted; ctx is checked before), so kofu's
// wait is bounded by the other application's own sequence.
func (p *pcscConn) BeginTransaction(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.card.beginTransaction()
}

// EndTransaction is SCardEndTransaction with SCARD_LEAVE_CARD.
func (p *pcscConn) EndTransaction() error { return p.card.endTransaction() }

// ExtendedLength reports true: pcsc-lite carries extended-length APDUs to
// readers that take them, and what a reader cannot carry fails (or the
// card answers 6700), after which the Card keeps to short APDUs.
func (p *pcscConn) ExtendedLength() bool { return true }

func (p *pcscConn) Reconnect(ctx context.Context, exclusive bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.card.reconnect(exclusive)
}

func (p *pcscConn) Close(unpower bool) error { return p.card.disconnect(unpower) }
