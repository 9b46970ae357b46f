package groundpattern

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"testing"

	"kofu/printer/internal/testpage"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// certificate is the sample certificate page at 600 dpi as the kiosk
// verifies it: the center's rendering, thresholded once.
func certificate(tb testing.TB) *pages.Bitmap {
	tb.Helper()
	return pages.Binarize(testpage.New().Page(tb, DPI))
}

// reference is Composite's contract evaluated pixel by pixel, with
// nothing shared with the byte-wise code: black where the face is black;
// inside keepOut, the face; elsewhere the face or the pattern.
func reference(p *Pattern, face *pages.Bitmap, keepOut []image.Rectangle) *pages.Bitmap {
	out := pages.NewBitmap(face.W, face.H)
	for y := range face.H {
		for x := range face.W {
			black := face.Black(x, y)
			kept := false
			for _, r := range keepOut {
				kept = kept || image.Pt(x, y).In(r)
			}
			if !kept && p.t.ink.Black(x%p.t.ink.W, y%p.t.ink.H) {
				black = true
			}
			if black {
				out.Row(y)[x>>3] |= 0x80 >> uint(x&7)
			}
		}
	}
	return out
}

func TestCompositeCertificate(t *testing.T) {
	p := standardPattern(t)
	face := certificate(t)
	keep := []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}
	before := face.Clone()
	out, err := p.Composite(face, keep, DPI)
	if err != nil {
		t.Fatal(err)
	}
	if !face.Equal(before) {
		t.Fatal("Composite changed the face")
	}
	if want := reference(p, face, keep); !out.Equal(want) {
		n, _ := out.Diff(want)
		t.Fatalf("%d pixels differ from the pixel-by-pixel reference", n)
	}
	if err := VerifyComposite(face, out, keep); err != nil {
		t.Fatal(err)
	}
	// The pattern is really there: about a quarter of the face's white
	// pixels above the band turned black, and nothing in the band.
	band := keep[0]
	white, added, inBand := 0, 0, 0
	for y := range face.H {
		for x := range face.W {
			if face.Black(x, y) {
				continue
			}
			switch {
			case image.Pt(x, y).In(band):
				if out.Black(x, y) {
					inBand++
				}
			default:
				white++
				if out.Black(x, y) {
					added++
				}
			}
		}
	}
	if frac := float64(added) / float64(white); frac < 0.24 || frac > 0.26 || inBand != 0 {
		t.Errorf("pattern on %.3f of the white pixels (want ≈ 0.25), %d in the band", frac, inBand)
	}
}

// TestCompositeVerifiedPage: the print path hands Composite a
// protocol.VerifiedPage (a pages.Raster); the technician's test page is
// the one such page a test can make without the center.
func TestCompositeVerifiedPage(t *testing.T) {
	p := standardPattern(t)
	img := testpage.New().Page(t, DPI)
	vp, err := protocol.TechnicianTestPage(img, DPI)
	if err != nil {
		t.Fatal(err)
	}
	w, h := vp.Size()
	keep := []image.Rectangle{BandKeepOut(w, h, vp.DPI())}
	out, err := p.Composite(vp, keep, vp.DPI())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Wipe()
	if err := VerifyComposite(vp, out, keep); err != nil {
		t.Fatal(err)
	}
	if want := reference(p, vp.Bitmap(), keep); !out.Equal(want) {
		t.Fatal("composite of a VerifiedPage differs from the reference")
	}
}

// TestCompositeKeepOutEdges: odd page widths (padding bits), keep-out
// rectangles with unaligned edges, overlapping, empty, reaching past the
// page or wholly outside it: the result is the reference, pixel for pixel.
func TestCompositeKeepOutEdges(t *testing.T) {
	p := standardPattern(t)
	for _, tc := range []struct {
		w, h int
		keep []image.Rectangle
	}{
		{1001, 301, nil},
		{1001, 301, []image.Rectangle{image.Rect(13, 5, 200, 40)}},
		{997, 250, []image.Rectangle{image.Rect(3, 3, 4, 4), image.Rect(0, 0, 9, 250), image.Rect(990, 100, 2000, 120)}},
		{640, 200, []image.Rectangle{image.Rect(100, 50, 300, 150), image.Rect(200, 100, 421, 199), {}}},
		{333, 222, []image.Rectangle{image.Rect(-50, -50, 7, 7), image.Rect(400, 0, 500, 10), image.Rect(0, 221, 333, 400)}},
		{9, 3, []image.Rectangle{image.Rect(8, 0, 9, 3)}},
	} {
		t.Run(fmt.Sprintf("%dx%d/%d", tc.w, tc.h, len(tc.keep)), func(t *testing.T) {
			face := pages.NewBitmap(tc.w, tc.h)
			// Some black in the face, also inside keep-out areas.
			for y := 0; y < tc.h; y += 7 {
				for x := y % 5; x < tc.w; x += 11 {
					face.Row(y)[x>>3] |= 0x80 >> uint(x&7)
				}
			}
			out, err := p.Composite(face, tc.keep, DPI)
			if err != nil {
				t.Fatal(err)
			}
			if want := reference(p, face, tc.keep); !out.Equal(want) {
				n, _ := out.Diff(want)
				t.Fatalf("%d pixels differ from the reference", n)
			}
			if pad := tc.w % 8; pad != 0 {
				for y := range tc.h {
					if b := out.Row(y)[out.Stride-1] & (0xff >> uint(pad)); b != 0 {
						t.Fatalf("row %d: padding bits %08b set", y, b)
					}
				}
			}
		})
	}
}

func TestCompositeRefuses(t *testing.T) {
	p := standardPattern(t)
	if out, err := p.Composite(pages.NewBitmap(100, 100), nil, 300); out != nil || !errors.Is(err, ErrResolution) {
		t.Errorf("300-dpi page: %v, %v", out, err)
	}
	if out, err := p.Composite(pages.NewBitmap(0, 0), nil, DPI); out != nil || !errors.Is(err, ErrSize) {
		t.Errorf("empty page: %v, %v", out, err)
	}
}

// TestVerifyCompositeCatches: one change at a time to a correct
// composite, each refused with the kind and the first coordinate it
// names; and the changes the contract allows pass VerifyComposite.
func TestVerifyCompositeCatches(t *testing.T) {
	p := standardPattern(t)
	face := pages.NewBitmap(403, 120)
	set := func(b *pages.Bitmap, x, y int, black bool) {
		if black {
			b.Row(y)[x>>3] |= 0x80 >> uint(x&7)
		} else {
			b.Row(y)[x>>3] &^= 0x80 >> uint(x&7)
		}
	}
	for x := 50; x < 60; x++ {
		set(face, x, 20, true) // a stroke above the band
		set(face, x, 90, true) // a module inside it
	}
	keep := []image.Rectangle{image.Rect(37, 80, 211, 120)} // unaligned edges
	good, err := p.Composite(face, keep, DPI)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mut  func(c *pages.Bitmap) *pages.Bitmap
		kind Kind // 0: VerifyComposite passes
		at   string
	}{
		{"black lost above the band", func(c *pages.Bitmap) *pages.Bitmap { set(c, 55, 20, false); return c }, KindAltered, "(55, 20)"},
		{"black lost in the band", func(c *pages.Bitmap) *pages.Bitmap { set(c, 59, 90, false); return c }, KindAltered, "(59, 90)"},
		{"black added in the band", func(c *pages.Bitmap) *pages.Bitmap { set(c, 100, 100, true); return c }, KindAltered, "(100, 100)"},
		{"black added at the band's left edge", func(c *pages.Bitmap) *pages.Bitmap { set(c, 37, 80, true); return c }, KindAltered, "(37, 80)"},
		{"black added at the band's right edge", func(c *pages.Bitmap) *pages.Bitmap { set(c, 210, 119, true); return c }, KindAltered, "(210, 119)"},
		{"black added just outside the band", func(c *pages.Bitmap) *pages.Bitmap { set(c, 211, 119, true); set(c, 36, 80, true); return c }, 0, ""},
		{"pattern removed outside the band", func(c *pages.Bitmap) *pages.Bitmap { return face.Clone() }, 0, ""},
		{"padding bit set", func(c *pages.Bitmap) *pages.Bitmap { c.Row(7)[c.Stride-1] |= 1; return c }, KindAltered, "(403, 7)"},
		{"narrower", func(c *pages.Bitmap) *pages.Bitmap { return pages.NewBitmap(402, 120) }, KindSize, ""},
		{"shorter", func(c *pages.Bitmap) *pages.Bitmap { return pages.NewBitmap(403, 119) }, KindSize, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.mut(good.Clone())
			err := VerifyComposite(face, c, keep)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !errors.Is(err, tc.kind.sentinel()) {
				t.Fatalf("got %v, want kind %v", err, tc.kind)
			}
			if !strings.Contains(e.Detail, tc.at) {
				t.Errorf("detail %q does not name %s", e.Detail, tc.at)
			}
		})
	}
}

// TestVerifyRefusesForeignPixels: a pixel added outside the keep-out
// areas that is not the pattern's passes VerifyComposite (which knows
// nothing of the pattern) but not the pattern's Verify.
func TestVerifyRefusesForeignPixels(t *testing.T) {
	p := standardPattern(t)
	face := pages.NewBitmap(300, 200)
	out, err := p.Composite(face, nil, DPI)
	if err != nil {
		t.Fatal(err)
	}
	x, y := 0, 0
	for p.t.ink.Black(x, y) {
		x++
	}
	out.Row(y)[x>>3] |= 0x80 >> uint(x&7)
	if err := VerifyComposite(face, out, nil); err != nil {
		t.Fatalf("VerifyComposite: %v", err)
	}
	err = p.Verify(face, out, nil)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), fmt.Sprintf("(%d, %d)", x, y)) {
		t.Fatalf("Verify: %v", err)
	}
}

// brokenDraws are compositors with the bugs a compositor could have,
// given to a copy of the pattern through its draw hook.
func brokenDraws() map[string]struct {
	draw func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle)
	kind Kind
} {
	type entry = struct {
		draw func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle)
		kind Kind
	}
	tiled := func(p *Pattern, x, y int) bool { return p.t.ink.Black(x%p.t.ink.W, y%p.t.ink.H) }
	setPx := func(out *pages.Bitmap, x, y int, v bool) {
		if v {
			out.Row(y)[x>>3] |= 0x80 >> uint(x&7)
		} else {
			out.Row(y)[x>>3] &^= 0x80 >> uint(x&7)
		}
	}
	return map[string]entry{
		"ignores keep-out": {func(p *Pattern, out *pages.Bitmap, _ []image.Rectangle) {
			drawPattern(p, out, nil)
		}, KindAltered},
		"XOR instead of OR": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			o := out.Clone()
			drawPattern(p, o, keepOut)
			for i := range out.Bits {
				out.Bits[i] ^= o.Bits[i] &^ out.Bits[i] // the pattern's bits...
				out.Bits[i] ^= o.Bits[i] & out.Bits[i]  // ...flipped on black
			}
		}, KindAltered},
		"paints the pattern over the face": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			for y := range out.H {
				for x := range out.W {
					setPx(out, x, y, tiled(p, x, y))
				}
			}
		}, KindAltered},
		"keep-out one row short": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			var k []image.Rectangle
			for _, r := range keepOut {
				k = append(k, image.Rect(r.Min.X, r.Min.Y+1, r.Max.X, r.Max.Y))
			}
			drawPattern(p, out, k)
		}, KindAltered},
		"keep-out one column short": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			var k []image.Rectangle
			for _, r := range keepOut {
				k = append(k, image.Rect(r.Min.X, r.Min.Y, r.Max.X-1, r.Max.Y))
			}
			drawPattern(p, out, k)
		}, KindAltered},
		"pattern shifted by one pixel": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			o := pages.NewBitmap(out.W, out.H)
			drawPattern(p, o, keepOut)
			for y := range out.H {
				for x := 1; x < out.W; x++ {
					if o.Black(x-1, y) {
						setPx(out, x, y, true)
					}
				}
			}
		}, KindForeign},
		"adds one stray dot": {func(p *Pattern, out *pages.Bitmap, keepOut []image.Rectangle) {
			drawPattern(p, out, keepOut)
			for x := range out.W {
				if !out.Black(x, 0) && !tiled(p, x, 0) {
					setPx(out, x, 0, true)
					return
				}
			}
		}, KindForeign},
	}
}

// TestCompositeRefusesBrokenCompositor: Composite's own check catches
// every broken compositor on the real certificate: no bitmap, the error
// of the right kind. Each broken compositor is first shown to draw
// something other than the correct one, so no case passes vacuously.
func TestCompositeRefusesBrokenCompositor(t *testing.T) {
	p := standardPattern(t)
	face := certificate(t)
	keep := []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}
	good, err := p.Composite(face, keep, DPI)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range brokenDraws() {
		t.Run(name, func(t *testing.T) {
			bad := *p
			bad.draw = b.draw
			drawn := face.Clone()
			b.draw(&bad, drawn, keep)
			if drawn.Equal(good) {
				t.Fatal("the broken compositor draws the correct page")
			}
			out, err := bad.Composite(face, keep, DPI)
			var e *Error
			if out != nil || !errors.As(err, &e) || e.Kind != b.kind {
				t.Fatalf("got %v, %v; want kind %v", out != nil, err, b.kind)
			}
		})
	}
}

func TestCompositeConcurrent(t *testing.T) {
	p := standardPattern(t)
	face := pages.NewBitmap(1203, 801)
	for i := range face.Bits {
		face.Bits[i] = byte(i*7) & 0x81 // padding bits too: Composite clears them
	}
	keep := []image.Rectangle{image.Rect(100, 600, 1100, 801)}
	want, err := p.Composite(face, keep, DPI)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			out, err := p.Composite(face, keep, DPI)
			if err == nil && !out.Equal(want) {
				err = errors.New("different result")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestKeepOutQuietZone: a quiet zone reaching above the band is kept out
// as well as the band.
func TestKeepOutQuietZone(t *testing.T) {
	p := standardPattern(t)
	w, h := 800, 1200
	band := BandKeepOut(w, h, DPI)
	quiet := image.Rect(500, band.Min.Y-40, 700, band.Min.Y+100)
	keep := KeepOut(w, h, DPI, quiet)
	if len(keep) != 2 || keep[0] != band || keep[1] != quiet {
		t.Fatalf("KeepOut: %v", keep)
	}
	face := pages.NewBitmap(w, h)
	out, err := p.Composite(face, keep, DPI)
	if err != nil {
		t.Fatal(err)
	}
	for y := quiet.Min.Y; y < band.Min.Y; y++ {
		for x := quiet.Min.X; x < quiet.Max.X; x++ {
			if out.Black(x, y) {
				t.Fatalf("pattern at (%d, %d) in the quiet zone above the band", x, y)
			}
		}
	}
	if countBlack(out) == 0 {
		t.Fatal("no pattern at all")
	}
}
