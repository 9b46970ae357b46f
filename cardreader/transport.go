package cardreader

import (
	"context"
	"fmt"
)

// Transmitter sends one command APDU to a card and returns its response
// APDU (data and status word). It is the seam between the JPKI logic and
// what carries the APDUs: PC/SC, or an emulated card in the same process.
// Errors about the link (not status words) should wrap the sentinels of
// this package (ErrCardRemoved, ErrCardReset, ErrNoService, ...).
type Transmitter interface {
	Transmit(ctx context.Context, apdu []byte) ([]byte, error)
}

// Conn is one connection to the card in a reader.
type Conn interface {
	Transmitter
	// ATR is the card's answer to reset as the reader reported it.
	ATR() []byte
	// Reconnect switches the connection between shared and exclusive
	// access on the same handle, leaving the card as it is. It also
	// acknowledges a reset reported by ErrCardReset.
	Reconnect(ctx context.Context, exclusive bool) error
	// Close ends the connection; with unpower the card is powered down
	// (PC/SC UnpowerCard), the one disconnect after which a real card
	// keeps no verified PIN (a warm reset does not clear it).
	Close(unpower bool) error
}

// Transactor is implemented by a Conn whose card other applications can
// reach between two of its APDUs (PC/SC shared access). Between
// BeginTransaction and EndTransaction no other application's APDU reaches
// the card. A Card runs every multi-APDU sequence inside one, and starts
// each by selecting the applet again: what another application selected
// in between is never trusted. In-process connections (NewDialer, the
// emulated card's Dialer) have no other application and need none.
type Transactor interface {
	BeginTransaction(ctx context.Context) error
	EndTransaction() error
}

// ExtendedLengthConn is implemented by a Conn that knows whether its
// reader carries extended-length APDUs. A Conn without it is assumed to
// (the card's 6700 or 6Cxx, or a failed transmit, then turns them off).
type ExtendedLengthConn interface {
	ExtendedLength() bool
}

// Dialer opens connections to the card in one reader.
type Dialer interface {
	Reader() string
	Dial(ctx context.Context) (Conn, error)
}

// Resetter is implemented by in-process cards that can be reset; see
// NewDialer.
type Resetter interface {
	Reset()
}

// NewDialer returns a Dialer over a Transmitter in the same process (an
// emulated card, or a test wrapper around one): Reconnect does nothing,
// and Close with reset calls t.Reset if t is a Resetter.
func NewDialer(reader string, t Transmitter, atr []byte) Dialer {
	return &directDialer{reader: reader, t: t, atr: append([]byte(nil), atr...)}
}

type directDialer struct {
	reader string
	t      Transmitter
	atr    []byte
}

func (d *directDialer) Reader() string { return d.reader }

func (d *directDialer) Dial(ctx context.Context) (Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &directConn{d: d}, nil
}

type directConn struct {
	d      *directDialer
	closed bool
}

func (c *directConn) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if c.closed {
		return nil, fmt.Errorf("cardreader: transmit on a closed connection")
	}
	return c.d.t.Transmit(ctx, apdu)
}

func (c *directConn) ATR() []byte { return c.d.atr }

func (c *directConn) Reconnect(ctx context.Context, exclusive bool) error { return ctx.Err() }

func (c *directConn) Close(unpower bool) error {
	c.closed = true
	if !unpower {
		return nil
	}
	if p, ok := c.d.t.(PowerOffer); ok {
		p.PowerOff()
	} else if r, ok := c.d.t.(Resetter); ok {
		r.Reset()
	}
	return nil
}

// PowerOffer is a Transmitter that can be powered down (Close with
// unpower), as an in-process emulated card can.
type PowerOffer interface {
	PowerOff()
}
