package groundpattern

import (
	"errors"
	"image"
	"math"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

func TestStandardDesignValid(t *testing.T) {
	d := standardDesign()
	if err := d.validate(); err != nil {
		t.Fatal(err)
	}
	if got := d.coverage(); got != 0.25 {
		t.Errorf("coverage %v, want 1/4", got)
	}
}

// TestDesignValidateRefuses shows validate catching each broken premise
// of the equal-tone argument.
func TestDesignValidateRefuses(t *testing.T) {
	for name, mut := range map[string]func(*design){
		"touching fine dots":        func(d *design) { d.u, d.v = [2]int{1, 1}, [2]int{-1, 1} },
		"coarse not in fine":        func(d *design) { d.cu = [2]int{5, 0}; d.cv = [2]int{0, 7} },
		"index differs from dot":    func(d *design) { d.dot = d.dot[:8] },
		"dot pixel in another cell": func(d *design) { d.dot = append(d.dot[:8], [2]int{3, 3}) },
		"repeated dot pixel":        func(d *design) { d.dot = append(d.dot[:8], [2]int{0, 0}) },
		"negative orientation":      func(d *design) { d.cu, d.cv = d.cv, d.cu },
	} {
		d := standardDesign()
		mut(&d)
		if err := d.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEveryCellHasTheSameInk: the tone argument, checked pixel by pixel
// on the real tile: every word cell (the unit the word is drawn in) has
// the area of the coarse lattice's determinant and exactly len(dot) black
// pixels, word or not; its black pixels are exactly the coarse dots'
// pixels in a word cell and the fine lattice points in a background cell.
func TestEveryCellHasTheSameInk(t *testing.T) {
	p := standardPattern(t)
	d, ink, lat := p.d, p.t.ink, p.t.latent
	type cellStat struct{ area, ink, word, wrong int }
	cells := map[image.Point]*cellStat{}
	for y := range ink.H {
		for x := range ink.W {
			wx, wy := d.wordCell(x, y)
			k := image.Pt(mod(wx, ink.W), mod(wy, ink.H))
			c := cells[k]
			if c == nil {
				c = &cellStat{}
				cells[k] = c
			}
			c.area++
			black, word := ink.Black(x, y), lat.Black(x, y)
			if black {
				c.ink++
			}
			if word {
				c.word++
			}
			want := d.fine(x, y)
			if word {
				cx, cy := d.cell(x, y)
				want = d.coarse(x, y, cx, cy)
			}
			if black != want {
				c.wrong++
			}
		}
	}
	area := det(d.cu, d.cv)
	if len(cells)*area != ink.W*ink.H {
		t.Fatalf("%d cells of %d px do not tile %d×%d", len(cells), area, ink.W, ink.H)
	}
	words := 0
	for k, c := range cells {
		if c.area != area || c.ink != len(d.dot) || c.wrong != 0 || (c.word != 0 && c.word != area) {
			t.Fatalf("cell at %v: %+v, want area %d, ink %d, word all or none", k, *c, area, len(d.dot))
		}
		if c.word > 0 {
			words++
		}
	}
	if words == 0 || words == len(cells) {
		t.Fatalf("%d of %d cells in the word", words, len(cells))
	}
	// Hence exactly a quarter of the tile is black.
	if n := countBlack(ink); 4*n != ink.W*ink.H {
		t.Errorf("%d of %d pixels black, want exactly 1/4", n, ink.W*ink.H)
	}
}

// TestTileIsSeamless: the tile's pixels are the design's rule evaluated
// at absolute page coordinates over a 2×2 repetition, so the pattern has
// no seam where tiles meet; and its rows repeat byte-aligned.
func TestTileIsSeamless(t *testing.T) {
	p := standardPattern(t)
	d, ink, lat := p.d, p.t.ink, p.t.latent
	if ink.W%8 != 0 {
		t.Fatalf("tile width %d is not a multiple of 8", ink.W)
	}
	nx, ny := d.periods()
	if ink.W%nx != 0 || ink.H%ny != 0 {
		t.Fatalf("tile %d×%d, periods %d×%d", ink.W, ink.H, nx, ny)
	}
	for y := range 2 * ink.H {
		for x := range 2 * ink.W {
			want := d.fine(x, y)
			if wx, wy := d.wordCell(x, y); lat.Black(mod(wx, ink.W), mod(wy, ink.H)) {
				cx, cy := d.cell(x, y)
				want = d.coarse(x, y, cx, cy)
			}
			if got := ink.Black(x%ink.W, y%ink.H); got != want {
				t.Fatalf("(%d, %d): %v, design says %v", x, y, got, want)
			}
		}
	}
}

// TestDotsAsDrawn: in the background no black pixel touches another (the
// fine dots a copier drops); in the word every black pixel lies in a 3×3
// square of pixels that are black or outside the word (the coarse dots a
// copier keeps, cut only by the word's edge), and most word pixels' dots
// are whole.
func TestDotsAsDrawn(t *testing.T) {
	p := standardPattern(t)
	ink, lat := p.t.ink, p.t.latent
	at := func(b interface{ Black(x, y int) bool }, x, y int) bool {
		return b.Black(mod(x, ink.W), mod(y, ink.H))
	}
	whole, cut := 0, 0
	for y := range ink.H {
		for x := range ink.W {
			if !ink.Black(x, y) {
				continue
			}
			if !lat.Black(x, y) {
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						if (dx != 0 || dy != 0) && at(ink, x+dx, y+dy) && !at(lat, x+dx, y+dy) {
							t.Fatalf("fine dot at (%d, %d) touches (%d, %d)", x, y, x+dx, y+dy)
						}
					}
				}
				continue
			}
			inSquare, full := false, false
			for oy := -2; oy <= 0; oy++ {
				for ox := -2; ox <= 0; ox++ {
					ok, all := true, true
					for j := range 3 {
						for i := range 3 {
							b := at(ink, x+ox+i, y+oy+j)
							ok = ok && (b || !at(lat, x+ox+i, y+oy+j))
							all = all && b
						}
					}
					inSquare = inSquare || ok
					full = full || all
				}
			}
			if !inSquare {
				t.Fatalf("word pixel (%d, %d) in no 3×3 dot", x, y)
			}
			if full {
				whole++
			} else {
				cut++
			}
		}
	}
	if whole < 3*cut {
		t.Errorf("%d word pixels in whole dots, %d in dots cut by the edge", whole, cut)
	}
}

// TestLatentIsTheWord: the word's cells cover what 「複写」 covers when set
// independently at the same size, twice per tile; a missing row, a wrong
// size or an empty mask fails.
func TestLatentIsTheWord(t *testing.T) {
	f := parseFont(t)
	p, err := newPattern(f, DPI, standardDesign())
	if err != nil {
		t.Fatal(err)
	}
	em := p.d.emMM * DPI / 25.4
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: em * 72 / DPI, DPI: DPI, Hinting: font.HintingNone})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	b, _ := font.BoundString(face, Word)
	r := image.Rect(b.Min.X.Floor()-2, b.Min.Y.Floor()-2, b.Max.X.Ceil()+2, b.Max.Y.Ceil()+2)
	mask := image.NewAlpha(r)
	(&font.Drawer{Dst: mask, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{}}).DrawString(Word)
	glyph := 0.0
	for _, a := range mask.Pix {
		glyph += float64(a) / 255
	}
	want := 2 * glyph / float64(p.t.latent.W*p.t.latent.H)
	got := float64(countBlack(p.t.latent)) / float64(p.t.latent.W*p.t.latent.H)
	if math.Abs(got-want) > 0.1*want {
		t.Errorf("word cells cover %.4f of the tile, the word set twice covers %.4f", got, want)
	}
}

func TestNewRefusesOtherResolutions(t *testing.T) {
	ttf := readFont(t)
	for _, dpi := range []int{0, 300, 1200} {
		p, err := New(ttf, dpi)
		var e *Error
		if p != nil || !errors.Is(err, ErrResolution) || !errors.As(err, &e) || e.Kind != KindResolution {
			t.Errorf("New at %d dpi: %v, %v", dpi, p, err)
		}
	}
}

func TestNewRefusesFont(t *testing.T) {
	for name, ttf := range map[string][]byte{
		"not a font":         []byte("not a font"),
		"no Japanese glyphs": goregular.TTF,
	} {
		p, err := New(ttf, DPI)
		if p != nil || !errors.Is(err, ErrFont) {
			t.Errorf("%s: %v, %v", name, p, err)
		}
	}
}

func TestPatternDescribes(t *testing.T) {
	p := standardPattern(t)
	if p.DPI() != DPI || p.Coverage() != 0.25 || p.String() == "" {
		t.Errorf("DPI %d, coverage %v, %q", p.DPI(), p.Coverage(), p.String())
	}
}
