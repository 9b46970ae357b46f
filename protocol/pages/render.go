package pages

import (
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// Row is one line of a certificate's label/value table.
type Row struct {
	Label, Value string
}

// Spec is what the center renders on one page.
type Spec struct {
	DPI    int      // 300 or 600 only
	Title  string   // e.g. "住民票の写し"
	Issuer string   // e.g. "神奈川県横浜市長　横浜　太郎"
	Serial string   // issuer's document serial, printed small
	AsOf   string   // record version time, printed
	Rows   []Row    // label/value table: 氏名, 生年月日, 住所, 本籍 ...
	Notes  []string // free lines under the table
	N      int      // this page, 1-based
	Total  int      // pages in the document
	QRText string   // exact text of the page's single QR symbol
}

// Bounds on a Spec, so that a page always fits and rendering cost stays
// bounded whatever the caller passes.
const (
	maxRows      = 64
	maxNotes     = 32
	maxFieldLen  = 1024 // bytes per string field
	maxShortLen  = 64   // bytes for Title, Serial and AsOf
	maxPageTotal = 999
)

// Renderer renders certificate pages. It holds a parsed font, its faces
// with a bounded cache of rasterized glyphs, precomputed background tiles
// and, for EncodePage, a bounded cache of page templates; it is safe for
// concurrent use.
type Renderer struct {
	font      *opentype.Font
	tiles     [2]bgTile              // 300 and 600 dpi
	sizes     [2][nFaces]*glyphCache // per dpi (300, 600), per faceSet member
	zw        sync.Pool              // *flate.Writer at BestSpeed, reused by templates
	templates templateCache          // EncodePage's recent templates
	plans     planCache              // QR plans by version and mask
	marks     [2]markTile            // the back's anti-forgery mark, per dpi, drawn on first use
}

// The faces of a page, in faceSet order, and their sizes in points.
const nFaces = 6

var facePoints = [nFaces]float64{ptTitle, ptBody, ptSmall, ptIssuer, ptSeal, ptPage}

// dpiIndex maps 300 and 600 dpi to 0 and 1.
func dpiIndex(dpi int) int {
	if dpi == 600 {
		return 1
	}
	return 0
}

type bgTile struct {
	pix  []uint8
	size int
}

// NewRenderer parses a TrueType/OpenType font (an IPA font for Japanese).
func NewRenderer(ttf []byte) (*Renderer, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, wrapErr(KindRender, err, "parse font")
	}
	// The font must actually cover Japanese.
	var b sfnt.Buffer
	for _, r := range "住民票の写し" {
		if idx, err := f.GlyphIndex(&b, r); err != nil || idx == 0 {
			return nil, errorf(KindRender, "font has no glyph for %q", r)
		}
	}
	r := &Renderer{font: f}
	for i, dpi := range [2]int{300, 600} {
		r.tiles[i].pix, r.tiles[i].size = guillocheTile(dpi)
		for k, pt := range facePoints {
			gc, err := newGlyphCache(f, pt, dpi)
			if err != nil {
				return nil, wrapErr(KindRender, err, "font face")
			}
			r.sizes[i][k] = gc
		}
	}
	return r, nil
}

func (s *Spec) validate() error {
	if _, _, ok := PageSize(s.DPI); !ok {
		return errorf(KindRender, "dpi %d: only 300 and 600", s.DPI)
	}
	if s.Total < 1 || s.Total > maxPageTotal || s.N < 1 || s.N > s.Total {
		return errorf(KindRender, "page %d of %d", s.N, s.Total)
	}
	if s.QRText == "" {
		return errorf(KindRender, "empty QR text")
	}
	if len(s.Rows) > maxRows || len(s.Notes) > maxNotes {
		return errorf(KindRender, "too many rows (%d) or notes (%d)", len(s.Rows), len(s.Notes))
	}
	if len(s.Title) > maxShortLen || len(s.Serial) > maxShortLen || len(s.AsOf) > maxShortLen {
		return errorf(KindRender, "title, serial or as-of longer than %d bytes", maxShortLen)
	}
	fields := []string{s.Title, s.Issuer, s.Serial, s.AsOf, s.QRText}
	for _, r := range s.Rows {
		fields = append(fields, r.Label, r.Value)
	}
	fields = append(fields, s.Notes...)
	for _, f := range fields {
		if len(f) > maxFieldLen || !utf8.ValidString(f) {
			return errorf(KindRender, "field too long or not UTF-8")
		}
	}
	return nil
}

// Type sizes in points and ink levels.
const (
	ptTitle  = 22
	ptBody   = 10.5
	ptSmall  = 7.5
	ptIssuer = 12
	ptSeal   = 13
	ptPage   = 9

	inkText = 0
	inkRule = 0
	inkSeal = 110
	inkFine = 70
)

// Render draws the page described by s: an A4 portrait image at s.DPI with
// the title, the ruled table, the notes, the issuer with its seal, the small
// serial/as-of lines, "n / total", and exactly one QR symbol for s.QRText in
// the bottom 40 mm band. Nothing but the symbol, plain text and a dashed
// rule is drawn in the band; the background pattern stops above it.
//
// The page is drawn in two parts: the body (everything that depends only
// on the document's content) and the per-issue rows (the serial/as-of
// lines under the title and the whole bottom band), each clipped to its
// own rows. A Template renders the body once and stamps the per-issue rows
// for each issue; Render draws both into one image, so the two give the
// same pixels.
func (r *Renderer) Render(s Spec) (*image.Gray, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	sym, err := encodeQRWith(s.QRText, &r.plans)
	if err != nil {
		return nil, wrapErr(KindRender, err, "QR")
	}
	w, h, _ := PageSize(s.DPI)
	img := &image.Gray{Pix: make([]uint8, w*h), Stride: w, Rect: image.Rect(0, 0, w, h)}
	c := newCanvas(img, s.DPI)
	fs := r.faces(s.DPI)
	lay, err := r.body(c, fs, &s)
	if err != nil {
		return nil, err
	}
	if err := r.stamp(c, fs, &s, sym, lay); err != nil {
		return nil, err
	}
	return img, nil
}

// layout is where a page's per-issue rows are: the serial/as-of lines
// occupy [hdrTop, hdrBot), the band [bandTop, h).
type layout struct {
	hdrTop, hdrBot, bandTop int
	left, right             int
}

// body draws everything but the per-issue rows, which it leaves as the
// background they are drawn on (the pattern under the header lines, white
// in the band).
func (r *Renderer) body(c *canvas, fs *faceSet, s *Spec) (layout, error) {
	w, h := c.w, c.h
	band := BandHeight(s.DPI)
	bandTop := h - band
	// Background: white band, patterned body.
	c.fill(0, bandTop, w, h, 255)
	t := r.tiles[dpiIndex(s.DPI)]
	c.pattern(0, 0, w, bandTop, t.pix, t.size, t.size)

	left, right := c.px(20), w-c.px(20)
	hdrTop, err := r.title(c, fs, s, left, right)
	if err != nil {
		return layout{}, err
	}
	lay := layout{hdrTop: hdrTop, hdrBot: hdrTop + r.headerLinesHeight(c, fs), bandTop: bandTop, left: left, right: right}
	y := r.table(c, fs, s.Rows, left, right, lay.hdrBot+c.px(6))
	y = r.notes(c, fs, s.Notes, left, right, y+c.px(7))
	if y, err = r.issuer(c, fs, s, left, right, y+c.px(8)); err != nil {
		return layout{}, err
	}
	if limit := bandTop - c.px(2); y > limit {
		return layout{}, errorf(KindRender, "content does not fit above the bottom band (%d px over)", y-limit)
	}
	return lay, nil
}

// stamp draws the per-issue rows of s on c, each part clipped to its rows:
// the serial/as-of lines and the band with the QR symbol.
func (r *Renderer) stamp(c *canvas, fs *faceSet, s *Spec, sym *qrSymbol, lay layout) error {
	r.headerLines(c.window(lay.hdrTop, lay.hdrBot), fs, s, lay.right, lay.hdrTop)
	return r.band(c.window(lay.bandTop, c.h), fs, s, sym, lay.left, lay.bandTop)
}

type faceSet struct {
	title, body, small, issuer, seal, page *face
}

func (r *Renderer) faces(dpi int) *faceSet {
	gc := &r.sizes[dpiIndex(dpi)]
	return &faceSet{title: gc[0].face(), body: gc[1].face(), small: gc[2].face(),
		issuer: gc[3].face(), seal: gc[4].face(), page: gc[5].face()}
}

// title draws the title with its double rule and returns the top of the
// serial/as-of lines below it.
func (r *Renderer) title(c *canvas, fs *faceSet, s *Spec, left, right int) (int, error) {
	w := c.w
	// Short titles are letter-spaced, as on real certificates.
	tracking := 0
	if n := utf8.RuneCountInString(s.Title); n > 0 && n <= 8 {
		tracking = fs.title.em / 2
	}
	tw := fs.title.measure(s.Title, tracking)
	if tw > right-left {
		tracking = 0
		tw = fs.title.measure(s.Title, 0)
	}
	if tw > right-left {
		return 0, errorf(KindRender, "title wider than the page")
	}
	base := c.px(22) + fs.title.ascent
	x := (w - tw) / 2
	c.text(fs.title, x, base, s.Title, inkText, tracking)
	// A touch of weight: IPA Gothic has no bold, so overprint shifted.
	c.text(fs.title, x+max(1, c.dpi/300), base, s.Title, inkText, tracking)
	// Double rule under the title.
	rule := base + fs.title.descent + c.px(2)
	c.hline(left, right, rule, c.px(0.5), inkRule)
	c.hline(left, right, rule+c.px(0.9), c.px(0.15), inkRule)
	return rule + c.px(3), nil
}

// headerLinesHeight is the height of the serial/as-of lines.
func (r *Renderer) headerLinesHeight(c *canvas, fs *faceSet) int {
	return 2 * (fs.small.ascent + fs.small.descent + c.px(0.8))
}

// headerLines draws the small serial/as-of lines, right-aligned, from y.
func (r *Renderer) headerLines(c *canvas, fs *faceSet, s *Spec, right, y int) {
	for _, line := range []string{"発行番号　" + s.Serial, "記録時点　" + s.AsOf} {
		y += fs.small.ascent
		lw := fs.small.measure(line, 0)
		c.text(fs.small, right-lw, y, line, inkFine, 0)
		y += fs.small.descent + c.px(0.8)
	}
}

// table draws the ruled label/value table and returns the y below it.
func (r *Renderer) table(c *canvas, fs *faceSet, rows []Row, left, right, top int) int {
	if len(rows) == 0 {
		return top
	}
	thick, thin := c.px(0.4), max(1, c.px(0.15))
	pad := c.px(2.2)
	labelW := c.px(34)
	lineH := fs.body.ascent + fs.body.descent + c.px(1.2)
	y := top
	c.hline(left, right, y, thick, inkRule)
	y += thick
	for i, row := range rows {
		labels := fs.body.wrap(row.Label, labelW-2*pad)
		values := fs.body.wrap(row.Value, right-left-labelW-2*pad)
		n := max(len(labels), len(values))
		rowH := 2*pad + n*lineH - c.px(1.2)
		// Label cell tinted like the printed form.
		c.fill(left, y, left+labelW, y+rowH, 244)
		for j, l := range labels {
			// Labels are spread across the cell when short (均等割り).
			base := y + pad + j*lineH + fs.body.ascent
			lw := fs.body.measure(l, 0)
			n := utf8.RuneCountInString(l)
			if n > 1 && n <= 5 && len(labels) == 1 {
				tr := (labelW - 2*pad - lw) / (n - 1)
				if tr > fs.body.em {
					tr = fs.body.em
				}
				c.text(fs.body, left+pad, base, l, inkText, tr)
			} else {
				c.text(fs.body, left+pad, base, l, inkText, 0)
			}
		}
		for j, v := range values {
			base := y + pad + j*lineH + fs.body.ascent
			c.text(fs.body, left+labelW+pad, base, v, inkText, 0)
		}
		y += rowH
		if i == len(rows)-1 {
			c.hline(left, right, y, thick, inkRule)
			y += thick
		} else {
			c.hline(left, right, y, thin, inkRule)
			y += thin
		}
	}
	c.vline(left, top, y, thick, inkRule)
	c.vline(right-thick, top, y, thick, inkRule)
	c.vline(left+labelW, top, y, thin, inkRule)
	return y
}

// notes draws the free lines, wrapped, and returns the y below them.
func (r *Renderer) notes(c *canvas, fs *faceSet, notes []string, left, right, top int) int {
	y := top
	lineH := fs.body.ascent + fs.body.descent + c.px(2)
	indent := fs.body.em
	for _, n := range notes {
		for _, l := range fs.body.wrap(n, right-left-indent) {
			c.text(fs.body, left+indent, y+fs.body.ascent, l, inkText, 0)
			y += lineH
		}
	}
	return y
}

// issuer draws the issuer line, right-aligned, with a seal impression
// at its end, and returns the y below it.
func (r *Renderer) issuer(c *canvas, fs *faceSet, s *Spec, left, right, top int) (int, error) {
	sealSize := c.px(19)
	base := top + fs.issuer.ascent + c.px(4)
	iw := fs.issuer.measure(s.Issuer, 0)
	// The seal overlaps the end of the office holder's name, as on a
	// certificate stamped by hand; an issuer line with the office alone
	// ("…市長", no name) keeps it clear of the seal, so the title stays
	// legible.
	x := right - sealSize*3/4 - iw
	if !strings.ContainsAny(strings.TrimSpace(s.Issuer), "　 ") {
		x = right - sealSize - c.px(3) - iw
	}
	if x < left {
		return 0, errorf(KindRender, "issuer line wider than the page")
	}
	c.text(fs.issuer, x, base, s.Issuer, inkText, 0)

	// Seal: square frame with the office name in a right-to-left grid.
	sx1 := right
	sx0 := sx1 - sealSize
	sy0 := base - fs.issuer.ascent/2 - sealSize/2
	sy1 := sy0 + sealSize
	c.frame(sx0, sy0, sx1, sy1, c.px(0.8), inkSeal)
	c.frame(sx0+c.px(1.3), sy0+c.px(1.3), sx1-c.px(1.3), sy1-c.px(1.3), max(1, c.px(0.2)), inkSeal)
	runes := []rune(sealText(s.Issuer))
	rows := 3
	if len(runes) <= 4 {
		rows = 2
	}
	cols := (len(runes) + rows - 1) / rows
	inner := sealSize - 2*c.px(2.5)
	cellW, cellH := inner/max(cols, 1), inner/rows
	for i, ru := range runes {
		col, row := i/rows, i%rows
		g := fs.seal.glyph(ru)
		gx := sx1 - c.px(2.5) - (col+1)*cellW + (cellW-g.adv.Round())/2
		gy := sy0 + c.px(2.5) + row*cellH + (cellH+fs.seal.ascent-fs.seal.descent)/2
		c.blit(g, gx, gy, inkSeal)
	}
	return max(sy1, base+fs.issuer.descent), nil
}

// sealText derives the seal legend from the issuer's office:
// "神奈川県横浜市長　横浜　太郎" → "横浜市長之印".
func sealText(issuer string) string {
	office := issuer
	if i := strings.IndexAny(office, "　 "); i >= 0 {
		office = office[:i]
	}
	for _, p := range []string{"都", "道", "府", "県"} {
		if i := strings.Index(office, p); i >= 0 && i+len(p) < len(office) {
			office = office[i+len(p):]
			break
		}
	}
	rs := []rune(office)
	if len(rs) == 0 || len(rs) > 7 {
		return "公印"
	}
	return string(rs) + "之印"
}

// band draws the bottom band: a dashed separator, the issuance notice and
// serial on the left, "n / total" centred and the QR symbol at the right.
func (r *Renderer) band(c *canvas, fs *faceSet, s *Spec, sym *qrSymbol, left, bandTop int) error {
	qx, qy, m, err := qrPlacement(c.dpi, c.w, c.h, sym.size)
	if err != nil {
		return err
	}
	c.drawQR(sym, qx, qy, m)

	c.dashed(left, qx-qrQuiet*m-c.px(3), bandTop+c.px(3), max(1, c.px(0.1)), c.px(1.5), c.px(1), 150)
	page := strconv.Itoa(s.N) + " / " + strconv.Itoa(s.Total)
	pw := fs.page.measure(page, 0)
	c.text(fs.page, (c.w-pw)/2, c.h-c.px(12), page, inkText, 0)

	y := bandTop + c.px(9)
	lines := []string{
		"この書面はコンビニエンスストア等における証明書等の自動交付により発行したものです。",
		"下部の二次元コードは交付の照合用です。",
		fmt.Sprintf("発行番号 %s　記録時点 %s", s.Serial, s.AsOf),
	}
	maxW := qx - qrQuiet*m - c.px(3) - left
	for _, l := range lines {
		for _, wl := range fs.small.wrap(l, maxW) {
			y += fs.small.ascent
			c.text(fs.small, left, y, wl, inkFine, 0)
			y += fs.small.descent + c.px(1)
		}
	}
	return nil
}

// qrPlacement returns where the page's QR symbol of size modules goes on a
// w×h page at dpi: the top-left corner of its first module and the module
// size in pixels. Modules are the preferred 0.5 mm rounded to whole pixels,
// shrunk (never below 0.4 mm) until the symbol and its quiet zone fit in
// the bottom band with 1 mm to spare; the symbol's right edge is on the
// 20 mm right margin and its last row ends 8 mm above the page edge.
func qrPlacement(dpi, w, h, size int) (x, y, m int, err error) {
	c := canvas{dpi: dpi, w: w, h: h}
	bandTop := h - BandHeight(dpi)
	minM := int(math.Ceil(float64(dpi) * qrMinModuleMM / 25.4))
	bottom := h - c.px(8)
	for m = max(c.px(qrModuleMM), minM); m >= minM; m-- {
		if bottom-(size+qrQuiet)*m >= bandTop+c.px(1) {
			side := size * m
			return w - c.px(20) - side, bottom - side, m, nil
		}
	}
	return 0, 0, 0, errorf(KindRender, "QR symbol (%d modules) does not fit the bottom band", size)
}
