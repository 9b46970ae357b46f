package emucard_test

import (
	"bytes"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{selAP, selCert, "00B0000000", "802A00800301020300", "00B00000000100", "00A4040C000002AABB0000", "00A4"} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := emucard.ParseCommand(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("% X parses to %+v, which encodes to % X", b, c, c.Bytes())
		}
		if c.HasLe && (c.Ne < 1 || c.Ne > 65536 || (!c.Extended && c.Ne > 256)) {
			t.Fatalf("Ne %d", c.Ne)
		}
	})
}

// FuzzCardCommands feeds the card a sequence of APDUs (each prefixed by
// its length byte): the card never panics, always answers a status word,
// and its PIN counter stays within 0..3.
func FuzzCardCommands(f *testing.F) {
	fx := load(f)
	r, _ := fx.Resident("R0001")
	seq := func(apdus ...string) []byte {
		var b []byte
		for _, a := range apdus {
			x := h(a)
			b = append(b, byte(len(x)))
			b = append(b, x...)
		}
		return b
	}
	f.Add(seq(selAP, selCert, "00B0000000", "00B0010000"))
	f.Add(seq(selAP, selPIN, verifyHex(r.PIN), selKey, signHex(make([]byte, 51))))
	f.Add(seq(selAP, selPIN, verifyHex("0000"), verifyHex("0000"), verifyHex("0000"), verifyHex(r.PIN)))
	f.Add(seq(selAP, selSPIN, pinQuery, "00C0000000", "B0B0000000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := emucard.New(fx, r, emucard.Options{FirstAPDU6F00: len(b)%2 == 1})
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			n := int(b[0])
			b = b[1:]
			if n > len(b) {
				n = len(b)
			}
			resp := c.Process(b[:n])
			b = b[n:]
			if len(resp) < 2 {
				t.Fatalf("answer of %d bytes", len(resp))
			}
			if _, _, err := cardreader.ParseResponse(resp); err != nil {
				t.Fatal(err)
			}
			if tries, _ := c.PINState(); tries < 0 || tries > 3 {
				t.Fatalf("tries %d", tries)
			}
		}
	})
}
