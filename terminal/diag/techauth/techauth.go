// Package techauth checks a technician's PIN against the salted hash
// the kiosk's configuration keeps ([[technician.account]] pin_hash):
// Argon2id (RFC 9106) with a random 16-byte salt, in the PHC string
// format "argon2id$v=19$m=19456,t=2,p=1$SALT$HASH" (unpadded standard
// base64). Only the hash is ever stored; a leaked configuration file
// costs an attacker an Argon2id search per PIN guess, per account.
package techauth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The cost of a new hash: OWASP's minimum for Argon2id (19 MiB, two
// passes, one lane); a check takes some tens of milliseconds on a store
// machine.
const (
	memoryKiB = 19 * 1024
	passes    = 2
	lanes     = 1
	keyLen    = 32
	saltLen   = 16
)

// ErrMismatch means the PIN does not match the hash.
var ErrMismatch = errors.New("wrong technician ID or PIN")

// Hash returns a new salted Argon2id hash of pin.
func Hash(pin string) (string, error) {
	if err := CheckPIN(pin); err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("crypto/rand: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, passes, memoryKiB, lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, passes, lanes,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPIN says whether pin is acceptable for a technician: 6 to 16
// digits (a technician's PIN guards every diag action on a store
// machine: longer than a card's 4).
func CheckPIN(pin string) error {
	if len(pin) < 6 || len(pin) > 16 || strings.Trim(pin, "0123456789") != "" {
		return errors.New("a technician PIN is 6 to 16 digits")
	}
	return nil
}

// params is a parsed hash.
type params struct {
	m, t    uint32
	p       uint8
	salt, k []byte
}

// Parse checks that hash is a hash Verify can check.
func Parse(hash string) error {
	_, err := parse(hash)
	return err
}

func parse(hash string) (params, error) {
	var pr params
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "argon2id" || parts[1] != fmt.Sprintf("v=%d", argon2.Version) {
		return pr, errors.New(`not an Argon2id hash "argon2id$v=19$m=…,t=…,p=…$SALT$HASH" (kiosk diag --hash-pin makes one)`)
	}
	var p uint32
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &pr.m, &pr.t, &p); err != nil || pr.m < 8*1024 || pr.m > 1<<20 || pr.t < 1 || pr.t > 10 || p < 1 || p > 16 {
		return pr, errors.New("Argon2id parameters out of range (m 8192–1048576 KiB, t 1–10, p 1–16)")
	}
	pr.p = uint8(p)
	var err1, err2 error
	pr.salt, err1 = base64.RawStdEncoding.DecodeString(parts[3])
	pr.k, err2 = base64.RawStdEncoding.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(pr.salt) < 8 || len(pr.k) < 16 {
		return pr, errors.New("the salt or the hash is not base64 of the right length")
	}
	return pr, nil
}

// Verify checks pin against hash in constant time.
func Verify(hash, pin string) error {
	pr, err := parse(hash)
	if err != nil {
		return err
	}
	k := argon2.IDKey([]byte(pin), pr.salt, pr.t, pr.m, pr.p, uint32(len(pr.k)))
	if subtle.ConstantTimeCompare(k, pr.k) != 1 {
		return ErrMismatch
	}
	return nil
}
