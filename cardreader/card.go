package cardreader

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
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
	// ShortAPDUs keeps to short APDUs: the certificate is read in
	// 256-byte READ BINARY chunks even where the card and reader would
	// take one extended-length READ BINARY.
	ShortAPDUs bool
	// Profiles are the applet profiles the card may have, in the order
	// their AIDs are tried (default DefaultProfiles: generation 1, then
	// the assumed generation 2). One profile pins it.
	Profiles []Profile
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

	profiles []Profile // the candidates, in order; read-only after Open

	// Guarded by sem.
	conn  Conn
	dials int
	inTx  bool // a transaction is open on conn
	// short: keep to short APDUs (Options.ShortAPDUs, or the card or
	// reader refused an extended-length one).
	short bool
	// verified: a VERIFY succeeded on this connection and no logout has
	// been seen to work since; every way the connection ends then powers
	// the card down.
	verified bool
	gone     error

	mu  sync.Mutex // guards key and atr, and profile (which is written under sem too)
	key *Key
	atr []byte
	// profile is the card's applet profile: detected by Open (AID), then
	// settled by the certificate's key type (AuthCertificate).
	profile Profile
}

// Open connects to the card behind d and finds its applet profile by
// SELECTing the AIDs of Options.Profiles in order (not by its ATR, which
// depends on the reader), in one transaction: the first AID the card
// answers 9000 gives the profile (Profile). It fails with ErrNotJPKI if
// none does.
func Open(ctx context.Context, d Dialer, o *Options) (*Card, error) {
	if o == nil {
		o = &Options{}
	}
	profiles := o.Profiles
	if len(profiles) == 0 {
		profiles = DefaultProfiles()
	}
	c := &Card{d: d, hold: o.KeyHold, shareWait: o.ShareWait, short: o.ShortAPDUs, sem: make(chan struct{}, 1)}
	for _, p := range profiles {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		c.profiles = append(c.profiles, p.Clone())
	}
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
	if err := c.detect(ctx); err != nil {
		c.drop(false)
		return nil, err
	}
	return c, nil
}

// detect finds the card's profile in one transaction: the first of the
// candidates whose AID the card answers 9000 (each AID is sent once).
func (c *Card) detect(ctx context.Context) error {
	if err := c.beginTx(ctx); err != nil {
		return err
	}
	defer c.endTx()
	var last error
	var tried [][]byte
	for _, p := range c.profiles {
		if slices.ContainsFunc(tried, func(a []byte) bool { return bytes.Equal(a, p.AID) }) {
			continue
		}
		tried = append(tried, p.AID)
		err := c.selectAID(ctx, p.AID)
		if err == nil {
			c.setProfile(p)
			return nil
		}
		if !errors.Is(err, ErrNotJPKI) {
			return err
		}
		last = err
	}
	return last
}

// Profile returns the card's applet profile (a copy): the one whose AID
// it answered, settled by its certificate's key type once that is read.
func (c *Card) Profile() Profile {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.profile.Clone()
}

// setProfile sets the profile; the caller holds sem.
func (c *Card) setProfile(p Profile) {
	c.mu.Lock()
	c.profile = p
	c.mu.Unlock()
}

// settleProfile takes, among the candidates that share the current
// profile's AID and certificate file, the one whose key type is the
// certificate's (a card generation that kept the applet's AID). If none
// fits, the profile stays and AuthKey refuses the key. The caller holds
// sem.
func (c *Card) settleProfile(cert *x509.Certificate) {
	kt, ok := KeyTypeOf(cert.PublicKey)
	if !ok || kt == c.profile.Key {
		return
	}
	for _, p := range c.profiles {
		if p.Key == kt && bytes.Equal(p.AID, c.profile.AID) && p.Files.AuthCert == c.profile.Files.AuthCert {
			c.setProfile(p)
			return
		}
	}
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

// AuthCertificate returns the user-authentication certificate (the
// profile's Files.AuthCert, EF 000A), read once and cached, in one
// transaction: SELECT of the applet, SELECT EF, then one extended-length
// READ BINARY where the card and reader take it, else ⌈L/256⌉ short ones
// of exactly its DER length L (the file holds filler after it). A card
// whose certificate file holds no certificate answers ErrNoCertificate
// (EF 0008 is asked which certificates are present). The certificate's
// key type settles the profile (Profile).
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
		der, err := c.readDER(ctx, c.profile.Files.AuthCert)
		switch {
		case errors.Is(err, ErrSecurityStatus):
			return fmt.Errorf("cardreader: the certificate needs the PIN first (a smartphone token?): %w", err)
		case errors.Is(err, errNoObject):
			return c.noCertificate(ctx, err)
		case err != nil:
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
	c.settleProfile(cert)
	c.cert.Store(cert)
	return cert, nil
}

// TriesUnknown is what AuthPINRetries returns, with an error matching
// ErrPINTriesUnknown, when the card will not tell the tries left.
const TriesUnknown = -1

// AuthPINRetries returns the tries left of the user-authentication PIN
// without spending one (VERIFY with no data → 63Cx). 0 means blocked
// (63C0, 6983 or 6984).
//
// Some cards answer that query 9000 while the PIN is verified instead of
// 63Cx (research/jpki-card.md). kofu never leaves its own PIN verified,
// so a verified PIN is another client's leftover: AuthPINRetries logs it
// out as a real card honours it (SELECT of another application), selects
// the applet and the PIN again and asks once more, all in the same
// transaction. If the card still answers 9000 the count is unknown but
// the PIN is not blocked: it returns TriesUnknown and an error matching
// ErrPINTriesUnknown (never ErrPINBlocked).
func (c *Card) AuthPINRetries(ctx context.Context) (int, error) {
	if err := c.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.release()
	var n int
	err := c.run(ctx, func(ctx context.Context) error {
		var err error
		for attempt := 0; ; attempt++ {
			if err = c.selectFile(ctx, c.profile.Files.AuthPIN); err != nil {
				return err
			}
			_, sw, err := c.exchange(ctx, pinStatus(c.profile.PINRef))
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
				if attempt > 0 {
					n = TriesUnknown
					return fmt.Errorf("%w: the card answers 9000 (PIN verified) even after a logout", ErrPINTriesUnknown)
				}
				// Another client's verified PIN: log it out and ask again.
				if _, _, err := c.exchange(ctx, c.selectLogout()); err != nil {
					return err
				}
				if err := c.selectAP(ctx); err != nil {
					return err
				}
				continue
			}
			return &StatusError{Op: "PIN status", SW: sw}
		}
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
		if err := c.selectFile(ctx, c.profile.Files.TokenInfo); err != nil {
			return err
		}
		b, err := c.readChunk(ctx, 0, 32, false, false)
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

// run runs fn with the card connected, inside one transaction that
// begins with a SELECT of the applet (tx). fn must be read-only: after a
// reset or a lost service it is run once more on a new connection.
func (c *Card) run(ctx context.Context, fn func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		err := c.connect(ctx)
		if err == nil {
			err = c.tx(ctx, fn)
		}
		if err == nil || attempt > 0 || !transient(err) || ctx.Err() != nil {
			return err
		}
	}
}

// transient errors may go away on a new connection.
func transient(err error) bool {
	return errors.Is(err, ErrCardReset) || errors.Is(err, ErrNoService) || errors.Is(err, errRetryShort)
}

// tx runs fn (which may be nil) inside one PC/SC transaction, after
// selecting the applet again: a real card has one current file, which
// another application may have changed since the Card's last APDU, so no
// selection is trusted across transactions and none can change inside
// one (research/jpki-card.md).
func (c *Card) tx(ctx context.Context, fn func(context.Context) error) error {
	if err := c.beginTx(ctx); err != nil {
		return err
	}
	err := c.selectAP(ctx)
	if err == nil && fn != nil {
		err = fn(ctx)
	}
	c.endTx()
	return err
}

// beginTx begins a transaction on the connection, if it has them.
func (c *Card) beginTx(ctx context.Context) error {
	if c.conn == nil {
		return fmt.Errorf("%w: not connected", ErrCardRemoved)
	}
	if t, ok := c.conn.(Transactor); ok {
		if err := t.BeginTransaction(ctx); err != nil {
			return c.linkErr(ctx, err)
		}
	}
	c.inTx = true
	return nil
}

// endTx ends the transaction begun by beginTx, if one is open. A
// connection whose transaction cannot be ended is dropped (powering the
// card down if a PIN may be verified on it).
func (c *Card) endTx() {
	if !c.inTx {
		return
	}
	c.inTx = false
	if c.conn == nil {
		return
	}
	if t, ok := c.conn.(Transactor); ok {
		if err := t.EndTransaction(); err != nil {
			c.drop(false)
		}
	}
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
	c.conn, c.inTx = conn, false
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
	var der []byte
	err = c.tx(ctx, func(ctx context.Context) error {
		var err error
		der, err = c.readDER(ctx, c.profile.Files.AuthCert)
		return err
	})
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
	c.inTx, c.verified = false, false
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

// selectAP SELECTs the profile's applet. It is no logout: a real card
// keeps its PINs' verified state across it (endExclusive logs out).
func (c *Card) selectAP(ctx context.Context) error { return c.selectAID(ctx, c.profile.AID) }

// selectLogout is the SELECT of the profile's other application (the
// GlobalPlatform ISD): leaving the applet, the logout a real card honours.
func (c *Card) selectLogout() command {
	return selectApp(c.profile.LogoutAID, "select ISD (logout)")
}

// selectAID SELECTs an applet by AID; anything but 9000 is an error
// matching ErrNotJPKI. A card may answer 6F00 to the first APDU after
// power-up; that answer is retried once.
func (c *Card) selectAID(ctx context.Context, aid []byte) error {
	for attempt := 0; ; attempt++ {
		_, sw, err := c.exchange(ctx, selectApp(aid, "select AP"))
		if err != nil {
			return err
		}
		switch {
		case sw == SWOK:
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
