package config

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLoadTrustComparesAnchorsByContent: center.center_ca and
// center.issuer_ca are compared by the certificates they hold, not by
// their file names: a copy of the center CA under another name, a file
// holding both CAs, and the center CA's key re-issued under another name
// are each refused; distinct CAs load.
func TestLoadTrustComparesAnchorsByContent(t *testing.T) {
	pki := "../../testdata/pki/"
	dir := t.TempDir()
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	centerPEM, issuerPEM := read(pki+"ca/center-ca.crt.pem"), read(pki+"ca/issuer-ca.crt.pem")
	copyPath := write("center-copy.pem", centerPEM)
	bundlePath := write("issuer-and-center.pem", append(append([]byte{}, issuerPEM...), centerPEM...))
	reissuedPath := write("reissued.pem", reissue(t, read(pki+"ca/center-ca.key.pem")))

	key := write("journal.key", []byte("0123456789abcdef0123"))
	cfg := func(issuerCA string) *Config {
		return &Config{
			Center:   Center{TLSCA: pki + "ca/operator-ca.crt.pem", CenterCA: pki + "ca/center-ca.crt.pem", IssuerCA: issuerCA},
			Terminal: Terminal{ID: "T0001", Store: "S0001", Cert: pki + "terminal/T0001.crt.pem", Key: pki + "terminal/T0001.key.pem"},
			Journal:  Journal{Path: filepath.Join(dir, "journal"), Key: key},
		}
	}
	cases := []struct {
		name, issuerCA, want string // want "" means it loads
	}{
		{"distinct CAs", pki + "ca/issuer-ca.crt.pem", ""},
		{"a copy of the center CA", copyPath, `center.issuer_ca: "` + copyPath +
			`" is not allowed; must not share a certificate or key with center.center_ca (the same certificate "CN=kofu Test Issuance Center CA`},
		{"a bundle holding the center CA too", bundlePath, `center.issuer_ca: "` + bundlePath +
			`" is not allowed; must not share a certificate or key with center.center_ca (the same certificate`},
		{"the center CA's key under another name", reissuedPath, `center.issuer_ca: "` + reissuedPath +
			`" is not allowed; must not share a certificate or key with center.center_ca (the same key as "CN=kofu Test Issuance Center CA`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cfg(tc.issuerCA).LoadTrust()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// reissue makes a self-signed CA certificate under another name for the
// PKCS#8 key keyPEM, at pinned dates.
func reissue(t *testing.T, keyPEM []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		t.Fatal("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	signer := k.(crypto.Signer)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Renamed Issuer CA"},
		NotBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
