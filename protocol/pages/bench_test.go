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

// BenchmarkFindQR compares the automatic search (scale 0: 600 dpi bands
// are halved) with a full-resolution one (scale 1).
func BenchmarkFindQR(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		for _, scale := range []int{0, 1} {
			if dpi == 300 && scale == 1 {
				continue // the same thing as scale 0
			}
			name := fmt.Sprint(dpi)
			if dpi == 600 {
				name += map[int]string{0: "/halved", 1: "/full"}[scale]
			}
			b.Run(name, func(b *testing.B) {
				img, _ := benchPage(b, dpi)
				b.ReportAllocs()
				for b.Loop() {
					texts, err := findQR(img, dpi, scale)
					if err != nil || len(texts) != 1 {
						b.Fatal(texts, err)
					}
				}
			})
		}
	}
}

// BenchmarkCheckPage is the kiosk's per-page cost at 600 dpi: Decode and
// FindQR of one page (the SHA-256 over the file is outside this package).
func BenchmarkCheckPage600(b *testing.B) {
	_, data := benchPage(b, 600)
	w, h, _ := PageSize(600)
	b.ReportAllocs()
	for b.Loop() {
		img, err := Decode(data, w, h, 600, DefaultLimits())
		if err != nil {
			b.Fatal(err)
		}
		if texts, err := FindQR(img, 600); err != nil || len(texts) != 1 {
			b.Fatal(texts, err)
		}
	}
}
