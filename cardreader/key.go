package cardreader

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"time"
)

// digestInfoPrefix is the DER DigestInfo up to the digest, per hash
// (RFC 8017 §9.2 note 1).
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// maxSignInput is the longest DigestInfo the card's sign command takes.
const maxSignInput = 245

// DigestInfo returns what an RSA card (SignDigestInfo) signs for digest
// under opts: the DER DigestInfo for SHA-256, SHA-384 and SHA-512, or
// digest itself, checked to be one DER DigestInfo of one of those, for
// crypto.Hash(0). PSS and any other hash are refused with
// ErrUnsupportedSignature: the card pads PKCS#1 v1.5 only.
func DigestInfo(digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, fmt.Errorf("%w: no signer options", ErrUnsupportedSignature)
	}
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fmt.Errorf("%w: PSS requested", ErrUnsupportedSignature)
	}
	h := opts.HashFunc()
	if h == 0 {
		if len(digest) > maxSignInput {
			return nil, fmt.Errorf("%w: DigestInfo of %d bytes", ErrUnsupportedSignature, len(digest))
		}
		if _, err := checkDigestInfo(digest); err != nil {
			return nil, fmt.Errorf("%w: crypto.Hash(0) needs a DER DigestInfo: %w", ErrUnsupportedSignature, err)
		}
		for h, prefix := range digestInfoPrefix {
			if len(digest) == len(prefix)+h.Size() && bytes.HasPrefix(digest, prefix) {
				return append([]byte(nil), digest...), nil
			}
		}
		return nil, fmt.Errorf("%w: the DigestInfo is not SHA-256, SHA-384 or SHA-512", ErrUnsupportedSignature)
	}
	prefix, ok := digestInfoPrefix[h]
	if !ok {
		return nil, fmt.Errorf("%w: hash %v", ErrUnsupportedSignature, h)
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("%w: %d-byte digest for %v", ErrUnsupportedSignature, len(digest), h)
	}
	return append(append(make([]byte, 0, len(prefix)+len(digest)), prefix...), digest...), nil
}

// rawDigest returns what an ECDSA card (SignRawDigest) signs for digest
// under opts: the digest itself, which must be of s.Hash (SHA-384 for
// P-384) and of its size. Anything else — another hash, a ready
// DigestInfo (crypto.Hash(0)), PSS, no options — is refused with
// ErrUnsupportedSignature.
func rawDigest(s SignCommand, key KeyType, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		return nil, fmt.Errorf("%w: no signer options (the %v key signs %v digests)", ErrUnsupportedSignature, key, s.Hash)
	}
	if _, ok := opts.(*rsa.PSSOptions); ok {
		return nil, fmt.Errorf("%w: PSS requested of an %v key", ErrUnsupportedSignature, key)
	}
	if h := opts.HashFunc(); h != s.Hash {
		what := h.String()
		if h == 0 {
			what = "crypto.Hash(0) (a ready DigestInfo, for RSA cards)"
		}
		return nil, fmt.Errorf("%w: the %v key signs %v digests only, not %s", ErrUnsupportedSignature, key, s.Hash, what)
	}
	if len(digest) != s.Hash.Size() {
		return nil, fmt.Errorf("%w: %d-byte digest for %v (want %d)", ErrUnsupportedSignature, len(digest), s.Hash, s.Hash.Size())
	}
	return bytes.Clone(digest), nil
}

// signInput returns the sign command's data for digest under opts, as
// the profile says: a DigestInfo, or the raw digest.
func signInput(p Profile, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if p.Sign.Input == SignRawDigest {
		return rawDigest(p.Sign, p.Key, digest, opts)
	}
	return DigestInfo(digest, opts)
}

// ecdsaDER is an ECDSA signature as ASN.1: SEQUENCE { r INTEGER, s INTEGER }.
type ecdsaDER struct{ R, S *big.Int }

// ECDSASignatureDER converts the r‖s an ECDSA card answers (r and s
// big-endian, each the curve's byte length: 96 bytes for P-384) to the
// ASN.1 DER a crypto.Signer returns. r and s must be in [1, n−1];
// anything else wraps ErrMalformed. (protocol.ECDSASignatureFromJWS is
// the same conversion; cardreader does not import protocol.)
func ECDSASignatureDER(raw []byte, curve elliptic.Curve) ([]byte, error) {
	if curve == nil || curve.Params() == nil {
		return nil, fmt.Errorf("%w: no curve", ErrMalformed)
	}
	size, n := (curve.Params().BitSize+7)/8, curve.Params().N
	if len(raw) != 2*size {
		return nil, fmt.Errorf("%w: ECDSA signature of %d bytes, want %d for %s", ErrMalformed, len(raw), 2*size, curve.Params().Name)
	}
	sig := ecdsaDER{R: new(big.Int).SetBytes(raw[:size]), S: new(big.Int).SetBytes(raw[size:])}
	for _, x := range []*big.Int{sig.R, sig.S} {
		if x.Sign() <= 0 || x.Cmp(n) >= 0 {
			return nil, fmt.Errorf("%w: ECDSA r or s outside [1, n-1] of %s", ErrMalformed, curve.Params().Name)
		}
	}
	return asn1.Marshal(sig)
}

// keyName names a public key for errors: "RSA-2048", "ECDSA P-256".
func keyName(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k != nil && k.N != nil {
			return fmt.Sprintf("RSA-%d", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k != nil && k.Curve != nil {
			return "ECDSA " + k.Curve.Params().Name
		}
	}
	return fmt.Sprintf("%T", pub)
}

// validPIN reports whether pin is exactly 4 ASCII digits.
func validPIN(pin []byte) bool {
	if len(pin) != 4 {
		return false
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// AuthKey verifies pin and returns the user-authentication key, ready
// for one signature: RSA (ProfileGen1) or ECDSA P-384
// (ProfileGen2Assumed), as the card's profile says; a certificate whose
// key is not of the profile's type is refused with ErrCardKeyType before
// anything is sent. pin is zeroed before AuthKey returns, whatever
// happens (it is the card's to zero); a PIN that is not 4 digits is
// refused without reaching the card.
//
// It takes the card exclusively, then sends SELECT PIN, VERIFY and SELECT
// key back to back; the key's Sign sends the sign command, logs out
// (SELECT of another application) and disconnects powering the card down;
// an error or a cancellation on the way powers it down too. Until then the
// key holds the card, at most Options.KeyHold. A wrong PIN is an
// *AuthError with the tries left; a blocked PIN matches ErrPINBlocked.
// Nothing is retried automatically.
//
// The returned crypto.Signer is a *Key; its Sign runs under ctx.
func (c *Card) AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error) {
	defer clear(pin)
	if !validPIN(pin) {
		return nil, ErrPINFormat
	}
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	held := false
	defer func() {
		if !held {
			c.release()
		}
	}()
	p := c.profile
	if kt, ok := KeyTypeOf(cert.PublicKey); !ok || kt != p.Key {
		return nil, fmt.Errorf("%w: the certificate's key is %s; the card's applet profile %s signs with %v",
			ErrCardKeyType, keyName(cert.PublicKey), p.Name, p.Key)
	}
	if err := c.beginExclusive(ctx); err != nil {
		c.endExclusive(false)
		return nil, err
	}
	if err := c.verifyPIN(ctx, pin); err != nil {
		c.endExclusive(false)
		return nil, err
	}
	if err := c.selectFile(ctx, p.Files.AuthKey); err != nil {
		c.endExclusive(true)
		return nil, err
	}
	k := &Key{c: c, pub: cert.PublicKey, profile: p, ctx: ctx}
	k.mu.Lock()
	k.timer = time.AfterFunc(c.hold, func() { k.Close() })
	k.mu.Unlock()
	c.mu.Lock()
	c.key = k
	c.mu.Unlock()
	held = true
	return k, nil
}

// beginExclusive connects, takes the card exclusively, begins the
// transaction that lasts until endExclusive (VERIFY → SELECT key → sign
// back to back), selects the applet again and selects the PIN. Nothing
// secret has been sent yet, so a reset or a lost service is retried once.
func (c *Card) beginExclusive(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := c.connect(ctx)
		if err == nil {
			err = c.reconnect(ctx, true)
		}
		if err == nil {
			err = c.beginTx(ctx)
		}
		if err == nil {
			err = c.selectAP(ctx)
		}
		if err == nil {
			err = c.selectFile(ctx, c.profile.Files.AuthPIN)
		}
		if err == nil || attempt > 0 || !transient(err) || ctx.Err() != nil {
			return err
		}
		c.endTx()
	}
}

// reconnect switches the connection to exclusive or shared access,
// retrying for ShareWait while another application holds the card.
func (c *Card) reconnect(ctx context.Context, exclusive bool) error {
	deadline := time.Now().Add(c.shareWait)
	for {
		err := c.conn.Reconnect(ctx, exclusive)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrSharingViolation) || time.Now().After(deadline) {
			return c.linkErr(ctx, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// verifyPIN sends VERIFY to the selected PIN. pin, and the APDU holding
// it, are zeroed as soon as VERIFY has been sent.
func (c *Card) verifyPIN(ctx context.Context, pin []byte) error {
	apdu := verify(pin, c.profile.PINRef).bytes()
	clear(pin)
	_, sw, err := c.transmit(ctx, apdu)
	clear(apdu)
	if err != nil {
		return err
	}
	if t, ok := sw.Tries(); ok {
		return &AuthError{Retries: t}
	}
	if sw != SWOK {
		return &StatusError{Op: "verify", SW: sw}
	}
	c.verified = true
	return nil
}

// endExclusive ends the exclusive phase. After a successful VERIFY it
// logs out in the way a real card honours: it selects another application
// (the GlobalPlatform ISD), and disconnects powering the card down — a
// re-SELECT of the JPKI AID or a warm reset would leave the PIN verified
// for the next client (research/jpki-card.md). Otherwise nothing is
// verified and the connection goes back to shared. It runs even if the
// caller's context is done. The transaction begun by beginExclusive ends
// here too.
func (c *Card) endExclusive(verified bool) {
	if c.conn == nil {
		c.inTx = false
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if !verified {
		c.endTx()
		if c.conn != nil && c.reconnect(ctx, false) == nil {
			return
		}
		c.drop(true)
		return
	}
	_, _, _ = c.exchange(ctx, c.selectLogout()) // logout; the power-down below holds even if it fails
	c.endTx()
	c.drop(true)
}

// Key is the card's user-authentication key, unlocked by a verified PIN
// for one signature. It implements crypto.Signer: PKCS#1 v1.5 for an RSA
// card, ECDSA with SHA-384 (ASN.1 DER signatures) for a P-384 card.
type Key struct {
	c       *Card
	pub     crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey (P-384)
	profile Profile
	ctx     context.Context
	timer   *time.Timer

	mu   sync.Mutex
	done bool
}

// Public returns the key's public key, from the certificate:
// *rsa.PublicKey or *ecdsa.PublicKey.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest under the context given to AuthKey. For an RSA card
// see DigestInfo for what opts may be; an ECDSA P-384 card takes a
// 48-byte SHA-384 digest with opts.HashFunc() == crypto.SHA384 only, and
// the signature is ASN.1 DER, as crypto.Signer returns it (the card
// answers r‖s). rand is not used: the card pads, or draws its nonce.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return k.SignContext(k.ctx, digest, opts)
}

// SignContext is Sign under ctx. The key signs once: afterwards it logs
// out, releases the card and answers ErrKeyReleased. The signature is
// checked against the certificate before it is returned. A request the
// card cannot sign (PSS, an unknown hash, for ECDSA any hash but
// SHA-384) is refused without using the key up.
func (k *Key) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	in, err := signInput(k.profile, digest, opts)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sig, err := k.signLocked(ctx, in)
	if err == nil {
		k.releaseLocked()
	}
	return sig, err
}

// SignKeep is SignContext that keeps the card for one more signature:
// after this one the key stays unlocked, the card held exclusively with
// its PIN verified, until the next Sign or SignContext (which signs and
// releases as always), Close, or hold passing (then it logs out and
// releases the card; 0 or less: Options.KeyHold). The household list
// query of 世帯の一部 is signed with it, and the request that names the
// members chosen from the list afterwards, with the PIN entered once. A
// failed signature releases the card at once, as SignContext does.
func (k *Key) SignKeep(ctx context.Context, digest []byte, opts crypto.SignerOpts, hold time.Duration) ([]byte, error) {
	in, err := signInput(k.profile, digest, opts)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sig, err := k.signLocked(ctx, in)
	if err != nil {
		return nil, err
	}
	if hold <= 0 {
		hold = k.c.hold
	}
	k.timer.Reset(hold)
	return sig, nil
}

// signLocked has the card sign in, k.mu held, and checks the signature
// against the certificate. The hold timer is stopped; a hold that has
// just run out (its release waits for this lock) is ErrKeyReleased, not
// one more signature. Any failure releases the card; on success the
// caller releases it or re-arms the hold.
func (k *Key) signLocked(ctx context.Context, in []byte) ([]byte, error) {
	if k.done {
		return nil, ErrKeyReleased
	}
	if !k.timer.Stop() {
		k.releaseLocked()
		return nil, ErrKeyReleased
	}
	data, sw, err := k.c.exchange(ctx, sign(k.profile.Sign, in))
	if err == nil && sw != SWOK {
		err = &StatusError{Op: "sign", SW: sw}
	}
	var sig []byte
	if err == nil {
		sig, err = checkSignature(k.pub, in, data)
	}
	if err != nil {
		k.releaseLocked()
		return nil, err
	}
	return sig, nil
}

// checkSignature verifies the card's answer to the sign command over in
// against the certificate's key and returns the signature as
// crypto.Signer returns it: the RSA signature as it is, an ECDSA one
// (r‖s) in ASN.1 DER.
func checkSignature(pub crypto.PublicKey, in, data []byte) ([]byte, error) {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if len(data) != pub.Size() {
			return nil, fmt.Errorf("%w: signature of %d bytes for a %d-bit key", ErrMalformed, len(data), pub.N.BitLen())
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.Hash(0), in, data); err != nil {
			return nil, ErrBadSignature
		}
		return data, nil
	case *ecdsa.PublicKey:
		der, err := ECDSASignatureDER(data, pub.Curve)
		if err != nil {
			return nil, err
		}
		if !ecdsa.VerifyASN1(pub, in, der) {
			return nil, ErrBadSignature
		}
		return der, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrCardKeyType, keyName(pub))
}

// Close logs out and releases the card without signing. It is safe to
// call more than once, and after Sign.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.done {
		k.timer.Stop()
		k.releaseLocked()
	}
	return nil
}

func (k *Key) releaseLocked() {
	k.done = true
	k.c.endExclusive(true)
	k.c.mu.Lock()
	if k.c.key == k {
		k.c.key = nil
	}
	k.c.mu.Unlock()
	k.c.release()
}
