//go:build linux && cgo

package cardreader_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
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
// 9000 and a signature. Both card generations, each in its own reader:
// the other client speaks the card's own profile.
func TestPCSCNoPINLeftAfterSign(t *testing.T) {
	s := pcsctest.Start(t)
	fx := loadFixtures(t)
	pc := pcscContext(t)
	for slot, id := range []string{"R0001", "G0001"} {
		t.Run(id, func(t *testing.T) {
			r := resident(t, fx, id)
			e := emu(t, fx, id, emucard.Options{})
			s.Insert(t, e, slot)
			p := e.Profile()
			ctx := ctxT(t, 30*time.Second)

			c, err := pc.Open(ctx, s.Reader(slot), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			key, err := c.AuthKey(ctx, []byte(r.PIN))
			if err != nil {
				t.Fatal(err)
			}
			h := sha512.Sum384([]byte("the resident's request"))
			digest, hf, data := h[:], crypto.SHA384, h[:] // what the card signs: the raw digest…
			if p.Sign.Input == cardreader.SignDigestInfo {
				h := sha256.Sum256([]byte("the resident's request"))
				digest, hf = h[:], crypto.SHA256
				if data, err = cardreader.DigestInfo(digest, hf); err != nil { // … or a DigestInfo
					t.Fatal(err)
				}
			}
			if _, err := key.Sign(nil, digest, hf); err != nil {
				t.Fatal(err)
			}
			// The other client, at once (before any idle power-down by pcscd).
			sc, err := scard.EstablishContext()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Release()
			card, err := sc.Connect(s.Reader(slot), scard.ShareShared, scard.ProtocolAny)
			if err != nil {
				t.Fatal(err)
			}
			defer card.Disconnect(scard.LeaveCard)
			apdu := func(b []byte) string {
				t.Helper()
				resp, err := card.Transmit(b)
				if err != nil || len(resp) < 2 {
					t.Fatalf("transmit % X: % X, %v", b, resp, err)
				}
				return hex.EncodeToString(resp[len(resp)-2:])
			}
			if sw := apdu(append([]byte{0x00, 0xA4, 0x04, 0x0C, byte(len(p.AID))}, p.AID...)); sw != "9000" {
				t.Fatalf("SELECT AP: %s", sw)
			}
			if sw := apdu([]byte{0x00, 0xA4, 0x02, 0x0C, 0x02, byte(p.Files.AuthKey >> 8), byte(p.Files.AuthKey)}); sw != "9000" {
				t.Fatalf("SELECT key: %s", sw)
			}
			sign := append(append([]byte{p.Sign.CLA, p.Sign.INS, p.Sign.P1, p.Sign.P2, byte(len(data))}, data...), 0)
			if sw := apdu(sign); sw != "6982" {
				t.Fatalf("a PIN-less signature after kofu's session answered %s, want 6982: the PIN was left verified", sw)
			}
			if _, verified := e.PINState(); verified {
				t.Fatal("the emulated card reports its PIN verified after kofu's logout")
			}
		})
	}
}
