package cardreader_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// TestSignKeepThenSign (世帯の一部): one VERIFY, two signatures — the
// household query with SignKeep, the request with Sign — each verifying
// under the certificate; the card stays PIN-verified between them and is
// logged out after the second, which releases the key. For both card
// generations.
func TestSignKeepThenSign(t *testing.T) {
	fx := loadFixtures(t)
	for _, id := range []string{"R0001", "G0002"} {
		t.Run(id, func(t *testing.T) {
			r := resident(t, fx, id)
			e := emu(t, fx, id, emucard.Options{})
			c := open(t, e, nil)
			cert, err := c.AuthCertificate(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			signer, err := c.AuthKey(context.Background(), []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			k := signer.(*cardreader.Key)
			hash := crypto.SHA256
			if _, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
				hash = crypto.SHA384
			}
			digest := func(msg string) []byte {
				if hash == crypto.SHA384 {
					d := sha512.Sum384([]byte(msg))
					return d[:]
				}
				d := sha256.Sum256([]byte(msg))
				return d[:]
			}
			verify := func(msg string, sig []byte) {
				t.Helper()
				switch pub := cert.PublicKey.(type) {
				case *rsa.PublicKey:
					if err := rsa.VerifyPKCS1v15(pub, hash, digest(msg), sig); err != nil {
						t.Errorf("%s: %v", msg, err)
					}
				case *ecdsa.PublicKey:
					if !ecdsa.VerifyASN1(pub, digest(msg), sig) {
						t.Errorf("%s: signature does not verify", msg)
					}
				}
			}
			q, err := k.SignKeep(context.Background(), digest("query"), hash, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			verify("query", q)
			if _, verified := e.PINState(); !verified {
				t.Fatal("PIN not verified between the two signatures")
			}
			req, err := k.Sign(nil, digest("request"), hash)
			if err != nil {
				t.Fatalf("second signature: %v", err)
			}
			verify("request", req)
			if _, verified := e.PINState(); verified {
				t.Error("PIN still verified after the second signature")
			}
			if _, err := k.Sign(nil, digest("third"), hash); !errors.Is(err, cardreader.ErrKeyReleased) {
				t.Errorf("third signature: %v, want ErrKeyReleased", err)
			}
			if n, err := c.AuthPINRetries(context.Background()); n != 3 || err != nil {
				t.Errorf("card after the two signatures: %d, %v", n, err)
			}
		})
	}
}

// TestSignKeepHoldExpires: a key kept for another signature logs out and
// releases the card when the hold passes without one; Close releases it
// at once.
func TestSignKeepHoldExpires(t *testing.T) {
	fx := loadFixtures(t)
	r := resident(t, fx, "R0003")
	d := sha256.Sum256([]byte("query"))

	e := emu(t, fx, "R0003", emucard.Options{})
	c := open(t, e, nil)
	signer, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	k := signer.(*cardreader.Key)
	if _, err := k.SignKeep(context.Background(), d[:], crypto.SHA256, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, verified := e.PINState(); verified {
		t.Error("PIN still verified after the hold passed")
	}
	if _, err := k.Sign(nil, d[:], crypto.SHA256); !errors.Is(err, cardreader.ErrKeyReleased) {
		t.Errorf("Sign after the hold: %v, want ErrKeyReleased", err)
	}

	e2 := emu(t, fx, "R0003", emucard.Options{})
	c2 := open(t, e2, nil)
	signer, err = c2.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	k = signer.(*cardreader.Key)
	if _, err := k.SignKeep(context.Background(), d[:], crypto.SHA256, time.Hour); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if _, verified := e2.PINState(); verified {
		t.Error("PIN still verified after Close")
	}
	if _, err := k.SignKeep(context.Background(), d[:], crypto.SHA256, time.Hour); !errors.Is(err, cardreader.ErrKeyReleased) {
		t.Errorf("SignKeep after Close: %v, want ErrKeyReleased", err)
	}
}
