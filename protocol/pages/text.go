package pages

import (
	"image"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// face is one font size at one dpi as one Render or Stamp call uses it: a
// private map of the glyphs it already used (no lock on the hot path) in
// front of the Renderer's shared, bounded glyph cache for that size.
type face struct {
	ascent  int // pixels above the baseline
	descent int // pixels below the baseline
	em      int // nominal size in pixels
	shared  *glyphCache
	glyphs  map[rune]*glyph
}

// glyph is a rasterized glyph placed with its origin on an integer pixel;
// hinting is off, and at 300/600 dpi whole-pixel placement is invisible.
// A glyph never changes once rasterized, so pages share them.
type glyph struct {
	dx, dy int // offset of the mask's top-left corner from the origin
	w, h   int
	mask   []uint8 // coverage, w*h, stride w
	adv    fixed.Int26_6
}

// maxSharedGlyphs bounds each size's shared glyph cache. Certificates use
// a few hundred distinct characters; past the bound (hostile text with
// thousands of distinct runes) glyphs are rasterized for the call only.
const maxSharedGlyphs = 4096

// glyphCache is one font size at one dpi, shared by every call of a
// Renderer: the opentype face (not safe for concurrent use, so only used
// under mu) and the glyphs it rasterized.
type glyphCache struct {
	ascent, descent, em int

	mu sync.Mutex
	f  font.Face
	m  map[rune]*glyph
}

func newGlyphCache(f *opentype.Font, sizePt float64, dpi int) (*glyphCache, error) {
	ff, err := opentype.NewFace(f, &opentype.FaceOptions{Size: sizePt, DPI: float64(dpi), Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	m := ff.Metrics()
	return &glyphCache{
		f:       ff,
		ascent:  m.Ascent.Ceil(),
		descent: m.Descent.Ceil(),
		em:      int(sizePt*float64(dpi)/72 + 0.5),
		m:       make(map[rune]*glyph),
	}, nil
}

// face returns a per-call view of the cache.
func (gc *glyphCache) face() *face {
	return &face{ascent: gc.ascent, descent: gc.descent, em: gc.em, shared: gc, glyphs: make(map[rune]*glyph)}
}

func (gc *glyphCache) glyph(r rune) *glyph {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if g, ok := gc.m[r]; ok {
		return g
	}
	g := &glyph{}
	dr, mask, mp, adv, ok := gc.f.Glyph(fixed.Point26_6{}, r)
	if !ok {
		// Missing glyph: use the font's .notdef through U+FFFD's advance.
		dr, mask, mp, adv, _ = gc.f.Glyph(fixed.Point26_6{}, '\uFFFD')
	}
	g.adv = adv
	if a, isAlpha := mask.(*image.Alpha); isAlpha && !dr.Empty() {
		g.dx, g.dy, g.w, g.h = dr.Min.X, dr.Min.Y, dr.Dx(), dr.Dy()
		g.mask = make([]uint8, g.w*g.h)
		for y := 0; y < g.h; y++ {
			off := (mp.Y+y-a.Rect.Min.Y)*a.Stride + (mp.X - a.Rect.Min.X)
			copy(g.mask[y*g.w:(y+1)*g.w], a.Pix[off:off+g.w])
		}
	}
	if len(gc.m) < maxSharedGlyphs {
		gc.m[r] = g
	}
	return g
}

func (fc *face) glyph(r rune) *glyph {
	if g, ok := fc.glyphs[r]; ok {
		return g
	}
	g := fc.shared.glyph(r)
	fc.glyphs[r] = g
	return g
}

// measure returns the advance width of s in pixels, with extra pixels of
// tracking after each rune but the last.
func (fc *face) measure(s string, tracking int) int {
	var x fixed.Int26_6
	n := 0
	for _, r := range s {
		x += fc.glyph(r).adv
		n++
	}
	if n > 1 {
		x += fixed.I(tracking * (n - 1))
	}
	return x.Round()
}

// text draws s with its baseline at y, starting at x, in grey level ink
// ("darken" blending: a pixel only ever gets darker). It returns the
// advance in pixels.
func (c *canvas) text(fc *face, x, y int, s string, ink uint8, tracking int) int {
	dot := fixed.I(x)
	first := true
	for _, r := range s {
		if !first {
			dot += fixed.I(tracking)
		}
		first = false
		g := fc.glyph(r)
		c.blit(g, dot.Round(), y, ink)
		dot += g.adv
	}
	return dot.Round() - x
}

// blit composites a glyph mask at origin (ox, oy).
func (c *canvas) blit(g *glyph, ox, oy int, ink uint8) {
	if g.w == 0 {
		return
	}
	x0, y0 := ox+g.dx, oy+g.dy
	cx0, cy0, cx1, cy1, ok := c.clip(x0, y0, x0+g.w, y0+g.h)
	if !ok {
		return
	}
	span := int(255 - ink)
	for y := cy0; y < cy1; y++ {
		m := g.mask[(y-y0)*g.w+(cx0-x0) : (y-y0)*g.w+(cx1-x0)]
		d := c.pix[c.off(cx0, y):c.off(cx1, y)]
		for i, a := range m {
			if a == 0 {
				continue
			}
			v := uint8(255 - (span*int(a)+127)/255)
			if v < d[i] {
				d[i] = v
			}
		}
	}
}

// noLineStart lists the runes that must not begin a line (行頭禁則).
const noLineStart = "、。，．・：；？！ー）」』】〕］｝〉》ぁぃぅぇぉっゃゅょァィゥェォッャュョ)]},.:;!?"

// wrap breaks s into lines no wider than width pixels. Japanese text breaks
// between any two runes; a rune that must not start a line hangs at the
// end of the previous one. Explicit newlines are kept.
func (fc *face) wrap(s string, width int) []string {
	var lines []string
	for len(s) > 0 {
		var x fixed.Int26_6
		limit := fixed.I(width)
		cut := len(s)
		for i, r := range s {
			if r == '\n' {
				cut = i
				break
			}
			adv := fc.glyph(r).adv
			if x+adv > limit && i > 0 {
				cut = i
				// Hang a forbidden line-start rune on this line.
				if isNoLineStart(r) {
					cut = i + utf8.RuneLen(r)
				}
				break
			}
			x += adv
		}
		lines = append(lines, s[:cut])
		s = s[cut:]
		if len(s) > 0 && s[0] == '\n' {
			s = s[1:]
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

func isNoLineStart(r rune) bool {
	for _, x := range noLineStart {
		if x == r {
			return true
		}
	}
	return false
}
