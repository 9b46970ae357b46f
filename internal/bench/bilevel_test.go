package bench

import (
	"testing"

	"kofu/protocol/pages"
)

// TestBilevelPNG: the 1-bit page the bench measures passes the kiosk's own
// decode and is bit for bit the bitmap it was made from.
func TestBilevelPNG(t *testing.T) {
	bm := pages.NewBitmap(37, 5) // a width that leaves padding bits
	for y := range bm.H {
		for x := range bm.W {
			if (x+y)%3 == 0 {
				bm.Bits[y*bm.Stride+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	data, err := bilevelPNG(bm, 600)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pages.DecodeBitmap(data, bm.W, bm.H, 600, pages.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(bm) {
		t.Fatal("the decoded 1-bit PNG differs from its bitmap")
	}
}
