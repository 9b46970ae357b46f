package groundpattern

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"kofu/protocol/pages"
)

// Word is the latent word: it appears on a photocopy.
const Word = "複写"

// DPI is the only resolution at which a void pantograph is built: a fine
// dot is one printer pixel, and only at 600 dpi (0.042 mm) is one pixel
// small enough for a copier to drop; at 300 dpi (0.085 mm) copiers keep
// it (measured in docs/groundpattern.md).
const DPI = 600

// design is the geometry of a void pantograph, in printer pixels.
//
// Fine dots are single pixels on the lattice spanned by u and v. Coarse
// dots are the pixel set dot centred on the points of the coarse lattice
// spanned by cu and cv, a sublattice of the fine one whose index is the
// dot's pixel count. A coarse cell (the fundamental domain of the coarse
// lattice around a point) therefore holds exactly len(dot) fine points:
// a cell drawn fine and a cell drawn coarse have the same number of black
// pixels, the same tone cell by cell, whatever the shape of the word.
type design struct {
	u, v   [2]int   // fine lattice basis
	cu, cv [2]int   // coarse lattice basis
	dot    [][2]int // the coarse dot's pixels, offsets from its centre
	// split is where the word's cells sit against the dots: cells of the
	// coarse lattice centred at each dot plus split. Cells centred on the
	// dots put the word's edge along the white moat around them, which a
	// reader sees as a faint outline; moved off the dots, the edge cuts
	// some dots and the outline weakens (docs/groundpattern.md).
	split [2]int
	emMM  float64 // em size of the latent word
	// The word is set in two rows per tile, the second shifted by half a
	// tile, with gapEM of space between repetitions along a row.
	gapEM float64
}

// standardDesign is kofu's pattern (docs/groundpattern.md): fine dots of
// one pixel (0.042 mm) on the densest lattice whose dots do not touch,
// (2, 0) and (1, 2), coverage 1/4; coarse dots of 3×3 pixels (0.127 mm)
// on the lattice three times coarser, (6, 0) and (3, 6), nearly
// hexagonal with a pitch of 6–6.7 px (0.25–0.28 mm); the word's cells
// centred (1, 3) px off the dots; the word at a 16 mm em.
func standardDesign() design {
	return design{
		u: [2]int{2, 0}, v: [2]int{1, 2},
		cu: [2]int{6, 0}, cv: [2]int{3, 6},
		dot:   squareDot(3),
		split: [2]int{1, 3},
		emMM:  16, gapEM: 0.9,
	}
}

// squareDot is a k×k square, k odd.
func squareDot(k int) [][2]int {
	var d [][2]int
	for y := -k / 2; y <= k/2; y++ {
		for x := -k / 2; x <= k/2; x++ {
			d = append(d, [2]int{x, y})
		}
	}
	return d
}

func det(a, b [2]int) int { return a[0]*b[1] - a[1]*b[0] }

// coverage is the fraction of black pixels, fine or coarse.
func (d design) coverage() float64 { return 1 / float64(det(d.u, d.v)) }

// inLattice reports whether (x, y) is a point of the lattice spanned by
// a and b (det(a, b) > 0).
func inLattice(a, b [2]int, x, y int) bool {
	n := det(a, b)
	return (b[1]*x-b[0]*y)%n == 0 && (-a[1]*x+a[0]*y)%n == 0
}

// validate checks what the equal-tone argument needs: positive bases,
// the coarse lattice inside the fine one with index len(dot), every dot
// pixel inside its own cell, and fine dots that do not touch (no fine
// lattice vector within one pixel, diagonals included).
func (d design) validate() error {
	fd, cd := det(d.u, d.v), det(d.cu, d.cv)
	switch {
	case fd <= 0 || cd <= 0:
		return fmt.Errorf("bases not positively oriented")
	case !inLattice(d.u, d.v, d.cu[0], d.cu[1]) || !inLattice(d.u, d.v, d.cv[0], d.cv[1]):
		return fmt.Errorf("coarse lattice not inside the fine one")
	case cd != fd*len(d.dot):
		return fmt.Errorf("coarse lattice of index %d/%d, dot of %d pixels", cd, fd, len(d.dot))
	}
	seen := map[[2]int]bool{}
	for _, o := range d.dot {
		if cx, cy := d.cell(o[0], o[1]); cx != 0 || cy != 0 || seen[o] {
			return fmt.Errorf("dot pixel %v outside its cell or repeated", o)
		}
		seen[o] = true
	}
	for y := -1; y <= 1; y++ {
		for x := -1; x <= 1; x++ {
			if (x != 0 || y != 0) && inLattice(d.u, d.v, x, y) {
				return fmt.Errorf("fine dots touch")
			}
		}
	}
	return nil
}

// periods are the smallest nx, ny > 0 with (nx, 0) and (0, ny) in the
// coarse lattice: the pattern repeats every nx pixels across and ny down.
func (d design) periods() (nx, ny int) {
	D := det(d.cu, d.cv)
	// (x, y) is in the coarse lattice when D divides both cv1·x − cv0·y
	// and −cu1·x + cu0·y.
	step := func(a, b int) int { return lcm(D/gcd(abs(a), D), D/gcd(abs(b), D)) }
	return step(d.cv[1], d.cu[1]), step(d.cv[0], d.cu[0])
}

// cell returns the centre of the coarse cell holding pixel (x, y): the
// nearest coarse lattice point in lattice coordinates, rounding half up.
func (d design) cell(x, y int) (cx, cy int) {
	D := det(d.cu, d.cv)
	i := floorDiv(2*(d.cv[1]*x-d.cv[0]*y)+D, 2*D)
	j := floorDiv(2*(-d.cu[1]*x+d.cu[0]*y)+D, 2*D)
	return i*d.cu[0] + j*d.cv[0], i*d.cu[1] + j*d.cv[1]
}

// wordCell returns the centre of the cell that decides whether pixel
// (x, y) is drawn as word or as background: the coarse cell around
// (x, y) − split, moved back by split. Any translate of a fundamental
// domain holds the same number of coarse-dot pixels and fine points, so
// these cells keep the equal-ink property.
func (d design) wordCell(x, y int) (cx, cy int) {
	cx, cy = d.cell(x-d.split[0], y-d.split[1])
	return cx + d.split[0], cy + d.split[1]
}

// fine reports whether (x, y) is a fine lattice point.
func (d design) fine(x, y int) bool { return inLattice(d.u, d.v, x, y) }

// coarse reports whether (x, y) is in the dot centred on (cx, cy).
func (d design) coarse(x, y, cx, cy int) bool {
	dx, dy := x-cx, y-cy
	for _, o := range d.dot {
		if o[0] == dx && o[1] == dy {
			return true
		}
	}
	return false
}

// tile is one period of the pattern at one dpi: ink (the pixels printed)
// and latent (the pixels whose cell belongs to the word). Its width is a
// multiple of 8, so its rows repeat byte-aligned across a page.
type tile struct {
	ink, latent *pages.Bitmap
}

// buildTile sets the word with f at dpi and draws the pattern.
func buildTile(f *opentype.Font, dpi int, d design) (tile, error) {
	if err := d.validate(); err != nil {
		return tile{}, fmt.Errorf("groundpattern: design: %w", err)
	}
	em := d.emMM * float64(dpi) / 25.4
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: em * 72 / float64(dpi), DPI: float64(dpi), Hinting: font.HintingNone})
	if err != nil {
		return tile{}, &Error{Kind: KindFont, Detail: "face", Err: err}
	}
	defer face.Close()
	var buf sfnt.Buffer
	for _, r := range Word {
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			return tile{}, &Error{Kind: KindFont, Detail: fmt.Sprintf("no glyph for %q", r), Err: err}
		}
	}
	wordW := font.MeasureString(face, Word).Ceil()
	nx, ny := d.periods()
	tw := roundUp(wordW+int(math.Round(d.gapEM*em)), lcm(nx, 8))
	th := roundUp(int(math.Round(2*1.9*em)), ny)

	// The word's coverage, drawn at every position that can reach the
	// tile so that the tile wraps seamlessly.
	mask := image.NewAlpha(image.Rect(0, 0, tw, th))
	m := face.Metrics()
	lineH := float64(th) / 2
	for row := range 2 {
		base := float64(row)*lineH + (lineH+float64(m.Ascent.Ceil())-float64(m.Descent.Ceil()))/2
		x0 := float64(tw-wordW)/2 + float64(row)*float64(tw)/2
		for _, dx := range []int{-tw, 0, tw} {
			dr := &font.Drawer{Dst: mask, Src: image.Opaque, Face: face,
				Dot: fixed.Point26_6{X: fixed.Int26_6((x0 + float64(dx)) * 64), Y: fixed.Int26_6(base * 64)}}
			dr.DrawString(Word)
		}
	}
	inWord := func(cx, cy int) bool {
		return mask.Pix[mod(cy, th)*mask.Stride+mod(cx, tw)] >= 0x80
	}

	t := tile{ink: pages.NewBitmap(tw, th), latent: pages.NewBitmap(tw, th)}
	words := 0
	for y := range th {
		ink, lat := t.ink.Row(y), t.latent.Row(y)
		for x := range tw {
			bit := byte(0x80) >> uint(x&7)
			if inWord(d.wordCell(x, y)) {
				lat[x>>3] |= bit
				words++
				if cx, cy := d.cell(x, y); d.coarse(x, y, cx, cy) {
					ink[x>>3] |= bit
				}
			} else if d.fine(x, y) {
				ink[x>>3] |= bit
			}
		}
	}
	if words == 0 {
		return tile{}, errorf(KindFont, "the word %s covers no cell at %d dpi", Word, dpi)
	}
	return t, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b int) int { return a / gcd(a, b) * b }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// mod is a mod b in [0, b) for b > 0.
func mod(a, b int) int { return ((a % b) + b) % b }

func roundUp(v, m int) int { return (v + m - 1) / m * m }

func checkDPI(dpi int) error {
	if dpi != DPI {
		return errorf(KindResolution,
			"%d dpi: a one-pixel fine dot would be %.3f mm, which a copier keeps; the pattern is built at %d dpi only",
			dpi, 25.4/float64(dpi), DPI)
	}
	return nil
}
