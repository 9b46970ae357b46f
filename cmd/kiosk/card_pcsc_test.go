//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
)

func emuCard(t *testing.T, id string) (*emucard.Card, *fixtures.Resident) {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := fx.Resident(id)
	c, err := emucard.New(fx, r, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

func TestCardInfoAndSignThroughPCSC(t *testing.T) {
	s := pcsctest.Start(t)
	e, r := emuCard(t, "R0002")
	s.Insert(t, e, 1)
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code, err := runCard(ctx, []string{"info", "--reader", "pcd 00 01", "--pem"}, &out, &errb); code != 0 || err != nil {
		t.Fatalf("card info: %d %v\n%s", code, err, errb.String())
	}
	info := out.String()
	for _, want := range []string{
		"reader:         Virtual PCD 00 01",
		"atr:            3B E0 00 FF 81 31 FE 45 14",
		"token:          JPKIAPICCTOKEN2 (My Number card)",
		"subject:        " + r.CardCert.Subject.String(),
		"serial:         " + r.CardCert.SerialNumber.Text(16),
		"valid:          2025-01-01T00:00:00Z – 2035-12-31T23:59:59Z",
		"pin tries left: 3",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("info lacks %q:\n%s", want, info)
		}
	}
	blk, _ := pem.Decode([]byte(info[strings.Index(info, "-----BEGIN"):]))
	if blk == nil || !bytes.Equal(blk.Bytes, r.CardCertDER) {
		t.Error("--pem is not the card's certificate")
	}

	dir := t.TempDir()
	in, sigPath := filepath.Join(dir, "in.txt"), filepath.Join(dir, "sig")
	msg := []byte("住民票の写し request")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	// Wrong PIN: an error with the tries left, and no signature.
	out.Reset()
	errb.Reset()
	code, err := runCard(ctx, []string{"sign", "--reader", "PCD 00 01", "--pin", "0000", "--in", in, "--out", sigPath}, &out, &errb)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "2 tries left") {
		t.Errorf("wrong PIN: %d %v", code, err)
	}
	// Right PIN from stdin, with an APDU trace that must not show it.
	out.Reset()
	errb.Reset()
	code, err = runCardIn(ctx, []string{"sign", "--reader", "PCD 00 01", "--pin", "-", "--in", in, "--out", sigPath, "--trace"},
		strings.NewReader(r.PIN+"\n"), &out, &errb)
	if code != 0 || err != nil {
		t.Fatalf("card sign: %d %v\n%s", code, err, errb.String())
	}
	sig, err := os.ReadFile(sigPath)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(r.CardCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if !strings.Contains(out.String(), "it verifies with the certificate") {
		t.Errorf("sign output: %s", out.String())
	}
	trace := errb.String()
	if !strings.Contains(trace, "[4 bytes redacted]") || strings.Contains(trace, "3536 3738") || strings.Contains(trace, "35363738") {
		t.Errorf("trace does not redact the PIN:\n%s", trace)
	}
	if tries, verified := e.PINState(); tries != 3 || verified {
		t.Errorf("card after sign: tries %d verified %v", tries, verified)
	}

	// No card in reader 0.
	out.Reset()
	if code, err := runCard(ctx, []string{"info", "--reader", "PCD 00 00"}, &out, &errb); code != 1 || err == nil {
		t.Errorf("empty reader: %d %v", code, err)
	}
	if code, err := runCard(ctx, []string{"info", "--reader", "no such reader"}, &out, &errb); code != 1 || err == nil {
		t.Errorf("unknown reader: %d %v", code, err)
	}
}

func TestCardInfoBlockedPIN(t *testing.T) {
	s := pcsctest.Start(t)
	e, _ := emuCard(t, "R0007")
	s.Insert(t, e, 0)
	var out, errb bytes.Buffer
	if code, err := runCard(context.Background(), []string{"info"}, &out, &errb); code != 0 || err != nil {
		t.Fatalf("card info: %d %v", code, err)
	}
	if !strings.Contains(out.String(), "pin tries left: 0 (BLOCKED") {
		t.Errorf("info:\n%s", out.String())
	}
}

// TestCardBothGenerationsThroughPCSC: `kiosk card info` and `kiosk card
// sign` through pcscd + vpcd against a generation-1 card (RSA-2048) and a
// generation-2 one (P-384, the assumed applet profile), each in its own
// reader: the profile and key are reported, a wrong PIN costs a try, and
// the right one signs the file's SHA-256 (RSA, PKCS#1 v1.5) or SHA-384
// (ECDSA, ASN.1 DER) so that it verifies with the card's certificate; the
// card is left logged out.
func TestCardBothGenerationsThroughPCSC(t *testing.T) {
	s := pcsctest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	msg := []byte("戸籍全部事項証明書 request")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	for slot, tc := range []struct {
		id, profile, key, scheme string
		verify                   func(pub crypto.PublicKey, sig []byte) bool
	}{
		{"R0005", "gen1 (RSA)", "RSA-2048", "RSA PKCS#1 v1.5", func(pub crypto.PublicKey, sig []byte) bool {
			h := sha256.Sum256(msg)
			return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig) == nil
		}},
		{"G0001", "gen2-assumed (ECDSA P-384; APDUs assumed, no public specification)", "ECDSA P-384", "ECDSA P-384 (ASN.1 DER)",
			func(pub crypto.PublicKey, sig []byte) bool {
				h := sha512.Sum384(msg)
				return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), h[:], sig)
			}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			e, r := emuCard(t, tc.id)
			s.Insert(t, e, slot)
			reader := s.Reader(slot)[len("Virtual "):]
			var out, errb bytes.Buffer
			if code, err := runCard(ctx, []string{"info", "--reader", reader, "--pem"}, &out, &errb); code != 0 || err != nil {
				t.Fatalf("card info: %d %v\n%s", code, err, errb.String())
			}
			info := out.String()
			for _, want := range []string{
				"token:          JPKIAPICCTOKEN2 (My Number card)",
				"profile:        " + tc.profile,
				"key:            " + tc.key,
				"subject:        " + r.CardCert.Subject.String(),
				"issuer:         " + r.CardCACert.Subject.String(),
				"pin tries left: 3",
			} {
				if !strings.Contains(info, want) {
					t.Errorf("info lacks %q:\n%s", want, info)
				}
			}
			if blk, _ := pem.Decode([]byte(info[strings.Index(info, "-----BEGIN"):])); blk == nil || !bytes.Equal(blk.Bytes, r.CardCertDER) {
				t.Error("--pem is not the card's certificate")
			}

			sigPath := filepath.Join(dir, tc.id+".sig")
			out.Reset()
			errb.Reset()
			code, err := runCard(ctx, []string{"sign", "--reader", reader, "--pin", "0000", "--in", in, "--out", sigPath}, &out, &errb)
			if code != 1 || err == nil || !strings.Contains(err.Error(), "2 tries left") {
				t.Errorf("wrong PIN: %d %v", code, err)
			}
			out.Reset()
			errb.Reset()
			code, err = runCardIn(ctx, []string{"sign", "--reader", reader, "--pin-stdin", "--in", in, "--out", sigPath, "--trace"},
				strings.NewReader(r.PIN+"\n"), &out, &errb)
			if code != 0 || err != nil {
				t.Fatalf("card sign: %d %v\n%s", code, err, errb.String())
			}
			sig, err := os.ReadFile(sigPath)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.verify(r.CardCert.PublicKey, sig) {
				t.Error("the signature does not verify with the card's certificate")
			}
			if !strings.Contains(out.String(), tc.scheme+" signature in") || !strings.Contains(out.String(), "it verifies with the certificate") {
				t.Errorf("sign output: %s", out.String())
			}
			if trace := errb.String(); !strings.Contains(trace, "[4 bytes redacted]") || strings.Contains(trace, fmt.Sprintf("%X", r.PIN)) {
				t.Errorf("trace does not redact the PIN:\n%s", trace)
			}
			if tries, verified := e.PINState(); tries != 3 || verified {
				t.Errorf("card after sign: tries %d verified %v", tries, verified)
			}
		})
	}
}
