package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// override answers sw to the commands matching (ins, p1, p2 or any when
// negative) and passes the rest to the emulated card.
func override(e *emucard.Card, ins byte, p2 int, sw uint16) *recorder {
	rec := &recorder{next: e}
	rec.rewrite = func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
		if apdu[1] == ins && (p2 < 0 || int(apdu[3]) == p2) {
			return []byte{byte(sw >> 8), byte(sw)}, nil
		}
		return next(apdu)
	}
	return rec
}

// TestStatusWordPaths drives every status word a flow can meet through a
// card that answers it in place of the emulated card.
func TestStatusWordPaths(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0013")
	type step int
	const (
		open step = iota
		cert
		retries
		authKey
		sign
	)
	for _, tc := range []struct {
		name  string
		ins   byte
		p2    int // -1: any
		sw    uint16
		at    step
		check func(error) bool
	}{
		{"select AP 6A82: not JPKI", 0xA4, 0x0C, 0x6A82, open, is(cardreader.ErrNotJPKI)},
		{"select AP 6D00: not JPKI", 0xA4, 0x0C, 0x6D00, open, is(cardreader.ErrNotJPKI)},
		{"select AP 6E00: not JPKI", 0xA4, 0x0C, 0x6E00, open, is(cardreader.ErrNotJPKI)},
		{"read 6982: security status", 0xB0, -1, 0x6982, cert, is(cardreader.ErrSecurityStatus)},
		{"read 6B00 twice at offset 0: an empty file, no certificate", 0xB0, -1, 0x6B00, cert, func(err error) bool {
			return swIs(0x6B00)(err) && errors.Is(err, cardreader.ErrNoCertificate) && !errors.Is(err, cardreader.ErrMalformed)
		}},
		{"read 6A86: status error", 0xB0, -1, 0x6A86, cert, swIs(0x6A86)},
		{"read 6986: status error", 0xB0, -1, 0x6986, cert, swIs(0x6986)},
		{"read 6581: status error", 0xB0, -1, 0x6581, cert, swIs(0x6581)},
		{"PIN status 63C2", 0x20, -1, 0x63C2, retries, nil},
		{"PIN status 6984: blocked → 0", 0x20, -1, 0x6984, retries, nil},
		{"PIN status 9000 even after a logout: unknown, not blocked", 0x20, -1, 0x9000, retries, func(err error) bool {
			return errors.Is(err, cardreader.ErrPINTriesUnknown) && !errors.Is(err, cardreader.ErrPINBlocked)
		}},
		{"PIN status 6A88", 0x20, -1, 0x6A88, retries, swIs(0x6A88)},
		{"verify 63C1", 0x20, 0x80, 0x63C1, authKey, func(err error) bool {
			var ae *cardreader.AuthError
			return errors.As(err, &ae) && ae.Retries == 1 && !errors.Is(err, cardreader.ErrPINBlocked)
		}},
		{"verify 63C0: blocked now", 0x20, 0x80, 0x63C0, authKey, is(cardreader.ErrPINBlocked)},
		{"verify 6984: blocked", 0x20, 0x80, 0x6984, authKey, is(cardreader.ErrPINBlocked)},
		{"verify 6983: blocked", 0x20, 0x80, 0x6983, authKey, is(cardreader.ErrPINBlocked)},
		{"verify 6700", 0x20, 0x80, 0x6700, authKey, swIs(0x6700)},
		{"sign 6982: not verified", 0x2A, -1, 0x6982, sign, is(cardreader.ErrSecurityStatus)},
		{"sign 6A80", 0x2A, -1, 0x6A80, sign, swIs(0x6A80)},
		{"sign 9000 without data", 0x2A, -1, 0x9000, sign, is(cardreader.ErrMalformed)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, "R0013", emucard.Options{})
			rec := &recorder{next: e}
			d := cardreader.NewDialer("rec", rec, nil)
			arm := func() { *rec = *override(e, tc.ins, tc.p2, tc.sw) }
			if tc.at == open {
				arm()
			}
			ctx := context.Background()
			c, err := cardreader.Open(ctx, d, nil)
			if tc.at == open {
				if !tc.check(err) {
					t.Errorf("Open: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.at == cert {
				arm()
			}
			_, err = c.AuthCertificate(ctx)
			if tc.at == cert {
				if !tc.check(err) {
					t.Errorf("AuthCertificate: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch tc.at {
			case retries:
				arm()
				n, err := c.AuthPINRetries(ctx)
				switch {
				case tc.check != nil:
					if !tc.check(err) {
						t.Errorf("AuthPINRetries: %d, %v", n, err)
					}
				case tc.sw == 0x63C2 && (n != 2 || err != nil), tc.sw == 0x6984 && (n != 0 || err != nil):
					t.Errorf("AuthPINRetries: %d, %v", n, err)
				}
				return
			case authKey:
				arm()
				k, err := c.AuthKey(ctx, []byte(r.PIN))
				if k != nil || !tc.check(err) {
					t.Errorf("AuthKey: %v", err)
				}
				return
			}
			k, err := c.AuthKey(ctx, []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			arm()
			h := sha256.Sum256(nil)
			if sig, err := k.Sign(nil, h[:], crypto.SHA256); sig != nil || !tc.check(err) {
				t.Errorf("Sign: %v", err)
			}
		})
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func swIs(sw uint16) func(error) bool {
	return func(err error) bool {
		var se *cardreader.StatusError
		return errors.As(err, &se) && uint16(se.SW) == sw
	}
}

// chain61 splits every response of more than 100 data bytes: the first
// 100 bytes with 61xx, the rest through GET RESPONSE, in pieces.
func chain61(e *emucard.Card) *recorder {
	var pending []byte
	rec := &recorder{next: e}
	rec.rewrite = func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
		if apdu[1] == 0xC0 {
			if len(pending) == 0 {
				return []byte{0x69, 0x85}, nil
			}
			n := int(apdu[4])
			if n == 0 {
				n = 256
			}
			n = min(n, 70, len(pending))
			out := append([]byte(nil), pending[:n]...)
			pending = pending[n:]
			if len(pending) > 0 {
				return append(out, 0x61, byte(min(len(pending), 256))), nil
			}
			return append(out, 0x90, 0x00), nil
		}
		r, err := next(apdu)
		if err != nil || len(r) <= 102 || !bytes.Equal(r[len(r)-2:], []byte{0x90, 0x00}) {
			return r, err
		}
		data := r[:len(r)-2]
		pending = append([]byte(nil), data[100:]...)
		return append(append([]byte(nil), data[:100]...), 0x61, byte(min(len(pending), 256))), nil
	}
	return rec
}

// wrongLe answers 6Cxx to every READ BINARY and sign whose Le is not the
// exact length, as T=0 cards do.
func wrongLe(e *emucard.Card) *recorder {
	rec := &recorder{next: e}
	rec.rewrite = func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
		if apdu[1] == 0xB0 && apdu[4] == 0x00 {
			return []byte{0x6C, 0xC8}, nil // exactly 200, please
		}
		return next(apdu)
	}
	return rec
}

func TestResponseChaining(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0014")
	for _, tc := range []struct {
		name string
		wrap func(*emucard.Card) *recorder
		// extra APDUs beyond the minimum, as a function of the
		// certificate length
		check func(t *testing.T, rec *recorder, certLen int)
	}{
		{"61xx GET RESPONSE", chain61, func(t *testing.T, rec *recorder, certLen int) {
			if rec.count(0xC0) == 0 {
				t.Error("no GET RESPONSE sent")
			}
		}},
		{"6Cxx re-send with Le", wrongLe, func(t *testing.T, rec *recorder, certLen int) {
			// Every 256-byte read is refused once and re-sent as 200.
			if rec.count(0xB0) < 2*ceilDiv(certLen, 256) {
				t.Errorf("%d READ BINARY", rec.count(0xB0))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, "R0014", emucard.Options{})
			rec := tc.wrap(e)
			c, err := cardreader.Open(context.Background(), cardreader.NewDialer("rec", rec, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := c.AuthCertificate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cert.Raw, r.CardCertDER) {
				t.Fatal("certificate differs")
			}
			k, err := c.AuthKey(context.Background(), []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256([]byte("chained"))
			sig, err := k.Sign(nil, h[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
				t.Error(err)
			}
			tc.check(t, rec, len(r.CardCertDER))
		})
	}
}

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		data []byte
		sw   cardreader.SW
		err  bool
	}{
		{[]byte{0x90, 0x00}, []byte{}, 0x9000, false},
		{[]byte{1, 2, 3, 0x63, 0xC2}, []byte{1, 2, 3}, 0x63C2, false},
		{[]byte{0x90}, nil, 0, true},
		{nil, nil, 0, true},
	} {
		data, sw, err := cardreader.ParseResponse(tc.in)
		if (err != nil) != tc.err || sw != tc.sw || !bytes.Equal(data, tc.data) {
			t.Errorf("ParseResponse(% X) = % X, %v, %v", tc.in, data, sw, err)
		}
	}
	if n, ok := cardreader.SW(0x63C2).Tries(); !ok || n != 2 {
		t.Error("63C2 tries")
	}
	if _, ok := cardreader.SW(0x6300).Tries(); ok {
		t.Error("6300 has tries")
	}
}

func TestFormatCommandRedacts(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"\x00\x20\x00\x80\x04" + "1234", "00 20 00 80 04 [4 bytes redacted]"},
		{"\x00\x24\x00\x80\x08" + "12345678", "00 24 00 80 08 [8 bytes redacted]"},
		{"\x00\x20\x00\x80", "00 20 00 80"},
		{"\x00\xA4\x02\x0C\x02\x00\x0A", "00 A4 02 0C 02 000A"},
		{"\x00\xB0\x01\x00\x00", "00 B0 01 00 00"},
	} {
		if got := cardreader.FormatCommand([]byte(tc.in)); got != tc.want {
			t.Errorf("FormatCommand(% X) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
