package pdl

import (
	"bytes"
	"errors"
	"image"
	"math/rand/v2"
	"strings"
	"testing"

	"kofu/printer/internal/testpage"
)

var sample = testpage.New()

// naiveBitmap thresholds pixel by pixel, the reference for ToBitmap.
func naiveBitmap(img *image.Gray) *Bitmap {
	r := img.Bounds()
	b := NewBitmap(r.Dx(), r.Dy())
	for y := range b.H {
		for x := range b.W {
			if img.GrayAt(r.Min.X+x, r.Min.Y+y).Y < Threshold {
				b.Row(y)[x/8] |= 0x80 >> uint(x%8)
			}
		}
	}
	return b
}

func randomGray(rng *rand.Rand, w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

func TestToBitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		img  *image.Gray
	}{
		{"1x1", randomGray(rng, 1, 1)},
		{"7 wide", randomGray(rng, 7, 3)},
		{"8 wide", randomGray(rng, 8, 3)},
		{"17 wide", randomGray(rng, 17, 5)},
		{"odd", randomGray(rng, 101, 9)},
		{"sub-image", randomGray(rng, 64, 64).SubImage(image.Rect(3, 5, 50, 41)).(*image.Gray)},
		{"threshold edges", func() *image.Gray {
			g := image.NewGray(image.Rect(0, 0, 16, 1))
			copy(g.Pix, []byte{0, 127, 128, 255, 126, 129, 1, 254, 127, 127, 128, 128, 0, 0, 255, 255})
			return g
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, want := ToBitmap(c.img), naiveBitmap(c.img)
			if !got.Equal(want) {
				t.Fatalf("ToBitmap differs from per-pixel threshold:\n got %x\nwant %x", got.Bits, want.Bits)
			}
			back := got.Gray()
			for i, p := range back.Pix {
				if p != 0 && p != 255 {
					t.Fatalf("Gray pixel %d = %d", i, p)
				}
			}
			if !ToBitmap(back).Equal(got) {
				t.Fatal("Gray → ToBitmap is not the identity")
			}
		})
	}
}

func TestPackBits(t *testing.T) {
	for _, c := range []struct {
		name    string
		in, out []byte
	}{
		{"empty", nil, nil},
		{"one", []byte{7}, []byte{0, 7}},
		{"pair at end", []byte{7, 7}, []byte{0xff, 7}},
		{"TIFF 6.0 example",
			[]byte{0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
				0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA},
			[]byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA}},
		{"run of 128", bytes.Repeat([]byte{9}, 128), []byte{0x81, 9}},
		{"run of 129", bytes.Repeat([]byte{9}, 129), []byte{0x81, 9, 0, 9}},
		{"run of 130", bytes.Repeat([]byte{9}, 130), []byte{0x81, 9, 0xff, 9}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := PackBits(nil, c.in)
			if !bytes.Equal(got, c.out) {
				t.Fatalf("PackBits(% x) = % x, want % x", c.in, got, c.out)
			}
			back, err := UnpackBits(nil, got, 1<<20)
			if err != nil || !bytes.Equal(back, c.in) {
				t.Fatalf("UnpackBits = % x, %v", back, err)
			}
		})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		n := rng.IntN(600)
		src := make([]byte, n)
		for j := range src {
			if rng.IntN(3) == 0 && j > 0 {
				src[j] = src[j-1]
			} else {
				src[j] = byte(rng.IntN(4))
			}
		}
		enc := PackBits(nil, src)
		if worst := n + (n+127)/128; len(enc) > worst {
			t.Fatalf("case %d: %d bytes encode to %d (> %d)", i, n, len(enc), worst)
		}
		back, err := UnpackBits(nil, enc, 1<<20)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("case %d: round trip failed: %v", i, err)
		}
	}
}

func encodePCL(t testing.TB, dpi int, imgs ...*image.Gray) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewPCLWriter(&buf)
	for _, img := range imgs {
		if err := w.WritePage(ToBitmap(img), dpi); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodePCLAll(t testing.TB, data []byte) []*Page {
	t.Helper()
	var out []*Page
	if err := DecodePCL(bytes.NewReader(data), Limits{}, func(p *Page) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPCLRoundTripCertificate(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		t.Run(map[int]string{300: "300dpi", 600: "600dpi"}[dpi], func(t *testing.T) {
			img := sample.Page(t, dpi)
			data := encodePCL(t, dpi, img, img)
			for _, want := range []string{"\x1bE\x1b&l26A", "\x1b*b2M", "\x1b*r1A", "\x1b*rB\x0c", "Y\x1b*b"} {
				if !bytes.Contains(data, []byte(want)) {
					t.Errorf("stream lacks %q", want)
				}
			}
			if !bytes.HasSuffix(data, []byte("\x0c\x1bE")) {
				t.Error("stream does not end with FF, ESC E")
			}
			pages := decodePCLAll(t, data)
			if len(pages) != 2 {
				t.Fatalf("decoded %d pages, want 2", len(pages))
			}
			want := ToBitmap(img)
			for i, p := range pages {
				if p.DPI != dpi {
					t.Errorf("page %d: %d dpi", i+1, p.DPI)
				}
				if !p.Bitmap.Equal(want) {
					d, err := p.Bitmap.Diff(want)
					t.Fatalf("page %d differs from the thresholded source: %d pixels, %v", i+1, d, err)
				}
			}
			raw := len(want.Bits)
			t.Logf("%d dpi: %d bytes of PCL per page (%.1f%% of the %d-byte bitmap)", dpi, len(data)/2, 100*float64(len(data)/2)/float64(raw), raw)
		})
	}
}

func TestPCLRefuses(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 10, 10))
	w := NewPCLWriter(&bytes.Buffer{})
	if err := w.WritePage(ToBitmap(img), 150); err == nil {
		t.Error("150 dpi accepted")
	}
	if err := w.WritePage(NewBitmap(0, 5), 300); err == nil {
		t.Error("empty page accepted")
	}
	w.Close()
	if err := w.WritePage(ToBitmap(img), 300); err == nil {
		t.Error("write after Close accepted")
	}
}

// TestPCLDecoder feeds hand-written streams in the forms other writers use:
// combined parameters, modes 0, 1 and 3, no raster width, skipped commands.
func TestPCLDecoder(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    string
		pages []string // rows as hex bytes joined by '|'
		dpi   int
		err   error
	}{
		{"mode 0 with width", "\x1bE\x1b*t300R\x1b*r16S\x1b*r2T\x1b*r1A\x1b*b2W\xff\x01\x1b*b1W\x80\x1b*rB\x0c", []string{"ff01|8000"}, 300, nil},
		{"combined params", "\x1b*t600r16s3T\x1b*b2m1A\x1b*b2W\xff\xf0\x1b*b1Y\x1b*b2W\xff\x0f\x0c", []string{"f0f0|0000|0f0f"}, 600, nil},
		{"mode 1 RLE", "\x1b*r16S\x1b*b1M\x1b*b4W\x00\xaa\x00\x55\x0c", []string{"aa55"}, 75, nil},
		{"mode 3 delta row", "\x1b*r24S\x1b*b3M\x1b*b4W\x40\x01\x02\x03\x1b*b2W\x01\xff\x1b*b0W\x0c", []string{"010203|01ff03|01ff03"}, 75, nil},
		{"no width: widest row", "\x1b*b2W\x01\x81\x1b*b1W\x81\x0c", []string{"0181|8100"}, 75, nil},
		{"skips PJL, text and font data", "\x1b%-12345X@PJL ENTER LANGUAGE=PCL\r\n\x1b(s3W\x0c\x0c\x0cHello\x1b&l26A\x1b*r8S\x1b*b1W\x0f\x0c\x1bE\x1b%-12345X", []string{"0f"}, 75, nil},
		{"ESC E ejects a marked page", "\x1b*r8S\x1b*b1W\x0f\x1bE", []string{"0f"}, 75, nil},
		{"EOF ejects a marked page", "\x1b*r8S\x1b*b1W\x0f", []string{"0f"}, 75, nil},
		{"truncated row", "\x1b*r8S\x1b*b9W\x0f", nil, 0, ErrFormat},
		{"mode 5 unsupported", "\x1b*b5M\x1b*b1W\x00", nil, 0, ErrFormat},
		{"width over limit", "\x1b*r99999S", nil, 0, ErrLimit},
		{"y offset over limit", "\x1b*b99999Y", nil, 0, ErrLimit},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			dpi := 0
			err := DecodePCL(strings.NewReader(c.in), Limits{}, func(p *Page) error {
				var rows []string
				for y := range p.Bitmap.H {
					rows = append(rows, hexs(p.Bitmap.Row(y)))
				}
				got = append(got, strings.Join(rows, "|"))
				dpi = p.DPI
				return nil
			})
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " / ") != strings.Join(c.pages, " / ") || dpi != c.dpi {
				t.Fatalf("pages %q at %d dpi, want %q at %d", got, dpi, c.pages, c.dpi)
			}
		})
	}
}

func hexs(b []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 2*len(b))
	for _, c := range b {
		s = append(s, digits[c>>4], digits[c&15])
	}
	return string(s)
}

func encodePWG(t testing.TB, typ PWGType, dpi int, imgs ...*image.Gray) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewPWGWriter(&buf, typ, len(imgs))
	for _, img := range imgs {
		if err := w.WritePage(ToBitmap(img), dpi); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestPWGRoundTripCertificate(t *testing.T) {
	for _, c := range []struct {
		typ PWGType
		dpi int
	}{{Black1, 300}, {SGray8, 300}, {Black1, 600}, {SGray8, 600}} {
		t.Run(c.typ.Keyword()+"/"+map[int]string{300: "300", 600: "600"}[c.dpi], func(t *testing.T) {
			img := sample.Page(t, c.dpi)
			data := encodePWG(t, c.typ, c.dpi, img, img)
			var n int
			err := DecodePWG(bytes.NewReader(data), Limits{}, func(h PWGHeader, p *Page) error {
				n++
				if h.MediaClass != "PwgRaster" || h.PageSizeName != "iso_a4_210x297mm" || h.PageSize != [2]int{595, 842} ||
					h.HWResolution != [2]int{c.dpi, c.dpi} || h.TotalPageCount != 2 || h.NumColors != 1 {
					t.Errorf("header %+v", h)
				}
				if c.typ == Black1 {
					if !p.Bitmap.Equal(ToBitmap(img)) {
						t.Fatalf("page %d differs from the thresholded source", n)
					}
				} else if !bytes.Equal(p.Gray.Pix, ToBitmap(img).Gray().Pix) {
					t.Fatalf("page %d differs from the thresholded source expanded to 0/255", n)
				}
				return nil
			})
			if err != nil || n != 2 {
				t.Fatalf("decoded %d pages: %v", n, err)
			}
			t.Logf("%s %d dpi: %d bytes per page", c.typ.Keyword(), c.dpi, len(data)/2)
		})
	}
}

func TestPWGRowCode(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 300 {
		w, h := 1+rng.IntN(300), 1+rng.IntN(20)
		img := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				switch {
				case y > 0 && rng.IntN(4) == 0:
					img.Pix[y*w+x] = img.Pix[(y-1)*w+x]
				case x > 0 && rng.IntN(2) == 0:
					img.Pix[y*w+x] = img.Pix[y*w+x-1]
				default:
					img.Pix[y*w+x] = uint8(rng.IntN(3) * 127)
				}
			}
			if rng.IntN(5) == 0 && y > 0 {
				copy(img.Pix[y*w:(y+1)*w], img.Pix[(y-1)*w:y*w])
			}
		}
		for _, typ := range []PWGType{Black1, SGray8} {
			data := encodePWG(t, typ, 300, img)
			err := DecodePWG(bytes.NewReader(data), Limits{}, func(_ PWGHeader, p *Page) error {
				if typ == Black1 && !p.Bitmap.Equal(ToBitmap(img)) || typ == SGray8 && !bytes.Equal(p.Gray.Pix, ToBitmap(img).Gray().Pix) {
					t.Fatalf("case %d %s: round trip differs", i, typ.Keyword())
				}
				return nil
			})
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
		}
	}
}

func TestPWGDecoderRefuses(t *testing.T) {
	good := encodePWG(t, Black1, 300, image.NewGray(image.Rect(0, 0, 16, 4)))
	set := func(off int, v uint32) []byte {
		b := bytes.Clone(good)
		b[4+off], b[5+off], b[6+off], b[7+off] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
		return b
	}
	for _, c := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"empty", nil, ErrFormat},
		{"bad sync", []byte("RaS3" + string(good[4:])), ErrFormat},
		{"no pages", []byte("RaS2"), ErrFormat},
		{"short header", good[:100], ErrFormat},
		{"truncated rows", good[:len(good)-1], ErrFormat},
		{"huge width", set(offWidth, 1<<30), ErrLimit},
		{"zero height", set(offHeight, 0), ErrLimit},
		{"bytes per line mismatch", set(offBytesPerLine, 3), ErrFormat},
		{"4-bit pixels", set(offBitsPerPixel, 4), ErrFormat},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := DecodePWG(bytes.NewReader(c.in), Limits{}, func(PWGHeader, *Page) error { return nil })
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
		})
	}
}

// TestPWGCode128 checks CUPS's "clear to end of line" code.
func TestPWGCode128(t *testing.T) {
	hdrPage := encodePWG(t, SGray8, 300, image.NewGray(image.Rect(0, 0, 4, 1)))
	in := append(bytes.Clone(hdrPage[:4+pwgHeaderLen]), 0x00, 0xff, 0x10, 0x20, 0x80)
	err := DecodePWG(bytes.NewReader(in), Limits{}, func(_ PWGHeader, p *Page) error {
		if !bytes.Equal(p.Gray.Pix, []byte{0x10, 0x20, 0xff, 0xff}) {
			t.Fatalf("row % x", p.Gray.Pix)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
