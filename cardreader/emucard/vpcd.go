package emucard

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// vpcd control codes (a 1-byte message from vpcd).
const (
	vpcdPowerOff = 0
	vpcdPowerOn  = 1
	vpcdReset    = 2
	vpcdGetATR   = 4
)

// ServeVPCD plugs the card into a pcscd through vsmartcard-vpcd, which
// listens at addr (127.0.0.1:35963 for reader 0, 35964 for reader 1 in
// Debian's /etc/reader.conf.d/vpcd). The wire protocol: a 2-byte
// big-endian length, then the message; a 1-byte message is a control
// code (0 power off, 1 power on, 2 reset, 4 get ATR, answered with the
// ATR), a longer one a command APDU, answered with the response APDU.
//
// It keeps the card in the reader until ctx is done: when the connection
// drops (pcscd restarted) it connects again every 200 ms; while the card
// is pulled (Remove, Faults.RemoveOn) it stays away until Insert.
// connected, if not nil, is told each time the card is in.
func (c *Card) ServeVPCD(ctx context.Context, addr string, connected func()) error {
	var d net.Dialer
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !c.Present() {
			if !sleep(ctx, 50*time.Millisecond) {
				return nil
			}
			continue
		}
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if !sleep(ctx, 200*time.Millisecond) {
				return nil
			}
			continue
		}
		c.mu.Lock()
		if c.removed {
			c.mu.Unlock()
			_ = nc.Close()
			continue
		}
		c.vconn = nc
		c.mu.Unlock()
		if connected != nil {
			connected()
		}
		err = c.serveConn(ctx, nc)
		c.mu.Lock()
		if c.vconn == nc {
			c.vconn = nil
		}
		c.powerOffLocked()
		c.mu.Unlock()
		_ = nc.Close()
		if c.opts.Log != nil && err != nil && ctx.Err() == nil {
			fmt.Fprintf(c.opts.Log, "%s card: vpcd connection ended: %v\n", time.Now().Format("15:04:05.000"), err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

var errPulled = errors.New("emucard: card pulled")

// serveConn answers vpcd on one connection until it ends.
func (c *Card) serveConn(ctx context.Context, nc net.Conn) error {
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer stop()
	var hdr [2]byte
	for {
		if _, err := io.ReadFull(nc, hdr[:]); err != nil {
			return err
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(nc, msg); err != nil {
			return err
		}
		var resp []byte
		switch len(msg) {
		case 0:
			continue
		case 1:
			switch msg[0] {
			case vpcdPowerOff:
				c.PowerOff()
			case vpcdPowerOn:
				c.PowerOn()
			case vpcdReset:
				c.Reset()
			case vpcdGetATR:
				resp = c.ATR()
			}
			if resp == nil {
				continue
			}
		default:
			var err error
			resp, err = c.vpcdAPDU(ctx, msg)
			clear(msg) // it may hold a PIN
			if err != nil {
				return err
			}
		}
		out := make([]byte, 2+len(resp))
		binary.BigEndian.PutUint16(out, uint16(len(resp)))
		copy(out[2:], resp)
		if _, err := nc.Write(out); err != nil {
			return err
		}
	}
}

// vpcdAPDU runs one APDU from vpcd with the faults that make sense on a
// real reader: delay, removal, spurious 6B00.
func (c *Card) vpcdAPDU(ctx context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	act := c.faultFor(apdu)
	delay := c.faults.Delay
	c.mu.Unlock()
	if delay > 0 && !sleep(ctx, delay) {
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch act {
	case actRemove:
		c.count(apdu)
		c.removeLocked()
		return nil, errPulled
	case act6B00:
		c.count(apdu)
		return c.logged(apdu, []byte{0x6B, 0x00}), nil
	}
	if c.removed {
		return nil, errPulled
	}
	if !c.powered {
		c.powerOnLocked()
	}
	return c.processLocked(apdu), nil
}
