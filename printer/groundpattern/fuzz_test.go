package groundpattern

import (
	"errors"
	"image"
	"testing"

	"kofu/protocol/pages"
)

// FuzzComposite: for any page size, face and keep-out rectangles,
// Composite gives the pixel-by-pixel reference and passes its checks; and
// one pixel flipped in the result is refused exactly when the contract
// says: a verified black pixel lost or a keep-out pixel changed
// (KindAltered, by both checks), a pixel added that is not the pattern's
// (KindForeign, by Verify only), and a pattern pixel missing accepted.
// The package adds no parser; this is its property test.
func FuzzComposite(f *testing.F) {
	f.Add(uint16(100), uint16(50), []byte{1, 2, 3, 250, 7}, []byte{10, 5, 60, 40}, uint16(3), uint16(4))
	f.Add(uint16(9), uint16(3), []byte{0xff}, []byte{8, 0, 9, 3}, uint16(8), uint16(1))
	f.Add(uint16(257), uint16(31), []byte{}, []byte{0, 0, 255, 255, 3, 3, 4, 4}, uint16(200), uint16(30))
	p := standardPattern(f)
	f.Fuzz(func(t *testing.T, w16, h16 uint16, faceBits, rects []byte, fx, fy uint16) {
		w, h := int(w16%600)+1, int(h16%300)+1
		face := pages.NewBitmap(w, h)
		for i := range face.Bits {
			if len(faceBits) > 0 {
				face.Bits[i] = faceBits[i%len(faceBits)] & byte(i*131>>3)
			}
		}
		last := byte(0xff) << uint((8-w%8)%8)
		for y := range h {
			face.Row(y)[face.Stride-1] &= last
		}
		var keep []image.Rectangle
		for i := 0; i+4 <= len(rects) && len(keep) < 4; i += 4 {
			keep = append(keep, image.Rect(int(rects[i])*3-20, int(rects[i+1])*2-20, int(rects[i+2])*3-20, int(rects[i+3])*2-20))
		}
		out, err := p.Composite(face, keep, DPI)
		if err != nil {
			t.Fatal(err)
		}
		want := reference(p, face, keep)
		if !out.Equal(want) {
			t.Fatal("Composite differs from the reference")
		}
		x, y := int(fx)%w, int(fy)%h
		out.Row(y)[x>>3] ^= 0x80 >> uint(x&7)
		kept := false
		for _, r := range keep {
			kept = kept || image.Pt(x, y).In(r)
		}
		var wantComposite, wantVerify error
		switch {
		case face.Black(x, y) || kept:
			wantComposite, wantVerify = ErrAltered, ErrAltered
		case out.Black(x, y): // now black: was white, not a pattern pixel
			wantVerify = ErrForeign
		}
		if err := VerifyComposite(face, out, keep); !errors.Is(err, wantComposite) || (wantComposite == nil && err != nil) {
			t.Fatalf("VerifyComposite after flipping (%d, %d): %v, want %v", x, y, err, wantComposite)
		}
		if err := p.Verify(face, out, keep); !errors.Is(err, wantVerify) || (wantVerify == nil && err != nil) {
			t.Fatalf("Verify after flipping (%d, %d): %v, want %v", x, y, err, wantVerify)
		}
	})
}
