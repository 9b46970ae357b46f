package cardreader

import (
	"errors"
	"fmt"
)

// Errors callers branch on. Errors from PC/SC wrap one of them (and the
// original scard error); errors from the card's status words are
// *AuthError or *StatusError, which may match ErrPINBlocked or
// ErrSecurityStatus through errors.Is.
var (
	// ErrNoBackend: the binary was built without cgo, so there is no PC/SC.
	ErrNoBackend = errors.New("cardreader: PC/SC backend left out: built without cgo")
	// ErrNoService: pcscd is not running or was restarted. The Context
	// re-establishes itself on the next call; a Card reconnects and checks
	// that the card is still the same one.
	ErrNoService = errors.New("cardreader: PC/SC service unavailable")
	// ErrNoReader: no reader matches the filter.
	ErrNoReader = errors.New("cardreader: no matching card reader")
	// ErrReaderUnavailable: the reader went away (unplugged) or is not
	// known to the service.
	ErrReaderUnavailable = errors.New("cardreader: card reader unavailable")
	// ErrNoCard: there is no card in the reader.
	ErrNoCard = errors.New("cardreader: no card in the reader")
	// ErrCardRemoved: the card was pulled out. The Card is finished; the
	// PIN state of an interrupted VERIFY or sign is unknown.
	ErrCardRemoved error = removal("cardreader: card removed")
	// ErrCardReset: another application reset the card; its security state
	// (a verified PIN) is lost.
	ErrCardReset = errors.New("cardreader: card reset")
	// ErrCardChanged: after a reconnection the reader holds a different
	// card than the one this Card was opened on.
	ErrCardChanged error = removal("cardreader: a different card is now in the reader")
	// ErrSharingViolation: another application holds the card exclusively.
	ErrSharingViolation = errors.New("cardreader: card in use by another application")
	// ErrCardUnresponsive: the card does not answer (mute, unpowered, or
	// not supported by the reader).
	ErrCardUnresponsive = errors.New("cardreader: card does not respond")
	// ErrNotJPKI: the card has no JPKI applet (SELECT of its AID failed).
	ErrNotJPKI = errors.New("cardreader: not a JPKI card (My Number card)")
	// ErrPINBlocked: the user-authentication PIN is blocked; only the
	// municipal office can unblock it.
	ErrPINBlocked = errors.New("cardreader: PIN blocked")
	// ErrPINTriesUnknown: the card will not tell the PIN's tries left: it
	// answers the query 9000 (PIN verified), even after kofu logged that
	// state out. The PIN is not blocked (errors.Is(err, ErrPINBlocked) is
	// false); AuthPINRetries returns TriesUnknown with it.
	ErrPINTriesUnknown error = &codedError{"cardreader: the PIN's tries left are unknown (the card reports it verified); it is not blocked", "tries-unknown"}
	// ErrNoCertificate: the card's user-authentication certificate file
	// (EF 000A) holds no certificate — none was issued on this card, or it
	// was removed — and EF 0008 does not say one is there. The resident
	// must have one issued at the municipal office.
	ErrNoCertificate error = &codedError{"cardreader: this card has no user-authentication certificate", "missing"}
	// ErrPINFormat: the PIN is not 4 ASCII digits. Nothing was sent to the
	// card and no try was spent.
	ErrPINFormat = errors.New("cardreader: the PIN must be 4 digits")
	// ErrSecurityStatus: the card refused an operation for want of a
	// verified PIN (6982): signing unverified, or reading the certificate
	// of a smartphone token, which needs the PIN first.
	ErrSecurityStatus = errors.New("cardreader: security status not satisfied")
	// ErrKeyReleased: the key was used, closed, or held too long; enter
	// the PIN again.
	ErrKeyReleased = errors.New("cardreader: key released; the PIN is needed again")
	// ErrUnsupportedSignature: what the card's key cannot sign: for an RSA
	// card PSS, or a hash other than SHA-256/384/512 (and crypto.Hash(0)
	// for a ready DigestInfo); for an ECDSA P-384 card anything but a
	// SHA-384 digest.
	ErrUnsupportedSignature = errors.New("cardreader: the card cannot sign this (RSA: PKCS#1 v1.5 with SHA-256/384/512; ECDSA P-384: SHA-384)")
	// ErrCardKeyType: the certificate's key is not of the type the card's
	// applet profile signs with (an RSA certificate behind the assumed
	// generation-2 applet, a P-256 key, …): kofu does not know how to
	// have it sign.
	ErrCardKeyType = errors.New("cardreader: the card's key does not fit its applet profile")
	// ErrBadSignature: the card's signature does not verify with its own
	// certificate.
	ErrBadSignature = errors.New("cardreader: card signature does not verify with its certificate")
	// ErrMalformed: a response or a file that cannot be parsed.
	ErrMalformed = errors.New("cardreader: malformed card data")
)

// removal is the type of the sentinels that mean the card this Card was
// opened on has left the reader. Its CardRemoved method lets callers that
// do not import PC/SC code (the kiosk session) recognise a removal
// through an interface, however deeply it is wrapped.
type removal string

func (e removal) Error() string { return string(e) }

// CardRemoved reports true: the card is gone (pulled out, or swapped).
func (removal) CardRemoved() bool { return true }

// AuthError is a wrong PIN: the card answered 63Cx to VERIFY. Retries is
// the number of tries left; 0 means the PIN is now blocked
// (errors.Is(err, ErrPINBlocked) is then true).
type AuthError struct {
	Retries int
}

func (e *AuthError) Error() string {
	if e.Retries == 0 {
		return "cardreader: wrong PIN; the PIN is now blocked"
	}
	return fmt.Sprintf("cardreader: wrong PIN, %d tries left", e.Retries)
}

// TriesLeft is Retries (the kiosk session's PINError interface).
func (e *AuthError) TriesLeft() int { return e.Retries }

// Is makes a wrong PIN that blocked the card match ErrPINBlocked.
func (e *AuthError) Is(target error) bool { return target == ErrPINBlocked && e.Retries == 0 }

// StatusError is a status word the operation did not expect.
type StatusError struct {
	Op string // "select AP", "read binary", ...
	SW SW
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("cardreader: %s: card answered %s", e.Op, e.SW)
}

// Is maps 6982 to ErrSecurityStatus and 6983/6984 to ErrPINBlocked.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrSecurityStatus:
		return e.SW == SWSecurityStatus
	case ErrPINBlocked:
		return e.SW == SWAuthBlocked || e.SW == SWDataInvalid
	}
	return false
}

// PCSCError is an error returned by the PC/SC service, with its code
// (SCARD_E_…, SCARD_W_…). It unwraps to the matching sentinel above, if
// any.
type PCSCError struct {
	Op   string
	Code uint32
	Msg  string
	Kind error // ErrNoService, ErrCardRemoved, ... or nil
}

func (e *PCSCError) Error() string {
	return fmt.Sprintf("cardreader: pcsc %s: %s (0x%08X)", e.Op, e.Msg, e.Code)
}

func (e *PCSCError) Unwrap() error { return e.Kind }

// codedError is a sentinel that names its own reason code: the kiosk's
// session, which must not import this package, reads it through
// ReasonCode (card-certificate-missing, card-pin-tries-unknown).
type codedError struct{ msg, code string }

func (e *codedError) Error() string { return e.msg }

// ReasonCode is the code the kiosk appends to the stage's name.
func (e *codedError) ReasonCode() string { return e.code }
