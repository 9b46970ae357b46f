package pages

import (
	"errors"
	"image"
	"slices"
	"sync"
	"testing"
	"time"

	"rsc.io/qr/coding"
)

const otherText = "KOFU1|ZZZZZZZZZZZZZZZZZZZZZA|mZ0Jc8hY2xW_4kLpNq7rT1sVb3nD9fG6hJ-aE5uIo0c|Xb7-Kp2Lm9Nq4Rs6Tu8Vw1Yz3Ac5Ef7Gh9Ij_Kl0Mn2o|1/1"

// pageWith renders a sample page at dpi and applies f to its canvas.
func pageWith(t testing.TB, dpi int, f func(c *canvas, x, y, m, side int)) *image.Gray {
	t.Helper()
	img, err := renderer(t).Render(sampleSpec(dpi))
	if err != nil {
		t.Fatal(err)
	}
	sym, err := encodeQR(qrText)
	if err != nil {
		t.Fatal(err)
	}
	x, y, m, err := qrPlacement(dpi, img.Rect.Dx(), img.Rect.Dy(), sym.size)
	if err != nil {
		t.Fatal(err)
	}
	f(newCanvas(img, dpi), x, y, m, sym.size*m)
	return img
}

func mustQR(t testing.TB, text string) *qrSymbol {
	t.Helper()
	s, err := encodeQR(text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFindQR(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		band := func(c *canvas) int { return c.h - BandHeight(dpi) }
		cases := []struct {
			name string
			draw func(c *canvas, x, y, m, side int)
			want []string
		}{
			{"genuine page", func(*canvas, int, int, int, int) {}, []string{qrText}},
			{"forged page: two symbols in the band", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), c.px(20), y, m)
			}, []string{qrText, otherText}},
			{"two identical symbols count twice", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, qrText), c.px(60), y, m)
			}, []string{qrText, qrText}},
			{"no symbol", func(c *canvas, x, y, m, side int) {
				c.fill(x, y, x+side, y+side, 255)
			}, nil},
			{"symbol above the band only", func(c *canvas, x, y, m, side int) {
				c.fill(x, y, x+side, y+side, 255)
				top := band(c) - qrQuiet*m - side - 1
				c.drawQR(mustQR(t, otherText), x, top, m)
			}, nil},
			{"symbol straddling the band's top edge", func(c *canvas, x, y, m, side int) {
				c.fill(x, y, x+side, y+side, 255)
				c.drawQR(mustQR(t, otherText), c.px(60), band(c)-side/2, m)
			}, nil},
			{"genuine symbol plus one above the band", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), x, c.px(100), m)
			}, []string{qrText}},
			{"small second symbol (0.25 mm modules)", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), c.px(40), y, max(1, m/2))
			}, []string{qrText, otherText}},
		}
		for _, c := range cases {
			t.Run(c.name+"/"+map[int]string{300: "300", 600: "600"}[dpi], func(t *testing.T) {
				img := pageWith(t, dpi, c.draw)
				got, err := FindQR(img, dpi)
				if err != nil {
					t.Fatal(err)
				}
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("FindQR = %q, want %q", got, want)
				}
			})
		}
	}
}

// TestFindQRSubImage: the page may be a sub-image with a non-zero origin
// and a stride wider than its width; only its own bottom band counts.
func TestFindQRSubImage(t *testing.T) {
	img := pageWith(t, 300, func(*canvas, int, int, int, int) {})
	// A wider canvas with the page in its middle and a foreign symbol to
	// the right of the page, at the same height.
	W, H := img.Rect.Dx()+800, img.Rect.Dy()+300
	big := image.NewGray(image.Rect(-100, -100, W-100, H-100))
	for i := range big.Pix {
		big.Pix[i] = 255
	}
	for y := 0; y < img.Rect.Dy(); y++ {
		copy(big.Pix[(y+100)*big.Stride+100:], img.Pix[y*img.Stride:(y+1)*img.Stride])
	}
	c := newCanvas(big, 300)
	sym := mustQR(t, otherText)
	c.drawQR(sym, 100+img.Rect.Dx()+100, 100+img.Rect.Dy()-400, 6)
	page := big.SubImage(image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy())).(*image.Gray)
	got, err := FindQR(page, 300)
	if err != nil || !slices.Equal(got, []string{qrText}) {
		t.Fatalf("FindQR(sub-image) = %q, %v", got, err)
	}
}

func TestFindQRRefuses(t *testing.T) {
	small := image.NewGray(image.Rect(0, 0, 10, 10))
	broken := &image.Gray{Pix: make([]uint8, 10), Stride: 10, Rect: image.Rect(0, 0, 10, 10)}
	for _, c := range []struct {
		name string
		img  *image.Gray
		dpi  int
	}{
		{"nil image", nil, 300},
		{"zero dpi", small, 0},
		{"negative dpi", small, -300},
		{"absurd dpi", small, 1 << 40},
		{"empty image", image.NewGray(image.Rectangle{}), 300},
		{"Pix shorter than the rectangle", broken, 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := FindQR(c.img, c.dpi)
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindQR {
				t.Fatalf("FindQR = %v, want a KindQR error", err)
			}
		})
	}
	// A blank image is fine: no symbols, no error.
	if got, err := FindQR(small, 300); err != nil || len(got) != 0 {
		t.Fatalf("FindQR(blank) = %q, %v", got, err)
	}
}

// saHeader is a structured-append header (mode 0011, index, total-1,
// parity): it lets a test build symbols that gozxing's QRCodeMultiReader
// would concatenate into one text.
type saHeader struct{ index, total, parity uint }

func (saHeader) Check() error            { return nil }
func (saHeader) Bits(coding.Version) int { return 20 }
func (h saHeader) Encode(b *coding.Bits, _ coding.Version) {
	b.Write(3, 4)
	b.Write(h.index, 4)
	b.Write(h.total-1, 4)
	b.Write(h.parity, 8)
}

func saSymbol(t testing.TB, h saHeader, text string) *qrSymbol {
	t.Helper()
	p, err := coding.NewPlan(8, coding.M, 2)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := p.Encode(h, coding.String(text))
	if err != nil {
		t.Fatal(err)
	}
	s := &qrSymbol{size: cc.Size, dark: make([]bool, cc.Size*cc.Size)}
	for y := 0; y < cc.Size; y++ {
		for x := 0; x < cc.Size; x++ {
			s.dark[y*cc.Size+x] = cc.Black(x, y)
		}
	}
	return s
}

// TestFindQRStructuredAppendNotMerged: two structured-append symbols whose
// parts concatenate to a valid page text are two symbols, never one text.
func TestFindQRStructuredAppendNotMerged(t *testing.T) {
	a, b := qrText[:60], qrText[60:]
	var parity uint
	for i := 0; i < len(qrText); i++ {
		parity ^= uint(qrText[i])
	}
	for _, dpi := range []int{300, 600} {
		img := pageWith(t, dpi, func(c *canvas, x, y, m, side int) {
			c.fill(x, y, x+side, y+side, 255) // remove the genuine symbol
			c.drawQR(saSymbol(t, saHeader{0, 2, parity}, a), c.px(20), y, m)
			c.drawQR(saSymbol(t, saHeader{1, 2, parity}, b), c.px(80), y, m)
		})
		got, err := FindQR(img, dpi)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		want := []string{a, b}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%d dpi: FindQR = %q, want the two parts %q", dpi, got, want)
		}
	}
}

// finderGrid draws n finder patterns (modules of m px, centres sp modules
// apart, cols per row) in the bottom band of a blank 300 dpi page.
func finderGrid(n, cols, sp, m int) *image.Gray {
	w, h, _ := PageSize(300)
	img := image.NewGray(image.Rect(0, 0, w, h))
	c := newCanvas(img, 300)
	c.fill(0, 0, w, h, 255)
	for i := 0; i < n; i++ {
		x, y := c.px(5)+(i%cols)*sp*m, h-BandHeight(300)+c.px(2)+(i/cols)*sp*m
		c.fill(x, y, x+7*m, y+7*m, 0)
		c.fill(x+m, y+m, x+6*m, y+6*m, 255)
		c.fill(x+2*m, y+2*m, x+5*m, y+5*m, 0)
	}
	return img
}

// TestFindQRManyFinderPatterns: a band strewn with finder patterns would
// keep gozxing's cubic triplet search busy for close to a minute (800
// patterns); FindQR refuses it at once.
func TestFindQRManyFinderPatterns(t *testing.T) {
	for _, n := range []int{maxFinderCandidates + 1, 800} {
		img := finderGrid(n, 100, 12, 2)
		start := time.Now()
		texts, err := FindQR(img, 300)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%d patterns: search took %v", n, d)
		}
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindQR || texts != nil {
			t.Fatalf("%d patterns: FindQR = %q, %v; want a KindQR refusal", n, texts, err)
		}
	}
	// Below the bound, the search runs (and finds nothing decodable).
	if texts, err := FindQR(finderGrid(maxFinderCandidates, 6, 25, 2), 300); err != nil || len(texts) != 0 {
		t.Fatalf("%d patterns: FindQR = %q, %v", maxFinderCandidates, texts, err)
	}
}

// TestFindQRConcurrent: the kiosk may check pages in parallel.
func TestFindQRConcurrent(t *testing.T) {
	imgs := []*image.Gray{
		pageWith(t, 300, func(*canvas, int, int, int, int) {}),
		pageWith(t, 300, func(c *canvas, x, y, m, side int) { c.drawQR(mustQR(t, otherText), c.px(20), y, m) }),
	}
	want := [][]string{{qrText}, {otherText, qrText}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			got, err := FindQR(imgs[i%2], 300)
			slices.Sort(got)
			if err != nil || !slices.Equal(got, want[i%2]) {
				t.Errorf("goroutine %d: FindQR = %q, %v", i, got, err)
			}
		})
	}
	wg.Wait()
}
