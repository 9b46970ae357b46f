package pages

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"testing"
)

func benchPage(b *testing.B, dpi int) (*image.Gray, []byte) {
	b.Helper()
	img, err := renderer(b).Render(sampleSpec(dpi))
	if err != nil {
		b.Fatal(err)
	}
	data, err := EncodePNG(img, dpi)
	if err != nil {
		b.Fatal(err)
	}
	return img, data
}

func BenchmarkRender(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		b.Run(fmt.Sprint(dpi), func(b *testing.B) {
			r, s := renderer(b), sampleSpec(dpi)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Render(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// stdlibPNG encodes with image/png's Encoder at BestSpeed (adaptive row
// filters) and splices in the pHYs chunk: the reference EncodePNG is
// compared with.
func stdlibPNG(b *testing.B, img *image.Gray, dpi int) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		b.Fatal(err)
	}
	var phys [physLen]byte
	binary.BigEndian.PutUint32(phys[0:], uint32(pxPerMetre(dpi)))
	binary.BigEndian.PutUint32(phys[4:], uint32(pxPerMetre(dpi)))
	phys[8] = 1
	return edit(b, buf.Bytes(), func(cs []chunk) []chunk {
		return append(cs[:1], append([]chunk{{"pHYs", phys[:]}}, cs[1:]...)...)
	})
}

func BenchmarkEncodePNG(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		for _, std := range []bool{false, true} {
			name := fmt.Sprint(dpi)
			if std {
				name += "/stdlib-encoder"
			}
			b.Run(name, func(b *testing.B) {
				img, data := benchPage(b, dpi)
				if std {
					data = stdlibPNG(b, img, dpi)
				}
				b.ReportAllocs()
				for b.Loop() {
					if std {
						stdlibPNG(b, img, dpi)
					} else if _, err := EncodePNG(img, dpi); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(data)), "png-bytes")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		for _, std := range []bool{false, true} {
			name := fmt.Sprint(dpi)
			if std {
				name += "/stdlib-encoded"
			}
			b.Run(name, func(b *testing.B) {
				img, data := benchPage(b, dpi)
				if std {
					data = stdlibPNG(b, img, dpi)
				}
				w, h, _ := PageSize(dpi)
				b.ReportAllocs()
				b.SetBytes(int64(w * h))
				for b.Loop() {
					if _, err := Decode(data, w, h, dpi, DefaultLimits()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFindSymbols is the search of the whole printed face, both
// polarities, on the bitmap of the sample page.
func BenchmarkFindSymbols(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		b.Run(fmt.Sprint(dpi), func(b *testing.B) {
			img, _ := benchPage(b, dpi)
			bm := Binarize(img)
			b.ReportAllocs()
			for b.Loop() {
				syms, err := FindSymbols(bm)
				if err != nil || len(syms) != 1 {
					b.Fatal(syms, err)
				}
			}
		})
	}
}

// BenchmarkBinarize is the one threshold of a page.
func BenchmarkBinarize(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		b.Run(fmt.Sprint(dpi), func(b *testing.B) {
			img, _ := benchPage(b, dpi)
			b.ReportAllocs()
			for b.Loop() {
				Binarize(img)
			}
		})
	}
}

// BenchmarkCheckPage600 is the kiosk's per-page cost at 600 dpi:
// DecodeBitmap and FindSymbols of one page (the SHA-256 over the file is
// outside this package).
func BenchmarkCheckPage600(b *testing.B) {
	_, data := benchPage(b, 600)
	w, h, _ := PageSize(600)
	b.ReportAllocs()
	for b.Loop() {
		bm, err := DecodeBitmap(data, w, h, 600, DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		if syms, err := FindSymbols(bm); err != nil || len(syms) != 1 {
			b.Fatal(syms, err)
		}
	}
}

// BenchmarkDecodeBitmap is the decode straight to the bitmap, beside
// BenchmarkDecode (to 8-bit gray).
func BenchmarkDecodeBitmap(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		b.Run(fmt.Sprint(dpi), func(b *testing.B) {
			_, data := benchPage(b, dpi)
			w, h, _ := PageSize(dpi)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeBitmap(data, w, h, dpi, DefaultLimits()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
