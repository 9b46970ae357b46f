package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/protocol"
)

// TestGen2Sign: a generation-2 card (P-384) is detected by its AID, its
// certificate read, and its key signs a SHA-384 digest: the card answers
// r‖s to the assumed PSO: COMPUTE DIGITAL SIGNATURE, the Key returns
// ASN.1 DER that verifies with the certificate (and converts to the JWS
// form protocol sends). The sequence is generation 1's, plus the one
// SELECT of the generation-1 AID that detection costs in Open; the card
// is logged out after.
func TestGen2Sign(t *testing.T) {
	fx := loadFixtures(t)
	for _, id := range []string{"G0001", "G0002"} {
		for _, short := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/short=%v", id, short), func(t *testing.T) {
				r := resident(t, fx, id)
				e := emu(t, fx, id, emucard.Options{})
				var sent [][]byte
				rec := &recorder{next: e, rewrite: func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
					sent = append(sent, bytes.Clone(apdu))
					return next(apdu)
				}}
				ctx := context.Background()
				c, err := cardreader.Open(ctx, cardreader.NewDialer("rec", rec, e.ATR()), &cardreader.Options{ShortAPDUs: short})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if p := c.Profile(); p.Name != "gen2-assumed" || p.Key != cardreader.KeyECDSAP384 || !p.Assumed {
					t.Fatalf("profile %v", p)
				}
				cert, err := c.AuthCertificate(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(cert.Raw, r.CardCertDER) {
					t.Fatal("certificate differs from the fixtures'")
				}
				key, err := c.AuthKey(ctx, []byte(r.PIN))
				if err != nil {
					t.Fatal(err)
				}
				pub, ok := key.Public().(*ecdsa.PublicKey)
				if !ok || !pub.Equal(cert.PublicKey) {
					t.Fatalf("key's public key %T is not the certificate's", key.Public())
				}
				d := sha512.Sum384([]byte("kofu request"))
				sig, err := key.Sign(rand.Reader, d[:], crypto.SHA384)
				if err != nil {
					t.Fatal(err)
				}
				if !ecdsa.VerifyASN1(pub, d[:], sig) {
					t.Error("signature does not verify with the certificate")
				}
				if _, err := protocol.ECDSASignatureToJWS(sig, elliptic.P384()); err != nil {
					t.Errorf("not canonical DER: %v", err)
				}
				if tries, verified := e.PINState(); tries != 3 || verified {
					t.Errorf("card after sign: tries %d, verified %v", tries, verified)
				}
				reads := 1
				if short {
					reads = ceilDiv(len(r.CardCertDER), 256)
				}
				want := []byte{0xA4, 0xA4, 0xA4, 0xA4}
				for range reads {
					want = append(want, 0xB0)
				}
				want = append(want, 0xA4, 0xA4, 0x20, 0xA4, 0x2A, 0xA4)
				if !bytes.Equal(rec.ins, want) {
					t.Errorf("sequence % X, want % X", rec.ins, want)
				}
				// The sign command is the profile's, with the raw digest.
				p := cardreader.ProfileGen2Assumed()
				signCmd := append(append([]byte{p.Sign.CLA, p.Sign.INS, p.Sign.P1, p.Sign.P2, 48}, d[:]...), 0)
				if !slices.ContainsFunc(sent, func(a []byte) bool { return bytes.Equal(a, signCmd) }) {
					t.Errorf("no % X among the commands", signCmd[:5])
				}
				t.Logf("%s short %v: read-cert+verify+sign: %d APDUs (detection and logout included) for a %d-byte certificate",
					id, short, len(rec.ins), len(r.CardCertDER))
			})
		}
	}
}

// TestGen2SignRefusesWhatTheCardCannotDo: an ECDSA P-384 card signs a
// 48-byte SHA-384 digest only; anything else is refused before the card
// sees it, without using the key up.
func TestGen2SignRefusesWhatTheCardCannotDo(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "G0001")
	e := emu(t, fx, "G0001", emucard.Options{})
	c := open(t, e, nil)
	key, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	s256, s384, s512 := sha256.Sum256([]byte("x")), sha512.Sum384([]byte("x")), sha512.Sum512([]byte("x"))
	before := e.Stats().APDUs
	for _, tc := range []struct {
		name   string
		digest []byte
		opts   crypto.SignerOpts
	}{
		{"SHA-256", s256[:], crypto.SHA256},
		{"SHA-512", s512[:], crypto.SHA512},
		{"SHA-384 options, SHA-256 digest", s256[:], crypto.SHA384},
		{"short SHA-384", s384[:47], crypto.SHA384},
		{"ready DigestInfo", mustDI(t, s256[:]), crypto.Hash(0)},
		{"PSS", s384[:], &rsa.PSSOptions{Hash: crypto.SHA384}},
		{"nil opts", s384[:], nil},
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
	sig, err := key.Sign(rand.Reader, s384[:], crypto.SHA384)
	if err != nil {
		t.Fatalf("sign after refusals: %v", err)
	}
	if !ecdsa.VerifyASN1(key.Public().(*ecdsa.PublicKey), s384[:], sig) {
		t.Error("signature does not verify")
	}
}

// TestGen2BadAnswers: what the card answers to the sign command is
// checked: a signature that does not verify is ErrBadSignature, one of
// the wrong length or with r or s out of range ErrMalformed.
func TestGen2BadAnswers(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "G0001")
	for _, tc := range []struct {
		name    string
		rewrite func(sig []byte) []byte
		want    error
	}{
		{"a bit flipped in s", func(s []byte) []byte { s[95] ^= 1; return s }, cardreader.ErrBadSignature},
		{"r and s swapped", func(s []byte) []byte { return append(bytes.Clone(s[48:96]), s[:48]...) }, cardreader.ErrBadSignature},
		{"95 bytes", func(s []byte) []byte { return s[1:96] }, cardreader.ErrMalformed},
		{"ASN.1 DER instead of r‖s", func(s []byte) []byte {
			der, _ := cardreader.ECDSASignatureDER(s[:96], elliptic.P384())
			return der
		}, cardreader.ErrMalformed},
		{"r = 0", func(s []byte) []byte { clear(s[:48]); return s[:96] }, cardreader.ErrMalformed},
		{"s = n", func(s []byte) []byte { elliptic.P384().Params().N.FillBytes(s[48:96]); return s[:96] }, cardreader.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emu(t, fx, "G0001", emucard.Options{})
			rec := &recorder{next: e, rewrite: func(apdu []byte, next func([]byte) ([]byte, error)) ([]byte, error) {
				resp, err := next(apdu)
				if err != nil || apdu[1] != 0x2A || len(resp) != 98 {
					return resp, err
				}
				return append(tc.rewrite(resp[:96]), 0x90, 0x00), nil
			}}
			c, err := cardreader.Open(context.Background(), cardreader.NewDialer("rec", rec, e.ATR()), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			key, err := c.AuthKey(context.Background(), []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			d := sha512.Sum384([]byte("m"))
			if _, err := key.Sign(nil, d[:], crypto.SHA384); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if _, verified := e.PINState(); verified {
				t.Error("the card is left verified")
			}
		})
	}
}

// TestProfileDetection: which profile a card gets, by the AIDs it
// answers and then its certificate's key type, and what a card whose key
// fits no profile does.
func TestProfileDetection(t *testing.T) {
	fx := loadFixtures(t)
	gen1, gen2 := cardreader.ProfileGen1(), cardreader.ProfileGen2Assumed()
	// A generation-2 card that kept the JPKI AID (one way the real card
	// may differ from the assumption).
	gen2JPKI := cardreader.ProfileGen2Assumed()
	gen2JPKI.Name, gen2JPKI.AID = "gen2-jpki-aid", gen1.AID
	for _, tc := range []struct {
		name     string
		id       string
		card     cardreader.Profile // the emulated card's; zero: by its key
		profiles []cardreader.Profile
		open     error  // Open's error
		selects  int    // SELECTs by AID in Open
		want     string // the profile after AuthCertificate
		key      error  // AuthKey's error
	}{
		{"generation 1, default profiles", "R0001", cardreader.Profile{}, nil, nil, 1, "gen1", nil},
		{"generation 2, default profiles", "G0001", cardreader.Profile{}, nil, nil, 2, "gen2-assumed", nil},
		{"generation 2 pinned", "G0003", cardreader.Profile{}, []cardreader.Profile{gen2}, nil, 1, "gen2-assumed", nil},
		{"generation 2 card, generation 1 pinned", "G0001", cardreader.Profile{}, []cardreader.Profile{gen1}, cardreader.ErrNotJPKI, 1, "", nil},
		{"generation 1 card, generation 2 pinned", "R0001", cardreader.Profile{}, []cardreader.Profile{gen2}, cardreader.ErrNotJPKI, 1, "", nil},
		{"P-384 card under the JPKI AID, default profiles", "G0001", gen2JPKI, nil, nil, 1, "gen1", cardreader.ErrCardKeyType},
		{"P-384 card under the JPKI AID, a profile for it", "G0001", gen2JPKI, []cardreader.Profile{gen1, gen2JPKI}, nil, 1, "gen2-jpki-aid", nil},
		{"RSA card under the JPKI AID, both profiles", "R0002", cardreader.Profile{}, []cardreader.Profile{gen2JPKI, gen1}, nil, 1, "gen1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := resident(t, fx, tc.id)
			e := emu(t, fx, tc.id, emucard.Options{Profile: tc.card})
			rec := &recorder{next: e}
			ctx := context.Background()
			c, err := cardreader.Open(ctx, cardreader.NewDialer("rec", rec, e.ATR()), &cardreader.Options{Profiles: tc.profiles})
			if got := rec.count(0xA4); got != tc.selects {
				t.Errorf("%d SELECTs in Open, want %d", got, tc.selects)
			}
			if !errors.Is(err, tc.open) {
				t.Fatalf("Open: %v, want %v", err, tc.open)
			}
			if err != nil {
				return
			}
			defer c.Close()
			if _, err := c.AuthCertificate(ctx); err != nil {
				t.Fatal(err)
			}
			if got := c.Profile().Name; got != tc.want {
				t.Errorf("profile %s, want %s", got, tc.want)
			}
			before := e.Stats().APDUs
			key, err := c.AuthKey(ctx, []byte(r.PIN))
			if !errors.Is(err, tc.key) {
				t.Fatalf("AuthKey: %v, want %v", err, tc.key)
			}
			if err != nil {
				if e.Stats().APDUs != before {
					t.Error("a refused key reached the card")
				}
				return
			}
			h := crypto.SHA256
			if _, ok := key.Public().(*ecdsa.PublicKey); ok {
				h = crypto.SHA384
			}
			d := h.New()
			d.Write([]byte("m"))
			if _, err := key.Sign(nil, d.Sum(nil), h); err != nil {
				t.Errorf("sign: %v", err)
			}
		})
	}
}

// TestProfileValidate: a profile that cannot work is refused by Open.
func TestProfileValidate(t *testing.T) {
	fx := loadFixtures(t)
	for _, tc := range []struct {
		name string
		edit func(p *cardreader.Profile)
	}{
		{"no AID", func(p *cardreader.Profile) { p.AID = nil }},
		{"logout is the applet", func(p *cardreader.Profile) { p.LogoutAID = p.AID }},
		{"no key file", func(p *cardreader.Profile) { p.Files.AuthKey = 0 }},
		{"RSA with a raw digest", func(p *cardreader.Profile) { p.Sign.Input = cardreader.SignRawDigest }},
		{"P-384 with SHA-256", func(p *cardreader.Profile) {
			*p = cardreader.ProfileGen2Assumed()
			p.Sign.Hash = crypto.SHA256
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := cardreader.ProfileGen1()
			tc.edit(&p)
			e := emu(t, fx, "R0001", emucard.Options{})
			_, err := cardreader.Open(context.Background(), e.Dialer("emulated"), &cardreader.Options{Profiles: []cardreader.Profile{p}})
			if !errors.Is(err, cardreader.ErrProfile) {
				t.Errorf("Open: %v, want ErrProfile", err)
			}
			if e.Stats().APDUs != 0 {
				t.Error("the card was reached")
			}
		})
	}
	for _, p := range cardreader.DefaultProfiles() {
		if err := p.Validate(); err != nil {
			t.Errorf("built-in %v: %v", p, err)
		}
	}
}

// TestECDSASignatureDER: the conversion from the card's r‖s is
// protocol's (ECDSASignatureFromJWS), and refuses the same inputs.
func TestECDSASignatureDER(t *testing.T) {
	n := elliptic.P384().Params().N
	rs := func(r, s *big.Int) []byte {
		b := make([]byte, 96)
		r.FillBytes(b[:48])
		s.FillBytes(b[48:])
		return b
	}
	one := big.NewInt(1)
	nm1 := new(big.Int).Sub(n, one)
	for _, tc := range []struct {
		name string
		raw  []byte
		ok   bool
	}{
		{"1, 1", rs(one, one), true},
		{"n-1, n-1", rs(nm1, nm1), true},
		{"high bit set (a leading 00 in DER)", rs(nm1, big.NewInt(0x80)), true},
		{"r = 0", rs(new(big.Int), one), false},
		{"s = n", rs(one, n), false},
		{"95 bytes", rs(one, one)[1:], false},
		{"97 bytes", append(rs(one, one), 0), false},
		{"empty", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cardreader.ECDSASignatureDER(tc.raw, elliptic.P384())
			want, perr := protocol.ECDSASignatureFromJWS(tc.raw, elliptic.P384())
			if (err == nil) != tc.ok || (perr == nil) != tc.ok {
				t.Fatalf("err %v, protocol's %v; want ok %v", err, perr, tc.ok)
			}
			if err != nil {
				if !errors.Is(err, cardreader.ErrMalformed) {
					t.Errorf("err %v does not match ErrMalformed", err)
				}
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("DER % X, protocol's % X", got, want)
			}
		})
	}
}
