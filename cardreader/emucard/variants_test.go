package emucard_test

import (
	"bytes"
	"context"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// TestRealCardBehaviours: each option that gives a real card's other behaviour,
// APDU by APDU, beside the default card's answer to the same steps.
func TestRealCardBehaviours(t *testing.T) {
	fx := load(t)
	_, r := newCard(t, fx, "R0004", emucard.Options{})
	// block spends the three tries: 63C2, 63C1, then 63C0 on the try that blocks.
	block := []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0},
		{verifyHex("9999"), 0x63C2, nil, 0}, {verifyHex("9999"), 0x63C1, nil, 0}, {verifyHex("9999"), 0x63C0, nil, 0}}
	const selFlag = "00A4020C020008"
	login := []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(r.PIN), 0x9000, nil, 0}}
	for _, tc := range []struct {
		name     string
		resident string
		opts     emucard.Options
		powerUp  bool // power the card up first (a fresh card)
		steps    []step
	}{
		{"default: the tries query answers 63C3 while verified", "R0004", emucard.Options{}, false,
			append(login[:3:3], step{pinQuery, 0x63C3, nil, 0})},
		{"VerifiedStatus9000: it answers 9000 while verified", "R0004", emucard.Options{VerifiedStatus9000: true}, false,
			append(login[:3:3], step{pinQuery, 0x9000, nil, 0}, step{selISD, 0x9000, nil, 0},
				step{selAP, 0x9000, nil, 0}, step{selPIN, 0x9000, nil, 0}, step{pinQuery, 0x63C3, nil, 0})},
		{"default: no 6F00 after power-up", "R0004", emucard.Options{}, true,
			[]step{{selAP, 0x9000, nil, 0}}},
		{"FirstAPDU6F00: 6F00 to the first APDU after power-up, once", "R0004", emucard.Options{FirstAPDU6F00: true}, true,
			[]step{{selAP, 0x6F00, nil, 0}, {selAP, 0x9000, nil, 0}, {selAP, 0x9000, nil, 0}}},
		{"default: a blocked PIN's tries query answers 63C0", "R0004", emucard.Options{}, false,
			append(block[:5:5], step{pinQuery, 0x63C0, nil, 0}, step{verifyHex(r.PIN), 0x6984, nil, 0})},
		{"Blocked6984: it answers 6984", "R0004", emucard.Options{Blocked6984: true}, false,
			append(block[:5:5], step{pinQuery, 0x6984, nil, 0}, step{verifyHex(r.PIN), 0x6984, nil, 0})},
		{"default: EF 0008 says both certificates are present", "R0004", emucard.Options{}, false,
			[]step{{selAP, 0x9000, nil, 0}, {selFlag, 0x9000, nil, 0}, {"00B0000003", 0x9000, []byte{0x8F, 0x8F, 0x00}, 0},
				{selCert, 0x9000, nil, 0}, {"00B0000002", 0x9000, []byte{0x30, 0x82}, 0}}},
		{"NoAuthCert: EF 000A erased, EF 0008 00 00 00", "R0004", emucard.Options{NoAuthCert: true}, false,
			[]step{{selAP, 0x9000, nil, 0}, {selFlag, 0x9000, nil, 0}, {"00B0000003", 0x9000, []byte{0, 0, 0}, 0},
				{selCert, 0x9000, nil, 0}, {"00B0000004", 0x9000, []byte{0xFF, 0xFF, 0xFF, 0xFF}, 0},
				{"00B0000000" + "1000", 0x9000, bytes.Repeat([]byte{0xFF}, 2048), 0}}},
		{"default: extended-length READ BINARY", "R0004", emucard.Options{}, false,
			[]step{{selAP, 0x9000, nil, 0}, {selCert, 0x9000, nil, 0}, {"00B0000000" + "1000", 0x9000, nil, 2048}}},
		{"NoExtendedLength: 6700 to extended-length APDUs", "R0004", emucard.Options{NoExtendedLength: true}, false,
			[]step{{selAP, 0x9000, nil, 0}, {selCert, 0x9000, nil, 0}, {"00B0000000" + "1000", 0x6700, nil, 0},
				{"00B0000000", 0x9000, nil, 256}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCard(t, fx, tc.resident, tc.opts)
			if tc.powerUp {
				c.PowerOn()
			}
			run(t, c, tc.steps)
		})
	}
}

// TestShortReader: the in-process reader of ShortReader says it carries
// short APDUs only and fails an extended-length one before the card.
func TestShortReader(t *testing.T) {
	fx := load(t)
	for _, short := range []bool{false, true} {
		c, _ := newCard(t, fx, "R0004", emucard.Options{ShortReader: short})
		conn, err := c.Dialer("emulated").Dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		x, ok := conn.(cardreader.ExtendedLengthConn)
		if !ok || x.ExtendedLength() == short {
			t.Fatalf("ShortReader %v: ExtendedLength reported %v (%v)", short, ok && x.ExtendedLength(), ok)
		}
		for _, a := range []string{selAP, selCert} {
			if _, err := conn.Transmit(context.Background(), h(a)); err != nil {
				t.Fatal(err)
			}
		}
		before := c.Stats().APDUs
		_, err = conn.Transmit(context.Background(), h("00B0000000"+"1000"))
		if short != (err != nil) || short != (c.Stats().APDUs == before) {
			t.Errorf("ShortReader %v: extended READ BINARY: err %v, reached the card %v", short, err, c.Stats().APDUs != before)
		}
	}
}
