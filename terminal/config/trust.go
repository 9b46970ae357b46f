package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"strconv"
)

// Trust is the key material a configuration names, loaded and checked.
type Trust struct {
	TLSRoots    *x509.CertPool  // pins the center's TLS certificate
	CenterRoots *x509.CertPool  // tickets
	IssuerRoots *x509.CertPool  // envelopes
	Device      tls.Certificate // mutual TLS and outcome signing
	DeviceCert  *x509.Certificate
	JournalKey  []byte
	// The anchors' certificates, for the configuration digest.
	TLSCerts, CenterCerts, IssuerCerts []*x509.Certificate
}

// LoadTrust reads every file the configuration names. Each problem is a
// *FieldError naming the key and the file.
func (c *Config) LoadTrust() (*Trust, error) {
	var errs []error
	bad := func(key, path, allowed string) {
		errs = append(errs, &FieldError{Key: key, Value: strconv.Quote(path), Allowed: allowed})
	}
	t := &Trust{}
	pool := func(key, path string, keep *[]*x509.Certificate) *x509.CertPool {
		certs, err := readCerts(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			bad(key, path, "no such file: the trust anchor is missing")
		case err != nil || len(certs) == 0:
			bad(key, path, "must be a PEM file of CA certificates")
		default:
			p := x509.NewCertPool()
			for _, c := range certs {
				if !c.IsCA {
					bad(key, path, "must hold CA certificates only")
					return nil
				}
				p.AddCert(c)
			}
			*keep = certs
			return p
		}
		return nil
	}
	t.TLSRoots = pool("center.tls_ca", c.Center.TLSCA, &t.TLSCerts)
	t.CenterRoots = pool("center.center_ca", c.Center.CenterCA, &t.CenterCerts)
	t.IssuerRoots = pool("center.issuer_ca", c.Center.IssuerCA, &t.IssuerCerts)
	if shared := sharedAnchor(t.CenterCerts, t.IssuerCerts); shared != "" {
		bad("center.issuer_ca", c.Center.IssuerCA, "must not share a certificate or key with center.center_ca ("+shared+
			"): tickets and documents are signed under distinct CAs")
	}

	certs, err := readCerts(c.Terminal.Cert)
	if err != nil || len(certs) == 0 {
		bad("terminal.cert", c.Terminal.Cert, "must be the device certificate in PEM")
	}
	keyPEM, kerr := os.ReadFile(c.Terminal.Key)
	if kerr != nil {
		bad("terminal.key", c.Terminal.Key, "must be a readable PEM private key")
	}
	if err == nil && kerr == nil && len(certs) > 0 {
		certPEM, _ := os.ReadFile(c.Terminal.Cert)
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		clear(keyPEM)
		switch {
		case err != nil:
			bad("terminal.key", c.Terminal.Key, "must be the private key of terminal.cert")
		default:
			if _, ok := pair.PrivateKey.(*ecdsa.PrivateKey); !ok {
				bad("terminal.key", c.Terminal.Key, "must be an ECDSA P-256 key (outcomes are signed ES256)")
			}
			if certs[0].Subject.CommonName != c.Terminal.ID {
				bad("terminal.id", c.Terminal.ID, "must equal the device certificate's CN "+strconv.Quote(certs[0].Subject.CommonName))
			}
			t.Device, t.DeviceCert = pair, certs[0]
		}
	}
	key, err := os.ReadFile(c.Journal.Key)
	switch {
	case err != nil:
		bad("journal.key", c.Journal.Key, "must be a readable file of at least 16 random bytes")
	case len(key) < 16:
		bad("journal.key", c.Journal.Key, "must hold at least 16 random bytes")
	default:
		t.JournalKey = key
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// sharedAnchor compares the center and issuer anchors by content, not by
// file name: it names the first certificate of center that is also in
// issuer, or whose public key is (the same CA re-issued), and returns ""
// when the two sets are disjoint.
func sharedAnchor(center, issuer []*x509.Certificate) string {
	for _, c := range center {
		for _, i := range issuer {
			switch {
			case bytes.Equal(c.Raw, i.Raw):
				return "the same certificate " + strconv.Quote(c.Subject.String())
			case bytes.Equal(c.RawSubjectPublicKeyInfo, i.RawSubjectPublicKeyInfo):
				return "the same key as " + strconv.Quote(c.Subject.String())
			}
		}
	}
	return ""
}

// readCerts parses every CERTIFICATE block of a PEM file.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
