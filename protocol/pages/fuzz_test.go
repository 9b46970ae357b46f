package pages

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"strings"
	"testing"
)

// Fuzz targets. Seeds are small real files and images; the declared size
// and limits keep every allocation tiny, so the fuzzer explores the
// parser rather than the allocator.

const fuzzW, fuzzH, fuzzDPI = 24, 16, 300

func fuzzLimits() Limits { return Limits{MaxBytes: 1 << 16, MaxPixels: 64 * 64} }

func smallPNG(tb testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, fuzzW, fuzzH))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	b, err := EncodePNG(img, fuzzDPI)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fixCRCs rewrites the CRC of every chunk whose bounds fit in data, so
// that the fuzzer gets past the CRC check into the structure and inflate.
func fixCRCs(data []byte) {
	off := len(pngSignature)
	for off+chunkOverhead <= len(data) {
		n := int(binary.BigEndian.Uint32(data[off:]))
		if n < 0 || n > len(data)-off-chunkOverhead {
			return
		}
		binary.BigEndian.PutUint32(data[off+8+n:], crc32.ChecksumIEEE(data[off+4:off+8+n]))
		off += chunkOverhead + n
	}
}

func FuzzDecode(f *testing.F) {
	valid := smallPNG(f)
	f.Add(valid, uint16(fuzzW), uint16(fuzzH), uint16(fuzzDPI), false)
	f.Add(valid, uint16(fuzzW), uint16(fuzzH), uint16(fuzzDPI), true)
	f.Add(valid, uint16(fuzzW+1), uint16(fuzzH), uint16(fuzzDPI), false)
	f.Add(valid[:len(valid)-3], uint16(fuzzW), uint16(fuzzH), uint16(fuzzDPI), false)
	f.Add(bomb(f, 64, 64), uint16(64), uint16(64), uint16(300), true)
	f.Add(edit(f, valid, setIHDR(12, 1)), uint16(fuzzW), uint16(fuzzH), uint16(fuzzDPI), true)
	f.Add(edit(f, valid, func(cs []chunk) []chunk {
		return append(cs[:1], append([]chunk{{"tEXt", []byte("k\x00v")}}, cs[1:]...)...)
	}), uint16(fuzzW), uint16(fuzzH), uint16(fuzzDPI), true)
	f.Fuzz(func(t *testing.T, data []byte, w, h, dpi uint16, fixCRC bool) {
		if fixCRC {
			fixCRCs(data)
		}
		img, err := Decode(data, int(w), int(h), int(dpi), fuzzLimits())
		// DecodeBitmap agrees with Decode: the same verdict (and kind), and
		// on acceptance exactly the thresholded image.
		bm, berr := DecodeBitmap(data, int(w), int(h), int(dpi), fuzzLimits())
		switch {
		case err != nil && strings.Contains(err.Error(), "checksum") && berr == nil:
			// The zlib Adler-32: the one thing DecodeBitmap does not check.
			return
		case (err == nil) != (berr == nil) || err != nil && kindOf(err) != kindOf(berr):
			t.Fatalf("Decode: %v; DecodeBitmap: %v", err, berr)
		case err == nil && !bm.Equal(Binarize(img)):
			t.Fatal("DecodeBitmap differs from Binarize(Decode)")
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind == 0 {
				t.Fatalf("untyped error %v", err)
			}
			if img != nil || bm != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		if img.Rect != image.Rect(0, 0, int(w), int(h)) || len(img.Pix) != int(w)*int(h) {
			t.Fatalf("accepted image %v for declared %d×%d", img.Rect, w, h)
		}
		// Whatever was accepted re-encodes and is accepted again, equal.
		again, err := EncodePNG(img, int(dpi))
		if err != nil {
			t.Fatal(err)
		}
		img2, err := Decode(again, int(w), int(h), int(dpi), fuzzLimits())
		if err != nil || string(img2.Pix) != string(img.Pix) {
			t.Fatalf("re-encoded page refused or changed: %v", err)
		}
	})
}

// FuzzFindQR: any image gives symbol texts or a typed QR or crowded
// error, never a decoder panic; found symbols have text, and a uniform image has none.
func FuzzFindQR(f *testing.F) {
	// A small symbol, version 1 at 2 px per module, on a small image.
	qr := func(text string, m int) (w, h uint8, pix []byte) {
		sym := mustQR(f, text)
		n := (sym.size + 2*qrQuiet) * m
		img := image.NewGray(image.Rect(0, 0, n+3, n))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		newCanvas(img, 300).drawQR(sym, qrQuiet*m, qrQuiet*m, m)
		return uint8(n + 3), uint8(n), img.Pix
	}
	w, h, pix := qr("KOFU1|x|1/1", 2)
	f.Add(w, h, uint16(300), pix)
	f.Add(w, h, uint16(600), pix)
	w, h, pix = qr("KOFU1|q3Zx9-Hb2mLk_Pq0RsT7wA|1/1", 3)
	f.Add(w, h, uint16(300), pix)
	f.Add(uint8(40), uint8(40), uint16(72), []byte{0, 255, 0, 255, 128})
	f.Add(uint8(1), uint8(1), uint16(1), []byte{})
	f.Fuzz(func(t *testing.T, w, h uint8, dpi uint16, pix []byte) {
		img := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		if len(pix) > 0 {
			for i := range img.Pix {
				img.Pix[i] = pix[i%len(pix)]
			}
		}
		texts, err := FindQR(img, int(dpi))
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindQR && pe.Kind != KindCrowded {
				t.Fatalf("untyped error %v", err)
			}
			if dp := (decoderPanic{}); errors.As(err, &dp) {
				t.Fatalf("decoder panicked: %v", err)
			}
			return
		}
		// A found symbol has text; an image of one grey has no symbol.
		for _, s := range texts {
			if s == "" {
				t.Fatal("empty text for a found symbol")
			}
		}
		uniform := true
		for _, p := range img.Pix {
			uniform = uniform && p == img.Pix[0]
		}
		if uniform && len(texts) != 0 {
			t.Fatalf("symbols %q found in a uniform image", texts)
		}
	})
}
