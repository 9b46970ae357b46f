package pages

import (
	"image"
	"math"
)

// canvas draws straight into an image.Gray's Pix: every primitive works on
// whole rows (copy, slices) and never goes through image.Image.Set/At.
//
// A canvas may hold only a window of the page's rows, [y0, y1): the
// coordinates stay the page's, pix starts at row y0, and drawing outside
// the window is clipped. Templates stamp a page's per-issue rows this way
// without a page-sized buffer.
type canvas struct {
	pix    []uint8
	stride int
	w, h   int // the whole page
	y0, y1 int // rows held in pix
	dpi    int
}

func newCanvas(img *image.Gray, dpi int) *canvas {
	h := img.Rect.Dy()
	return &canvas{pix: img.Pix, stride: img.Stride, w: img.Rect.Dx(), h: h, y1: h, dpi: dpi}
}

// window returns a canvas over the rows [y0, y1) of this one that draws
// into the same pixels and clips to those rows.
func (c *canvas) window(y0, y1 int) *canvas {
	y0, y1 = min(max(y0, c.y0), c.y1), min(y1, c.y1)
	w := *c
	w.y0, w.y1 = y0, max(y0, y1)
	w.pix = c.pix[(y0-c.y0)*c.stride:]
	return &w
}

// off is the index in pix of the pixel (x, y), which must be in the window.
func (c *canvas) off(x, y int) int { return (y-c.y0)*c.stride + x }

// px converts millimetres to pixels at the canvas dpi, rounding to nearest.
func (c *canvas) px(mm float64) int {
	return int(math.Round(mm * float64(c.dpi) / 25.4))
}

// clip returns the rectangle [x0,x1)×[y0,y1) clipped to the canvas.
func (c *canvas) clip(x0, y0, x1, y1 int) (int, int, int, int, bool) {
	x0, y0 = max(x0, 0), max(y0, c.y0)
	x1, y1 = min(x1, c.w), min(y1, c.y1)
	return x0, y0, x1, y1, x0 < x1 && y0 < y1
}

// fill sets every pixel of [x0,x1)×[y0,y1) to v.
func (c *canvas) fill(x0, y0, x1, y1 int, v uint8) {
	x0, y0, x1, y1, ok := c.clip(x0, y0, x1, y1)
	if !ok {
		return
	}
	first := c.pix[c.off(x0, y0):c.off(x1, y0)]
	for i := range first {
		first[i] = v
	}
	for y := y0 + 1; y < y1; y++ {
		copy(c.pix[c.off(x0, y):c.off(x1, y)], first)
	}
}

// hline draws a horizontal rule of thickness t whose top edge is at y.
func (c *canvas) hline(x0, x1, y, t int, v uint8) { c.fill(x0, y, x1, y+t, v) }

// vline draws a vertical rule of thickness t whose left edge is at x.
func (c *canvas) vline(x, y0, y1, t int, v uint8) { c.fill(x, y0, x+t, y1, v) }

// frame draws the outline of [x0,x1)×[y0,y1) with thickness t, inside it.
func (c *canvas) frame(x0, y0, x1, y1, t int, v uint8) {
	c.hline(x0, x1, y0, t, v)
	c.hline(x0, x1, y1-t, t, v)
	c.vline(x0, y0, y1, t, v)
	c.vline(x1-t, y0, y1, t, v)
}

// dashed draws a horizontal dashed rule.
func (c *canvas) dashed(x0, x1, y, t, dash, gap int, v uint8) {
	for x := x0; x < x1; x += dash + gap {
		c.hline(x, min(x+dash, x1), y, t, v)
	}
}

// pattern tiles [x0,x1)×[y0,y1) with tile (a tw×th grey pattern), anchored
// at the canvas origin. Each tile row is expanded once to the full span and
// then copied, so the cost is a memmove per page row.
func (c *canvas) pattern(x0, y0, x1, y1 int, tile []uint8, tw, th int) {
	x0, y0, x1, y1, ok := c.clip(x0, y0, x1, y1)
	if !ok || tw <= 0 || th <= 0 {
		return
	}
	span := x1 - x0
	rows := make([]uint8, th*span)
	for ty := 0; ty < th; ty++ {
		row := rows[ty*span : (ty+1)*span]
		src := tile[ty*tw : (ty+1)*tw]
		// One period, then doubling copies: memmove speed, no modulo per pixel.
		n := min(tw, span)
		for i := range n {
			row[i] = src[(x0+i)%tw]
		}
		for n < span {
			n += copy(row[n:], row[:min(n, span-n)])
		}
	}
	for y := y0; y < y1; y++ {
		ty := y % th
		copy(c.pix[c.off(x0, y):c.off(x1, y)], rows[ty*span:(ty+1)*span])
	}
}

// guillocheTile computes a light crossed-wave background tile (the
// けん制 "地紋" of real certificates) for dpi. Its lightest-to-darkest
// contrast stays below the QR binarizer's minimum dynamic range (24), so
// on its own the pattern binarizes as white.
func guillocheTile(dpi int) (tile []uint8, size int) {
	size = int(math.Round(4.0 * float64(dpi) / 25.4)) // ~4 mm period
	if size < 8 {
		size = 8
	}
	const ink = 233                  // lightest grey that still prints; 255-233 = 22 < 24
	lw := 0.09 * float64(dpi) / 25.4 // half line width ≈ 0.09 mm
	tile = make([]uint8, size*size)
	s := float64(size)
	amp := s * 0.22
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			d := math.Inf(1)
			// Two families of waves, phase-shifted, plus their mirror: a
			// lattice of interlaced curves.
			for k := 0; k < 2; k++ {
				base := s*0.25 + float64(k)*s*0.5
				ph := float64(k) * math.Pi
				w1 := base + amp*math.Sin(2*math.Pi*fx/s+ph)
				w2 := base + amp*math.Sin(2*math.Pi*fx/s+ph+math.Pi)
				// vertical distance, corrected by the slope, approximates
				// the distance to the curve.
				sl := amp * 2 * math.Pi / s * math.Cos(2*math.Pi*fx/s+ph)
				n := math.Sqrt(1 + sl*sl)
				d = math.Min(d, math.Abs(fy-w1)/n)
				d = math.Min(d, math.Abs(fy-w2)/n)
			}
			a := math.Max(0, math.Min(1, lw+0.5-d)) // 1 px antialiasing
			tile[y*size+x] = uint8(math.Round(255 - a*(255-ink)))
		}
	}
	return tile, size
}
