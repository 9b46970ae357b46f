package config

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
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

// ServiceGroup is the group the kiosk service runs as (Group= in
// deploy/systemd/kofu-kiosk.service). Its members may read the key files;
// nobody else but their owner may.
const ServiceGroup = "kofu"

// KeyModeError is a key file (terminal.key, journal.key) whose permission
// bits let someone other than its owner and the service's group read or
// write it: the device key would let them sign outcomes as this kiosk,
// the journal key would let them link journal records to cards. Fix is
// the commands that repair it.
type KeyModeError struct {
	Key  string      // the configuration key: terminal.key or journal.key
	Path string      // the file
	Mode fs.FileMode // its permission bits
	GID  int         // its group
	Why  string      // who may read or write it that should not
	Fix  string      // shell commands that repair it
}

func (e *KeyModeError) Error() string {
	return fmt.Sprintf("%s: %q mode %04o is not allowed; %s; fix: %s", e.Key, e.Path, uint32(e.Mode), e.Why, e.Fix)
}

// CheckKeyModes is the preflight's check of the files that hold the
// kiosk's secrets (terminal.key, journal.key): each must give nothing to
// "other" and, if it gives its group anything, belong to the service's
// group. The service's group is the group named ServiceGroup when this
// machine has one, or the group this process runs as (its effective gid):
// the kiosk service itself, a technician's root shell (whose group, root,
// is privileged anyway) and a developer's own files all judge correctly.
// A file that cannot be stat'ed is LoadTrust's to report, not this
// check's. Every finding is a *KeyModeError; nil means the modes are safe.
func (c *Config) CheckKeyModes() error {
	groups := map[int]string{os.Getegid(): ""}
	if g, err := user.LookupGroup(ServiceGroup); err == nil {
		if gid, err := strconv.Atoi(g.Gid); err == nil {
			groups[gid] = ServiceGroup
		}
	}
	return c.checkKeyModes(groups)
}

// checkKeyModes is CheckKeyModes with the service's groups given (gid →
// name, "" when it has none worth naming).
func (c *Config) checkKeyModes(groups map[int]string) error {
	var errs []error
	for _, k := range []struct{ key, path string }{{"terminal.key", c.Terminal.Key}, {"journal.key", c.Journal.Key}} {
		if k.path == "" {
			continue
		}
		if err := checkKeyMode(k.key, k.path, groups); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkKeyMode judges one key file; see CheckKeyModes.
func checkKeyMode(key, path string, groups map[int]string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	perm, gid := fi.Mode().Perm(), int(st.Gid)
	_, serviceGroup := groups[gid]
	var why []string
	if perm&0o007 != 0 {
		why = append(why, access(perm, 0)+" by others")
	}
	if perm&0o070 != 0 && !serviceGroup {
		why = append(why, fmt.Sprintf("%s by group %s, not the service's group %s", access(perm, 3), groupName(gid), ServiceGroup))
	}
	if len(why) == 0 {
		return nil
	}
	q := shellQuote(path)
	fix := "chmod 0640 " + q
	if !serviceGroup {
		fix += " && chown root:" + ServiceGroup + " " + q
	}
	return &KeyModeError{Key: key, Path: path, Mode: perm, GID: gid, Why: "it is " + strings.Join(why, " and "), Fix: fix}
}

// access names the rwx bits of perm at shift (0: other, 3: group).
func access(perm fs.FileMode, shift uint) string {
	var can []string
	for _, b := range []struct {
		bit  fs.FileMode
		verb string
	}{{4, "readable"}, {2, "writable"}, {1, "executable"}} {
		if perm>>shift&b.bit != 0 {
			can = append(can, b.verb)
		}
	}
	return strings.Join(can, ", ")
}

// groupName is a group's name and id, or its id alone when it has no name.
func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return fmt.Sprintf("%s (%d)", g.Name, gid)
	}
	return strconv.Itoa(gid)
}

// shellQuote quotes path for a command a technician pastes.
func shellQuote(path string) string {
	if path != "" && strings.Trim(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+") == "" {
		return path
	}
	return "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
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
