package emucard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha512"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// The assumed generation-2 applet's APDUs (cardreader.ProfileGen2Assumed).
const (
	selAP2 = "00A4040C0AD392F000260100000002"
	pso    = "002A9E9A" // PSO: COMPUTE DIGITAL SIGNATURE
)

func psoHex(digest []byte) string {
	return pso + hex.EncodeToString([]byte{byte(len(digest))}) + hex.EncodeToString(digest) + "00"
}

// TestGen2Card walks the generation-2 card's APDUs as the assumed profile
// has them, beside what stays as on generation 1.
func TestGen2Card(t *testing.T) {
	fx := load(t)
	d := sha512.Sum384([]byte("kofu request"))
	for _, tc := range []struct {
		name  string
		steps func(pin string) []step
	}{
		{"the JPKI AID is not there; the assumed one is", func(string) []step {
			return []step{{selAP, 0x6A82, nil, 0}, {selCert, 0x6A82, nil, 0}, {selAP2, 0x9000, nil, 0}, {selCert, 0x9000, nil, 0}}
		}},
		{"the generation-1 sign command is unknown", func(pin string) []step {
			return []step{{selAP2, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(pin), 0x9000, nil, 0},
				{selKey, 0x9000, nil, 0}, {signHex(d[:]), 0x6D00, nil, 0}}
		}},
		{"sign needs the PIN", func(string) []step {
			return []step{{selAP2, 0x9000, nil, 0}, {selKey, 0x9000, nil, 0}, {psoHex(d[:]), 0x6982, nil, 0}}
		}},
		{"sign takes a SHA-384 digest only", func(pin string) []step {
			return []step{{selAP2, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(pin), 0x9000, nil, 0},
				{selKey, 0x9000, nil, 0}, {psoHex(d[:32]), 0x6700, nil, 0}, {psoHex(append(d[:], 0)), 0x6700, nil, 0},
				{"002A9E9B30" + hex.EncodeToString(d[:]) + "00", 0x6A86, nil, 0}, {psoHex(d[:]), 0x9000, nil, 96}}
		}},
		{"the tries query and the ISD logout are as on generation 1", func(pin string) []step {
			return []step{{selAP2, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(pin), 0x9000, nil, 0},
				{pinQuery, 0x63C3, nil, 0}, {selAP2, 0x9000, nil, 0}, {selKey, 0x9000, nil, 0}, {psoHex(d[:]), 0x9000, nil, 96},
				{selISD, 0x9000, nil, 0}, {selAP2, 0x9000, nil, 0}, {selKey, 0x9000, nil, 0}, {psoHex(d[:]), 0x6982, nil, 0}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, r := newCard(t, fx, "G0001", emucard.Options{})
			run(t, c, tc.steps(r.PIN))
		})
	}
}

// TestGen2SignatureIsRS: the card answers r‖s over the digest as given,
// and EF 000B holds the P-384 CA.
func TestGen2SignatureIsRS(t *testing.T) {
	fx := load(t)
	c, r := newCard(t, fx, "G0002", emucard.Options{})
	if p := c.Profile(); p.Name != cardreader.ProfileGen2Assumed().Name || !p.Assumed {
		t.Fatalf("profile %v", p)
	}
	run(t, c, []step{{selAP2, 0x9000, nil, 0}, {"00A4020C02000B", 0x9000, nil, 0}})
	resp, err := c.Transmit(context.Background(), h("00B00000000800"))
	if err != nil {
		t.Fatal(err)
	}
	if ca := fx.JPKIP384CA.CertDER; len(resp) < len(ca) || string(resp[:len(ca)]) != string(ca) {
		t.Error("EF 000B is not the P-384 CA's certificate")
	}
	d := sha512.Sum384([]byte("m"))
	run(t, c, []step{{selPIN, 0x9000, nil, 0}, {verifyHex(r.PIN), 0x9000, nil, 0}, {selKey, 0x9000, nil, 0}})
	resp, err = c.Transmit(context.Background(), h(psoHex(d[:])))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp) != 98 || resp[96] != 0x90 {
		t.Fatalf("answer of %d bytes: % X", len(resp), resp[len(resp)-2:])
	}
	pub := r.CardCert.PublicKey.(*ecdsa.PublicKey)
	rr, ss := new(big.Int).SetBytes(resp[:48]), new(big.Int).SetBytes(resp[48:96])
	if !ecdsa.Verify(pub, d[:], rr, ss) {
		t.Error("r‖s does not verify with the card's certificate")
	}
}

// TestProfileMustFitKey: a profile whose key type is not the card's is
// refused when the card is built.
func TestProfileMustFitKey(t *testing.T) {
	fx := load(t)
	for _, tc := range []struct {
		id   string
		p    cardreader.Profile
		fail string
	}{
		{"R0001", cardreader.ProfileGen2Assumed(), "signs with ECDSA P-384"},
		{"G0001", cardreader.ProfileGen1(), "signs with RSA"},
		{"G0001", cardreader.Profile{Name: "broken", AID: []byte{1, 2, 3, 4, 5}}, "unusable applet profile"},
		{"G0001", cardreader.ProfileGen2Assumed(), ""},
		{"R0001", cardreader.ProfileGen1(), ""},
	} {
		r, _ := fx.Resident(tc.id)
		_, err := emucard.New(fx, r, emucard.Options{Profile: tc.p})
		switch {
		case tc.fail == "" && err != nil:
			t.Errorf("%s with %s: %v", tc.id, tc.p.Name, err)
		case tc.fail != "" && (err == nil || !strings.Contains(err.Error(), tc.fail)):
			t.Errorf("%s with %s: %v, want an error saying %q", tc.id, tc.p.Name, err, tc.fail)
		}
	}
}
