package pages

import (
	"slices"
	"testing"
)

// TestRoundTrip renders, encodes, checks and searches a page at both
// resolutions and must get back exactly the page's QR text.
func TestRoundTrip(t *testing.T) {
	for _, dpi := range []int{300, 600} {
		for _, text := range []string{
			qrText,
			"KOFU1|AAAAAAAAAAAAAAAAAAAAAA|" + "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_|" + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz|1/1",
		} {
			s := sampleSpec(dpi)
			s.QRText = text
			img, err := renderer(t).Render(s)
			if err != nil {
				t.Fatalf("%d dpi: Render: %v", dpi, err)
			}
			w, h, _ := PageSize(dpi)
			if img.Rect.Dx() != w || img.Rect.Dy() != h {
				t.Fatalf("%d dpi: size %v, want %d×%d", dpi, img.Rect, w, h)
			}
			b, err := EncodePNG(img, dpi)
			if err != nil {
				t.Fatalf("%d dpi: EncodePNG: %v", dpi, err)
			}
			got, err := Decode(b, w, h, dpi, DefaultLimits())
			if err != nil {
				t.Fatalf("%d dpi: Decode: %v", dpi, err)
			}
			if !slices.Equal(got.Pix, img.Pix) {
				t.Fatalf("%d dpi: decoded pixels differ from rendered ones", dpi)
			}
			texts, err := FindQR(got, dpi)
			if err != nil {
				t.Fatalf("%d dpi: FindQR: %v", dpi, err)
			}
			if len(texts) != 1 || texts[0] != text {
				t.Fatalf("%d dpi: FindQR = %q, want [%q]", dpi, texts, text)
			}
			t.Logf("%d dpi: PNG %d bytes", dpi, len(b))
		}
	}
}
