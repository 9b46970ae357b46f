package emucard

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"fmt"

	"kofu/cardreader"
	"kofu/internal/fixtures"
)

// Variant is the kind of JPKI token the card presents.
type Variant int

// Variants.
const (
	// MyNumber is a My Number card (token JPKIAPICCTOKEN2).
	MyNumber Variant = iota
	// Smartphone is the Android smartphone token (JPKIAPGPSETOKEN): even
	// the user-authentication certificate needs the PIN.
	Smartphone
)

func (v Variant) token() cardreader.Token {
	if v == Smartphone {
		return cardreader.TokenSmartphone
	}
	return cardreader.TokenMyNumber
}

// ParseVariant parses "mynumber" or "smartphone".
func ParseVariant(s string) (Variant, error) {
	switch s {
	case "", "mynumber":
		return MyNumber, nil
	case "smartphone":
		return Smartphone, nil
	}
	return 0, fmt.Errorf("emucard: unknown variant %q (mynumber, smartphone)", s)
}

// DefaultATR is a contact My Number card's ATR, the one OpenSC's JPKI
// driver matches.
var DefaultATR = []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}

type fileKind int

const (
	binaryFile fileKind = iota
	keyFile
	pinFile
)

// file is an EF of the applet.
type file struct {
	kind fileKind
	data []byte        // binary files, with filler
	key  crypto.Signer // key files: *rsa.PrivateKey, or *ecdsa.PrivateKey on P-384
	pin  uint16        // key files and protected binary files: the PIN EF that unlocks them (0: none)
}

// pinState is a PIN or password EF: its value, tries and verified flag.
type pinState struct {
	value          []byte
	max, tries     int
	minLen, maxLen int
	verified       bool
}

// Parts is what a card is made of. New fills it from a resident.
type Parts struct {
	AuthCertDER, AuthCACertDER []byte
	// AuthKey is the user-authentication key: *rsa.PrivateKey on a
	// generation-1 card, *ecdsa.PrivateKey on P-384 on a generation-2 one.
	AuthKey                    crypto.Signer
	PIN                        string
	PINTries                   int
	SignCertDER, SignCACertDER []byte
	SignKey                    *rsa.PrivateKey
	SignPassword               string
	SignTries                  int
}

// PartsOf collects a resident's card from the fixtures: the
// user-authentication side (an RSA key under JPKICA for a generation-1
// card, a P-384 key under JPKIP384CA for a generation-2 one; EF 000B holds
// the CA that issued the certificate), the signature side, the PIN and
// its tries (0 for a blocked PIN).
func PartsOf(fx *fixtures.Set, r *fixtures.Resident) (Parts, error) {
	ak, err := r.CardSigner()
	if err != nil {
		return Parts{}, err
	}
	ca := r.CardCACertDER
	if len(ca) == 0 {
		ca = fx.JPKICA.CertDER
	}
	sk, err := r.SignKey()
	if err != nil {
		return Parts{}, err
	}
	tries := r.PINTries
	if r.PINBlocked {
		tries = 0
	}
	return Parts{
		AuthCertDER: r.CardCertDER, AuthCACertDER: ca, AuthKey: ak,
		PIN: r.PIN, PINTries: tries,
		SignCertDER: r.SignCertDER, SignCACertDER: fx.JPKISignCA.CertDER, SignKey: sk,
		SignPassword: r.SignPassword, SignTries: r.SignTries,
	}, nil
}

// filled pads a DER object with FF filler, as the card's EFs hold it:
// 2048 bytes, or the DER rounded up to 256 plus 256 if larger.
func filled(der []byte) []byte {
	size := 0x800
	if len(der) >= size {
		size = (len(der)+255)/256*256 + 256
	}
	b := bytes.Repeat([]byte{0xFF}, size)
	copy(b, der)
	return b
}

// buildFiles lays out the applet's EFs where the profile says they are.
func buildFiles(p Parts, v Variant, f cardreader.Files) (map[uint16]*file, map[uint16]*pinState) {
	label := make([]byte, 32)
	copy(label, bytes.Repeat([]byte{' '}, 32))
	copy(label, v.token())
	authCertPIN := uint16(0)
	if v == Smartphone {
		authCertPIN = f.AuthPIN
	}
	files := map[uint16]*file{
		f.AuthCert:   {kind: binaryFile, data: filled(p.AuthCertDER), pin: authCertPIN},
		f.AuthCACert: {kind: binaryFile, data: filled(p.AuthCACertDER)},
		f.AuthKey:    {kind: keyFile, key: p.AuthKey, pin: f.AuthPIN},
		f.AuthPIN:    {kind: pinFile},
		f.SignCert:   {kind: binaryFile, data: filled(p.SignCertDER), pin: f.SignPIN},
		f.SignCACert: {kind: binaryFile, data: filled(p.SignCACertDER)},
		f.SignKey:    {kind: keyFile, key: p.SignKey, pin: f.SignPIN},
		f.SignPIN:    {kind: pinFile},
		f.TokenInfo:  {kind: binaryFile, data: label},
		f.CertsFlag:  {kind: binaryFile, data: []byte{0x8F, 0x8F, 0x00}},
	}
	pins := map[uint16]*pinState{
		f.AuthPIN: {value: []byte(p.PIN), max: 3, tries: p.PINTries, minLen: 4, maxLen: 4},
		f.SignPIN: {value: []byte(p.SignPassword), max: 5, tries: p.SignTries, minLen: 6, maxLen: 16},
	}
	return files, pins
}
