package cardreader

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Options tune a Card. The zero value is ready to use.
type Options struct {
	// Trace, if set, receives one line per APDU exchanged with the card,
	// for technicians. PINs are redacted (FormatCommand).
	Trace io.Writer
	// KeyHold bounds how long a key returned by AuthKey keeps the card
	// exclusively, PIN verified, waiting for its one signature; then it
	// logs out and releases the card. Default 5 s.
	KeyHold time.Duration
	// ShareWait bounds how long to keep retrying while another application
	// holds the card exclusively. Default 2 s.
	ShareWait time.Duration
}

// Token is the label of the JPKI token (EF 0006).
type Token string

// Known tokens.
const (
	TokenMyNumber   Token = "JPKIAPICCTOKEN2" // My Number card
	TokenJuki       Token = "JPKIAPICCTOKEN"  // 住民基本台帳カード
	TokenSmartphone Token = "JPKIAPGPSETOKEN" // Android smartphone; the certificate needs the PIN
)

// Card is one insertion of a My Number card: its JPKI applet behind a
// Dialer. Methods are safe for concurrent use; card operations run one at
// a time. A key from AuthKey holds the card until it has signed, is
// closed, or KeyHold has passed.
type Card struct {
	d         Dialer
	hold      time.Duration
	shareWait time.Duration
	tr        *tracer
	sem       chan struct{} // held by one operation, or by an open key

	cert atomic.Pointer[x509.Certificate]

	// Guarded by sem.
	conn       Conn
	dials      int
	apSelected bool
	// verified: a VERIFY succeeded on this connection and no logout has
	// been seen to work since; every way the connection ends then powers
	// the card down.
	verified bool
	gone     error

	mu  sync.Mutex // guards key and atr
	key *Key
	atr []byte
}

// Open connects to the card behind d and checks that it has the JPKI
// applet by SELECTing its AID (not by its ATR, which depends on the
// reader). It fails with ErrNotJPKI otherwise.
func Open(ctx context.Context, d Dialer, o *Options) (*Card, error) {
	if o == nil {
		o = &Options{}
	}
	c := &Card{d: d, hold: o.KeyHold, shareWait: o.ShareWait, sem: make(chan struct{}, 1)}
	if c.hold <= 0 {
		c.hold = 5 * time.Second
	}
	if c.shareWait <= 0 {
		c.shareWait = 2 * time.Second
	}
	if o.Trace != nil {
		c.tr = &tracer{w: o.Trace}
	}
	c.sem <- struct{}{}
	defer c.release()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	if err := c.selectAP(ctx); err != nil {
		c.drop(false)
		return nil, err
	}
	return c, nil
}

// Reader is the name of the card's reader.
func (c *Card) Reader() string { return c.d.Reader() }

// ATR is the card's answer to reset as the reader reported it at the
// last connection.
func (c *Card) ATR() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.atr)
}

// Close releases an open key and disconnects, leaving the card as it is.
// The Card cannot be used afterwards.
func (c *Card) Close() error {
	c.mu.Lock()
	k := c.key
	c.mu.Unlock()
	if k != nil {
		k.Close()
	}
	if err := c.acquire(context.Background()); err != nil {
		return err
	}
	defer c.release()
	var err error
	if c.conn != nil {
		err = c.conn.Close(false)
		c.conn = nil
	}
	if c.gone == nil {
		c.gone = errors.New("cardreader: card closed")
	}
	return err
}

// AuthCertificate returns the user-authentication certificate (EF 000A),
// read once and cached: SELECT EF and ⌈L/256⌉ READ BINARY of exactly its
// DER length L (the file holds filler after it).
func (c *Card) AuthCertificate(ctx context.Context) (*x509.Certificate, error) {
	if cert := c.cert.Load(); cert != nil {
		return cert, nil
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer c.release()
	if cert := c.cert.Load(); cert != nil {
		return cert, nil
	}
	var cert *x509.Certificate
	err := c.run(ctx, func(ctx context.Context) error {
		der, err := c.readDER(ctx, EFAuthCert)
		if errors.Is(err, ErrSecurityStatus) {
			return fmt.Errorf("cardreader: the certificate needs the PIN first (a smartphone token?): %w", err)
		}
		if err != nil {
			return err
		}
		if cert, err = x509.ParseCertificate(der); err != nil {
			return fmt.Errorf("%w: user-authentication certificate: %w", ErrMalformed, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.cert.Store(cert)
	return cert, nil
}

// AuthPINRetries returns the tries left of the user-authentication PIN
// without spending one (VERIFY with no data → 63Cx). 0 means blocked.
func (c *Card) AuthPINRetries(ctx context.Context) (int, error) {
	if err := c.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.release()
	var n int
	err := c.run(ctx, func(ctx context.Context) error {
		if err := c.selectFile(ctx, EFAuthPIN); err != nil {
			return err
		}
		_, sw, err := c.exchange(ctx, pinStatus())
		if err != nil {
			return err
		}
		if t, ok := sw.Tries(); ok {
			n = t
			return nil
		}
		switch sw {
		case SWDataInvalid, SWAuthBlocked:
			n = 0
			return nil
		case SWOK:
			return fmt.Errorf("cardreader: the PIN is in the verified state; tries left unknown")
		}
		return &StatusError{Op: "PIN status", SW: sw}
	})
	return n, err
}

// Token reads the token label (EF 0006): TokenMyNumber for a My Number
// card.
func (c *Card) Token(ctx context.Context) (Token, error) {
	if err := c.acquire(ctx); err != nil {
		return "", err
	}
	defer c.release()
	var tok Token
	err := c.run(ctx, func(ctx context.Context) error {
		if err := c.selectFile(ctx, EFTokenInfo); err != nil {
			return err
		}
		b, err := c.readChunk(ctx, 0, 32, false)
		if err != nil {
			return err
		}
		tok = Token(bytes.TrimRightFunc(b, func(r rune) bool { return r == ' ' || r == 0 || r == utf8.RuneError }))
		return nil
	})
	return tok, err
}

func (c *Card) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Card) release() { <-c.sem }

// run runs fn with the card connected and the applet selected. fn must
// be read-only: after a reset or a lost service it is run once more on a
// new connection.
func (c *Card) run(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := c.connect(ctx)
		if err == nil {
			err = c.ensureAP(ctx)
		}
		if err == nil {
			err = fn(ctx)
		}
		if err == nil || attempt > 0 || !transient(err) || ctx.Err() != nil {
			return err
		}
	}
}

// transient errors may go away on a new connection.
func transient(err error) bool {
	return errors.Is(err, ErrCardReset) || errors.Is(err, ErrNoService)
}

// connect makes sure there is a connection. A connection made after the
// first one (after pcscd restarted, the reader was re-plugged, or a
// signature closed the last one) may reach another card: if the
// certificate is known, it is read again and must be the same.
func (c *Card) connect(ctx context.Context) error {
	if c.gone != nil {
		return c.gone
	}
	if c.conn != nil {
		return nil
	}
	conn, err := c.d.Dial(ctx)
	if err != nil {
		if c.dials > 0 && errors.Is(err, ErrNoCard) {
			// The card this Card was opened on is gone.
			c.gone = fmt.Errorf("%w: %w", ErrCardRemoved, err)
			return c.gone
		}
		return err
	}
	c.conn, c.apSelected = conn, false
	c.mu.Lock()
	c.atr = bytes.Clone(conn.ATR())
	c.mu.Unlock()
	c.dials++
	if c.dials == 1 {
		return nil
	}
	old := c.cert.Load()
	if old == nil {
		return nil
	}
	err = c.selectAP(ctx)
	var der []byte
	if err == nil {
		der, err = c.readDER(ctx, EFAuthCert)
	}
	switch {
	case errors.Is(err, ErrNotJPKI) || (err == nil && !bytes.Equal(der, old.Raw)):
		c.drop(false)
		c.gone = ErrCardChanged
		return c.gone
	case err != nil:
		c.drop(false) // check again on the next connection
		return err
	}
	return nil
}

// drop forgets the connection. With unpower, or whenever a PIN may still
// be verified on it (an error or a cancellation between VERIFY and the
// logout), it powers the card down: the one disconnect after which a real
// card keeps no verified state.
func (c *Card) drop(unpower bool) {
	if c.conn != nil {
		_ = c.conn.Close(unpower || c.verified)
		c.conn = nil
	}
	c.apSelected, c.verified = false, false
}

// linkErr records what a transmit error means for the connection.
func (c *Card) linkErr(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrCardRemoved), errors.Is(err, ErrNoCard):
		c.drop(false)
		c.gone = fmt.Errorf("%w: %w", ErrCardRemoved, err)
		return c.gone
	case errors.Is(err, ErrCardReset):
		// The card was reset under us: the applet is deselected, any
		// verified PIN lost. Acknowledge on the same handle.
		c.apSelected = false
		if c.conn == nil || c.conn.Reconnect(ctx, false) != nil {
			c.drop(false)
		}
	case errors.Is(err, ctx.Err()):
		// Cancelled between APDUs: the connection is still good.
	default:
		c.drop(false)
	}
	return err
}

func (c *Card) ensureAP(ctx context.Context) error {
	if c.apSelected {
		return nil
	}
	return c.selectAP(ctx)
}

// selectAP SELECTs the JPKI applet. It is no logout: a real card keeps
// its PINs' verified state across it (endExclusive logs out). A card may
// answer 6F00 to the first APDU after power-up; that answer is retried
// once.
func (c *Card) selectAP(ctx context.Context) error {
	c.apSelected = false
	for attempt := 0; ; attempt++ {
		_, sw, err := c.exchange(ctx, selectAP())
		if err != nil {
			return err
		}
		switch {
		case sw == SWOK:
			c.apSelected = true
			return nil
		case sw == SWNoDiagnosis && attempt == 0:
			continue
		}
		return fmt.Errorf("%w: %w", ErrNotJPKI, &StatusError{Op: "select AP", SW: sw})
	}
}

func (c *Card) selectFile(ctx context.Context, ef uint16) error {
	cmd := selectEF(ef)
	_, sw, err := c.exchange(ctx, cmd)
	if err != nil {
		return err
	}
	if sw != SWOK {
		return &StatusError{Op: cmd.op, SW: sw}
	}
	return nil
}

// readDER reads the DER object at the start of a file: a first READ
// BINARY of 256 bytes gives its header, then the rest is read in chunks of
// at most 256 bytes up to exactly its length.
func (c *Card) readDER(ctx context.Context, ef uint16) ([]byte, error) {
	if err := c.selectFile(ctx, ef); err != nil {
		return nil, err
	}
	first, err := c.readChunk(ctx, 0, 256, false)
	if err != nil {
		return nil, err
	}
	total, err := certLength(first)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, total)
	buf = append(buf, first[:min(len(first), total)]...)
	for len(buf) < total {
		chunk, err := c.readChunk(ctx, len(buf), min(256, total-len(buf)), true)
		if err != nil {
			return nil, err
		}
		buf = append(buf, chunk[:min(len(chunk), total-len(buf))]...)
	}
	return buf, nil
}

// readChunk reads up to n bytes at off. inside says the offset is inside
// the object being read, so 6B00 (offset past the end) is wrong there: it
// is retried once, then reported as a truncated file.
func (c *Card) readChunk(ctx context.Context, off, n int, inside bool) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		data, sw, err := c.exchange(ctx, readBinary(off, n))
		if err != nil {
			return nil, err
		}
		switch sw {
		case SWOK, SWEndOfFile:
			if len(data) == 0 {
				return nil, fmt.Errorf("%w: READ BINARY at %d returned no data", ErrMalformed, off)
			}
			if len(data) > n {
				return nil, fmt.Errorf("%w: READ BINARY returned %d bytes for Le %d", ErrMalformed, len(data), n)
			}
			return data, nil
		case SWWrongOffset:
			if attempt == 0 {
				continue // a spurious 6B00 is retried once
			}
			if inside {
				return nil, fmt.Errorf("%w: file ends at %d, inside its DER object: %w", ErrMalformed, off, &StatusError{Op: "read binary", SW: sw})
			}
		}
		return nil, &StatusError{Op: "read binary", SW: sw}
	}
}
