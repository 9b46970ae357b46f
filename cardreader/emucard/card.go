package emucard

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"kofu/cardreader"
	"kofu/internal/fixtures"
)

// Options shape an emulated card.
type Options struct {
	Variant Variant
	// Profile is the applet profile the card serves: its AID, files, PIN
	// reference and sign command. The zero value takes the one that fits
	// the user-authentication key: cardreader.ProfileGen1 for an RSA key
	// (the current card), cardreader.ProfileGen2Assumed for a P-384 key
	// (a generation-2 card; its APDUs are an ASSUMPTION, no specification
	// being public, kept in that profile alone).
	Profile cardreader.Profile
	// ATR overrides DefaultATR.
	ATR []byte
	// PIN overrides the resident's PIN.
	PIN string
	// FirstAPDU6F00 makes the first APDU after power-up answer 6F00
	// without being processed, as one real card was seen to do ([1] in
	// research/jpki-card.md). Off by default.
	FirstAPDU6F00 bool
	// VerifiedStatus9000 makes the tries query (VERIFY without data)
	// answer 9000 while the PIN is verified, as some cards are reported
	// to do; by default it answers 63Cx then too, as the card in OpenSC
	// PR #959's trace does.
	VerifiedStatus9000 bool
	// Blocked6984 makes the tries query of a blocked PIN answer 6984
	// instead of 63C0.
	Blocked6984 bool
	// NoAuthCert leaves the user-authentication certificate out: EF 000A
	// holds filler only (FF) and EF 0008 reads 00 00 00 (an assumption:
	// only 8F 8F 00, both certificates present, is documented).
	NoAuthCert bool
	// NoExtendedLength makes the card answer 6700 to extended-length
	// APDUs (a card without the capability); by default it takes them.
	NoExtendedLength bool
	// ShortReader puts the card in an in-process reader that carries
	// short APDUs only (Card.Dialer): its connection says so
	// (cardreader.ExtendedLengthConn) and fails an extended-length APDU
	// without reaching the card.
	ShortReader bool
	// Faults to inject from the start (see SetFaults).
	Faults Faults
	// Log, if set, receives one line per APDU as the card sees it, VERIFY
	// data redacted.
	Log io.Writer
}

// Stats counts what the card received.
type Stats struct {
	APDUs int          // command APDUs, GET RESPONSE included
	ByINS map[byte]int // per instruction
}

// Card is an emulated My Number card. It is safe for concurrent use; its
// commands run one at a time, like a card's.
type Card struct {
	mu     sync.Mutex
	atr    []byte
	files  map[uint16]*file
	pins   map[uint16]*pinState
	opts   Options
	prof   cardreader.Profile
	token  cardreader.Token
	faults Faults
	fired  faultCounters
	stats  Stats

	powered bool
	fresh   bool   // no APDU since power-up
	inAP    bool   // the JPKI applet is selected
	cur     uint16 // current EF, valid when hasCur
	hasCur  bool
	removed bool
	vconn   net.Conn // live vpcd connection, closed when the card is pulled
}

// New builds the card of resident r of fixture set fx.
func New(fx *fixtures.Set, r *fixtures.Resident, o Options) (*Card, error) {
	p, err := PartsOf(fx, r)
	if err != nil {
		return nil, err
	}
	return NewFromParts(p, o)
}

// NewFromParts builds a card from its parts.
func NewFromParts(p Parts, o Options) (*Card, error) {
	if o.PIN != "" {
		p.PIN = o.PIN
	}
	if p.AuthKey == nil || len(p.AuthCertDER) == 0 {
		return nil, errors.New("emucard: no user-authentication key or certificate")
	}
	if p.SignKey == nil || len(p.SignCertDER) == 0 {
		return nil, errors.New("emucard: no signature key or certificate")
	}
	kt, ok := cardreader.KeyTypeOf(p.AuthKey.Public())
	if !ok {
		return nil, fmt.Errorf("emucard: a user-authentication key of type %T is on no card", p.AuthKey)
	}
	prof := o.Profile.Clone()
	if prof.Name == "" && len(prof.AID) == 0 {
		prof, _ = cardreader.ProfileFor(kt)
	}
	if err := prof.Validate(); err != nil {
		return nil, fmt.Errorf("emucard: %w", err)
	}
	if prof.Key != kt {
		return nil, fmt.Errorf("emucard: profile %s signs with %v, the key is %v", prof.Name, prof.Key, kt)
	}
	c := &Card{atr: DefaultATR, opts: o, prof: prof, token: o.Variant.token(), faults: o.Faults, stats: Stats{ByINS: map[byte]int{}}}
	if len(o.ATR) > 0 {
		c.atr = bytes.Clone(o.ATR)
	}
	c.files, c.pins = buildFiles(p, o.Variant, prof.Files)
	if o.NoAuthCert {
		c.files[prof.Files.AuthCert].data = filled(nil)
		c.files[prof.Files.CertsFlag].data = []byte{0x00, 0x00, 0x00}
	}
	return c, nil
}

// Profile is the applet profile the card serves (a copy).
func (c *Card) Profile() cardreader.Profile { return c.prof.Clone() }

// ATR is the card's answer to reset.
func (c *Card) ATR() []byte { return bytes.Clone(c.atr) }

// Token is the card's token label.
func (c *Card) Token() cardreader.Token { return c.token }

// PowerOn powers the card: nothing is selected, nothing verified.
func (c *Card) PowerOn() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.powerOnLocked()
}

func (c *Card) powerOnLocked() {
	c.powerOffLocked()
	c.powered, c.fresh = true, true
}

// PowerOff removes power: every verified state is lost.
func (c *Card) PowerOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.powerOffLocked()
}

func (c *Card) powerOffLocked() {
	c.powered, c.inAP, c.hasCur = false, false, false
	for _, p := range c.pins {
		p.verified = false
	}
}

// Reset is a warm reset: the selection is lost; the verified flags are
// kept, as a real card keeps them (research/jpki-card.md): a SELECT of
// the applet reaches them again.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.powered, c.inAP, c.hasCur = true, false, false
}

// Remove pulls the card out of its reader (and off vpcd).
func (c *Card) Remove() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removeLocked()
}

func (c *Card) removeLocked() {
	c.removed = true
	c.powerOffLocked()
	if c.vconn != nil {
		_ = c.vconn.Close()
		c.vconn = nil
	}
}

// Insert puts the card back (unpowered).
func (c *Card) Insert() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.removed = false
	c.powerOffLocked()
}

// Present reports whether the card is in its reader.
func (c *Card) Present() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.removed
}

// Stats returns a copy of the counters.
func (c *Card) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Stats{APDUs: c.stats.APDUs, ByINS: map[byte]int{}}
	for k, v := range c.stats.ByINS {
		s.ByINS[k] = v
	}
	return s
}

// ResetStats zeroes the counters.
func (c *Card) ResetStats() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats = Stats{ByINS: map[byte]int{}}
}

// PINState reports the user-authentication PIN's tries left and whether
// it is verified (for tests).
func (c *Card) PINState() (tries int, verified bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pins[c.prof.Files.AuthPIN]
	return p.tries, p.verified
}

// Transmit processes one command APDU in-process, with the faults. An
// unpowered card is powered first (a connection does that). A pulled card
// answers an error wrapping cardreader.ErrCardRemoved, a reset fault one
// wrapping cardreader.ErrCardReset, as PC/SC would.
func (c *Card) Transmit(ctx context.Context, apdu []byte) ([]byte, error) {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return nil, fmt.Errorf("emucard: %w", cardreader.ErrCardRemoved)
	}
	if !c.powered {
		c.powerOnLocked()
	}
	act := c.faultFor(apdu)
	delay := c.faults.Delay
	c.mu.Unlock()
	if delay > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch act {
	case actRemove:
		c.count(apdu)
		c.removeLocked()
		return nil, fmt.Errorf("emucard: pulled out during the command: %w", cardreader.ErrCardRemoved)
	case actReset:
		c.powered, c.inAP, c.hasCur = true, false, false
		return nil, fmt.Errorf("emucard: reset by another application: %w", cardreader.ErrCardReset)
	case act6B00:
		c.count(apdu)
		return c.logged(apdu, sw(cardreader.SWWrongOffset)), nil
	}
	if c.removed {
		return nil, fmt.Errorf("emucard: %w", cardreader.ErrCardRemoved)
	}
	return c.processLocked(apdu), nil
}

// Process runs one command APDU without faults or delays (the vpcd
// bridge and the fuzzer use it).
func (c *Card) Process(apdu []byte) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.powered {
		c.powerOnLocked()
	}
	return c.processLocked(apdu)
}

func (c *Card) count(apdu []byte) {
	c.stats.APDUs++
	if len(apdu) > 1 {
		c.stats.ByINS[apdu[1]]++
	}
}

func (c *Card) logged(apdu, resp []byte) []byte {
	if c.opts.Log != nil {
		fmt.Fprintf(c.opts.Log, "%s card > %s\n%s card < %s\n", time.Now().Format("15:04:05.000"),
			cardreader.FormatCommand(apdu), time.Now().Format("15:04:05.000"), cardreader.FormatResponse(resp))
	}
	return resp
}

func sw(s cardreader.SW) []byte { return []byte{s.SW1(), s.SW2()} }

func withSW(data []byte, s cardreader.SW) []byte {
	out := make([]byte, 0, len(data)+2)
	return append(append(out, data...), s.SW1(), s.SW2())
}

// processLocked is the applet. The caller must not keep apdu: it may hold
// a PIN, which the card never copies.
func (c *Card) processLocked(apdu []byte) []byte {
	c.count(apdu)
	if c.fresh {
		c.fresh = false
		if c.opts.FirstAPDU6F00 {
			return c.logged(apdu, sw(cardreader.SWNoDiagnosis))
		}
	}
	cmd, err := ParseCommand(apdu)
	if err != nil {
		return c.logged(apdu, sw(cardreader.SWWrongLength))
	}
	return c.logged(apdu, c.execute(cmd))
}

func (c *Card) execute(cmd Command) []byte {
	if cmd.CLA != 0x00 && cmd.CLA != 0x80 {
		return sw(cardreader.SWCLANotSupport)
	}
	if cmd.Extended && c.opts.NoExtendedLength {
		return sw(cardreader.SWWrongLength)
	}
	switch {
	case cmd.CLA == c.prof.Sign.CLA && cmd.INS == c.prof.Sign.INS:
		return c.sign(cmd)
	case cmd.CLA == 0x00 && cmd.INS == 0xA4:
		return c.selectFile(cmd)
	case cmd.CLA == 0x00 && cmd.INS == 0xB0:
		return c.readBinary(cmd)
	case cmd.CLA == 0x00 && cmd.INS == 0x20:
		return c.verify(cmd)
	case cmd.CLA == 0x00 && cmd.INS == 0xC0:
		return sw(cardreader.SWConditions) // no response pending: the card never answers 61xx
	}
	return sw(cardreader.SWINSNotSupport)
}

// selectFile: P1 04 selects an application by AID — the profile's applet
// (which, as on a real card, keeps the PINs' verified state) or its
// logout application, the GlobalPlatform ISD (leaving the applet, which
// drops it); P1 02 an EF of the applet; P2 must be 0C (no FCI).
func (c *Card) selectFile(cmd Command) []byte {
	if cmd.P2 != 0x0C {
		return sw(cardreader.SWWrongP1P2)
	}
	switch cmd.P1 {
	case 0x04:
		switch {
		case bytes.Equal(cmd.Data, c.prof.AID):
			c.inAP, c.hasCur = true, false
		case bytes.Equal(cmd.Data, c.prof.LogoutAID):
			c.inAP, c.hasCur = false, false
			for _, p := range c.pins {
				p.verified = false
			}
		default:
			return sw(cardreader.SWFileNotFound) // the selection stays as it was
		}
		return sw(cardreader.SWOK)
	case 0x02:
		if len(cmd.Data) != 2 {
			return sw(cardreader.SWWrongLength)
		}
		id := uint16(cmd.Data[0])<<8 | uint16(cmd.Data[1])
		if _, ok := c.files[id]; !ok || !c.inAP {
			return sw(cardreader.SWFileNotFound)
		}
		c.cur, c.hasCur = id, true
		return sw(cardreader.SWOK)
	}
	return sw(cardreader.SWWrongP1P2)
}

// readBinary: 15-bit offset of the current EF, or (P1 100xxxxx) a short
// EF identifier xxxxx — the EF of the applet whose id it is, which
// becomes the current EF — with an 8-bit offset in P2; Le 00 = 256, an
// extended Le up to 65536; a short read at the end of the file, 6B00 at
// or past its end.
func (c *Card) readBinary(cmd Command) []byte {
	if !cmd.HasLe || len(cmd.Data) > 0 {
		return sw(cardreader.SWWrongLength)
	}
	off := int(cmd.P1)<<8 | int(cmd.P2)
	if cmd.P1&0x80 != 0 {
		if cmd.P1&0x60 != 0 {
			return sw(cardreader.SWWrongP1P2)
		}
		id := uint16(cmd.P1 & 0x1F)
		if _, ok := c.files[id]; !ok || !c.inAP || id == 0 {
			return sw(cardreader.SWFileNotFound)
		}
		c.cur, c.hasCur = id, true
		off = int(cmd.P2)
	}
	if !c.hasCur {
		return sw(cardreader.SWNoCurrentEF)
	}
	f := c.files[c.cur]
	if f.kind != binaryFile {
		return sw(cardreader.SWIncompatible)
	}
	if f.pin != 0 && !c.pins[f.pin].verified {
		return sw(cardreader.SWSecurityStatus)
	}
	if off >= len(f.data) {
		return sw(cardreader.SWWrongOffset)
	}
	end := min(off+cmd.Ne, len(f.data))
	return withSW(f.data[off:end], cardreader.SWOK)
}

// verify: with no data it reports the tries left without spending one
// (63Cx, verified or not; 63C0 when blocked — 9000 when verified and
// 6984 when blocked with the options that say so); with data it checks the
// PIN of the current PIN EF: 9000, 63Cx for a wrong one (63C0 on the try
// that blocks), 6984 once blocked. A PIN of the wrong length answers 6700
// and spends nothing (a choice: the real card's answer is not public).
func (c *Card) verify(cmd Command) []byte {
	if cmd.P1 != 0x00 || cmd.P2 != c.prof.PINRef {
		return sw(cardreader.SWWrongP1P2)
	}
	if cmd.HasLe {
		return sw(cardreader.SWWrongLength)
	}
	if !c.hasCur || c.files[c.cur].kind != pinFile {
		return sw(cardreader.SWRefNotFound)
	}
	p := c.pins[c.cur]
	if len(cmd.Data) == 0 {
		switch {
		case p.tries == 0 && c.opts.Blocked6984:
			return sw(cardreader.SWDataInvalid)
		case p.tries == 0:
			return sw(0x63C0)
		case p.verified && c.opts.VerifiedStatus9000:
			return sw(cardreader.SWOK)
		}
		return sw(0x63C0 | cardreader.SW(p.tries))
	}
	if p.tries == 0 {
		return sw(cardreader.SWDataInvalid)
	}
	if len(cmd.Data) < p.minLen || len(cmd.Data) > p.maxLen {
		return sw(cardreader.SWWrongLength)
	}
	if subtle.ConstantTimeCompare(cmd.Data, p.value) == 1 {
		p.tries, p.verified = p.max, true
		return sw(cardreader.SWOK)
	}
	p.tries--
	p.verified = false
	return sw(0x63C0 | cardreader.SW(p.tries))
}

// sign (the profile's sign command, P1 P2 as it says): the current EF
// must be a key whose PIN is verified (else 6982). An RSA key pads the
// data (1–245 bytes, a DigestInfo) PKCS#1 v1.5 type 1 and signs it with
// the raw key; a P-384 key signs the data as a digest, which must be
// exactly the profile's hash size (48 bytes, else 6700), and answers r‖s
// (96 bytes).
func (c *Card) sign(cmd Command) []byte {
	if cmd.P1 != c.prof.Sign.P1 || cmd.P2 != c.prof.Sign.P2 {
		return sw(cardreader.SWWrongP1P2)
	}
	if !c.hasCur || c.files[c.cur].kind != keyFile {
		return sw(cardreader.SWSecurityStatus)
	}
	f := c.files[c.cur]
	if !c.pins[f.pin].verified {
		return sw(cardreader.SWSecurityStatus)
	}
	switch key := f.key.(type) {
	case *rsa.PrivateKey:
		if len(cmd.Data) == 0 || len(cmd.Data) > 245 {
			return sw(cardreader.SWWrongLength)
		}
		n := key.Size()
		if cmd.HasLe && cmd.Ne < n {
			return sw(0x6C00 | cardreader.SW(n&0xFF))
		}
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.Hash(0), cmd.Data)
		if err != nil {
			return sw(cardreader.SWWrongData)
		}
		return withSW(sig, cardreader.SWOK)
	case *ecdsa.PrivateKey:
		size := (key.Curve.Params().BitSize + 7) / 8
		if len(cmd.Data) != c.prof.Sign.Hash.Size() {
			return sw(cardreader.SWWrongLength)
		}
		if cmd.HasLe && cmd.Ne < 2*size {
			return sw(0x6C00 | cardreader.SW((2*size)&0xFF))
		}
		r, s, err := ecdsa.Sign(rand.Reader, key, cmd.Data)
		if err != nil {
			return sw(cardreader.SWWrongData)
		}
		sig := make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
		return withSW(sig, cardreader.SWOK)
	}
	return sw(cardreader.SWConditions)
}
