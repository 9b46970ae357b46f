package cardreader

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
)

// An applet profile is everything kofu assumes about the card's
// user-authentication applet: its AID, its files, the PIN reference, the
// sign command and what it signs, the key type. The Card code has no
// other AID or file id; a new card generation is a new Profile.
//
// Two profiles are built in:
//
//   - ProfileGen1, the current My Number card's JPKI applet: known from
//     public sources (OpenSC's jpki driver, jpki/myna, probes of real
//     cards; ../shared/research/jpki-card.md).
//   - ProfileGen2Assumed, the second-generation card (the Digital Agency's
//     plan from 2026: ECDSA P-384 with SHA-384, applications regrouped,
//     PINs merged). Its APDUs are NOT public: every value in it is an
//     assumption, kept here and nowhere else, so that the real
//     specification changes this one function (and the emulated card,
//     which serves whatever profile it is given, follows).
//
// Which profile a card has is detected (Options.Profiles, default
// DefaultProfiles): Open SELECTs each profile's AID in order and the
// first the card answers 9000 is taken; among profiles with that AID and
// the same certificate file, the user-authentication certificate's key
// type decides (AuthCertificate). A card whose certificate's key fits no
// profile can still be read (kiosk card info), but AuthKey refuses it
// with ErrCardKeyType. See docs/card-reader.md.

// KeyType is the type of a card's user-authentication key.
type KeyType int

// Key types.
const (
	// KeyRSA: RSA (2048 bits on the card), PKCS#1 v1.5 padded by the card.
	KeyRSA KeyType = iota + 1
	// KeyECDSAP384: ECDSA on NIST P-384 with SHA-384.
	KeyECDSAP384
)

func (k KeyType) String() string {
	switch k {
	case KeyRSA:
		return "RSA"
	case KeyECDSAP384:
		return "ECDSA P-384"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// KeyTypeOf returns the type of a certificate's public key, if it is one a
// profile can have.
func KeyTypeOf(pub crypto.PublicKey) (KeyType, bool) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return KeyRSA, k != nil && k.N != nil
	case *ecdsa.PublicKey:
		return KeyECDSAP384, k != nil && k.Curve == elliptic.P384()
	}
	return 0, false
}

// SignInput is what the data of a profile's sign command is.
type SignInput int

// Sign inputs.
const (
	// SignDigestInfo: a DER DigestInfo (SHA-256, SHA-384 or SHA-512); the
	// card pads it PKCS#1 v1.5 type 1 and answers the RSA signature.
	SignDigestInfo SignInput = iota + 1
	// SignRawDigest: the digest of SignCommand.Hash as it is; the card
	// answers the ECDSA signature as r‖s, each the curve's byte length.
	SignRawDigest
)

// SignCommand is a profile's sign command: its header, its data, and for
// SignRawDigest the one hash whose digest the card takes.
type SignCommand struct {
	CLA, INS, P1, P2 byte
	Input            SignInput
	Hash             crypto.Hash // SignRawDigest only
}

// Files are the elementary files of a profile's applet, selected by id
// (SELECT P1=02 P2=0C).
type Files struct {
	AuthCert   uint16 // user-authentication certificate, DER then filler
	AuthCACert uint16 // the CA certificate that issued it
	AuthKey    uint16 // user-authentication private key (select, then sign)
	AuthPIN    uint16 // its PIN (select, then VERIFY)
	SignCert   uint16 // signature certificate (password protected; kofu never reads it)
	SignCACert uint16
	SignKey    uint16
	SignPIN    uint16 // signature password
	TokenInfo  uint16 // 32-byte token label
	CertsFlag  uint16 // which certificates are present (8F 8F 00: both)
}

// Profile is one card generation's user-authentication applet. Use the
// values ProfileGen1 and ProfileGen2Assumed return; a Profile is copied
// by the Card and the emulated card that take it.
type Profile struct {
	// Name identifies the profile: "gen1", "gen2-assumed".
	Name string
	// Assumed: the APDUs are not from a public specification.
	Assumed bool
	// AID is the applet's AID (SELECT P1=04 P2=0C).
	AID []byte
	// LogoutAID is another application on the card, selected to leave the
	// applet: the logout a real card honours (a re-SELECT of AID or a warm
	// reset keeps the PIN verified).
	LogoutAID []byte
	Files     Files
	// PINRef is VERIFY's P2 for the user-authentication PIN, sent with
	// its EF selected.
	PINRef byte
	Sign   SignCommand
	// Key is the user-authentication key's type; AuthKey refuses a card
	// whose certificate holds another.
	Key KeyType
}

// The JPKI applet (research/jpki-card.md) and the GlobalPlatform ISD.
func jpkiFiles() Files {
	return Files{AuthCert: 0x000A, AuthCACert: 0x000B, AuthKey: 0x0017, AuthPIN: 0x0018,
		SignCert: 0x0001, SignCACert: 0x0002, SignKey: 0x001A, SignPIN: 0x001B,
		TokenInfo: 0x0006, CertsFlag: 0x0008}
}

// ProfileGen1 is the current My Number card's JPKI applet: AID
// D392F000260100000001, EFs 000A (certificate), 000B (its CA), 0017
// (key), 0018 (PIN, VERIFY P2=80); sign is 80 2A 00 80 with a DER
// DigestInfo, the card padding PKCS#1 v1.5 for its RSA-2048 key. Logout
// selects the GlobalPlatform ISD (A0000001510000).
func ProfileGen1() Profile {
	return Profile{
		Name:      "gen1",
		AID:       []byte{0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01},
		LogoutAID: []byte{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00},
		Files:     jpkiFiles(),
		PINRef:    0x80,
		Sign:      SignCommand{CLA: 0x80, INS: 0x2A, P1: 0x00, P2: 0x80, Input: SignDigestInfo},
		Key:       KeyRSA,
	}
}

// ProfileGen2Assumed is kofu's ASSUMPTION about the second-generation
// card's user-authentication applet; no APDU specification is public.
// What is known (the Digital Agency's plan): an ECDSA P-384 key with
// SHA-384, applications regrouped, PINs merged. What is assumed, here and
// nowhere else:
//
//   - AID D392F000260100000002: a regrouped application under J-LIS's
//     RID, not the JPKI AID (no such AID is known on a current card; if
//     the real card keeps the JPKI AID, the certificate's key type still
//     tells the profiles apart);
//   - the JPKI file layout (000A, 000B, 0017, 0018, 0006, 0008), the 4-digit
//     PIN with VERIFY P2=80, and the ISD for the logout;
//   - the sign command is ISO 7816-8 PSO: COMPUTE DIGITAL SIGNATURE,
//     00 2A 9E 9A, with the 48-byte SHA-384 digest as its data (the card
//     hashes nothing), answering r‖s (96 bytes).
func ProfileGen2Assumed() Profile {
	return Profile{
		Name:      "gen2-assumed",
		Assumed:   true,
		AID:       []byte{0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x02},
		LogoutAID: []byte{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00},
		Files:     jpkiFiles(),
		PINRef:    0x80,
		Sign:      SignCommand{CLA: 0x00, INS: 0x2A, P1: 0x9E, P2: 0x9A, Input: SignRawDigest, Hash: crypto.SHA384},
		Key:       KeyECDSAP384,
	}
}

// DefaultProfiles are the profiles a Card detects, in the order their
// AIDs are tried: ProfileGen1, then ProfileGen2Assumed.
func DefaultProfiles() []Profile { return []Profile{ProfileGen1(), ProfileGen2Assumed()} }

// ProfileFor returns the built-in profile for a key type: ProfileGen1
// for RSA, ProfileGen2Assumed for ECDSA P-384.
func ProfileFor(k KeyType) (Profile, bool) {
	for _, p := range DefaultProfiles() {
		if p.Key == k {
			return p, true
		}
	}
	return Profile{}, false
}

// ErrProfile is wrapped by the errors of a Profile that cannot work.
var ErrProfile = errors.New("cardreader: unusable applet profile")

// Validate checks that p names an applet kofu can drive.
func (p Profile) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %q: %s", ErrProfile, p.Name, fmt.Sprintf(format, a...))
	}
	switch {
	case len(p.AID) < 5 || len(p.AID) > 16:
		return bad("AID of %d bytes", len(p.AID))
	case len(p.LogoutAID) < 5 || len(p.LogoutAID) > 16 || bytes.Equal(p.LogoutAID, p.AID):
		return bad("logout AID % X", p.LogoutAID)
	case p.Files.AuthCert == 0 || p.Files.AuthKey == 0 || p.Files.AuthPIN == 0 || p.Files.TokenInfo == 0 || p.Files.CertsFlag == 0:
		return bad("no certificate, key, PIN, token or certificates-flag file")
	}
	switch {
	case p.Key == KeyRSA && p.Sign.Input == SignDigestInfo && p.Sign.Hash == 0:
	case p.Key == KeyECDSAP384 && p.Sign.Input == SignRawDigest && p.Sign.Hash == crypto.SHA384:
	default:
		return bad("a %v key with sign input %d and hash %v", p.Key, p.Sign.Input, p.Sign.Hash)
	}
	return nil
}

// Clone returns a deep copy.
func (p Profile) Clone() Profile {
	p.AID, p.LogoutAID = bytes.Clone(p.AID), bytes.Clone(p.LogoutAID)
	return p
}

// String names the profile and its key, e.g. "gen1 (RSA)".
func (p Profile) String() string {
	s := fmt.Sprintf("%s (%v", p.Name, p.Key)
	if p.Assumed {
		s += "; APDUs assumed, no public specification"
	}
	return s + ")"
}
