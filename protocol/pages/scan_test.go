package pages

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
	"rsc.io/qr/coding"
)

const otherText = "KOFU1|ZZZZZZZZZZZZZZZZZZZZZA|mZ0Jc8hY2xW_4kLpNq7rT1sVb3nD9fG6hJ-aE5uIo0c|Xb7-Kp2Lm9Nq4Rs6Tu8Vw1Yz3Ac5Ef7Gh9Ij_Kl0Mn2o|1/1"

// pageWith renders a sample page at dpi and applies f to its canvas; x, y,
// m and side are the genuine symbol's placement.
func pageWith(t testing.TB, dpi int, f func(c *canvas, x, y, m, side int)) *image.Gray {
	t.Helper()
	img, err := renderer(t).Render(sampleSpec(dpi))
	if err != nil {
		t.Fatal(err)
	}
	sym := mustQR(t, qrText)
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

// drawInk paints s with modules of m px at (x, y): dark modules dark,
// light modules and the quiet zone light; inverted swaps the two.
func drawInk(c *canvas, s *qrSymbol, x, y, m int, dark, light uint8, inverted bool) {
	if inverted {
		dark, light = light, dark
	}
	q := qrQuiet * m
	c.fill(x-q, y-q, x+s.size*m+q, y+s.size*m+q, light)
	for my := 0; my < s.size; my++ {
		for mx := 0; mx < s.size; mx++ {
			if s.at(mx, my) {
				c.fill(x+mx*m, y+my*m, x+(mx+1)*m, y+(my+1)*m, dark)
			}
		}
	}
}

func dpiName(dpi int) string { return fmt.Sprint(dpi) }

// TestFindSymbols: every symbol on the printed face, in either polarity,
// anywhere; nothing the printer would not print.
func TestFindSymbols(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		bandTop := func(c *canvas) int { return c.h - BandHeight(dpi) }
		cases := []struct {
			name string
			draw func(c *canvas, x, y, m, side int)
			want []string
			inv  int // how many of want are inverted
		}{
			{"genuine page", func(*canvas, int, int, int, int) {}, []string{qrText}, 0},
			{"second symbol in the band", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), c.px(20), y, m)
			}, []string{qrText, otherText}, 0},
			{"two identical symbols count twice", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, qrText), c.px(60), y, m)
			}, []string{qrText, qrText}, 0},
			{"no symbol", func(c *canvas, x, y, m, side int) {
				c.fill(x, y, x+side, y+side, 255)
			}, nil, 0},
			{"symbol in the body is found", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), x, c.px(100), m)
			}, []string{qrText, otherText}, 0},
			{"symbol straddling the band's top edge is found", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), c.px(60), bandTop(c)-side/2, m)
			}, []string{qrText, otherText}, 0},
			{"inverted second symbol", func(c *canvas, x, y, m, side int) {
				drawInk(c, mustQR(t, otherText), c.px(40), y, m, 0, 255, true)
			}, []string{qrText, otherText}, 1},
			{"symbol in light gray 160 prints white: not found", func(c *canvas, x, y, m, side int) {
				drawInk(c, mustQR(t, qrText), x, y, m, 160, 255, false)
			}, nil, 0},
			{"symbol in grays 128..180 prints white: not found", func(c *canvas, x, y, m, side int) {
				s := mustQR(t, qrText)
				drawInk(c, s, x, y, m, 128, 255, false)
				for my := 0; my < s.size; my++ { // vary the dark grays
					for mx := 0; mx < s.size; mx++ {
						if s.at(mx, my) {
							c.fill(x+mx*m, y+my*m, x+(mx+1)*m, y+(my+1)*m, uint8(128+(mx*7+my*3)%53))
						}
					}
				}
			}, nil, 0},
			{"gray 120 on a 136 patch prints as black on white", func(c *canvas, x, y, m, side int) {
				drawInk(c, mustQR(t, qrText), x, y, m, 160, 255, false) // own symbol, faint
				drawInk(c, mustQR(t, otherText), c.px(40), y, m, 120, 136, false)
			}, []string{otherText}, 0},
			{"small second symbol (0.25 mm modules)", func(c *canvas, x, y, m, side int) {
				c.drawQR(mustQR(t, otherText), c.px(40), y, max(1, m/2))
			}, []string{qrText, otherText}, 0},
		}
		for _, c := range cases {
			t.Run(c.name+"/"+dpiName(dpi), func(t *testing.T) {
				bm := Binarize(pageWith(t, dpi, c.draw))
				syms, err := FindSymbols(bm)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				inv := 0
				for _, s := range syms {
					got = append(got, s.Text)
					if s.Inverted {
						inv++
					}
					if s.Box.Empty() || !s.Box.In(s.Quiet) || s.Dim < 21 || s.Module <= 0 {
						t.Errorf("symbol geometry %+v", s)
					}
				}
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) || inv != c.inv {
					t.Fatalf("FindSymbols = %q (%d inverted), want %q (%d inverted)", got, inv, want, c.inv)
				}
			})
		}
	}
}

// TestFindSymbolsGeometry: the reported box is where the symbol was
// drawn, to within a module, in every orientation (a symbol rotated by
// quarter turns lands on the same pixels).
func TestFindSymbolsGeometry(t *testing.T) {
	s := mustQR(t, otherText)
	const m, x0, y0 = 5, 300, 200
	side := s.size * m
	for turn := range 4 {
		t.Run(fmt.Sprint(turn*90), func(t *testing.T) {
			img := image.NewGray(image.Rect(0, 0, 900, 800))
			c := newCanvas(img, 300)
			c.fill(0, 0, 900, 800, 255)
			for my := 0; my < s.size; my++ {
				for mx := 0; mx < s.size; mx++ {
					if !s.at(mx, my) {
						continue
					}
					// Rotate the module grid by turn quarter turns.
					rx, ry := mx, my
					for range turn {
						rx, ry = s.size-1-ry, rx
					}
					c.fill(x0+rx*m, y0+ry*m, x0+(rx+1)*m, y0+(ry+1)*m, 0)
				}
			}
			syms, err := FindSymbols(Binarize(img))
			if err != nil || len(syms) != 1 || syms[0].Text != otherText {
				t.Fatalf("FindSymbols = %+v, %v", syms, err)
			}
			want := image.Rect(x0, y0, x0+side, y0+side)
			got := syms[0].Box
			d := func(a, b int) int { return max(a-b, b-a) }
			if d(got.Min.X, want.Min.X) > m || d(got.Min.Y, want.Min.Y) > m || d(got.Max.X, want.Max.X) > m || d(got.Max.Y, want.Max.Y) > m {
				t.Fatalf("box %v, drawn at %v", got, want)
			}
			q := syms[0].Quiet
			if d(q.Min.X, want.Min.X-4*m) > m || d(q.Max.Y, want.Max.Y+4*m) > m {
				t.Fatalf("quiet zone %v for a symbol at %v", q, want)
			}
		})
	}
}

// TestFindSymbolsAgreesWithPrinterBits: the search reads the bits as
// they are. Two pages whose gray differs but whose bitmaps are equal give
// the same answer; the scan of a page equals the scan of its bitmap
// expanded to 0/255 and thresholded again.
func TestFindSymbolsAgreesWithPrinterBits(t *testing.T) {
	img := pageWith(t, 300, func(c *canvas, x, y, m, side int) {
		drawInk(c, mustQR(t, otherText), c.px(40), y, m, 127, 128, false) // 127 prints black, 128 white
	})
	bm := Binarize(img)
	again := Binarize(bm.Gray())
	if !again.Equal(bm) {
		t.Fatal("Binarize(Gray()) is not the identity")
	}
	a, err1 := FindSymbols(bm)
	b, err2 := FindSymbols(again)
	if err1 != nil || err2 != nil || len(a) != 2 || !slices.Equal(a, b) {
		t.Fatalf("FindSymbols: %+v, %v vs %+v, %v", a, err1, b, err2)
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
	for _, b := range []*Bitmap{nil, {W: 10, H: 10, Stride: 2, Bits: make([]byte, 5)}, {W: 0, H: 1, Stride: 0}} {
		if _, err := FindSymbols(b); err == nil {
			t.Errorf("FindSymbols(%+v) accepted", b)
		}
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
// apart, cols per row) on a blank 300 dpi page, from its top-left.
func finderGrid(n, cols, sp, m int) *image.Gray {
	w, h, _ := PageSize(300)
	img := image.NewGray(image.Rect(0, 0, w, h))
	c := newCanvas(img, 300)
	c.fill(0, 0, w, h, 255)
	for i := 0; i < n; i++ {
		x, y := c.px(5)+(i%cols)*sp*m, c.px(5)+(i/cols)*sp*m
		c.fill(x, y, x+7*m, y+7*m, 0)
		c.fill(x+m, y+m, x+6*m, y+6*m, 255)
		c.fill(x+2*m, y+2*m, x+5*m, y+5*m, 0)
	}
	return img
}

// TestFindSymbolsCrowded: a face strewn with finder patterns would keep
// the cubic triplet search busy for minutes; FindSymbols refuses it at
// once as crowded, and so it does a face with more symbols than any page
// carries.
func TestFindSymbolsCrowded(t *testing.T) {
	many := pageWith(t, 300, func(c *canvas, x, y, m, side int) {
		for i := range MaxSymbols {
			c.drawQR(mustQR(t, fmt.Sprintf("OTHER-%d", i)), c.px(20)+i*c.px(40), c.px(60), m)
		}
	})
	for _, c := range []struct {
		name string
		img  *image.Gray
	}{
		{fmt.Sprintf("%d finder patterns", maxFinderCandidates+1), finderGrid(maxFinderCandidates+1, 60, 12, 2)},
		{"800 finder patterns", finderGrid(800, 60, 12, 2)},
		{"a lattice of finder patterns (too many triplets)", finderGrid(60, 6, 25, 2)},
		{fmt.Sprintf("%d symbols", MaxSymbols+1), many},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			syms, err := FindSymbols(Binarize(c.img))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("search took %v", d)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindCrowded || syms != nil {
				t.Fatalf("FindSymbols = %d symbols, %v; want a KindCrowded refusal", len(syms), err)
			}
		})
	}
	// At the bounds, the search runs: as many finder patterns as allowed,
	// in one row (no right angles, no triplets).
	if syms, err := FindSymbols(Binarize(finderGrid(maxFinderCandidates, maxFinderCandidates, 9, 2))); err != nil || len(syms) != 0 {
		t.Fatalf("%d patterns: FindSymbols = %+v, %v", maxFinderCandidates, syms, err)
	}
	four := pageWith(t, 300, func(c *canvas, x, y, m, side int) {
		for i := range MaxSymbols - 1 {
			c.drawQR(mustQR(t, fmt.Sprintf("OTHER-%d", i)), c.px(20)+i*c.px(40), c.px(60), m)
		}
	})
	if syms, err := FindSymbols(Binarize(four)); err != nil || len(syms) != MaxSymbols {
		t.Fatalf("%d symbols: FindSymbols = %d, %v", MaxSymbols, len(syms), err)
	}
}

// TestFindSymbolsText: a genuine page whose text is full of 回 (each an
// inverted finder pattern) is searched, not refused as crowded, and
// within a bounded time.
func TestFindSymbolsText(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		s := sampleSpec(dpi)
		for i := range s.Rows {
			s.Rows[i].Value = "第２回　住所第２回　住所第２回　住所第２回　住所"
		}
		img, err := renderer(t).Render(s)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		syms, err := FindSymbols(Binarize(img))
		if err != nil || len(syms) != 1 || syms[0].Text != qrText {
			t.Fatalf("%d dpi: FindSymbols = %+v, %v", dpi, syms, err)
		}
		t.Logf("%d dpi: %v", dpi, time.Since(start))
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

// TestScanMatchesGozxing: the run-at-a-time row scan finds exactly the
// finder-pattern candidates gozxing's own pixel-at-a-time scan
// (MultiFinderPatternFinder, trying hard: every third row) finds on the
// same matrix, in both polarities.
func TestScanMatchesGozxing(t *testing.T) {
	for _, c := range []struct {
		name string
		img  *image.Gray
	}{
		{"genuine page", pageWith(t, 300, func(*canvas, int, int, int, int) {})},
		{"inverted and small symbols", pageWith(t, 300, func(c *canvas, x, y, m, side int) {
			drawInk(c, mustQR(t, otherText), c.px(40), y, m, 0, 255, true)
			c.drawQR(mustQR(t, otherText), c.px(40), c.px(100), 1)
		})},
		{"finder grid", finderGrid(30, 6, 25, 3)},
	} {
		t.Run(c.name, func(t *testing.T) {
			bm := Binarize(c.img)
			for i := range 2 {
				m, err := gozxing.NewBitMatrix(bm.W, bm.H)
				if err != nil {
					t.Fatal(err)
				}
				fillMatrix(m, bm, i == 1)
				ours := detector.NewFinderPatternFinder(m, nil)
				get := func() (*detector.FinderPatternFinder, error) { return ours, nil }
				var counts [5]int
				for y := rowSkip - 1; y < bm.H; y += rowSkip {
					if err := scanRow(get, bm.Row(y), bm.W, y, i == 1, &counts); err != nil {
						t.Fatal(err)
					}
				}
				theirs := multidetector.NewMultiFinderPatternFinder(m, nil)
				theirs.FindMulti(map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
				key := func(ps []*detector.FinderPattern) []string {
					var k []string
					for _, p := range ps {
						k = append(k, fmt.Sprintf("%.2f,%.2f,%.3f,%d", p.GetX(), p.GetY(), p.GetEstimatedModuleSize(), p.GetCount()))
					}
					return k
				}
				// gozxing sorts its list by module size when it groups it.
				a, b := key(ours.GetPossibleCenters()), key(theirs.GetPossibleCenters())
				slices.Sort(a)
				slices.Sort(b)
				if !slices.Equal(a, b) {
					t.Fatalf("polarity %d: candidates\n ours   %v\n gozxing %v", i, a, b)
				}
				if i == 0 && len(a) < 3 {
					t.Fatalf("only %d candidates", len(a))
				}
			}
		})
	}
}

// TestNextChange against a bit-by-bit walk, across word boundaries and
// the padding at the end of a row.
func TestNextChange(t *testing.T) {
	row := []byte{0x00, 0xff, 0x0f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80}
	w := len(row)*8 - 3
	bit := func(x int) bool { return row[x>>3]>>(7-uint(x&7))&1 == 1 }
	for x := 0; x < w; x++ {
		want := x + 1
		for want < w && bit(want) == bit(x) {
			want++
		}
		if got := nextChange(row, x, w, bit(x)); got != want {
			t.Fatalf("nextChange(%d) = %d, want %d", x, got, want)
		}
	}
}

// TestMargin: the printable margin is never below 5 mm, and converts to
// pixels rounding up.
func TestMargin(t *testing.T) {
	for _, c := range []struct {
		mm   float64
		want float64
	}{{0, 5}, {-1, 5}, {3, 5}, {5, 5}, {7.5, 7.5}, {math.NaN(), 5}, {math.Inf(1), math.Inf(1)}} {
		if got := (Limits{MarginMM: c.mm}).Margin(); got != c.want {
			t.Errorf("Margin(%v) = %v, want %v", c.mm, got, c.want)
		}
	}
	if got := DefaultLimits().Margin(); got != DefaultMarginMM {
		t.Errorf("default margin %v", got)
	}
	for _, c := range []struct {
		mm      float64
		dpi, px int
	}{{5, 300, 60}, {5, 600, 119}, {25.4, 300, 300}, {0.01, 300, 1}, {0, 600, 0}} {
		if got := MMToPx(c.mm, c.dpi); got != c.px {
			t.Errorf("MMToPx(%v, %d) = %d, want %d", c.mm, c.dpi, got, c.px)
		}
	}
}
