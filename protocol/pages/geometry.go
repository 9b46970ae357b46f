package pages

import "math"

// Page geometry shared by the renderer and the checker. All conversions
// round half up from tenths of a millimetre, so that A4 is 2480×3508 at
// 300 dpi and 4961×7016 at 600 dpi, and the bottom band is 472 and 945 px.

const (
	a4WidthMM  = 210
	a4HeightMM = 297
	bandMM     = 40 // the bottom band that carries the page's QR symbol
)

// PageSize returns the pixel size of an A4 portrait page at dpi; ok is
// false unless dpi is 300 or 600, the only resolutions of protocol v1.
func PageSize(dpi int) (w, h int, ok bool) {
	if dpi != 300 && dpi != 600 {
		return 0, 0, false
	}
	return mmToPx(a4WidthMM, dpi), mmToPx(a4HeightMM, dpi), true
}

// BandHeight returns the height in pixels of the bottom 40 mm band at dpi
// (472 at 300 dpi, 945 at 600 dpi), or 0 for a dpi ≤ 0.
func BandHeight(dpi int) int {
	if dpi <= 0 {
		return 0
	}
	return mmToPx(bandMM, dpi)
}

// mmToPx converts whole millimetres to pixels, rounding half up.
func mmToPx(mm, dpi int) int {
	return (mm*dpi*10 + 127) / 254
}

// pxPerMetre is the pHYs density for dpi, rounded to nearest.
func pxPerMetre(dpi int) int64 {
	return (int64(dpi)*10000 + 127) / 254
}

// MMToPx converts a length in millimetres to whole pixels at dpi, rounding
// up: used for margins, which must never shrink by rounding.
func MMToPx(mm float64, dpi int) int {
	return int(math.Ceil(mm*float64(dpi)/25.4 - 1e-9))
}
