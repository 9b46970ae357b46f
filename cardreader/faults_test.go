package cardreader_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

func TestInjectedFaults(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0015")
	h := sha256.Sum256([]byte("fault"))
	// run does read-cert, AuthKey, Sign and reports the first error and
	// where it happened.
	run := func(c *cardreader.Card) (string, error) {
		ctx := context.Background()
		if _, err := c.AuthCertificate(ctx); err != nil {
			return "cert", err
		}
		k, err := c.AuthKey(ctx, []byte(r.PIN))
		if err != nil {
			return "authkey", err
		}
		if _, err := k.Sign(nil, h[:], crypto.SHA256); err != nil {
			return "sign", err
		}
		return "", nil
	}
	for _, tc := range []struct {
		name   string
		faults emucard.Faults
		quirk  bool
		at     string // where it fails; "" = it recovers
		err    error
		extra  int // APDUs beyond the minimum (recovered faults)
		after  func(t *testing.T, e *emucard.Card, c *cardreader.Card)
	}{
		{name: "spurious 6B00 mid-file is read again", faults: emucard.Faults{Spurious6B00On: emucard.Trigger{INS: 0xB0, N: 3}}, extra: 1},
		{name: "6F00 on the first APDU after power-up", quirk: true, extra: 1},
		{name: "reset before SELECT PIN: redone before any PIN is sent",
			faults: emucard.Faults{ResetOn: emucard.Trigger{INS: 0xA4, N: 4}}, extra: 1},
		{name: "reset during the certificate read: read again from the start",
			faults: emucard.Faults{ResetOn: emucard.Trigger{INS: 0xB0, N: 2}}, extra: 3},
		{name: "reset before VERIFY: nothing retried", faults: emucard.Faults{ResetOn: emucard.Trigger{INS: 0x20, N: 1}},
			at: "authkey", err: cardreader.ErrCardReset,
			after: func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if tries, _ := e.PINState(); tries != 3 {
					t.Errorf("tries %d", tries)
				}
				if _, err := c.AuthPINRetries(context.Background()); err != nil {
					t.Errorf("card after a reset: %v", err)
				}
			}},
		{name: "reset between VERIFY and sign", faults: emucard.Faults{ResetOn: emucard.Trigger{INS: 0x2A, N: 1}},
			at: "sign", err: cardreader.ErrCardReset,
			after: func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if n, err := c.AuthPINRetries(context.Background()); n != 3 || err != nil {
					t.Errorf("card after a reset: %d, %v", n, err)
				}
			}},
		{name: "pulled during READ BINARY", faults: emucard.Faults{RemoveOn: emucard.Trigger{INS: 0xB0, N: 2}},
			at: "cert", err: cardreader.ErrCardRemoved},
		{name: "pulled during VERIFY", faults: emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x20, N: 1}},
			at: "authkey", err: cardreader.ErrCardRemoved},
		{name: "pulled during sign", faults: emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x2A, N: 1}},
			at: "sign", err: cardreader.ErrCardRemoved,
			after: func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				// The Card is finished, even once a card is back.
				e.Insert()
				if _, err := c.AuthPINRetries(context.Background()); !errors.Is(err, cardreader.ErrCardRemoved) {
					t.Errorf("Card after removal: %v", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, "R0015", emucard.Options{FirstAPDU6F00: tc.quirk})
			c := open(t, e, &cardreader.Options{ShortAPDUs: true}) // READ BINARY in chunks
			e.SetFaults(tc.faults)
			at, err := run(c)
			if at != tc.at || !errors.Is(err, tc.err) {
				t.Fatalf("failed at %q with %v; want %q with %v", at, err, tc.at, tc.err)
			}
			if tc.at == "" {
				// Open's SELECT AP; SELECT AP, SELECT EF, the READ
				// BINARYs; SELECT AP, SELECT PIN, VERIFY, SELECT key,
				// sign; the logout.
				want := 9 + ceilDiv(len(r.CardCertDER), 256) + tc.extra
				if got := e.Stats().APDUs; got != want {
					t.Errorf("%d APDUs, want %d", got, want)
				}
			}
			if _, verified := e.PINState(); verified {
				t.Error("PIN left verified")
			}
			if tc.after != nil {
				tc.after(t, e, c)
			}
		})
	}
}

// swapDialer holds one of two cards in its reader.
type swapDialer struct {
	mu    sync.Mutex
	cards [2]*emucard.Card
	which int
}

func (s *swapDialer) Reader() string { return "swap" }

func (s *swapDialer) Dial(ctx context.Context) (cardreader.Conn, error) {
	s.mu.Lock()
	c := s.cards[s.which]
	s.mu.Unlock()
	return c.Dialer("swap").Dial(ctx)
}

func TestReconnectChecksItIsTheSameCard(t *testing.T) {
	fx := loadFixtures(t)
	a := resident(t, fx, "R0016")
	d := &swapDialer{cards: [2]*emucard.Card{emu(t, fx, "R0016", emucard.Options{}), emu(t, fx, "R0017", emucard.Options{})}}
	c, err := cardreader.Open(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthCertificate(context.Background()); err != nil {
		t.Fatal(err)
	}
	k, err := c.AuthKey(context.Background(), []byte(a.PIN))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(nil)
	if _, err := k.Sign(nil, h[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	// The signature closed the connection. Same card: fine.
	if _, err := c.AuthPINRetries(context.Background()); err != nil {
		t.Fatalf("same card: %v", err)
	}
	k2, err := c.AuthKey(context.Background(), []byte(a.PIN))
	if err != nil {
		t.Fatalf("same card: %v", err)
	}
	k2.(*cardreader.Key).Close()
	// Now another card is in the reader when the Card reconnects.
	d.mu.Lock()
	d.which = 1
	d.mu.Unlock()
	if _, err := c.AuthPINRetries(context.Background()); !errors.Is(err, cardreader.ErrCardChanged) {
		t.Errorf("other card: %v, want ErrCardChanged", err)
	}
	if _, err := c.AuthKey(context.Background(), []byte("1212")); !errors.Is(err, cardreader.ErrCardChanged) {
		t.Errorf("other card: %v, want ErrCardChanged", err)
	}
	if tries, _ := d.cards[1].PINState(); tries != 3 {
		t.Error("a PIN reached the other card")
	}
}

func TestBadSignatureIsCaught(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0018")
	e := emu(t, fx, "R0018", emucard.Options{})
	rec := &recorder{next: e}
	rec.rewrite = func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
		resp, err := next(apdu)
		if apdu[1] == 0x2A && len(resp) > 2 {
			resp[10] ^= 1
		}
		return resp, err
	}
	c, err := cardreader.Open(context.Background(), cardreader.NewDialer("rec", rec, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(nil)
	if _, err := k.Sign(nil, h[:], crypto.SHA256); !errors.Is(err, cardreader.ErrBadSignature) {
		t.Errorf("corrupted signature: %v", err)
	}
}

func TestNotJPKICard(t *testing.T) {
	// A card without the applet: everything 6A82 / 6D00.
	for _, sw := range [][]byte{{0x6A, 0x82}, {0x6D, 0x00}, {0x6F, 0x00}} {
		d := cardreader.NewDialer("other", script(func([]byte) []byte { return sw }), nil)
		if _, err := cardreader.Open(context.Background(), d, nil); !errors.Is(err, cardreader.ErrNotJPKI) {
			t.Errorf("SW % X: %v, want ErrNotJPKI", sw, err)
		}
	}
	// A malformed answer is not a status word.
	d := cardreader.NewDialer("broken", script(func([]byte) []byte { return []byte{0x90} }), nil)
	if _, err := cardreader.Open(context.Background(), d, nil); !errors.Is(err, cardreader.ErrMalformed) {
		t.Errorf("1-byte answer: %v", err)
	}
}

func TestCertificateWithBadDER(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		name  string
		head  []byte
		reads int // READ BINARY commands
	}{
		// EF 0008 says the certificate is there: a damaged file.
		{"not a SEQUENCE", []byte{0x04, 0x82, 0x03, 0x00}, 2},
		{"indefinite length", []byte{0x30, 0x80}, 1},
		{"length past 15 bits", []byte{0x30, 0x83, 0x01, 0x00, 0x00}, 1},
		{"non-minimal", []byte{0x30, 0x82, 0x00, 0x10}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, "R0001", emucard.Options{})
			rec := &recorder{next: e}
			var ef byte
			rec.rewrite = func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
				if apdu[1] == 0xA4 && apdu[2] == 0x02 {
					ef = apdu[len(apdu)-1]
				}
				resp, err := next(apdu)
				if apdu[1] == 0xB0 && apdu[2] == 0 && apdu[3] == 0 && ef == 0x0A && err == nil {
					resp = append(append([]byte(nil), tc.head...), resp[len(tc.head):]...)
				}
				return resp, err
			}
			c, err := cardreader.Open(context.Background(), cardreader.NewDialer("rec", rec, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.AuthCertificate(context.Background()); !errors.Is(err, cardreader.ErrMalformed) || errors.Is(err, cardreader.ErrNoCertificate) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
			if n := rec.count(0xB0); n != tc.reads {
				t.Errorf("%d READ BINARY after a bad header", n)
			}
		})
	}
}
