package cardreader_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// TestRealCardStatusWords: the answers real cards are reported to give
// (research/jpki-card.md), each from an emulated card variant, through
// the whole Card API; the same for a generation-1 and a generation-2
// card.
func TestRealCardStatusWords(t *testing.T) {
	for _, id := range []string{"R0005", "G0001"} {
		t.Run(id, func(t *testing.T) { testRealCardStatusWords(t, id) })
	}
}

func testRealCardStatusWords(t *testing.T, id string) {
	fx := loadFixtures(t)
	r := resident(t, fx, id)
	ctx := context.Background()
	selAP := func(e *emucard.Card) string {
		return fmt.Sprintf("00A4040C%02X%X", len(e.Profile().AID), e.Profile().AID)
	}
	// leftover verifies the PIN on the card as another client would, and
	// leaves it verified.
	leftover := func(t *testing.T, e *emucard.Card) {
		for _, a := range []string{selAP(e), "00A4020C020018", "00200080043" + string(r.PIN[0]) + "3" + string(r.PIN[1]) + "3" + string(r.PIN[2]) + "3" + string(r.PIN[3])} {
			if resp := e.Process(mustHex(a)); resp[len(resp)-2] != 0x90 {
				t.Fatalf("%s: % X", a, resp)
			}
		}
	}
	block := func(t *testing.T, e *emucard.Card) {
		for _, a := range []string{selAP(e), "00A4020C020018", "002000800439393939", "002000800439393939", "002000800439393939"} {
			e.Process(mustHex(a))
		}
		if tries, _ := e.PINState(); tries != 0 {
			t.Fatalf("not blocked: %d tries", tries)
		}
	}
	for _, tc := range []struct {
		name  string
		opts  emucard.Options
		setup func(*testing.T, *emucard.Card)
		check func(*testing.T, *emucard.Card, *cardreader.Card)
	}{
		{"tries query while another client left the PIN verified: 63C3", emucard.Options{}, leftover,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if n, err := c.AuthPINRetries(ctx); n != 3 || err != nil {
					t.Errorf("AuthPINRetries = %d, %v; want 3", n, err)
				}
			}},
		{"9000 while verified: kofu logs the leftover out and asks again", emucard.Options{VerifiedStatus9000: true}, leftover,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if n, err := c.AuthPINRetries(ctx); n != 3 || err != nil {
					t.Errorf("AuthPINRetries = %d, %v; want 3", n, err)
				}
				if _, v := e.PINState(); v {
					t.Error("the leftover verified state is still there")
				}
				signs(t, c, r.PIN)
			}},
		{"6F00 to the first APDU after power-up: retried once", emucard.Options{FirstAPDU6F00: true}, nil,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if _, err := c.AuthCertificate(ctx); err != nil {
					t.Error(err)
				}
				signs(t, c, r.PIN)
				// The signature powered the card down: 6F00 again, retried again.
				if n, err := c.AuthPINRetries(ctx); n != 3 || err != nil {
					t.Errorf("after a power-down: %d, %v", n, err)
				}
			}},
		{"blocked: the tries query answers 63C0", emucard.Options{}, block,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) { blocked(t, c, r.PIN) }},
		{"blocked: the tries query answers 6984", emucard.Options{Blocked6984: true}, block,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) { blocked(t, c, r.PIN) }},
		{"no user-authentication certificate", emucard.Options{NoAuthCert: true}, nil,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				_, err := c.AuthCertificate(ctx)
				if !errors.Is(err, cardreader.ErrNoCertificate) || errors.Is(err, cardreader.ErrMalformed) {
					t.Fatalf("AuthCertificate: %v, want ErrNoCertificate", err)
				}
				if !strings.Contains(err.Error(), "this card has no user-authentication certificate") {
					t.Errorf("message %q does not say it plainly", err)
				}
				if _, err := c.AuthKey(ctx, []byte(r.PIN)); !errors.Is(err, cardreader.ErrNoCertificate) {
					t.Errorf("AuthKey: %v", err)
				}
				if tries, _ := e.PINState(); tries != 3 {
					t.Errorf("a PIN try was spent: %d left", tries)
				}
			}},
		{"no certificate, short APDUs", emucard.Options{NoAuthCert: true, NoExtendedLength: true}, nil,
			func(t *testing.T, e *emucard.Card, c *cardreader.Card) {
				if _, err := c.AuthCertificate(ctx); !errors.Is(err, cardreader.ErrNoCertificate) {
					t.Fatalf("AuthCertificate: %v, want ErrNoCertificate", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, id, tc.opts)
			if tc.setup != nil {
				tc.setup(t, e)
			}
			c := open(t, e, nil)
			tc.check(t, e, c)
		})
	}
}

func signs(t *testing.T, c *cardreader.Card, pin string) {
	t.Helper()
	k, err := c.AuthKey(context.Background(), []byte(pin))
	if err != nil {
		t.Fatalf("AuthKey: %v", err)
	}
	h := crypto.SHA256
	if kt, _ := cardreader.KeyTypeOf(k.Public()); kt == cardreader.KeyECDSAP384 {
		h = crypto.SHA384
	}
	if _, err := k.Sign(nil, make([]byte, h.Size()), h); err != nil {
		t.Fatalf("Sign: %v", err)
	}
}

func blocked(t *testing.T, c *cardreader.Card, pin string) {
	t.Helper()
	if n, err := c.AuthPINRetries(context.Background()); n != 0 || err != nil {
		t.Errorf("AuthPINRetries = %d, %v; want 0", n, err)
	}
	if _, err := c.AuthKey(context.Background(), []byte(pin)); !errors.Is(err, cardreader.ErrPINBlocked) {
		t.Errorf("AuthKey on a blocked PIN: %v, want ErrPINBlocked", err)
	}
}
