package pages

import (
	"errors"
	"image"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestPageGeometry(t *testing.T) {
	for _, c := range []struct {
		dpi, w, h, band int
		ok              bool
	}{
		{300, 2480, 3508, 472, true},
		{600, 4961, 7016, 945, true},
		{200, 0, 0, 0, false},
		{0, 0, 0, 0, false},
	} {
		w, h, ok := PageSize(c.dpi)
		if w != c.w || h != c.h || ok != c.ok {
			t.Errorf("PageSize(%d) = %d, %d, %v; want %d, %d, %v", c.dpi, w, h, ok, c.w, c.h, c.ok)
		}
		if ok {
			if b := BandHeight(c.dpi); b != c.band {
				t.Errorf("BandHeight(%d) = %d, want %d", c.dpi, b, c.band)
			}
		}
	}
}

func TestRenderRefuses(t *testing.T) {
	many := make([]Row, 40)
	for i := range many {
		many[i] = Row{"住所", strings.Repeat("神奈川県横浜市中区港町一丁目１番地", 3)}
	}
	for _, c := range []struct {
		name string
		edit func(*Spec)
	}{
		{"dpi 200", func(s *Spec) { s.DPI = 200 }},
		{"page 0", func(s *Spec) { s.N = 0 }},
		{"page past total", func(s *Spec) { s.N, s.Total = 4, 3 }},
		{"empty QR text", func(s *Spec) { s.QRText = "" }},
		{"QR text too long for the band", func(s *Spec) { s.QRText = strings.Repeat("KOFU1|", 150) }},
		{"content overflows into the band", func(s *Spec) { s.Rows = many }},
		{"invalid UTF-8", func(s *Spec) { s.Rows = []Row{{"氏名", "\xff\xfe"}} }},
		{"title too wide", func(s *Spec) { s.Title = strings.Repeat("W", 64) }},
		{"serial too long", func(s *Spec) { s.Serial = strings.Repeat("9", 65) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sampleSpec(300)
			c.edit(&s)
			img, err := renderer(t).Render(s)
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindRender || img != nil {
				t.Fatalf("Render = %v, %v; want a KindRender error", img != nil, err)
			}
		})
	}
}

// TestQRPlacement checks the symbol's geometry on real pages: modules of at
// least 0.4 mm, symbol and quiet zone wholly inside the bottom 40 mm, the
// quiet zone pure white, and the modules pure black or white.
func TestQRPlacement(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		for _, text := range []string{qrText, strings.Repeat("KOFU1|", 40)} {
			s := sampleSpec(dpi)
			s.QRText = text
			img, err := renderer(t).Render(s)
			if err != nil {
				t.Fatalf("%d dpi: %v", dpi, err)
			}
			sym, err := encodeQR(text)
			if err != nil {
				t.Fatal(err)
			}
			w, h, _ := PageSize(dpi)
			x, y, m, err := qrPlacement(dpi, w, h, sym.size)
			if err != nil {
				t.Fatal(err)
			}
			if mm := float64(m) * 25.4 / float64(dpi); mm < 0.4 {
				t.Errorf("%d dpi: module %d px = %.3f mm < 0.4 mm", dpi, m, mm)
			}
			q, side := qrQuiet*m, sym.size*m
			outer := image.Rect(x-q, y-q, x+side+q, y+side+q)
			if band := image.Rect(0, h-BandHeight(dpi), w, h); !outer.In(band) {
				t.Fatalf("%d dpi: symbol with quiet zone %v not inside band %v", dpi, outer, band)
			}
			inner := image.Rect(x, y, x+side, y+side)
			for py := outer.Min.Y; py < outer.Max.Y; py++ {
				for px := outer.Min.X; px < outer.Max.X; px++ {
					v := img.Pix[py*img.Stride+px]
					in := image.Pt(px, py).In(inner)
					if !in && v != 255 {
						t.Fatalf("%d dpi: quiet zone pixel (%d,%d) = %d", dpi, px, py, v)
					}
					if in {
						want := uint8(255)
						if sym.at((px-x)/m, (py-y)/m) {
							want = 0
						}
						if v != want {
							t.Fatalf("%d dpi: module pixel (%d,%d) = %d, want %d", dpi, px, py, v, want)
						}
					}
				}
			}
		}
	}
}

// TestRenderBackgroundLight: the whole page is mostly white-ish and the
// background pattern never darker than its tile's ink, so it cannot be
// mistaken for content by the QR binarizer.
func TestRenderBackgroundLight(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		tile, _ := guillocheTile(dpi)
		lo := slices.Min(tile)
		if 255-int(lo) >= 24 {
			t.Errorf("%d dpi: pattern contrast %d ≥ 24 (binarizer dynamic range)", dpi, 255-int(lo))
		}
	}
}

// TestRenderDeterministicConcurrent renders the same spec from several
// goroutines: a Renderer is shared, and the pages must be identical.
func TestRenderDeterministicConcurrent(t *testing.T) {
	r := renderer(t)
	want, err := r.Render(sampleSpec(300))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			got, err := r.Render(sampleSpec(300))
			if err != nil {
				errs <- err
				return
			}
			if !slices.Equal(got.Pix, want.Pix) {
				errs <- errors.New("concurrent render differs")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSealText(t *testing.T) {
	for in, want := range map[string]string{
		"神奈川県横浜市長　横浜　太郎": "横浜市長之印",
		"東京都港区長　港　一郎":    "港区長之印",
		"北海道札幌市長":        "札幌市長之印",
		"":               "公印",
	} {
		if got := sealText(in); got != want {
			t.Errorf("sealText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRendererRefusesNonJapaneseOrGarbage(t *testing.T) {
	if _, err := NewRenderer([]byte("not a font")); err == nil {
		t.Fatal("NewRenderer accepted garbage")
	}
}

func TestWrap(t *testing.T) {
	r := renderer(t)
	fc := r.faces(300).body
	em := fc.measure("住", 0)
	lines := fc.wrap("住民票の写し、です。", 5*em)
	if len(lines) != 2 || lines[0] != "住民票の写" || lines[1] != "し、です。" {
		t.Errorf("wrap = %q", lines)
	}
	// "、" must not start a line: it hangs on the first one.
	lines = fc.wrap("住民票の写、し", 5*em)
	if len(lines) != 2 || lines[0] != "住民票の写、" {
		t.Errorf("wrap with kinsoku = %q", lines)
	}
}

// TestIssuerSealPlacement: the seal overlaps the end of the office
// holder's name, as a hand stamp does; an issuer line with the office
// alone keeps its last character (長) clear of the seal, so the title
// stays legible.
func TestIssuerSealPlacement(t *testing.T) {
	for _, c := range []struct {
		issuer  string
		overlap bool
	}{
		{"神奈川県横浜市長　横浜　太郎", true},
		{"神奈川県横浜市長", false},
	} {
		t.Run(c.issuer, func(t *testing.T) {
			s := sampleSpec(300)
			s.Issuer = c.issuer
			img, err := renderer(t).Render(s)
			if err != nil {
				t.Fatal(err)
			}
			frameX, y0, y1 := sealFrame(t, img)
			// The text's darkest ink (the seal is drawn lighter) right of
			// the frame's left edge, within the seal's rows.
			textIn := false
			for y := y0; y < y1 && !textIn; y++ {
				for x := frameX; x < frameX+(y1-y0); x++ {
					if img.GrayAt(x, y).Y < 40 {
						textIn = true
						break
					}
				}
			}
			if textIn != c.overlap {
				t.Fatalf("issuer text inside the seal: %v, want %v", textIn, c.overlap)
			}
		})
	}
}

// sealFrame finds the seal's outer frame on a rendered page: the
// leftmost column holding a long vertical run of the seal's ink, and the
// rows of that run.
func sealFrame(t *testing.T, img *image.Gray) (x, y0, y1 int) {
	t.Helper()
	b := img.Bounds()
	minRun := 300 * 15 / 25 // 15 mm of the 19 mm frame at 300 dpi
	for x := b.Min.X; x < b.Max.X; x++ {
		run := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if v := img.GrayAt(x, y).Y; v >= inkSeal-10 && v <= inkSeal+10 {
				run++
				if run >= minRun {
					start, end := y-run+1, y
					for end < b.Max.Y && img.GrayAt(x, end).Y <= inkSeal+10 && img.GrayAt(x, end).Y >= inkSeal-10 {
						end++
					}
					return x, start, end
				}
				continue
			}
			run = 0
		}
	}
	t.Fatal("no seal frame on the page")
	return 0, 0, 0
}
