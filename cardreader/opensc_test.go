//go:build linux

package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
)

const openscPKCS11 = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"

// requireOpenSC skips without OpenSC's tools unless CI is set.
func requireOpenSC(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"pkcs15-tool", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if _, err := os.Stat(openscPKCS11); err != nil {
		missing = append(missing, openscPKCS11)
	}
	if len(missing) == 0 {
		return
	}
	msg := "OpenSC missing (apt-get install opensc): " + strings.Join(missing, ", ")
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestOpenSCReadsTheEmulatedCard has OpenSC, an independent JPKI client,
// read the emulated card through pcscd: its PKCS#15 binding must list the
// certificates, read the user-auth certificate byte for byte as kofu
// does, and its PKCS#11 module must sign with the user-auth key. It also
// compares OpenSC's APDU count and wall time with kofu's for
// read-certificate + verify + sign on the same card, counted at the card.
func TestOpenSCReadsTheEmulatedCard(t *testing.T) {
	requireOpenSC(t)
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0001")
	e := emu(t, fx, "R0001", emucard.Options{})
	s.Insert(t, e, 0)
	dir := t.TempDir()
	tool := func(name string, args ...string) (string, int, time.Duration) {
		t.Helper()
		e.ResetStats()
		cmd := exec.Command(name, args...)
		cmd.Env = s.Env()
		t0 := time.Now() // measures elapsed time only
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out), e.Stats().APDUs, d
	}

	// kofu, on the same card, same run.
	pc := pcscContext(t)
	e.ResetStats()
	t0 := time.Now() // measures elapsed time only
	c, err := pc.Open(context.Background(), s.Reader(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	kofuCert, err := c.AuthCertificate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key, err := c.AuthKey(context.Background(), []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("kofu and OpenSC sign the same message")
	h := sha256.Sum256(msg)
	kofuSig, err := key.Sign(nil, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	kofuTime, kofuAPDUs := time.Since(t0), e.Stats().APDUs
	c.Close()

	list, listAPDUs, listTime := tool("pkcs15-tool", "--reader", "0", "--list-certificates")
	for _, want := range []string{"User Authentication Certificate", "Digital Signature Certificate", "ID             : 01"} {
		if !strings.Contains(list, want) {
			t.Errorf("pkcs15-tool --list-certificates lacks %q:\n%s", want, list)
		}
	}
	out, readAPDUs, readTime := tool("pkcs15-tool", "--reader", "0", "--read-certificate", "01")
	blk, _ := pem.Decode([]byte(out[strings.Index(out, "-----BEGIN"):]))
	if blk == nil {
		t.Fatalf("no PEM in pkcs15-tool output:\n%s", out)
	}
	if !bytes.Equal(blk.Bytes, kofuCert.Raw) || !bytes.Equal(blk.Bytes, r.CardCertDER) {
		t.Fatal("OpenSC's certificate 01 differs from kofu's")
	}

	in, sigFile := filepath.Join(dir, "in"), filepath.Join(dir, "sig")
	if err := os.WriteFile(in, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	_, signAPDUs, signTime := tool("pkcs11-tool", "--module", openscPKCS11, "--slot-index", "0", "--login", "--pin", r.PIN,
		"--id", "01", "--sign", "-m", "SHA256-RSA-PKCS", "--input-file", in, "--output-file", sigFile)
	sig, err := os.ReadFile(sigFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(kofuCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig); err != nil {
		t.Fatalf("OpenSC's signature does not verify with the certificate: %v", err)
	}
	if !bytes.Equal(sig, kofuSig) {
		t.Error("PKCS#1 v1.5 is deterministic: OpenSC's and kofu's signatures should be equal")
	}
	if _, verified := e.PINState(); verified {
		t.Log("note: OpenSC leaves the PIN verified on the card after pkcs11-tool exits")
	}
	t.Logf("APDUs at the card and wall time, read-certificate + verify + sign, same card, same run:")
	t.Logf("  kofu (Open+AuthCertificate+AuthKey+Sign, one process): %d APDUs, %s", kofuAPDUs, kofuTime.Round(time.Millisecond))
	t.Logf("  OpenSC pkcs15-tool --read-certificate 01:               %d APDUs, %s", readAPDUs, readTime.Round(time.Millisecond))
	t.Logf("  OpenSC pkcs11-tool --login --sign (SHA256-RSA-PKCS):    %d APDUs, %s", signAPDUs, signTime.Round(time.Millisecond))
	t.Logf("  OpenSC read + sign together:                            %d APDUs, %s", readAPDUs+signAPDUs, (readTime + signTime).Round(time.Millisecond))
	t.Logf("  (pkcs15-tool --list-certificates alone: %d APDUs, %s)", listAPDUs, listTime.Round(time.Millisecond))
	if kofuAPDUs >= readAPDUs+signAPDUs {
		t.Errorf("kofu used %d APDUs, OpenSC %d: kofu should need fewer", kofuAPDUs, readAPDUs+signAPDUs)
	}
}
