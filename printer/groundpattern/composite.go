package groundpattern

import (
	"encoding/binary"
	"fmt"
	"image"
	"math/bits"

	"golang.org/x/image/font/opentype"

	"kofu/protocol/pages"
)

// Pattern is the ground pattern at one resolution. It is immutable once
// built and safe for concurrent use; build it once (New parses the font)
// and composite every page with it.
type Pattern struct {
	dpi  int
	d    design
	t    tile
	wide [][]byte // the tile's rows repeated across an A4 page width

	// draw paints the pattern onto out, which holds the face. New sets
	// it to drawPattern; tests give a copy of a Pattern a broken one to
	// show that Composite's check refuses what it draws.
	draw func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle)
}

// New builds the ground pattern at dpi from a TrueType/OpenType font that
// covers the latent word (kofu uses the IPA Gothic font the center renders
// certificates with). Only 600 dpi is supported: at 300 dpi a one-pixel
// dot is too large for a copier to drop, and New returns an error of
// KindResolution (docs/groundpattern.md).
func New(ttf []byte, dpi int) (*Pattern, error) {
	if err := checkDPI(dpi); err != nil {
		return nil, err
	}
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, &Error{Kind: KindFont, Detail: "parse", Err: err}
	}
	return newPattern(f, dpi, standardDesign())
}

// newPattern builds a pattern of design d at any dpi (the tests measure
// what a 300-dpi pattern would do).
func newPattern(f *opentype.Font, dpi int, d design) (*Pattern, error) {
	t, err := buildTile(f, dpi, d)
	if err != nil {
		return nil, err
	}
	p := &Pattern{dpi: dpi, d: d, t: t, draw: drawPattern}
	if w, _, ok := pages.PageSize(dpi); ok {
		p.wide = wideRows(t.ink, (w+7)/8)
	}
	return p, nil
}

// DPI returns the resolution the pattern is built for.
func (p *Pattern) DPI() int { return p.dpi }

// Coverage returns the fraction of pattern pixels that are black, the
// same inside the latent word and outside it.
func (p *Pattern) Coverage() float64 { return p.d.coverage() }

// wideRows repeats each row of the tile (whose width is a multiple of 8)
// to stride bytes.
func wideRows(t *pages.Bitmap, stride int) [][]byte {
	rows := make([][]byte, t.H)
	for y := range rows {
		r := make([]byte, stride)
		src := t.Row(y)
		for i := 0; i < stride; i += len(src) {
			copy(r[i:], src)
		}
		rows[y] = r
	}
	return rows
}

// BandKeepOut returns the bottom band of a w×h page at dpi (DESIGN §3.4:
// 40 mm, full width), which carries the page's QR symbol.
func BandKeepOut(w, h, dpi int) image.Rectangle {
	return image.Rect(0, h-pages.BandHeight(dpi), w, h)
}

// KeepOut returns the keep-out areas of a w×h page at dpi: the bottom
// band and the quiet zones of the symbols the verifier found (their
// pages.Symbol.Quiet). The verifier requires the symbol wholly inside the
// band but not its quiet zone, which may reach above the band's top; the
// print path passes it here so that the pattern never enters it.
func KeepOut(w, h, dpi int, quiet ...image.Rectangle) []image.Rectangle {
	return append([]image.Rectangle{BandKeepOut(w, h, dpi)}, quiet...)
}

// Composite returns a new bitmap: the verified face with the pattern
// added on pixels that are white in the face and outside keepOut (the QR
// band and the symbol's quiet zone: KeepOut). dpi is the face's
// resolution and must be the pattern's.
//
// Before returning, Composite runs Verify on the result: every black
// pixel of the face and every pixel inside keepOut must be bit-identical,
// and every pixel added must be a pixel of the pattern. If not, it wipes
// the result and returns an *Error (KindAltered or KindForeign), and the
// caller must not send the job. The caller wipes the result after use.
func (p *Pattern) Composite(face pages.Raster, keepOut []image.Rectangle, dpi int) (*pages.Bitmap, error) {
	if dpi != p.dpi {
		return nil, errorf(KindResolution, "page at %d dpi, pattern at %d dpi", dpi, p.dpi)
	}
	w, h := face.Size()
	if w <= 0 || h <= 0 {
		return nil, errorf(KindSize, "page of %d×%d pixels", w, h)
	}
	out := pages.NewBitmap(w, h)
	last := byte(0xff) << uint((8-w%8)%8) // the last byte's pixels
	for y := range h {
		row := out.Row(y)
		face.ReadRow(y, row)
		row[len(row)-1] &= last
	}
	p.draw(p, out, keepOut)
	if err := p.Verify(face, out, keepOut); err != nil {
		out.Wipe()
		return nil, err
	}
	return out, nil
}

// drawPattern ORs the pattern into out row by row, with the keep-out
// spans of the row cleared from the pattern first and the padding bits
// after the last pixel left zero.
func drawPattern(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
	rows := p.rowsFor(out.Stride)
	scratch := make([]byte, out.Stride)
	last := byte(0xff) << uint((8-out.W%8)%8)
	for y := range out.H {
		pat := rows[y%len(rows)][:out.Stride]
		masked := false
		for _, r := range keepOut {
			r = r.Intersect(image.Rect(0, 0, out.W, out.H))
			if r.Empty() || y < r.Min.Y || y >= r.Max.Y {
				continue
			}
			if !masked {
				copy(scratch, pat)
				pat, masked = scratch, true
			}
			clearSpan(pat, r.Min.X, r.Max.X)
		}
		dst := out.Row(y)
		n := len(dst) - 1
		i := 0
		for ; i+8 <= n; i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(dst[i:])|binary.LittleEndian.Uint64(pat[i:]))
		}
		for ; i < n; i++ {
			dst[i] |= pat[i]
		}
		dst[n] |= pat[n] & last
	}
}

// rowsFor returns the tile's rows repeated to at least stride bytes.
func (p *Pattern) rowsFor(stride int) [][]byte {
	if len(p.wide) > 0 && len(p.wide[0]) >= stride {
		return p.wide
	}
	return wideRows(p.t.ink, stride)
}

// clearSpan clears bits [x0, x1) of a packed row.
func clearSpan(row []byte, x0, x1 int) {
	for x0 < x1 && x0&7 != 0 {
		row[x0>>3] &^= 0x80 >> uint(x0&7)
		x0++
	}
	for x0+8 <= x1 {
		row[x0>>3] = 0
		x0 += 8
	}
	for x0 < x1 {
		row[x0>>3] &^= 0x80 >> uint(x0&7)
		x0++
	}
}

// Verify is VerifyComposite and, in addition, that every pixel black in
// composited but white in verified is black in the pattern: compositing
// added nothing but the pattern. Both checks run in one pass.
func (p *Pattern) Verify(verified, composited pages.Raster, keepOut []image.Rectangle) error {
	w, _ := verified.Size()
	return verify(verified, composited, keepOut, p.rowsFor((w+7)/8))
}

// VerifyComposite checks a composited page against the verified face it
// was made from, needing nothing of the pattern: the same size, every
// pixel black in verified still black in composited, every pixel inside
// keepOut (clipped to the page) the same in both, and no bit set after a
// row's last pixel. It returns an *Error of KindSize or KindAltered.
func VerifyComposite(verified, composited pages.Raster, keepOut []image.Rectangle) error {
	return verify(verified, composited, keepOut, nil)
}

// verify is VerifyComposite, and with pattern rows (each at least a row's
// bytes long, row y of the page being pattern[y%len(pattern)]) also the
// check that every added pixel is the pattern's.
func verify(verified, composited pages.Raster, keepOut []image.Rectangle, pattern [][]byte) error {
	w, h := verified.Size()
	cw, ch := composited.Size()
	if w <= 0 || h <= 0 || cw != w || ch != h {
		return errorf(KindSize, "verified %d×%d, composited %d×%d", w, h, cw, ch)
	}
	page := image.Rect(0, 0, w, h)
	var spans []image.Rectangle // keepOut clipped to the page, empty ones dropped
	for _, r := range keepOut {
		if r = r.Intersect(page); !r.Empty() {
			spans = append(spans, r)
		}
	}
	stride := (w + 7) / 8
	v, c := make([]byte, stride), make([]byte, stride)
	pad := byte(0xff) >> uint(w%8)
	if w%8 == 0 {
		pad = 0
	}
	lost, changed, padded, foreign := 0, 0, 0, 0
	first, firstForeign := image.Pt(-1, -1), image.Pt(-1, -1)
	note := func(at *image.Point, i int, diff byte, y int) {
		if at.X < 0 {
			*at = image.Pt(i*8+bits.LeadingZeros8(diff), y)
		}
	}
	for y := range h {
		v, c = verified.ReadRow(y, v), composited.ReadRow(y, c)
		v[stride-1] &^= pad // bits past the last pixel are no pixels
		if b := c[stride-1] & pad; b != 0 {
			if first.X < 0 {
				first = image.Pt(w, y)
			}
			padded += bits.OnesCount8(b)
		}
		// Lost black pixels, eight bytes at a time.
		i := 0
		for ; i+8 <= stride; i += 8 {
			if binary.LittleEndian.Uint64(v[i:])&^binary.LittleEndian.Uint64(c[i:]) != 0 {
				for k := i; k < i+8; k++ {
					if gone := v[k] &^ c[k]; gone != 0 {
						note(&first, k, gone, y)
						lost += bits.OnesCount8(gone)
					}
				}
			}
		}
		for ; i < stride; i++ {
			if gone := v[i] &^ c[i]; gone != 0 {
				note(&first, i, gone, y)
				lost += bits.OnesCount8(gone)
			}
		}
		// Keep-out spans: identical bits.
		for _, r := range spans {
			if y < r.Min.Y || y >= r.Max.Y {
				continue
			}
			x0, x1 := r.Min.X, r.Max.X
			for ; x0 < x1 && x0&7 != 0; x0++ {
				bit := byte(0x80) >> uint(x0&7)
				if (v[x0>>3]^c[x0>>3])&bit != 0 {
					note(&first, x0>>3, bit, y)
					changed++
				}
			}
			if b0, b1 := x0>>3, x1>>3; b0 < b1 && string(v[b0:b1]) != string(c[b0:b1]) {
				for k := b0; k < b1; k++ {
					if d := v[k] ^ c[k]; d != 0 {
						note(&first, k, d, y)
						changed += bits.OnesCount8(d)
					}
				}
			}
			for x := max(x0, x1&^7); x < x1; x++ {
				bit := byte(0x80) >> uint(x&7)
				if (v[x>>3]^c[x>>3])&bit != 0 {
					note(&first, x>>3, bit, y)
					changed++
				}
			}
		}
		if pattern == nil {
			continue
		}
		// Added pixels must be the pattern's.
		pat := pattern[y%len(pattern)]
		i = 0
		for ; i+8 <= stride; i += 8 {
			if binary.LittleEndian.Uint64(c[i:])&^binary.LittleEndian.Uint64(v[i:])&^binary.LittleEndian.Uint64(pat[i:]) != 0 {
				for k := i; k < i+8; k++ {
					if add := c[k] &^ v[k] &^ pat[k]; add != 0 {
						note(&firstForeign, k, add, y)
						foreign += bits.OnesCount8(add)
					}
				}
			}
		}
		for ; i < stride; i++ {
			if add := c[i] &^ v[i] &^ pat[i]; add != 0 {
				note(&firstForeign, i, add, y)
				foreign += bits.OnesCount8(add)
			}
		}
	}
	if lost+changed+padded > 0 {
		return errorf(KindAltered, "%d verified black pixels lost, %d keep-out pixels changed (a pixel counted in both counts twice), %d bits past the row end; the first at (%d, %d)",
			lost, changed, padded, first.X, first.Y)
	}
	if foreign > 0 {
		return errorf(KindForeign, "%d pixels added that are not the pattern's, the first at (%d, %d)", foreign, firstForeign.X, firstForeign.Y)
	}
	return nil
}

// String describes the pattern for logs and the attested configuration.
func (p *Pattern) String() string {
	d := p.d
	return fmt.Sprintf("void pantograph %q at %d dpi: fine dots of 1 px on %v %v, coarse dots of %d px on %v %v, coverage 1/%d, tile %d×%d px",
		Word, p.dpi, d.u, d.v, len(d.dot), d.cu, d.cv, det(d.u, d.v), p.t.ink.W, p.t.ink.H)
}
