package pdl

import (
	"bytes"
	"image"
	"testing"
)

func fuzzLimits() Limits { return Limits{MaxWidth: 256, MaxHeight: 256, MaxPages: 4} }

func tinyPage() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 21, 9))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	return img
}

// FuzzDecodePCL: any input decodes without panic within limits, and every
// decoded page survives a re-encode/decode round trip unchanged.
func FuzzDecodePCL(f *testing.F) {
	f.Add(encodePCL(f, 300, tinyPage()))
	f.Add([]byte("\x1b*t600r16s3T\x1b*b2m1A\x1b*b2W\xff\xf0\x1b*b1Y\x1b*b2W\xff\x0f\x0c"))
	f.Add([]byte("\x1b*r24S\x1b*b3M\x1b*b4W\x40\x01\x02\x03\x1b*b2W\x01\xff\x1b*b0W\x0c"))
	f.Add([]byte("\x1b%-12345X@PJL ENTER LANGUAGE=PCL\r\n\x1bE\x1b*b1M\x1b*b4W\x00\xaa\x00\x55\x0c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := fuzzLimits()
		var pages []*Page
		err := DecodePCL(bytes.NewReader(data), lim, func(p *Page) error {
			if p.Bitmap.W > lim.MaxWidth || p.Bitmap.H > lim.MaxHeight {
				t.Fatalf("page %dx%d beyond limits", p.Bitmap.W, p.Bitmap.H)
			}
			pages = append(pages, p)
			return nil
		})
		if err != nil {
			return
		}
		for _, p := range pages {
			if p.Bitmap.W == 0 || p.Bitmap.H == 0 {
				continue
			}
			again := decodePCLAll(t, encodePCL(t, 300, p.Bitmap.Gray()))
			if len(again) != 1 || !again[0].Bitmap.Equal(p.Bitmap) {
				t.Fatal("re-encoded page decodes differently")
			}
		}
	})
}

// FuzzDecodePWG: as FuzzDecodePCL for PWG Raster.
func FuzzDecodePWG(f *testing.F) {
	f.Add(encodePWG(f, Black1, 300, tinyPage()))
	f.Add(encodePWG(f, SGray8, 600, tinyPage(), tinyPage()))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := fuzzLimits()
		err := DecodePWG(bytes.NewReader(data), lim, func(h PWGHeader, p *Page) error {
			img := p.Image()
			if b := img.Bounds(); b.Dx() > lim.MaxWidth || b.Dy() > lim.MaxHeight {
				t.Fatalf("page %v beyond limits", b)
			}
			typ := SGray8
			if p.Bitmap != nil {
				typ = Black1
			}
			enc := encodePWG(t, typ, 300, img) // thresholds img
			return DecodePWG(bytes.NewReader(enc), lim, func(_ PWGHeader, q *Page) error {
				// The writer carries bilevel pages: an 8-bit page comes back
				// as its thresholded bits expanded to 0/255.
				if !bytes.Equal(q.Image().Pix, ToBitmap(img).Gray().Pix) {
					t.Fatal("re-encoded page decodes differently")
				}
				return nil
			})
		})
		_ = err
	})
}
