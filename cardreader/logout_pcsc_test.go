//go:build linux && cgo

package cardreader_test

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/ebfe/scard"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
)

// TestPCSCNoPINLeftAfterSign: right after kofu signed with the resident's
// key, another PC/SC client (raw APDUs through the same pcscd) selects the
// applet and the key and asks for a signature without any PIN. The card
// behaves as a real one (a re-SELECT of the AID and a warm reset keep the
// PIN verified), so only a logout a real card honours — another
// application selected, the card powered down — makes it answer 6982.
// Against kofu's earlier logout (re-SELECT, then a reset) it answered
// 9000 and a signature.
func TestPCSCNoPINLeftAfterSign(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	r := resident(t, fx, "R0001")
	e := emu(t, fx, "R0001", emucard.Options{})
	s.Insert(t, e, 0)
	pc := pcscContext(t)
	ctx := ctxT(t, 30*time.Second)

	c, err := pc.OpenFirst(ctx, "Virtual PCD", nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := c.AuthKey(ctx, []byte(r.PIN))
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("the resident's request"))
	if _, err := key.Sign(nil, h[:], crypto.SHA256); err != nil {
		t.Fatal(err)
	}
	// The other client, at once (before any idle power-down by pcscd).
	sc, err := scard.EstablishContext()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Release()
	card, err := sc.Connect(s.Reader(0), scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Disconnect(scard.LeaveCard)
	di, err := cardreader.DigestInfo(h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	apdu := func(hexAPDU string) string {
		t.Helper()
		b, _ := hex.DecodeString(hexAPDU)
		resp, err := card.Transmit(b)
		if err != nil || len(resp) < 2 {
			t.Fatalf("transmit %s: % X, %v", hexAPDU, resp, err)
		}
		return hex.EncodeToString(resp[len(resp)-2:])
	}
	if sw := apdu("00A4040C0A" + hex.EncodeToString(cardreader.JPKIAID())); sw != "9000" {
		t.Fatalf("SELECT AP: %s", sw)
	}
	if sw := apdu("00A4020C020017"); sw != "9000" {
		t.Fatalf("SELECT key: %s", sw)
	}
	if sw := apdu("802A0080" + hex.EncodeToString([]byte{byte(len(di))}) + hex.EncodeToString(di) + "00"); sw != "6982" {
		t.Fatalf("a PIN-less signature after kofu's session answered %s, want 6982: the PIN was left verified", sw)
	}
	if _, verified := e.PINState(); verified {
		t.Fatal("the emulated card reports its PIN verified after kofu's logout")
	}
}
