package pages

import (
	"bytes"
	"image"
	"slices"
	"testing"
)

// backQR is a realistic back's symbol text: the 4th of 6 faces, the back
// of sheet 2 of 3.
const backQR = "KOFU1|q3Zx9-Hb2mLk_Pq0RsT7wA|mZ0Jc8hY2xW_4kLpNq7rT1sVb3nD9fG6hJ-aE5uIo0c|Xb7-Kp2Lm9Nq4Rs6Tu8Vw1Yz3Ac5Ef7Gh9Ij_Kl0Mn2o|4/6|2/3B"

func backSpec(t *testing.T, dpi int, front Spec, seed byte) BackSpec {
	t.Helper()
	img, err := renderer(t).Render(front)
	if err != nil {
		t.Fatal(err)
	}
	return BackSpec{DPI: dpi, Front: img, Seed: [32]byte{seed}, Code: "1234-5678-9012-3456", Title: front.Title,
		Serial: front.Serial, AsOf: front.AsOf, Sheet: 2, Sheets: 3, QRText: backQR}
}

// cropGray copies r out of img.
func cropGray(img *image.Gray, r image.Rectangle) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		copy(out.Pix[y*r.Dx():(y+1)*r.Dx()], img.Pix[img.PixOffset(r.Min.X, r.Min.Y+y):img.PixOffset(r.Max.X, r.Min.Y+y)])
	}
	return out
}

// TestRenderBack: a back carries exactly one symbol on the printed face,
// its own text, wholly in the bottom band (what the verifier will
// require); the scrambled image is the front's half-size content, blocks
// permuted (the inquiry site's Unscramble recovers it exactly, only with
// the right seed); the anti-forgery mark is the same on every back.
func TestRenderBack(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		if dpi == 600 && testing.Short() {
			continue
		}
		r := renderer(t)
		spec := backSpec(t, dpi, sampleSpec(dpi), 1)
		back, err := r.RenderBack(spec)
		if err != nil {
			t.Fatal(err)
		}
		syms, err := FindSymbols(Binarize(back))
		if err != nil {
			t.Fatalf("%d dpi: %v", dpi, err)
		}
		if len(syms) != 1 || syms[0].Text != backQR || syms[0].Inverted {
			t.Fatalf("%d dpi: symbols %+v, want exactly the back's own", dpi, syms)
		}
		_, h, _ := PageSize(dpi)
		if syms[0].Box.Min.Y < h-BandHeight(dpi) {
			t.Errorf("%d dpi: symbol at %v, above the band", dpi, syms[0].Box)
		}

		scrRect, markRect, err := r.BackRegions(dpi)
		if err != nil {
			t.Fatal(err)
		}
		scr := cropGray(back, scrRect)
		half := HalfFront(spec.Front, dpi)
		if bytes.Equal(scr.Pix, half.Pix) {
			t.Fatalf("%d dpi: the back shows the front unscrambled", dpi)
		}
		if got := Unscramble(scr, dpi, spec.Seed); !bytes.Equal(got.Pix, half.Pix) {
			t.Errorf("%d dpi: Unscramble with the seed does not give the front's content back", dpi)
		}
		if got := Unscramble(scr, dpi, [32]byte{2}); bytes.Equal(got.Pix, half.Pix) {
			t.Errorf("%d dpi: another seed unscrambles the image", dpi)
		}
		// A block permutation keeps every pixel: same multiset of values.
		a, b := slices.Clone(scr.Pix), slices.Clone(half.Pix)
		slices.Sort(a)
		slices.Sort(b)
		if !bytes.Equal(a, b) {
			t.Errorf("%d dpi: the scrambled image is not made of the front's pixels", dpi)
		}

		// Another front, another seed: the mark is the same.
		other := sampleSpec(dpi)
		other.Rows = other.Rows[:3]
		back2, err := r.RenderBack(backSpec(t, dpi, other, 9))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cropGray(back, markRect).Pix, cropGray(back2, markRect).Pix) {
			t.Errorf("%d dpi: the anti-forgery mark differs between backs", dpi)
		}
		if bytes.Equal(cropGray(back, scrRect).Pix, cropGray(back2, scrRect).Pix) {
			t.Errorf("%d dpi: two fronts gave the same scrambled image", dpi)
		}
		if n := dark(cropGray(back, markRect)); n < markRect.Dx()*markRect.Dy()/20 {
			t.Errorf("%d dpi: the mark has %d dark pixels: not drawn", dpi, n)
		}
	}
}

// dark counts pixels that print black.
func dark(img *image.Gray) int {
	n := 0
	for _, v := range img.Pix {
		if v < Threshold {
			n++
		}
	}
	return n
}

func TestRenderBackRefuses(t *testing.T) {
	r := renderer(t)
	good := backSpec(t, 300, sampleSpec(300), 1)
	for name, edit := range map[string]func(*BackSpec){
		"no front":         func(s *BackSpec) { s.Front = nil },
		"front at 600 dpi": func(s *BackSpec) { s.DPI = 600 },
		"72 dpi":           func(s *BackSpec) { s.DPI = 72 },
		"sheet 0":          func(s *BackSpec) { s.Sheet = 0 },
		"sheet 4 of 3":     func(s *BackSpec) { s.Sheet = 4 },
		"no QR text":       func(s *BackSpec) { s.QRText = "" },
		"long code":        func(s *BackSpec) { s.Code = string(make([]byte, 100)) },
	} {
		s := good
		edit(&s)
		if _, err := r.RenderBack(s); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}
