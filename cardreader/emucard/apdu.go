package emucard

import (
	"errors"
	"fmt"
)

// Command is a parsed command APDU (ISO 7816-3 §12.1.3 cases 1–4, short
// and extended).
type Command struct {
	CLA, INS, P1, P2 byte
	Data             []byte
	// Ne is the number of response bytes expected when HasLe: 1–256 for
	// a short Le (00 = 256), 1–65536 for an extended one.
	Ne       int
	HasLe    bool
	Extended bool
}

// ErrBadAPDU is a command APDU whose length fields do not add up; the card
// answers it 6700.
var ErrBadAPDU = errors.New("emucard: malformed command APDU")

// ParseCommand parses a command APDU. Data aliases b.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes", ErrBadAPDU, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	body := b[4:]
	switch {
	case len(body) == 0: // case 1
		return c, nil
	case len(body) == 1: // case 2S
		c.HasLe, c.Ne = true, shortLe(body[0])
		return c, nil
	case body[0] != 0: // case 3S / 4S
		lc := int(body[0])
		switch len(body) {
		case 1 + lc:
			c.Data = body[1:]
			return c, nil
		case 2 + lc:
			c.Data = body[1 : 1+lc]
			c.HasLe, c.Ne = true, shortLe(body[1+lc])
			return c, nil
		}
		return Command{}, fmt.Errorf("%w: Lc %d with %d bytes of body", ErrBadAPDU, lc, len(body))
	}
	// body[0] == 0 and more bytes follow: extended length.
	c.Extended = true
	if len(body) == 3 { // case 2E
		c.HasLe, c.Ne = true, extLe(body[1], body[2])
		return c, nil
	}
	if len(body) < 3 {
		return Command{}, fmt.Errorf("%w: truncated extended length", ErrBadAPDU)
	}
	lc := int(body[1])<<8 | int(body[2])
	if lc == 0 {
		return Command{}, fmt.Errorf("%w: extended Lc of 0", ErrBadAPDU)
	}
	switch len(body) {
	case 3 + lc: // case 3E
		c.Data = body[3:]
		return c, nil
	case 5 + lc: // case 4E
		c.Data = body[3 : 3+lc]
		c.HasLe, c.Ne = true, extLe(body[3+lc], body[4+lc])
		return c, nil
	}
	return Command{}, fmt.Errorf("%w: extended Lc %d with %d bytes of body", ErrBadAPDU, lc, len(body))
}

func shortLe(b byte) int {
	if b == 0 {
		return 256
	}
	return int(b)
}

func extLe(hi, lo byte) int {
	n := int(hi)<<8 | int(lo)
	if n == 0 {
		return 65536
	}
	return n
}

// Bytes encodes the command again (the inverse of ParseCommand).
func (c Command) Bytes() []byte {
	b := []byte{c.CLA, c.INS, c.P1, c.P2}
	if !c.Extended {
		if len(c.Data) > 0 {
			b = append(b, byte(len(c.Data)))
			b = append(b, c.Data...)
		}
		if c.HasLe {
			b = append(b, byte(c.Ne)) // 256 → 00
		}
		return b
	}
	if len(c.Data) > 0 {
		b = append(b, 0, byte(len(c.Data)>>8), byte(len(c.Data)))
		b = append(b, c.Data...)
		if c.HasLe {
			b = append(b, byte(c.Ne>>8), byte(c.Ne)) // 65536 → 0000
		}
		return b
	}
	if c.HasLe {
		b = append(b, 0, byte(c.Ne>>8), byte(c.Ne))
	}
	return b
}
