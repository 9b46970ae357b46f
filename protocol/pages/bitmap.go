package pages

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"
)

// Bitmap is a bilevel page: one bit per pixel, most significant bit first,
// 1 = black (the PCL and PWG black_1 convention). Padding bits at the end
// of each row are zero.
//
// It is the one raster of DESIGN §3.4 rule 3: the kiosk thresholds a page
// once (Binarize), runs every page check on the Bitmap, and the printer
// job is encoded from the same Bitmap. It lives here, beside the checks,
// so that both the verifier (protocol) and the PDL writers (printer/pdl)
// use the same type.
type Bitmap struct {
	W, H   int
	Stride int // bytes per row, (W+7)/8
	Bits   []byte
}

// Raster is read-only access to the rows of a bilevel page: what a PDL
// writer needs, and all a verified page hands out. ReadRow copies row y
// (packed as in Bitmap) into dst, which must hold at least (w+7)/8 bytes,
// and returns the copied bytes; y must be in [0, h).
type Raster interface {
	Size() (w, h int)
	ReadRow(y int, dst []byte) []byte
}

// Threshold is the gray level from which a pixel prints white: gray <
// Threshold (0x80) prints black, so a pixel is black exactly when the top
// bit of its gray value is clear. It is the level the printer writers have
// always used (docs/design-notes.md, "One bitmap").
const Threshold = 0x80

// NewBitmap returns an all-white bitmap of w×h pixels.
func NewBitmap(w, h int) *Bitmap {
	s := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: s, Bits: make([]byte, s*h)}
}

// Size returns the bitmap's width and height (Raster).
func (b *Bitmap) Size() (w, h int) { return b.W, b.H }

// Row returns row y's bytes, aliasing the bitmap.
func (b *Bitmap) Row(y int) []byte { return b.Bits[y*b.Stride : (y+1)*b.Stride] }

// ReadRow copies row y into dst (Raster).
func (b *Bitmap) ReadRow(y int, dst []byte) []byte {
	return dst[:copy(dst[:b.Stride], b.Row(y))]
}

// Black reports whether pixel (x, y) is black; outside the bitmap is white.
func (b *Bitmap) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return false
	}
	return b.Bits[y*b.Stride+x>>3]&(0x80>>uint(x&7)) != 0
}

// Clone returns a deep copy.
func (b *Bitmap) Clone() *Bitmap {
	c := *b
	c.Bits = append([]byte(nil), b.Bits...)
	return &c
}

// Wipe zeroes the pixels (the bitmap becomes white), so that no document
// content outlives its use.
func (b *Bitmap) Wipe() {
	if b != nil {
		clear(b.Bits)
	}
}

// Gray returns the bitmap as an 8-bit image (black 0, white 255): the rule
// for every 8-bit printer path (docs/design-notes.md, "One bitmap").
func (b *Bitmap) Gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, b.W, b.H))
	for y := range b.H {
		ExpandRow(g.Pix[y*g.Stride:y*g.Stride+b.W], b.Row(y))
	}
	return g
}

// ExpandRow writes the 8-bit form of a packed row into dst (one byte per
// pixel, black 0, white 255); len(dst) is the row's width.
func ExpandRow(dst, row []byte) {
	for x := range dst {
		dst[x] = 255 &^ -((row[x>>3] >> (7 - uint(x&7))) & 1)
	}
}

// Binarize thresholds an 8-bit page to the bilevel bitmap the printer
// receives: gray < Threshold is black. It packs eight pixels at a time
// with one multiply; no per-pixel calls.
func Binarize(img *image.Gray) *Bitmap {
	r := img.Bounds()
	b := NewBitmap(r.Dx(), r.Dy())
	for y := range b.H {
		off := img.PixOffset(r.Min.X, r.Min.Y+y)
		PackRow(b.Row(y), img.Pix[off:off+b.W])
	}
	return b
}

// PackRow sets dst's bits from src's gray pixels (gray < Threshold is
// black); dst holds at least (len(src)+7)/8 bytes. Eight pixels take one
// load and one multiply: with the pixels little-endian in v, the negated
// top bits (^v & hi) >> 7 sit at bits 8i, and the multiplier, whose
// terms are 2^(63-9i), moves bit 8i to bit 63-i with no two partial
// products on one bit, so the top byte is the eight pixels, first pixel
// most significant.
func PackRow(dst, src []byte) {
	const hi = 0x8080808080808080
	const magic = 0x8040201008040201
	n := len(src) / 8
	dst = dst[:(len(src)+7)/8]
	i := 0
	for ; i+1 < n; i += 2 { // two at a time: independent multiplies
		v := binary.LittleEndian.Uint64(src[i*8:])
		u := binary.LittleEndian.Uint64(src[i*8+8:])
		dst[i] = byte(((^v & hi) >> 7 * magic) >> 56)
		dst[i+1] = byte(((^u & hi) >> 7 * magic) >> 56)
	}
	if i < n {
		v := binary.LittleEndian.Uint64(src[i*8:])
		dst[i] = byte(((^v & hi) >> 7 * magic) >> 56)
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
		return 0, fmt.Errorf("pages: bitmap size %dx%d vs %dx%d", b.W, b.H, o.W, o.H)
	}
	n := 0
	for y := range b.H {
		r, s := b.Row(y), o.Row(y)
		for i := range r {
			n += bits.OnesCount8(r[i] ^ s[i])
		}
	}
	return n, nil
}

// valid reports whether the bitmap's fields are consistent.
func (b *Bitmap) valid() bool {
	return b != nil && b.W > 0 && b.H > 0 && b.Stride == (b.W+7)/8 && int64(len(b.Bits)) >= int64(b.Stride)*int64(b.H)
}
