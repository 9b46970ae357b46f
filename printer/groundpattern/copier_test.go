package groundpattern

import (
	"fmt"
	"math"
	"testing"

	"kofu/protocol/pages"
)

// The figures of docs/groundpattern.md, "The numbers and why". Contrast
// is Weber contrast against the background's mean reflectance, measured
// on the page as a reader sees it (blurred to readingSigmaMM).
const (
	// On the original the word must not be seen: its mean tone within
	// 1 % of the background's (half the ~2 % Weber fraction of tone
	// discrimination), the residual texture of its dots within 2 % RMS of
	// the background's, and the local tone along its edges (the outline)
	// within 2 % of the page's.
	originalMaxTone    = 0.01
	originalMaxTexture = 0.02
	originalMaxEdge    = 0.02
	// On a copy the word must be plain: at the nominal copier, averaged
	// over the scan's phase against the page, at least 0.10 (five times
	// the Weber fraction); at every copier setting of the envelope and
	// every phase, at least 0.05; and the background dropped, its copy at
	// least 0.99 white.
	copyMinNominal    = 0.10
	copyMinEnvelope   = 0.05
	copyBackgroundMin = 0.99
)

// The nominal copier: Gaussian optics of σ = 0.035 mm (an MTF of 40 %
// at 5.9 line pairs per mm with the sensor's aperture) and a text-mode
// threshold at 50 % reflectance.
const (
	nominalSigmaMM   = 0.035
	nominalThreshold = 0.5
)

// envelope is the set of copier settings the pattern is claimed to work
// for: the optics from a sharp scanner (σ = 0.02 mm, MTF 0.68 at 5.9
// lp/mm) to a soft one (σ = 0.045 mm, MTF 0.22) at the nominal threshold,
// and the threshold from 0.45 to 0.6 at the nominal optics. (At σ = 0.05
// a 300-dpi copier loses the word where its phase is worst: the chart in
// docs/groundpattern.md shows where the envelope ends.)
func envelope() []copier {
	var cs []copier
	for _, dpi := range []int{300, 600} {
		for _, s := range [][2]float64{
			{nominalSigmaMM, nominalThreshold},
			{0.02, nominalThreshold},
			{0.045, nominalThreshold},
			{nominalSigmaMM, 0.45},
			{nominalSigmaMM, 0.6},
		} {
			cs = append(cs, copier{dpi: dpi, sigmaMM: s[0], threshold: s[1]})
		}
	}
	return cs
}

// phases are the sensor grid's offsets against the page to try: whole
// and half pixels of the scan (the extremes, by symmetry).
func phases(dpi int) []float64 {
	if dpi == 300 {
		return []float64{0, 0.5, 1, 1.5}
	}
	return []float64{0, 0.5}
}

// overPhases measures the copy at every phase: the mean and the least
// contrast, and the least background reflectance.
func overPhases(t tile, dpi int, c copier) (mean, least, bg float64) {
	least, bg = math.Inf(1), math.Inf(1)
	ps := phases(c.dpi)
	for _, ph := range ps {
		c.phase = ph
		m := copyContrast(t, dpi, c)
		mean += m.tone / float64(len(ps))
		least = min(least, m.tone)
		bg = min(bg, m.bg)
	}
	return mean, least, bg
}

// TestCopierModel: the premises, on single dots: the model's kernels are
// normalised, paper scans white and toner black, and at the nominal
// copier a 600-dpi pixel is dropped, a 3×3 dot kept; a 300-dpi pixel
// (2×2 at 600) is kept by a sharp copier.
func TestCopierModel(t *testing.T) {
	for _, k := range [][]float64{scanKernel(0.83, 0), scanKernel(0.83, 0.5), gaussKernel(2.36)} {
		s := 0.0
		for _, v := range k {
			s += v
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("kernel sums to %v", s)
		}
	}
	dot := func(side int) field {
		b := pages.NewBitmap(48, 48)
		o := (48 - side) / 2
		for y := o; y < o+side; y++ {
			for x := o; x < o+side; x++ {
				b.Row(y)[x>>3] |= 0x80 >> uint(x&7)
			}
		}
		return fromBitmap(b, paperDPI)
	}
	darkest := func(f field, c copier) float64 {
		m := 1.0
		for _, v := range c.scan(f, true).v {
			m = min(m, v)
		}
		return m
	}
	nominal := copier{dpi: 600, sigmaMM: nominalSigmaMM, threshold: nominalThreshold}
	sharp := copier{dpi: 600, sigmaMM: 0.02, threshold: nominalThreshold}
	for _, tc := range []struct {
		name string
		f    field
		c    copier
		kept bool
	}{
		{"paper", dot(0), nominal, false},
		{"600-dpi pixel, nominal copier", dot(1), nominal, false},
		{"600-dpi pixel, sharp copier", dot(1), sharp, false},
		{"3×3 dot, nominal copier", dot(3), nominal, true},
		{"300-dpi pixel, sharp copier", dot(2), sharp, true},
		{"toner", dot(48), nominal, true},
	} {
		if got := darkest(tc.f, tc.c) < tc.c.threshold; got != tc.kept {
			t.Errorf("%s: kept %v, want %v", tc.name, got, tc.kept)
		}
	}
}

// TestLatentWordOnOriginal: the original as a reader sees it, at 600 dpi.
func TestLatentWordOnOriginal(t *testing.T) {
	p := standardPattern(t)
	m := originalContrast(p.t, p.d, DPI, readingSigmaMM)
	t.Logf("original: tone %.4f, texture %.4f, edge %.4f (background %.3f, word %.3f)", m.tone, m.texture, m.edge, m.bg, m.word)
	if math.Abs(m.tone) >= originalMaxTone || math.Abs(m.texture) >= originalMaxTexture || m.edge >= originalMaxEdge {
		t.Errorf("original: tone %.4f (bound %v), texture %.4f (bound %v), edge %.4f (bound %v)",
			m.tone, originalMaxTone, m.texture, originalMaxTexture, m.edge, originalMaxEdge)
	}
	// The word's cells are moved off the dots because centred on them
	// the edge runs along the dots' white moats: a stronger outline.
	d := p.d
	d.split = [2]int{0, 0}
	onDots, err := buildTile(parseFont(t), DPI, d)
	if err != nil {
		t.Fatal(err)
	}
	if e := originalContrast(onDots, d, DPI, readingSigmaMM).edge; e < 1.3*m.edge {
		t.Errorf("cells on the dots: edge %.4f, the standard design's %.4f", e, m.edge)
	}
	// The background is the tint the pattern prints: 1 − 1/4.
	if math.Abs(m.bg-0.75) > 0.005 {
		t.Errorf("background reflectance %.4f, want 0.75", m.bg)
	}
}

// TestLatentWordOnCopy: copies at 300 and 600 dpi across the envelope,
// every phase. With -short, the nominal copier only.
func TestLatentWordOnCopy(t *testing.T) {
	p := standardPattern(t)
	for _, c := range envelope() {
		nominal := c.sigmaMM == nominalSigmaMM && c.threshold == nominalThreshold
		if testing.Short() && !nominal {
			continue
		}
		t.Run(fmt.Sprintf("%ddpi/σ%.3f/T%.2f", c.dpi, c.sigmaMM, c.threshold), func(t *testing.T) {
			mean, least, bg := overPhases(p.t, DPI, c)
			t.Logf("copy contrast: mean %.3f, least %.3f; background %.3f", mean, least, bg)
			if least < copyMinEnvelope || bg < copyBackgroundMin {
				t.Errorf("least contrast %.3f (bound %v), background %.3f (bound %v)", least, copyMinEnvelope, bg, copyBackgroundMin)
			}
			if nominal && mean < copyMinNominal {
				t.Errorf("mean contrast %.3f at the nominal copier, bound %v", mean, copyMinNominal)
			}
		})
	}
}

// TestAt300DPI is why New refuses 300 dpi: the same design at 300 dpi
// (fine dots 0.085 mm, coarse 0.25 mm) shows the word on the original,
// and a sharp copier keeps the background, hiding the word on the copy.
func TestAt300DPI(t *testing.T) {
	p, err := newPattern(parseFont(t), 300, standardDesign())
	if err != nil {
		t.Fatal(err)
	}
	m := originalContrast(p.t, p.d, 300, readingSigmaMM)
	if math.Abs(m.texture) < originalMaxTexture {
		t.Errorf("300 dpi: texture on the original %.4f, expected over %v", m.texture, originalMaxTexture)
	}
	_, least, bg := overPhases(p.t, 300, copier{dpi: 600, sigmaMM: 0.02, threshold: nominalThreshold})
	if least >= copyMinEnvelope && bg >= copyBackgroundMin {
		t.Errorf("300 dpi, sharp copier: contrast %.3f, background %.3f: the copy works", least, bg)
	}
	t.Logf("300 dpi: original texture %.3f; sharp 600-dpi copier: least contrast %.3f, background %.3f", m.texture, least, bg)
}

// TestMeasureCanFail: the measurement tells a wrong pattern from a right
// one. A pattern whose word cells keep their fine dots as well as the
// coarse dot is darker on the original; one with no coarse dots shows no
// word on the copy.
func TestMeasureCanFail(t *testing.T) {
	p := standardPattern(t)
	d := p.d
	both := tile{ink: p.t.ink.Clone(), latent: p.t.latent}
	fineOnly := tile{ink: p.t.ink.Clone(), latent: p.t.latent}
	for y := range both.ink.H {
		for x := range both.ink.W {
			if !p.t.latent.Black(x, y) {
				continue
			}
			bit := byte(0x80) >> uint(x&7)
			if d.fine(x, y) {
				both.ink.Row(y)[x>>3] |= bit
				fineOnly.ink.Row(y)[x>>3] |= bit
			} else {
				fineOnly.ink.Row(y)[x>>3] &^= bit
			}
		}
	}
	if m := originalContrast(both, d, DPI, readingSigmaMM); m.tone < 2*originalMaxTone {
		t.Errorf("double ink in the word: original tone %.4f, not seen", m.tone)
	}
	nominal := copier{dpi: 600, sigmaMM: nominalSigmaMM, threshold: nominalThreshold}
	if mean, _, _ := overPhases(fineOnly, DPI, nominal); mean >= copyMinEnvelope {
		t.Errorf("no coarse dots: copy contrast %.4f", mean)
	}
}
