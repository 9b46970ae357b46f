package cardreader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// extReadLen is the Le of the extended-length READ BINARY that reads a
// certificate in one command: more than any RSA-2048 or P-384
// certificate. The card answers up to the end of its file (a short read,
// 9000 or 6282); the DER length decides what is kept, and a longer
// object is read on from there.
const extReadLen = 4096

// certsBothPresent is EF 0008 of a card that holds both JPKI
// certificates ([1] in research/jpki-card.md).
var certsBothPresent = []byte{0x8F, 0x8F, 0x00}

// Errors of the read path that callers of this package never see as
// such: they wrap ErrMalformed (errNoObject) or are handled inside.
var (
	// errNoObject: the file does not start with a DER object (erased,
	// FF or 00 filler) or is empty.
	errNoObject = fmt.Errorf("%w: no DER object at the start of the file", ErrMalformed)
	// errNoExtended: the card answered an extended-length READ BINARY
	// 6700 or 6Cxx: it (or the reader) takes short APDUs only.
	errNoExtended = errors.New("cardreader: extended-length APDU refused")
	// errRetryShort: an extended-length APDU failed in transit (a reader
	// that cannot carry one); the operation is run again on a new
	// connection with short APDUs.
	errRetryShort = errors.New("cardreader: extended-length APDU failed in the reader; retrying with short APDUs")
)

// extended reports whether the next certificate read may use one
// extended-length READ BINARY.
func (c *Card) extended() bool {
	if c.short {
		return false
	}
	if x, ok := c.conn.(ExtendedLengthConn); ok && !x.ExtendedLength() {
		return false
	}
	return true
}

// readDER reads the DER object at the start of a file: one
// extended-length READ BINARY where the card and reader take it, else a
// first short READ BINARY of 256 bytes gives its header and the rest is
// read in chunks of at most 256 bytes up to exactly its length. Once the
// card or reader has refused an extended-length APDU (6700, 6Cxx, or a
// failed transmit) the Card keeps to short ones.
func (c *Card) readDER(ctx context.Context, ef uint16) ([]byte, error) {
	if err := c.selectFile(ctx, ef); err != nil {
		return nil, err
	}
	if c.extended() {
		der, err := c.readObject(ctx, extReadLen, true)
		if !errors.Is(err, errNoExtended) {
			return der, err
		}
		c.short = true // the card said so: the same EF is still selected
	}
	return c.readObject(ctx, 256, false)
}

// readObject reads the DER object of the selected EF in READ BINARY
// commands of at most chunk bytes.
func (c *Card) readObject(ctx context.Context, chunk int, ext bool) ([]byte, error) {
	first, err := c.readChunk(ctx, 0, chunk, false, ext)
	var se *StatusError
	if errors.As(err, &se) && se.SW == SWWrongOffset {
		return nil, fmt.Errorf("%w: the file is empty: %w", errNoObject, err)
	}
	if err != nil {
		return nil, err
	}
	if first[0] != tagSequence {
		return nil, fmt.Errorf("%w (it starts with %X)", errNoObject, first[:min(len(first), 4)])
	}
	total, err := certLength(first)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, total)
	buf = append(buf, first[:min(len(first), total)]...)
	for len(buf) < total {
		part, err := c.readChunk(ctx, len(buf), min(chunk, total-len(buf)), true, ext)
		if err != nil {
			return nil, err
		}
		buf = append(buf, part[:min(len(part), total-len(buf))]...)
	}
	return buf, nil
}

// readChunk reads up to n bytes at off, with an extended-length Le if ext.
// inside says the offset is inside the object being read, so 6B00
// (offset past the end) is wrong there: it is retried once, then reported
// as a truncated file. With ext, 6700 and 6Cxx answer errNoExtended, and
// a failed transmit of the first command errRetryShort.
func (c *Card) readChunk(ctx context.Context, off, n int, inside, ext bool) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		cmd := readBinary(off, n)
		if ext {
			cmd = readBinaryExt(off, n)
		}
		data, sw, err := c.exchange(ctx, cmd)
		if err != nil {
			if ext && off == 0 && !errors.Is(err, ErrCardRemoved) && !errors.Is(err, ErrNoService) &&
				!errors.Is(err, ErrCardReset) && ctx.Err() == nil {
				c.short = true
				return nil, fmt.Errorf("%w: %w", errRetryShort, err)
			}
			return nil, err
		}
		switch {
		case sw == SWOK, sw == SWEndOfFile:
			if len(data) == 0 {
				return nil, fmt.Errorf("%w: READ BINARY at %d returned no data", ErrMalformed, off)
			}
			if len(data) > n {
				return nil, fmt.Errorf("%w: READ BINARY returned %d bytes for Le %d", ErrMalformed, len(data), n)
			}
			return data, nil
		case ext && (sw == SWWrongLength || sw.SW1() == 0x6C):
			return nil, fmt.Errorf("%w: %w", errNoExtended, &StatusError{Op: cmd.op, SW: sw})
		case sw == SWWrongOffset:
			if attempt == 0 {
				continue // a spurious 6B00 is retried once
			}
			if inside {
				return nil, fmt.Errorf("%w: file ends at %d, inside its DER object: %w", ErrMalformed, off, &StatusError{Op: cmd.op, SW: sw})
			}
		}
		return nil, &StatusError{Op: cmd.op, SW: sw}
	}
}

// noCertificate decides, after the certificate file (EF 000A) was found
// without a DER object (cause), whether the card holds no
// user-authentication certificate or a damaged one: the profile's
// Files.CertsFlag (EF 0008) says which certificates are present. 8F 8F 00
// (both) makes it a damaged file (ErrMalformed); anything else, or no
// readable EF 0008, ErrNoCertificate (which does not match
// ErrMalformed; it wraps the status word, if one said the file is
// empty). Link errors stand as they are.
func (c *Card) noCertificate(ctx context.Context, cause error) error {
	flags, err := c.readCertsFlag(ctx)
	fl, ce := c.profile.Files.CertsFlag, c.profile.Files.AuthCert
	var what string
	var se *StatusError
	switch {
	case err == nil && bytes.Equal(flags, certsBothPresent):
		return fmt.Errorf("%w; EF %04X (% X) says the certificate is present: the file is damaged", cause, fl, flags)
	case err == nil:
		what = fmt.Sprintf("EF %04X is % X", fl, flags)
	case errors.As(err, &se), errors.Is(err, ErrMalformed):
		what = fmt.Sprintf("EF %04X unreadable: %v", fl, err)
	default:
		return err
	}
	if errors.As(cause, &se) {
		return fmt.Errorf("%w (EF %04X is empty: %w; %s)", ErrNoCertificate, ce, se, what)
	}
	return fmt.Errorf("%w (EF %04X holds filler only; %s)", ErrNoCertificate, ce, what)
}

// readCertsFlag reads the certificates flag, EF 0008 (3 bytes).
func (c *Card) readCertsFlag(ctx context.Context) ([]byte, error) {
	if err := c.selectFile(ctx, c.profile.Files.CertsFlag); err != nil {
		return nil, err
	}
	return c.readChunk(ctx, 0, len(certsBothPresent), false, false)
}
