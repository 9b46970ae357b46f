package groundpattern

import (
	"math"
	"sort"

	"kofu/protocol/pages"
)

// The copier and reader models of docs/groundpattern.md.
//
// A page is a reflectance field on the printer's 600-dpi grid: 0 where
// toner is, 1 on paper. A copier scans it through optics with a Gaussian
// point spread (σ from a copier's MTF), integrates it over its sensor
// pixels (300 or 600 dpi, at some phase against the page's pixels) and,
// in text mode, thresholds the scan at a fixed reflectance; what it
// prints is that bilevel image. A reader sees a page at reading distance
// as the field blurred to about 0.1 mm.

// paperDPI is the grid every simulated page lives on.
const paperDPI = 600

// field is a reflectance image at dpi.
type field struct {
	w, h, dpi int
	v         []float64
}

func (f field) at(x, y int) float64 { return f.v[y*f.w+x] }

// fromBitmap is a printed page of bitmap b at dpi (300 or 600) on the
// 600-dpi grid: 0 on black pixels, 1 on white; a 300-dpi pixel covers
// 2×2 cells.
func fromBitmap(b *pages.Bitmap, dpi int) field {
	n := paperDPI / dpi
	f := field{w: b.W * n, h: b.H * n, dpi: paperDPI, v: make([]float64, b.W*b.H*n*n)}
	for y := range f.h {
		for x := range f.w {
			if !b.Black(x/n, y/n) {
				f.v[y*f.w+x] = 1
			}
		}
	}
	return f
}

// upsample is a 300-dpi bitmap (a latent mask) on the 600-dpi grid.
func upsample(b *pages.Bitmap, dpi int) *pages.Bitmap {
	n := paperDPI / dpi
	if n == 1 {
		return b
	}
	o := pages.NewBitmap(b.W*n, b.H*n)
	for y := range o.H {
		row := o.Row(y)
		for x := range o.W {
			if b.Black(x/n, y/n) {
				row[x>>3] |= 0x80 >> uint(x&7)
			}
		}
	}
	return o
}

// scanKernel is the 1-D response of a 600-dpi sensor aperture, displaced
// by phase pixels, to the page pixels at offsets −r…r: the optics'
// Gaussian (σ in pixels) convolved with the page pixel's box and the
// aperture's box (a triangle of base 2 px), integrated numerically.
func scanKernel(sigma, phase float64) []float64 {
	r := int(math.Ceil(4*sigma+phase)) + 1
	k := make([]float64, 2*r+1)
	const steps = 400
	sum := 0.0
	for d := -r; d <= r; d++ {
		s := 0.0
		for i := range steps {
			u := -1 + (float64(i)+0.5)*2/steps
			g := float64(d) - phase - u
			s += (1 - math.Abs(u)) * math.Exp(-g*g/(2*sigma*sigma))
		}
		k[d+r] = s
		sum += s
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// gaussKernel is a sampled, normalised Gaussian of σ pixels.
func gaussKernel(sigma float64) []float64 {
	r := int(math.Ceil(4*sigma)) + 1
	k := make([]float64, 2*r+1)
	sum := 0.0
	for d := -r; d <= r; d++ {
		k[d+r] = math.Exp(-float64(d*d) / (2 * sigma * sigma))
		sum += k[d+r]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// convolve applies the separable kernel k along both axes: out(x) =
// Σ_j k[j]·f(x + j − r). wrap makes the field periodic (a tile);
// otherwise edges are clamped.
func convolve(f field, k []float64, wrap bool) field {
	r := len(k) / 2
	// pass filters each line of n values (stride apart, from off) of src
	// into dst, through a padded copy of the line.
	buf := make([]float64, max(f.w, f.h)+2*r)
	pass := func(dst, src []float64, off, stride, n int) {
		line := buf[:n+2*r]
		for i := range line {
			j := i - r
			if wrap {
				j = mod(j, n)
			} else {
				j = min(max(j, 0), n-1)
			}
			line[i] = src[off+j*stride]
		}
		for x := range n {
			s := 0.0
			for j, kv := range k {
				s += kv * line[x+j]
			}
			dst[off+x*stride] = s
		}
	}
	tmp := make([]float64, len(f.v))
	for y := range f.h {
		pass(tmp, f.v, y*f.w, 1, f.w)
	}
	out := field{w: f.w, h: f.h, dpi: f.dpi, v: make([]float64, len(f.v))}
	for x := range f.w {
		pass(out.v, tmp, x, f.w, f.h)
	}
	return out
}

// mmToPx converts millimetres to (fractional) pixels at dpi.
func mmToPx(mm float64, dpi int) float64 { return mm * float64(dpi) / 25.4 }

// copier is a photocopier in text mode.
type copier struct {
	dpi       int     // scan (and print) resolution: 300 or 600
	sigmaMM   float64 // optics' Gaussian point spread
	threshold float64 // reflectance below which a scanned pixel prints black
	phase     float64 // sensor grid offset against the page, in 600-dpi pixels, [0, 600/dpi)
}

// scan returns what the copier's sensor reads from f (a 600-dpi field):
// reflectances at the copier's dpi. A 300-dpi sensor pixel is two
// adjacent 600-dpi apertures on each axis.
func (c copier) scan(f field, wrap bool) field {
	n := paperDPI / c.dpi
	o := int(math.Floor(c.phase))
	s := convolve(f, scanKernel(mmToPx(c.sigmaMM, paperDPI), c.phase-float64(o)), wrap)
	return blocks(s, n, o)
}

// copyOf is the bilevel copy of f at the copier's dpi, as a field.
func (c copier) copyOf(f field, wrap bool) field {
	s := c.scan(f, wrap)
	for i, v := range s.v {
		if v < c.threshold {
			s.v[i] = 0
		} else {
			s.v[i] = 1
		}
	}
	return s
}

// blocks averages n×n blocks starting at offset o (wrapping at the edge).
func blocks(f field, n, o int) field {
	if n == 1 && o == 0 {
		return f
	}
	out := field{w: f.w / n, h: f.h / n, dpi: f.dpi / n}
	out.v = make([]float64, out.w*out.h)
	for y := range out.h {
		for x := range out.w {
			s := 0.0
			for j := range n {
				for i := range n {
					s += f.at((x*n+i+o)%f.w, (y*n+j+o)%f.h)
				}
			}
			out.v[y*out.w+x] = s / float64(n*n)
		}
	}
	return out
}

// readingSigmaMM is the reader's blur: detail finer than about 0.1 mm is
// not resolved at reading distance (docs/groundpattern.md).
const readingSigmaMM = 0.1

// seen is f as a reader sees it: blurred to σ mm.
func seen(f field, sigmaMM float64, wrap bool) field {
	return convolve(f, gaussKernel(mmToPx(sigmaMM, f.dpi)), wrap)
}

// regions labels each pixel of a field at dpi from the 600-dpi latent
// bitmap, grouped in blocks from offset o as blocks does: 1 in the word
// (every 600-dpi pixel in a word cell), 0 in the background (none), −1 on
// a word edge.
func regions(latent *pages.Bitmap, dpi, o int) []int8 {
	n := paperDPI / dpi
	w, h := latent.W/n, latent.H/n
	out := make([]int8, w*h)
	for y := range h {
		for x := range w {
			c := 0
			for j := range n {
				for i := range n {
					if latent.Black((x*n+i+o)%latent.W, (y*n+j+o)%latent.H) {
						c++
					}
				}
			}
			switch c {
			case 0:
				out[y*w+x] = 0
			case n * n:
				out[y*w+x] = 1
			default:
				out[y*w+x] = -1
			}
		}
	}
	return out
}

// contrast is how the latent word stands out from the background in a
// field as seen. tone is the Weber contrast of the mean reflectances,
// (background − word) / background, positive when the word is darker;
// texture is the difference of the standard deviations (word −
// background) over the background's mean: the residual dot pattern the
// reader's blur leaves; edge is localTone: the outline the word's edges
// leave.
type contrast struct {
	tone, texture, edge float64
	bg, word            float64 // mean reflectances
}

func measure(f field, reg []int8) contrast {
	var n, s, ss [2]float64
	for i, v := range f.v {
		r := reg[i]
		if r < 0 {
			continue
		}
		n[r]++
		s[r] += v
		ss[r] += v * v
	}
	mean := [2]float64{s[0] / n[0], s[1] / n[1]}
	sd := func(i int) float64 { return math.Sqrt(math.Max(0, ss[i]/n[i]-mean[i]*mean[i])) }
	return contrast{
		tone:    (mean[0] - mean[1]) / mean[0],
		texture: (sd(1) - sd(0)) / mean[0],
		bg:      mean[0],
		word:    mean[1],
	}
}

// localTone is the largest departure of the page's local tone from its
// mean, as a Weber contrast, at the 99.9th percentile over the tile:
// local tone is f averaged over one period of the pattern (nx × ny
// pixels), which removes both dot lattices exactly and leaves what the
// word's edges change.
func localTone(f field, nx, ny int) float64 {
	b := boxAverage(f, nx, ny)
	mean := 0.0
	for _, v := range b.v {
		mean += v / float64(len(b.v))
	}
	devs := make([]float64, len(b.v))
	for i, v := range b.v {
		devs[i] = math.Abs(v-mean) / mean
	}
	sort.Float64s(devs)
	return devs[len(devs)*999/1000]
}

// boxAverage averages a periodic field over nx × ny windows.
func boxAverage(f field, nx, ny int) field {
	tmp := make([]float64, len(f.v))
	for y := range f.h {
		for x := range f.w {
			s := 0.0
			for i := range nx {
				s += f.at(mod(x+i, f.w), y)
			}
			tmp[y*f.w+x] = s / float64(nx)
		}
	}
	out := field{w: f.w, h: f.h, dpi: f.dpi, v: make([]float64, len(f.v))}
	for y := range f.h {
		for x := range f.w {
			s := 0.0
			for j := range ny {
				s += tmp[mod(y+j, f.h)*f.w+x]
			}
			out.v[y*f.w+x] = s / float64(ny)
		}
	}
	return out
}

// copyContrast is the latent word's contrast on the copy c makes of the
// pattern tile t printed at dpi, seen by a reader.
func copyContrast(t tile, dpi int, c copier) contrast {
	lat := upsample(t.latent, dpi)
	cp := c.copyOf(fromBitmap(t.ink, dpi), true)
	return measure(seen(cp, readingSigmaMM, true), regions(lat, c.dpi, int(math.Floor(c.phase))))
}

// originalContrast is the latent word's contrast on the original, the
// tile of design d printed at dpi, seen by a reader with blur σ mm.
func originalContrast(t tile, d design, dpi int, sigmaMM float64) contrast {
	lat := upsample(t.latent, dpi)
	s := seen(fromBitmap(t.ink, dpi), sigmaMM, true)
	m := measure(s, regions(lat, paperDPI, 0))
	nx, ny := d.periods()
	n := paperDPI / dpi
	m.edge = localTone(s, nx*n, ny*n)
	return m
}
