package emucard

import (
	"context"
	"fmt"

	"kofu/cardreader"
)

// Dialer returns a cardreader.Dialer for the card in an in-process reader
// named reader: connecting powers the card (if it is in), closing with
// reset resets it, and exclusive access changes nothing (there is no
// other application).
func (c *Card) Dialer(reader string) cardreader.Dialer { return &dialer{c: c, reader: reader} }

type dialer struct {
	c      *Card
	reader string
}

func (d *dialer) Reader() string { return d.reader }

func (d *dialer) Dial(ctx context.Context) (cardreader.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	if d.c.removed {
		return nil, fmt.Errorf("emucard: %w", cardreader.ErrNoCard)
	}
	if !d.c.powered {
		d.c.powerOnLocked()
	}
	return &conn{c: d.c}, nil
}

type conn struct {
	c      *Card
	closed bool
}

func (k *conn) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	if k.closed {
		return nil, fmt.Errorf("emucard: transmit on a closed connection")
	}
	if k.c.opts.ShortReader {
		if cmd, err := ParseCommand(apdu); err == nil && cmd.Extended {
			return nil, fmt.Errorf("emucard: the reader carries short APDUs only (%d-byte command)", len(apdu))
		}
	}
	return k.c.Transmit(ctx, apdu)
}

func (k *conn) ATR() []byte { return k.c.ATR() }

// ExtendedLength reports whether the reader carries extended-length
// APDUs (not with Options.ShortReader).
func (k *conn) ExtendedLength() bool { return !k.c.opts.ShortReader }

func (k *conn) Reconnect(ctx context.Context, exclusive bool) error {
	if !k.c.Present() {
		return fmt.Errorf("emucard: %w", cardreader.ErrCardRemoved)
	}
	return ctx.Err()
}

func (k *conn) Close(unpower bool) error {
	k.closed = true
	if unpower && k.c.Present() {
		k.c.PowerOff() // the next Dial powers it up again
	}
	return nil
}
