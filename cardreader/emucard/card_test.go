package emucard_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/fixtures"
)

func load(t testing.TB) *fixtures.Set {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func newCard(t testing.TB, fx *fixtures.Set, id string, o emucard.Options) (*emucard.Card, *fixtures.Resident) {
	t.Helper()
	r, ok := fx.Resident(id)
	if !ok {
		t.Fatalf("no %s", id)
	}
	c, err := emucard.New(fx, r, o)
	if err != nil {
		t.Fatal(err)
	}
	return c, r
}

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

const (
	selAP    = "00A4040C0AD392F000260100000001"
	selISD   = "00A4040C07A0000001510000" // another application: the GlobalPlatform ISD
	selCert  = "00A4020C02000A"
	selPIN   = "00A4020C020018"
	selKey   = "00A4020C020017"
	selSPIN  = "00A4020C02001B"
	selSKey  = "00A4020C02001A"
	selSCert = "00A4020C020001"
	pinQuery = "00200080"
)

func verifyHex(pin string) string {
	return "00200080" + hex.EncodeToString([]byte{byte(len(pin))}) + hex.EncodeToString([]byte(pin))
}

// step is one APDU and what the card must answer: the status word, and
// optionally the data or its length.
type step struct {
	apdu string
	sw   uint16
	data []byte // exact data, if not nil
	n    int    // data length, if > 0
}

func run(t *testing.T, c *emucard.Card, steps []step) {
	t.Helper()
	for i, s := range steps {
		resp, err := c.Transmit(context.Background(), h(s.apdu))
		if err != nil {
			t.Fatalf("step %d %s: %v", i, s.apdu, err)
		}
		data, sw, err := cardreader.ParseResponse(resp)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if uint16(sw) != s.sw {
			t.Fatalf("step %d %s: SW %s, want %04X", i, s.apdu, sw, s.sw)
		}
		if s.data != nil && !bytes.Equal(data, s.data) {
			t.Fatalf("step %d %s: data % X, want % X", i, s.apdu, data, s.data)
		}
		if s.n > 0 && len(data) != s.n {
			t.Fatalf("step %d %s: %d bytes, want %d", i, s.apdu, len(data), s.n)
		}
	}
}

func digestInfo(t *testing.T, msg string) []byte {
	d := sha256.Sum256([]byte(msg))
	di, err := cardreader.DigestInfo(d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return di
}

func signHex(di []byte) string {
	return "802A0080" + hex.EncodeToString([]byte{byte(len(di))}) + hex.EncodeToString(di) + "00"
}

// TestChecklist walks research/jpki-card.md's emulator checklist.
func TestChecklist(t *testing.T) {
	fx := load(t)
	_, r := newCard(t, fx, "R0001", emucard.Options{})
	der := r.CardCertDER
	L := len(der)
	di := digestInfo(t, "x")
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"SELECT needs P2 0C and P1 04/02", []step{
			{"00A4040C0AD392F000260100000002", 0x6A82, nil, 0},
			{"00A4040004D392F000", 0x6A86, nil, 0},
			{"00A4000C023F00", 0x6A86, nil, 0},
			{selCert, 0x6A82, nil, 0}, // no applet selected yet
			{selAP, 0x9000, []byte{}, 0},
			{"00A4020C020099", 0x6A82, nil, 0},
			{"00A4020C03000A00", 0x6700, nil, 0},
			{selCert, 0x9000, []byte{}, 0},
		}},
		{"READ BINARY: DER, FF filler, short read, 6B00", []step{
			{selAP, 0x9000, nil, 0},
			{"00B0000000", 0x6986, nil, 0}, // no current EF
			{selCert, 0x9000, nil, 0},
			{"00B0000004", 0x9000, der[:4], 0},
			{"00B0000000", 0x9000, der[:256], 0},
			{"00B0" + hex.EncodeToString([]byte{byte(L >> 8), byte(L)}) + "04", 0x9000, []byte{0xFF, 0xFF, 0xFF, 0xFF}, 0},
			{"00B007FC00", 0x9000, []byte{0xFF, 0xFF, 0xFF, 0xFF}, 0}, // short read at the end of the 2048-byte EF
			{"00B0080001", 0x6B00, nil, 0},
			{"00B00000", 0x6700, nil, 0},             // no Le
			{"00B00000000100", 0x9000, der[:256], 0}, // extended Le
			{"00B0000000" + hex.EncodeToString([]byte{byte(L >> 8), byte(L)}), 0x9000, der, 0}, // the whole certificate in one command
			{"00B000000000", 0x6700, nil, 0},           // a broken extended Le
			{"00B0000A000000", 0x9000, nil, 2048 - 10}, // Le 0000 = 65536: up to the end of the file
			{"00B0000000" + "0800", 0x9000, nil, 2048},
			{selAP, 0x9000, nil, 0},
			{"00B08A0004", 0x9000, der[:4], 0}, // short EF identifier 0A (EF 000A), offset in P2
			{"00B08A1004", 0x9000, der[16:20], 0},
			{"00B08B0000", 0x9000, nil, 256}, // EF 000B, which is now current
			{"00B0000004", 0x9000, nil, 4},   // reads the current EF (000B)
			{"00B0800001", 0x6A82, nil, 0},   // no EF 0000
			{"00B0990001", 0x6A82, nil, 0},   // no EF 0019
			{"00B0A00001", 0x6A86, nil, 0},   // P1 101xxxxx is no short EF identifier
			{selKey, 0x9000, nil, 0},
			{"00B0000010", 0x6981, nil, 0},
		}},
		{"signature certificate needs the signature password", []step{
			{selAP, 0x9000, nil, 0},
			{selSCert, 0x9000, nil, 0},
			{"00B0000004", 0x6982, nil, 0},
			{selSPIN, 0x9000, nil, 0},
			{pinQuery, 0x63C5, nil, 0},
			{verifyHex(r.SignPassword), 0x9000, nil, 0},
			{selSCert, 0x9000, nil, 0},
			{"00B0000004", 0x9000, r.SignCertDER[:4], 0},
		}},
		{"PIN counter: 63Cx, 63C0 on the try that blocks, 6984 after", []step{
			{selAP, 0x9000, nil, 0},
			{pinQuery, 0x6A88, nil, 0}, // no PIN EF selected
			{selPIN, 0x9000, nil, 0},
			{pinQuery, 0x63C3, nil, 0},
			{verifyHex("0000"), 0x63C2, nil, 0},
			{pinQuery, 0x63C2, nil, 0},
			{verifyHex("123"), 0x6700, nil, 0}, // wrong length spends nothing
			{verifyHex("0001"), 0x63C1, nil, 0},
			{verifyHex("0002"), 0x63C0, nil, 0},
			{pinQuery, 0x63C0, nil, 0},
			{verifyHex(r.PIN), 0x6984, nil, 0},
			{"0020008104" + hex.EncodeToString([]byte(r.PIN)), 0x6A86, nil, 0},
		}},
		{"a right PIN restores the tries", []step{
			{selAP, 0x9000, nil, 0},
			{selPIN, 0x9000, nil, 0},
			{verifyHex("9999"), 0x63C2, nil, 0},
			{verifyHex(r.PIN), 0x9000, nil, 0},
			{pinQuery, 0x63C3, nil, 0}, // verified: the tries, as a real card answers (OpenSC PR #959)
			{selAP, 0x9000, nil, 0},    // a re-SELECT of the applet keeps it, as a real card does
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x9000, nil, 256},
			{selPIN, 0x9000, nil, 0},
			{pinQuery, 0x63C3, nil, 0},
			{selISD, 0x9000, nil, 0}, // another application drops it
			{selAP, 0x9000, nil, 0},
			{selPIN, 0x9000, nil, 0},
			{pinQuery, 0x63C3, nil, 0},
		}},
		{"sign: 6982 unverified, key EF needed, verified state survives EF selects and a re-SELECT of the applet, cleared by another application", []step{
			{selAP, 0x9000, nil, 0},
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x6982, nil, 0},
			{selPIN, 0x9000, nil, 0},
			{verifyHex(r.PIN), 0x9000, nil, 0},
			{signHex(di), 0x6982, nil, 0}, // PIN EF is current, not the key
			{selCert, 0x9000, nil, 0},
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x9000, nil, 256},
			{"802A008000", 0x6700, nil, 0},
			{"802A0081" + hex.EncodeToString([]byte{byte(len(di))}) + hex.EncodeToString(di) + "00", 0x6A86, nil, 0},
			{"802A0080" + hex.EncodeToString([]byte{byte(len(di))}) + hex.EncodeToString(di) + "80", 0x6C00, nil, 0},
			{selSKey, 0x9000, nil, 0},
			{signHex(di), 0x6982, nil, 0}, // the signature key needs the signature password
			{selAP, 0x9000, nil, 0},
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x9000, nil, 256},              // a re-SELECT is no logout on a real card
			{"00A4040C07A0000001510001", 0x6A82, nil, 0}, // an absent application: nothing changes
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x9000, nil, 256},
			{selISD, 0x9000, nil, 0},
			{selKey, 0x6A82, nil, 0}, // outside the applet
			{selAP, 0x9000, nil, 0},
			{selKey, 0x9000, nil, 0},
			{signHex(di), 0x6982, nil, 0},
		}},
		{"unknown instructions and classes", []step{
			{"00CA010000", 0x6D00, nil, 0},
			{"002A9E9A00", 0x6D00, nil, 0},
			{"B0B0000000", 0x6E00, nil, 0},
			{"00C0000000", 0x6985, nil, 0},
			{"00A4", 0x6700, nil, 0},
			{"00A4040C05D392", 0x6700, nil, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newCard(t, fx, "R0001", emucard.Options{})
			run(t, c, tc.steps)
		})
	}
}

func TestSignatureIsPKCS1v15OverTheDigestInfo(t *testing.T) {
	fx := load(t)
	c, r := newCard(t, fx, "R0002", emucard.Options{})
	di := digestInfo(t, "m")
	run(t, c, []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(r.PIN), 0x9000, nil, 0}, {selKey, 0x9000, nil, 0}})
	resp, err := c.Transmit(context.Background(), h(signHex(di)))
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("m"))
	if err := rsa.VerifyPKCS1v15(r.CardCert.PublicKey.(*rsa.PublicKey), crypto.SHA256, d[:], resp[:len(resp)-2]); err != nil {
		t.Error(err)
	}
}

func TestPowerAndReset(t *testing.T) {
	fx := load(t)
	c, r := newCard(t, fx, "R0003", emucard.Options{FirstAPDU6F00: true})
	login := []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex(r.PIN), 0x9000, nil, 0}}
	c.PowerOn()
	run(t, c, []step{{selAP, 0x6F00, nil, 0}}) // the quirk, once
	run(t, c, login)
	// Warm reset: the selection is lost; sign fails without the key EF.
	c.Reset()
	run(t, c, []step{{selKey, 0x6A82, nil, 0}})
	// Power off: the verified state is gone.
	run(t, c, login)
	c.PowerOff()
	c.PowerOn()
	run(t, c, []step{{selAP, 0x6F00, nil, 0}, {selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {pinQuery, 0x63C3, nil, 0}})
	if _, v := c.PINState(); v {
		t.Error("verified after power-off")
	}
}

func TestVariants(t *testing.T) {
	fx := load(t)
	for _, tc := range []struct {
		v     emucard.Variant
		token string
		read  uint16
	}{{emucard.MyNumber, "JPKIAPICCTOKEN2", 0x9000}, {emucard.Smartphone, "JPKIAPGPSETOKEN", 0x6982}} {
		c, r := newCard(t, fx, "R0004", emucard.Options{Variant: tc.v})
		label := []byte(tc.token + strings.Repeat(" ", 32-len(tc.token)))
		run(t, c, []step{
			{selAP, 0x9000, nil, 0},
			{"00A4020C020006", 0x9000, nil, 0},
			{"00B0000020", 0x9000, label, 0},
			{"00A4020C020008", 0x9000, nil, 0},
			{"00B0000000", 0x9000, []byte{0x8F, 0x8F, 0x00}, 0},
			{selCert, 0x9000, nil, 0},
			{"00B0000004", tc.read, nil, 0},
			{selPIN, 0x9000, nil, 0},
			{verifyHex(r.PIN), 0x9000, nil, 0},
			{selCert, 0x9000, nil, 0},
			{"00B0000004", 0x9000, r.CardCertDER[:4], 0},
		})
	}
	if _, err := emucard.ParseVariant("smartphone"); err != nil {
		t.Error(err)
	}
	if _, err := emucard.ParseVariant("sim"); err == nil {
		t.Error("ParseVariant(sim) succeeded")
	}
}

func TestPINOverrideAndBlockedResident(t *testing.T) {
	fx := load(t)
	c, _ := newCard(t, fx, "R0005", emucard.Options{PIN: "4321"})
	run(t, c, []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {verifyHex("4321"), 0x9000, nil, 0}})
	b, r := newCard(t, fx, "R0007", emucard.Options{})
	run(t, b, []step{{selAP, 0x9000, nil, 0}, {selPIN, 0x9000, nil, 0}, {pinQuery, 0x63C0, nil, 0}, {verifyHex(r.PIN), 0x6984, nil, 0}})
}

func TestFaultsInProcess(t *testing.T) {
	fx := load(t)
	c, _ := newCard(t, fx, "R0001", emucard.Options{})
	c.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0xB0, N: 1}})
	run(t, c, []step{{selAP, 0x9000, nil, 0}, {selCert, 0x9000, nil, 0}})
	if _, err := c.Transmit(context.Background(), h("00B0000000")); !errors.Is(err, cardreader.ErrCardRemoved) {
		t.Errorf("removal: %v", err)
	}
	if c.Present() {
		t.Error("still present")
	}
	if _, err := c.Dialer("r").Dial(context.Background()); !errors.Is(err, cardreader.ErrNoCard) {
		t.Errorf("dial a pulled card: %v", err)
	}
	c.Insert()
	c.SetFaults(emucard.Faults{ResetOn: emucard.Trigger{N: 2}, Spurious6B00On: emucard.Trigger{INS: 0xB0, N: 1}})
	run(t, c, []step{{selAP, 0x9000, nil, 0}})
	if _, err := c.Transmit(context.Background(), h(selCert)); !errors.Is(err, cardreader.ErrCardReset) {
		t.Errorf("reset: %v", err)
	}
	run(t, c, []step{{selAP, 0x9000, nil, 0}, {selCert, 0x9000, nil, 0}, {"00B0000004", 0x6B00, nil, 0}, {"00B0000004", 0x9000, nil, 4}})
	s := c.Stats()
	if s.APDUs == 0 || s.ByINS[0xB0] != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ok       bool
		data     int
		ne       int
		hasLe    bool
		extended bool
	}{
		{"00A40400", true, 0, 0, false, false},
		{"00B0000000", true, 0, 256, true, false},
		{"00B0000010", true, 0, 16, true, false},
		{"00A4020C02000A", true, 2, 0, false, false},
		{"802A00800301020300", true, 3, 256, true, false},
		{"00B00000000000", true, 0, 65536, true, true},
		{"00B00000000100", true, 0, 256, true, true},
		{"00A4040C000002AABB", true, 2, 0, false, true},
		{"00A4040C000002AABB0000", true, 2, 65536, true, true},
		{"00A4", false, 0, 0, false, false},
		{"00A4040C03AABB", false, 0, 0, false, false},
		{"00A4040C0000", false, 0, 0, false, false},
		{"00A4040C00000000", false, 0, 0, false, false},
		{"00A4040C000003AABB", false, 0, 0, false, false},
	} {
		c, err := emucard.ParseCommand(h(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.in, err)
			continue
		}
		if !tc.ok {
			continue
		}
		if len(c.Data) != tc.data || c.Ne != tc.ne || c.HasLe != tc.hasLe || c.Extended != tc.extended {
			t.Errorf("%s: %+v", tc.in, c)
		}
		if got := hex.EncodeToString(c.Bytes()); !strings.EqualFold(got, tc.in) {
			t.Errorf("%s: Bytes() = %s", tc.in, got)
		}
	}
}
