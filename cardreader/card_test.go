package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"strings"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// TestReadCertificate: one extended-length READ BINARY where the card
// and reader take it; ⌈L/256⌉ short ones with Options.ShortAPDUs, in a
// reader that carries short APDUs only, or after the card refused the
// extended one (6700, or 6Cxx).
func TestReadCertificate(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		name     string
		emu      emucard.Options
		opts     *cardreader.Options
		rewrite  uint16 // answer the extended READ BINARY this instead of the card
		ext      int    // extended-length READ BINARY sent
		shortRds bool   // then ⌈L/256⌉ short ones
	}{
		{"card and reader take extended APDUs", emucard.Options{}, nil, 0, 1, false},
		{"ShortAPDUs", emucard.Options{}, &cardreader.Options{ShortAPDUs: true}, 0, 0, true},
		{"a reader without extended APDUs", emucard.Options{ShortReader: true}, nil, 0, 0, true},
		{"a card that answers 6700", emucard.Options{NoExtendedLength: true}, nil, 0, 1, true},
		{"a card that answers 6C00", emucard.Options{}, nil, 0x6C00, 1, true},
		{"a card that answers 6CFF", emucard.Options{}, nil, 0x6CFF, 1, true},
	} {
		for _, id := range []string{"R0001", "R0006", "P0100"} {
			t.Run(tc.name+"/"+id, func(t *testing.T) {
				r := resident(t, fx, id)
				e := emu(t, fx, id, tc.emu)
				ext := 0
				rec := &recorder{next: e, rewrite: func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
					if apdu[1] == 0xB0 && len(apdu) == 7 {
						ext++
						if tc.rewrite != 0 {
							return []byte{byte(tc.rewrite >> 8), byte(tc.rewrite)}, nil
						}
					}
					return next(apdu)
				}}
				d := e.Dialer("emulated")
				if !tc.emu.ShortReader {
					d = cardreader.NewDialer("rec", rec, e.ATR())
				}
				c, err := cardreader.Open(context.Background(), d, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				cert, err := c.AuthCertificate(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(cert.Raw, r.CardCertDER) {
					t.Fatal("certificate differs from the fixtures'")
				}
				want := tc.ext
				if tc.shortRds {
					want += ceilDiv(len(r.CardCertDER), 256)
				}
				if got := e.Stats().ByINS[0xB0] + boolInt(tc.rewrite != 0); got != want || ext != tc.ext {
					t.Errorf("READ BINARY × %d (%d extended) for %d bytes, want %d (%d extended)", got, ext, len(r.CardCertDER), want, tc.ext)
				}
			})
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAPDUCountMinimal: read-cert + verify + sign, each operation in its
// own transaction that begins with a SELECT of the applet: Open's SELECT
// AP; SELECT AP, SELECT EF, one extended READ BINARY (or ⌈L/256⌉ short
// ones); SELECT AP, SELECT PIN, VERIFY, SELECT key, sign; then a SELECT
// of another application logs out.
func TestAPDUCountMinimal(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0001")
	for _, short := range []bool{false, true} {
		e := emu(t, fx, "R0001", emucard.Options{})
		rec := &recorder{next: e}
		c, err := cardreader.Open(context.Background(), cardreader.NewDialer("rec", rec, e.ATR()), &cardreader.Options{ShortAPDUs: short})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := c.AuthCertificate(ctx); err != nil {
			t.Fatal(err)
		}
		key, err := c.AuthKey(ctx, []byte(r.PIN))
		if err != nil {
			t.Fatal(err)
		}
		d := sha256.Sum256([]byte("request"))
		if _, err := key.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
			t.Fatal(err)
		}
		reads := 1
		if short {
			reads = ceilDiv(len(r.CardCertDER), 256)
		}
		wantSeq := []byte{0xA4, 0xA4, 0xA4}
		for range reads {
			wantSeq = append(wantSeq, 0xB0)
		}
		wantSeq = append(wantSeq, 0xA4, 0xA4, 0x20, 0xA4, 0x2A, 0xA4)
		if !bytes.Equal(rec.ins, wantSeq) {
			t.Errorf("short %v: sequence % X, want % X (the last SELECT is the logout)", short, rec.ins, wantSeq)
		}
		t.Logf("short APDUs %v: read-cert+verify+sign: %d APDUs (logout included) for a %d-byte certificate", short, len(rec.ins), len(r.CardCertDER))
	}
}

func TestSignVerifiesWithCertificate(t *testing.T) {
	fx := loadFixtures(t)
	msg := []byte("kofu request")
	s256, s384, s512 := sha256.Sum256(msg), sha512.Sum384(msg), sha512.Sum512(msg)
	di, err := cardreader.DigestInfo(s256[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		digest []byte
		opts   crypto.SignerOpts
		hash   crypto.Hash
	}{
		{"SHA-256", s256[:], crypto.SHA256, crypto.SHA256},
		{"SHA-384", s384[:], crypto.SHA384, crypto.SHA384},
		{"SHA-512", s512[:], crypto.SHA512, crypto.SHA512},
		{"raw DigestInfo", di, crypto.Hash(0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := resident(t, fx, "R0002")
			c := open(t, emu(t, fx, "R0002", emucard.Options{}), nil)
			cert, err := c.AuthCertificate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			key, err := c.AuthKey(context.Background(), []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			if !key.Public().(*rsa.PublicKey).Equal(cert.PublicKey) {
				t.Fatal("key's public key is not the certificate's")
			}
			sig, err := key.Sign(rand.Reader, tc.digest, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), tc.hash, tc.digest, sig); err != nil {
				t.Errorf("signature does not verify: %v", err)
			}
			if tc.hash != 0 {
				if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), tc.hash, s256[:4], sig); err == nil {
					t.Error("signature verifies for another digest")
				}
			}
		})
	}
}

func TestSignRefusesWhatTheCardCannotDo(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0003")
	e := emu(t, fx, "R0003", emucard.Options{})
	c := open(t, e, nil)
	key, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	s1 := sha1.Sum([]byte("x"))
	s256 := sha256.Sum256([]byte("x"))
	before := e.Stats().APDUs
	for _, tc := range []struct {
		name   string
		digest []byte
		opts   crypto.SignerOpts
	}{
		{"PSS", s256[:], &rsa.PSSOptions{Hash: crypto.SHA256}},
		{"PSS auto salt", s256[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto, Hash: crypto.SHA256}},
		{"SHA-1", s1[:], crypto.SHA1},
		{"MD5", make([]byte, 16), crypto.MD5},
		{"SHA-224", make([]byte, 28), crypto.SHA224},
		{"short SHA-256", s256[:31], crypto.SHA256},
		{"raw non-DigestInfo", []byte("not a DigestInfo"), crypto.Hash(0)},
		{"raw with trailing bytes", append(mustDI(t, s256[:]), 0), crypto.Hash(0)},
		{"raw SHA-1 DigestInfo", append([]byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14}, s1[:]...), crypto.Hash(0)},
		{"nil opts", s256[:], nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := key.Sign(rand.Reader, tc.digest, tc.opts); !errors.Is(err, cardreader.ErrUnsupportedSignature) {
				t.Errorf("err = %v, want ErrUnsupportedSignature", err)
			}
		})
	}
	if e.Stats().APDUs != before {
		t.Error("a refused request reached the card")
	}
	// Refusals do not use the key up.
	if _, err := key.Sign(rand.Reader, s256[:], crypto.SHA256); err != nil {
		t.Errorf("sign after refusals: %v", err)
	}
}

func mustDI(t *testing.T, d []byte) []byte {
	t.Helper()
	di, err := cardreader.DigestInfo(d, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return di
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestPINZeroedAfterUse(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0004")
	for _, tc := range []struct {
		name string
		pin  string
	}{
		{"right PIN", r.PIN},
		{"wrong PIN", "0000"},
		{"too short", "123"},
		{"not digits", "12a4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := open(t, emu(t, fx, "R0004", emucard.Options{}), nil)
			pin := []byte(tc.pin)
			key, _ := c.AuthKey(context.Background(), pin)
			if !allZero(pin) {
				t.Errorf("caller's PIN slice not zeroed: %q", pin)
			}
			if key != nil {
				key.(*cardreader.Key).Close()
			}
		})
	}
}

func TestWrongPINLocksOnThirdTry(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0008")
	e := emu(t, fx, "R0008", emucard.Options{})
	c := open(t, e, nil)
	ctx := context.Background()
	if n, err := c.AuthPINRetries(ctx); n != 3 || err != nil {
		t.Fatalf("AuthPINRetries = %d, %v; want 3", n, err)
	}
	for i, want := range []int{2, 1, 0} {
		_, err := c.AuthKey(ctx, []byte("0000"))
		var ae *cardreader.AuthError
		if !errors.As(err, &ae) || ae.Retries != want {
			t.Fatalf("wrong PIN #%d: err = %v, want AuthError{%d}", i+1, err, want)
		}
		if blocked := errors.Is(err, cardreader.ErrPINBlocked); blocked != (want == 0) {
			t.Errorf("wrong PIN #%d: Is(ErrPINBlocked) = %v", i+1, blocked)
		}
		if n, err := c.AuthPINRetries(ctx); n != want || err != nil {
			t.Errorf("after wrong PIN #%d: AuthPINRetries = %d, %v", i+1, n, err)
		}
	}
	// The right PIN now meets a blocked card: 6984.
	_, err := c.AuthKey(ctx, []byte(r.PIN))
	var se *cardreader.StatusError
	if !errors.Is(err, cardreader.ErrPINBlocked) || !errors.As(err, &se) || se.SW != 0x6984 {
		t.Errorf("right PIN on a blocked card: %v, want 6984 ErrPINBlocked", err)
	}
	if tries, _ := e.PINState(); tries != 0 {
		t.Errorf("card tries %d", tries)
	}
}

func TestResidentsPINStates(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		id      string
		tries   int
		blocked bool
	}{{"R0001", 3, false}, {"R0012", 1, false}, {"R0007", 0, true}} {
		t.Run(tc.id, func(t *testing.T) {
			r := resident(t, fx, tc.id)
			c := open(t, emu(t, fx, tc.id, emucard.Options{}), nil)
			if n, err := c.AuthPINRetries(context.Background()); n != tc.tries || err != nil {
				t.Errorf("AuthPINRetries = %d, %v; want %d", n, err, tc.tries)
			}
			k, err := c.AuthKey(context.Background(), []byte(r.PIN))
			if blocked := errors.Is(err, cardreader.ErrPINBlocked); blocked != tc.blocked {
				t.Errorf("AuthKey with the right PIN: %v", err)
			}
			if k != nil {
				k.(*cardreader.Key).Close()
			}
		})
	}
}

func TestPINFormatRefusedBeforeTheCard(t *testing.T) {
	fx := loadFixtures(t)
	e := emu(t, fx, "R0001", emucard.Options{})
	c := open(t, e, nil)
	if _, err := c.AuthCertificate(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := e.Stats().APDUs
	for _, pin := range []string{"", "123", "12345", "12a4", "１２３４", "12 4"} {
		if _, err := c.AuthKey(context.Background(), []byte(pin)); !errors.Is(err, cardreader.ErrPINFormat) {
			t.Errorf("PIN %q: err = %v, want ErrPINFormat", pin, err)
		}
	}
	if e.Stats().APDUs != before {
		t.Error("a malformed PIN reached the card")
	}
	if tries, _ := e.PINState(); tries != 3 {
		t.Errorf("tries %d", tries)
	}
}

func TestLogoutAfterSign(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0009")
	e := emu(t, fx, "R0009", emucard.Options{})
	c := open(t, e, nil)
	k, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	if _, verified := e.PINState(); !verified {
		t.Fatal("PIN not verified after AuthKey")
	}
	d := sha256.Sum256(nil)
	if _, err := k.Sign(nil, d[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, verified := e.PINState(); verified {
		t.Error("PIN still verified after the signature")
	}
	// One signature per PIN.
	if _, err := k.Sign(nil, d[:], crypto.SHA256); !errors.Is(err, cardreader.ErrKeyReleased) {
		t.Errorf("second Sign: %v, want ErrKeyReleased", err)
	}
	// Even straight at the card, sign is refused now.
	for _, apdu := range [][]byte{{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17}, append(append([]byte{0x80, 0x2A, 0x00, 0x80, 51}, mustDI(t, d[:])...), 0)} {
		resp, _ := e.Transmit(context.Background(), apdu)
		if apdu[1] == 0x2A && !bytes.Equal(resp, []byte{0x69, 0x82}) {
			t.Errorf("raw sign after logout answered % X, want 6982", resp)
		}
	}
	// The card is still usable (it reconnects and checks it is the same card).
	if n, err := c.AuthPINRetries(context.Background()); n != 3 || err != nil {
		t.Errorf("AuthPINRetries after sign = %d, %v", n, err)
	}
}

func TestKeyHoldExpires(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0010")
	e := emu(t, fx, "R0010", emucard.Options{})
	c := open(t, e, &cardreader.Options{KeyHold: 50 * time.Millisecond})
	k, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, verified := e.PINState(); verified {
		t.Error("PIN still verified after KeyHold")
	}
	d := sha256.Sum256(nil)
	if _, err := k.Sign(nil, d[:], crypto.SHA256); !errors.Is(err, cardreader.ErrKeyReleased) {
		t.Errorf("Sign after KeyHold: %v, want ErrKeyReleased", err)
	}
	if n, err := c.AuthPINRetries(context.Background()); n != 3 || err != nil {
		t.Errorf("card after KeyHold: %d, %v", n, err)
	}
}

func TestOperationsWaitForAnOpenKey(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0011")
	c := open(t, emu(t, fx, "R0011", emucard.Options{}), nil)
	k, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.AuthPINRetries(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("operation while a key holds the card: %v, want to wait", err)
	}
	k.(*cardreader.Key).Close()
	if _, err := c.AuthPINRetries(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSmartphoneTokenNeedsPINForCertificate(t *testing.T) {
	fx := loadFixtures(t)
	c := open(t, emu(t, fx, "R0001", emucard.Options{Variant: emucard.Smartphone}), nil)
	tok, err := c.Token(context.Background())
	if err != nil || tok != cardreader.TokenSmartphone {
		t.Errorf("Token = %q, %v", tok, err)
	}
	if _, err := c.AuthCertificate(context.Background()); !errors.Is(err, cardreader.ErrSecurityStatus) {
		t.Errorf("AuthCertificate on a smartphone token: %v, want ErrSecurityStatus", err)
	}
	c2 := open(t, emu(t, fx, "R0001", emucard.Options{}), nil)
	if tok, err := c2.Token(context.Background()); err != nil || tok != cardreader.TokenMyNumber {
		t.Errorf("Token = %q, %v", tok, err)
	}
}

func TestTraceRedactsPIN(t *testing.T) {
	fx := loadFixtures(t)
	var trace, cardLog bytes.Buffer
	e := emu(t, fx, "R0001", emucard.Options{Log: &cardLog})
	c := open(t, e, &cardreader.Options{Trace: &trace})
	k, err := c.AuthKey(context.Background(), []byte("1234"))
	if err != nil {
		t.Fatal(err)
	}
	k.(*cardreader.Key).Close()
	for name, b := range map[string]string{"trace": trace.String(), "card log": cardLog.String()} {
		if strings.Contains(b, "31323334") || strings.Contains(b, "31 32 33 34") {
			t.Errorf("%s holds the PIN:\n%s", name, b)
		}
		if !strings.Contains(b, "00 20 00 80 04 [4 bytes redacted]") {
			t.Errorf("%s lacks the redacted VERIFY:\n%s", name, b)
		}
	}
	if !strings.Contains(trace.String(), "00 A4 04 0C 0A D392F000260100000001") {
		t.Errorf("trace lacks SELECT AP:\n%s", trace.String())
	}
}

func TestSlowCardAndCancellation(t *testing.T) {
	fx := loadFixtures(t)
	e := emu(t, fx, "R0001", emucard.Options{})
	c := open(t, e, nil)
	e.SetFaults(emucard.Faults{Delay: 300 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.AuthCertificate(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow card under a 50 ms deadline: %v", err)
	}
	e.SetFaults(emucard.Faults{Delay: time.Millisecond})
	if _, err := c.AuthCertificate(context.Background()); err != nil {
		t.Errorf("after the deadline: %v", err)
	}
}
