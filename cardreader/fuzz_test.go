package cardreader_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"

	"kofu/cardreader"
)

func FuzzParseResponse(f *testing.F) {
	for _, s := range [][]byte{{0x90, 0x00}, {0x01, 0x02, 0x61, 0x10}, {0x6C}, {}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data, sw, err := cardreader.ParseResponse(b)
		if err != nil {
			if len(b) >= 2 {
				t.Fatalf("refused %d bytes", len(b))
			}
			return
		}
		if !bytes.Equal(append(append([]byte(nil), data...), sw.SW1(), sw.SW2()), b) {
			t.Fatal("data + SW is not the response")
		}
		_ = sw.String()
		if n, ok := sw.Tries(); ok && (n < 0 || n > 15) {
			t.Fatalf("tries %d", n)
		}
	})
}

func FuzzDERHeader(f *testing.F) {
	for _, s := range [][]byte{{0x30, 0x82, 0x03, 0xB7}, {0x30, 0x81, 0x80}, {0x04, 0x05}, {0x30, 0x80}, {0x1F, 0x01, 0x00}, {0x30, 0x83, 0x01, 0x00, 0x00}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, hdr, n, err := cardreader.DERHeader(b)
		if err != nil {
			return
		}
		if hdr < 2 || hdr > 5 || hdr > len(b) || n < 0 || tag != b[0] {
			t.Fatalf("tag %02X hdr %d n %d for % X", tag, hdr, n, b)
		}
		// The header re-encodes to itself: DER lengths are minimal.
		var want []byte
		switch {
		case n < 0x80:
			want = []byte{tag, byte(n)}
		case n < 0x100:
			want = []byte{tag, 0x81, byte(n)}
		case n < 0x10000:
			want = []byte{tag, 0x82, byte(n >> 8), byte(n)}
		default:
			want = []byte{tag, 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
		}
		if !bytes.Equal(want, b[:hdr]) {
			t.Fatalf("header % X is not minimal DER for length %d", b[:hdr], n)
		}
	})
}

func FuzzParseTLV(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x05, 0xFF})
	f.Add([]byte{0x04, 0x81, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		tag, value, rest, err := cardreader.ParseTLV(b)
		if err != nil {
			return
		}
		_, hdr, n, _ := cardreader.DERHeader(b)
		if tag != b[0] || len(value) != n || hdr+len(value)+len(rest) != len(b) || !bytes.Equal(value, b[hdr:hdr+n]) {
			t.Fatalf("TLV split % X into %d / % X / % X", b, hdr, value, rest)
		}
	})
}

// FuzzDigestInfo: whatever DigestInfo accepts for crypto.Hash(0) is one
// DER DigestInfo that encoding/asn1 parses with nothing left over.
func FuzzDigestInfo(f *testing.F) {
	d := make([]byte, 32)
	di, _ := cardreader.DigestInfo(d, crypto.SHA256)
	f.Add(di)
	f.Add([]byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05, 0x00, 0x04, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("junk"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := cardreader.DigestInfo(b, crypto.Hash(0))
		if err != nil {
			if !errors.Is(err, cardreader.ErrUnsupportedSignature) {
				t.Fatalf("error %v is not ErrUnsupportedSignature", err)
			}
			return
		}
		var v struct {
			Alg    pkix.AlgorithmIdentifier
			Digest []byte
		}
		rest, err := asn1.Unmarshal(out, &v)
		if err != nil || len(rest) != 0 || len(out) > 245 || !bytes.Equal(out, b) {
			t.Fatalf("accepted % X: asn1 says %v, rest %d", b, err, len(rest))
		}
	})
}

// FuzzCertificateRead serves a fuzzed EF 000A (6B00 past its end) and
// checks that reading it ends, with at most ⌈L/256⌉+1 READ BINARY for
// what it returns, and never returns more than the header says. mode
// picks the path: 0 one extended-length READ BINARY, 1 short APDUs
// (Options.ShortAPDUs), 2 a card that answers extended ones 6700.
func FuzzCertificateRead(f *testing.F) {
	fx := loadFixtures(f)
	r := resident(f, fx, "R0001")
	for mode := range byte(3) {
		f.Add(append(append([]byte(nil), r.CardCertDER...), 0xFF, 0xFF), mode)
		f.Add([]byte{0x30, 0x82, 0x7F, 0xFF}, mode)
		f.Add([]byte{0x30, 0x82, 0x01, 0x00, 0x01}, mode)
		f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF}, mode)
		f.Add([]byte{}, mode)
	}
	f.Fuzz(func(t *testing.T, file []byte, mode byte) {
		mode %= 3
		reads := 0
		card := script(func(apdu []byte) []byte {
			switch apdu[1] {
			case 0xA4:
				return []byte{0x90, 0x00}
			case 0xB0:
				reads++
				off := int(apdu[2])<<8 | int(apdu[3])
				n := int(apdu[4])
				if len(apdu) == 7 { // extended Le
					if mode == 2 {
						return []byte{0x67, 0x00}
					}
					n = int(apdu[5])<<8 | int(apdu[6])
					if n == 0 {
						n = 65536
					}
				} else if n == 0 {
					n = 256
				}
				if off >= len(file) {
					return []byte{0x6B, 0x00}
				}
				return append(append([]byte(nil), file[off:min(off+n, len(file))]...), 0x90, 0x00)
			}
			return []byte{0x6D, 0x00}
		})
		c, err := cardreader.Open(context.Background(), cardreader.NewDialer("fuzz", card, nil), &cardreader.Options{ShortAPDUs: mode == 1})
		if err != nil {
			t.Fatal(err)
		}
		cert, err := c.AuthCertificate(context.Background())
		if reads > 2*(len(file)/256+2)+2 {
			t.Fatalf("%d READ BINARY for a %d-byte file", reads, len(file))
		}
		if err != nil {
			return
		}
		_, hdr, n, _ := cardreader.DERHeader(file)
		if len(cert.Raw) != hdr+n || !bytes.Equal(cert.Raw, file[:hdr+n]) {
			t.Fatal("certificate is not the DER object at the start of the file")
		}
	})
}
