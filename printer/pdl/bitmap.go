package pdl

import (
	"encoding/binary"
	"fmt"
	"image"
)

// Bitmap is a 1-bit raster, one bit per pixel, most significant bit first,
// 1 = black (the PCL and PWG black_1 convention). Padding bits at the end
// of each row are zero.
type Bitmap struct {
	W, H   int
	Stride int // bytes per row, (W+7)/8
	Bits   []byte
}

// NewBitmap returns an all-white bitmap.
func NewBitmap(w, h int) *Bitmap {
	s := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: s, Bits: make([]byte, s*h)}
}

// Row returns row y's bytes.
func (b *Bitmap) Row(y int) []byte { return b.Bits[y*b.Stride : (y+1)*b.Stride] }

// Gray returns the bitmap as an 8-bit image (black 0, white 255).
func (b *Bitmap) Gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, b.W, b.H))
	for y := range b.H {
		row, dst := b.Row(y), g.Pix[y*g.Stride:y*g.Stride+b.W]
		for x := range dst {
			dst[x] = 255 &^ -((row[x>>3] >> (7 - uint(x&7))) & 1)
		}
	}
	return g
}

// Threshold is the gray level below which a pixel prints black: 0x80, so a
// pixel is black exactly when the top bit of its gray value is clear.
const Threshold = 0x80

// ToBitmap thresholds an 8-bit page to 1 bit (gray < Threshold is black).
// It packs eight pixels at a time with one multiply; no per-pixel calls.
func ToBitmap(img *image.Gray) *Bitmap {
	r := img.Bounds()
	b := NewBitmap(r.Dx(), r.Dy())
	for y := range b.H {
		off := img.PixOffset(r.Min.X, r.Min.Y+y)
		packRow(b.Row(y), img.Pix[off:off+b.W])
	}
	return b
}

// packRow sets dst's bits from src's gray pixels.
func packRow(dst, src []byte) {
	const hi = 0x8080808080808080
	const magic = 0x0102040810204080 // gathers bit 8i+7>>7 into bit 56+i
	n := len(src) / 8
	for i := range n {
		v := binary.BigEndian.Uint64(src[i*8:])
		dst[i] = byte(((((^v) & hi) >> 7) * magic) >> 56)
	}
	if rest := src[n*8:]; len(rest) > 0 {
		var c byte
		for j, p := range rest {
			if p < Threshold {
				c |= 0x80 >> uint(j)
			}
		}
		dst[n] = c
	}
}

// Equal reports whether two bitmaps have the same size and pixels.
func (b *Bitmap) Equal(o *Bitmap) bool {
	if b.W != o.W || b.H != o.H {
		return false
	}
	for y := range b.H {
		if string(b.Row(y)) != string(o.Row(y)) {
			return false
		}
	}
	return true
}

// Diff counts differing pixels between two same-sized bitmaps.
func (b *Bitmap) Diff(o *Bitmap) (int, error) {
	if b.W != o.W || b.H != o.H {
		return 0, fmt.Errorf("pdl: size %dx%d vs %dx%d", b.W, b.H, o.W, o.H)
	}
	n := 0
	for i := range b.Bits {
		n += popcount(b.Bits[i] ^ o.Bits[i])
	}
	return n, nil
}

func popcount(x byte) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
