package cardreader

import (
	"context"
	"fmt"
	"time"
)

// exchange sends cmd and handles the transport-level status words: 6Cxx
// (wrong Le: a short command is re-sent once with the exact Le; an
// extended one is answered to the caller, which falls back to short
// APDUs) and 61xx (more data: GET RESPONSE until done).
func (c *Card) exchange(ctx context.Context, cmd command) ([]byte, SW, error) {
	data, sw, err := c.transmit(ctx, cmd.bytes())
	if err != nil {
		return nil, 0, err
	}
	if sw.SW1() == 0x6C && cmd.le >= 0 && !cmd.ext {
		cmd.le = sw.le()
		if data, sw, err = c.transmit(ctx, cmd.bytes()); err != nil {
			return nil, 0, err
		}
	}
	for i := 0; sw.SW1() == 0x61; i++ {
		if i == 64 || len(data) > 1<<16 {
			return nil, 0, fmt.Errorf("%w: endless GET RESPONSE chain", ErrMalformed)
		}
		more, sw2, err := c.transmit(ctx, getResponse(sw.le()).bytes())
		if err != nil {
			return nil, 0, err
		}
		data, sw = append(data, more...), sw2
	}
	return data, sw, nil
}

// transmit sends one APDU on the current connection.
func (c *Card) transmit(ctx context.Context, apdu []byte) ([]byte, SW, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if c.conn == nil {
		return nil, 0, fmt.Errorf("%w: not connected", ErrCardRemoved)
	}
	reader := c.d.Reader()
	c.tr.command(reader, apdu)
	t0 := time.Now()
	r, err := c.conn.Transmit(ctx, apdu)
	c.tr.response(reader, r, err, time.Since(t0))
	if err != nil {
		return nil, 0, c.linkErr(ctx, err)
	}
	data, sw, err := ParseResponse(r)
	if err != nil {
		c.drop(false)
		return nil, 0, err
	}
	return data, sw, nil
}
