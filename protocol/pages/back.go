package pages

import (
	"image"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
)

// The back face of a two-sided certificate (issue 19), as the real
// service prints it: an anti-tamper image of the front (the front's
// content scrambled under a key only the issuer holds, which an inquiry
// site unscrambles so a recipient can compare it with the front), the
// sheet's verification code, a fixed anti-forgery mark, and, in the
// bottom band, the back's own KOFU symbol.

// BackSpec is what the center renders on the back of one sheet.
type BackSpec struct {
	DPI   int
	Front *image.Gray // the sheet's front as rendered (A4 at DPI)
	// Seed keys the scrambling of the front: the issuer derives it from a
	// key only it holds, per sheet. The inquiry site, knowing the seed,
	// inverts it (Unscramble).
	Seed   [32]byte
	Code   string // the sheet's verification code, printed for the inquiry site
	Title  string // the document's title
	Serial string // issuer's document serial, printed small
	AsOf   string // record version time, printed
	Sheet  int    // this sheet, 1-based (printed "sheet / sheets", as on the front)
	Sheets int    // sheets in the document
	QRText string // exact text of the face's single QR symbol
}

// Layout of the back, in millimetres from the top-left corner.
const (
	backTitleMM   = 16.0  // baseline of the heading
	backImageTop  = 24.0  // top of the scrambled image's frame
	backBlockMM   = 3.0   // side of a scrambled block, on the back
	backMarkMM    = 56.0  // side of the anti-forgery mark
	backMarkRings = 24    // rings of the mark
	backRingMM    = 0.95  // distance between rings
	backRingWaveM = 0.28  // amplitude of a ring's wave
	backRingLobes = 12    // waves around a ring
	backRingLine  = 0.085 // half line width of a ring
	backInnerMM   = 4.5   // radius of the mark's empty centre
)

func (s *BackSpec) validate() error {
	w, h, ok := PageSize(s.DPI)
	if !ok {
		return errorf(KindRender, "dpi %d: only 300 and 600", s.DPI)
	}
	if s.Front == nil || s.Front.Rect.Dx() != w || s.Front.Rect.Dy() != h {
		return errorf(KindRender, "back: front missing or not A4 at %d dpi", s.DPI)
	}
	if s.Sheets < 1 || s.Sheets > maxPageTotal || s.Sheet < 1 || s.Sheet > s.Sheets {
		return errorf(KindRender, "back: sheet %d of %d", s.Sheet, s.Sheets)
	}
	if s.QRText == "" || len(s.QRText) > maxFieldLen {
		return errorf(KindRender, "back: QR text empty or too long")
	}
	if len(s.Title) > maxShortLen || len(s.Serial) > maxShortLen || len(s.AsOf) > maxShortLen || len(s.Code) > maxShortLen {
		return errorf(KindRender, "back: title, serial, as-of or code longer than %d bytes", maxShortLen)
	}
	return nil
}

// RenderBack draws the back face described by s.
func (r *Renderer) RenderBack(s BackSpec) (*image.Gray, error) {
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
	c.fill(0, 0, w, h, 255)
	left, right := c.px(20), w-c.px(20)
	bandTop := h - BandHeight(s.DPI)

	head := s.Title + "（裏面）　改ざん防止画像・偽造防止検出画像"
	if hw := fs.issuer.measure(head, 0); hw <= right-left {
		c.text(fs.issuer, (w-hw)/2, c.px(backTitleMM), head, inkText, 0)
	}

	lay := r.backLayout(c, fs)
	// The anti-tamper image: the front's content above its band, at half
	// size, its blocks permuted under the seed.
	scr := Scramble(s.Front, s.DPI, s.Seed)
	sw, sh := scr.Rect.Dx(), scr.Rect.Dy()
	x0, y0 := lay.image.Min.X, lay.image.Min.Y
	for y := range sh {
		copy(img.Pix[(y0+y)*w+x0:(y0+y)*w+x0+sw], scr.Pix[y*scr.Stride:y*scr.Stride+sw])
	}
	pad := c.px(1.5)
	c.frame(x0-pad, y0-pad, x0+sw+pad, y0+sh+pad, max(1, c.px(0.3)), inkRule)
	y := lay.image.Max.Y + pad + c.px(5)
	for _, wl := range lay.caption {
		y += fs.small.ascent
		c.text(fs.small, left, y, wl, inkFine, 0)
		y += fs.small.descent + c.px(1)
	}
	code := "照合番号　" + s.Code + "　（" + strconv.Itoa(s.Sheet) + " / " + strconv.Itoa(s.Sheets) + " 枚目）"
	c.text(fs.body, left, y+c.px(3)+fs.body.ascent, code, inkText, 0)

	// The anti-forgery mark: a fixed guilloche rosette, the same on every
	// back, with its caption beside it.
	m := r.mark(s.DPI)
	mx, my := lay.mark.Min.X, lay.mark.Min.Y
	for yy := range m.size {
		row := img.Pix[(my+yy)*w+mx : (my+yy)*w+mx+m.size]
		for xx, v := range m.pix[yy*m.size : (yy+1)*m.size] {
			row[xx] = min(row[xx], v)
		}
	}
	cy := my + m.size/2
	for _, line := range []string{"偽造防止検出画像", "この模様が欠けたりにじんだりしているものは、", "複写または偽造されたものです。"} {
		c.text(fs.small, mx+m.size+c.px(6), cy, line, inkFine, 0)
		cy += fs.small.ascent + fs.small.descent + c.px(1)
	}
	if lay.mark.Max.Y > bandTop-c.px(3) {
		return nil, errorf(KindRender, "back: the mark does not fit above the band")
	}

	// The band, as on the front: the notice, "n / total" and the symbol.
	band := Spec{DPI: s.DPI, Serial: s.Serial, AsOf: s.AsOf, N: s.Sheet, Total: s.Sheets, QRText: s.QRText}
	if err := r.band(c.window(bandTop, h), fs, &band, sym, left, bandTop); err != nil {
		return nil, err
	}
	return img, nil
}

// backLayout is where a back's parts go: the scrambled image (without
// its frame), the caption lines under it, and the mark. It depends only on
// the dpi and the fixed texts, so every back has them in the same place.
type backLayout struct {
	image, mark image.Rectangle
	caption     []string
}

var backCaption = []string{
	"上の画像は、表面の内容を交付元だけが持つ鍵で並べ替えた改ざん防止画像です。",
	"照会サイトで次の照合番号を入力すると、復元した画像と表面を見比べることができます。",
}

func (r *Renderer) backLayout(c *canvas, fs *faceSet) backLayout {
	w := c.w
	left, right := c.px(20), w-c.px(20)
	sw, sh, _ := scrambleGeometry(c.dpi)
	x0, y0 := (w-sw)/2, c.px(backImageTop)+c.px(1.5)
	lay := backLayout{image: image.Rect(x0, y0, x0+sw, y0+sh)}
	y := y0 + sh + c.px(1.5) + c.px(5)
	for _, line := range backCaption {
		for _, wl := range fs.small.wrap(line, right-left) {
			lay.caption = append(lay.caption, wl)
			y += fs.small.ascent + fs.small.descent + c.px(1)
		}
	}
	y += c.px(3) + fs.body.ascent + fs.body.descent
	m := r.mark(c.dpi)
	lay.mark = image.Rect(left, y+c.px(5), left+m.size, y+c.px(5)+m.size)
	return lay
}

// BackRegions returns where a back at dpi carries the scrambled image of
// its front and the anti-forgery mark: the same on every back, so an
// inquiry site (and a test) can cut them out.
func (r *Renderer) BackRegions(dpi int) (scrambled, mark image.Rectangle, err error) {
	w, h, ok := PageSize(dpi)
	if !ok {
		return image.Rectangle{}, image.Rectangle{}, errorf(KindRender, "dpi %d: only 300 and 600", dpi)
	}
	c := &canvas{w: w, h: h, y1: h, dpi: dpi}
	lay := r.backLayout(c, r.faces(dpi))
	return lay.image, lay.mark, nil
}

// scrambleGeometry returns the size of the half-scale image of a front's
// content at dpi, cut to whole blocks, and the block side, in pixels.
func scrambleGeometry(dpi int) (w, h, block int) {
	pw, ph, _ := PageSize(dpi)
	block = MM(backBlockMM, dpi)
	w = pw / 2 / block * block
	h = (ph - BandHeight(dpi)) / 2 / block * block
	return w, h, block
}

// halfFront is the front's content above its band at half size (each
// pixel the mean of a 2×2 square), centred and cut to whole blocks.
func halfFront(front *image.Gray, dpi int) *image.Gray {
	w, h, _ := scrambleGeometry(dpi)
	pw := front.Rect.Dx()
	ox := (pw/2 - w) / 2 // centre the cut
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		r0 := front.Pix[(2*y)*front.Stride:]
		r1 := front.Pix[(2*y+1)*front.Stride:]
		for x := range w {
			sx := 2 * (x + ox)
			sum := int(r0[sx]) + int(r0[sx+1]) + int(r1[sx]) + int(r1[sx+1])
			out.Pix[y*w+x] = uint8((sum + 2) / 4)
		}
	}
	return out
}

// blockPermutation is the keyed permutation of n blocks: block i of the
// front goes to place perm[i] on the back. ChaCha8 keyed by the seed.
func blockPermutation(n int, seed [32]byte) []int {
	rng := rand.New(rand.NewChaCha8(seed))
	return rng.Perm(n)
}

// Scramble returns the anti-tamper image of a front at dpi: its content
// above the band at half size, cut into square blocks of backBlockMM
// whose places are permuted under seed.
func Scramble(front *image.Gray, dpi int, seed [32]byte) *image.Gray {
	src := halfFront(front, dpi)
	return permuteBlocks(src, dpi, seed, false)
}

// Unscramble inverts Scramble for the inquiry site: given the seed it
// returns the half-scale front content the image was made from.
func Unscramble(img *image.Gray, dpi int, seed [32]byte) *image.Gray {
	return permuteBlocks(img, dpi, seed, true)
}

// HalfFront is the image Unscramble recovers from a back made from front:
// the front's content above its band at half size.
func HalfFront(front *image.Gray, dpi int) *image.Gray { return halfFront(front, dpi) }

func permuteBlocks(src *image.Gray, dpi int, seed [32]byte, inverse bool) *image.Gray {
	w, h, b := scrambleGeometry(dpi)
	out := image.NewGray(image.Rect(0, 0, w, h))
	if src.Rect.Dx() != w || src.Rect.Dy() != h {
		return out
	}
	cols, rows := w/b, h/b
	perm := blockPermutation(cols*rows, seed)
	for i, j := range perm {
		from, to := i, j
		if inverse {
			from, to = j, i
		}
		fx, fy := from%cols*b, from/cols*b
		tx, ty := to%cols*b, to/cols*b
		for y := range b {
			copy(out.Pix[(ty+y)*w+tx:(ty+y)*w+tx+b], src.Pix[(fy+y)*src.Stride+fx:(fy+y)*src.Stride+fx+b])
		}
	}
	return out
}

// markTile is the anti-forgery mark at one dpi.
type markTile struct {
	once sync.Once
	pix  []uint8
	size int
}

// mark returns the anti-forgery mark for dpi, drawn once per Renderer:
// concentric rings, each a wave of backRingLobes lobes, fine enough that
// a copier blurs them, never touching each other and with an empty
// centre, so no scan line through it shows a QR finder's 1:1:3:1:1.
func (r *Renderer) mark(dpi int) *markTile {
	m := &r.marks[dpiIndex(dpi)]
	m.once.Do(func() {
		px := float64(dpi) / 25.4
		m.size = int(math.Round(backMarkMM * px))
		m.pix = make([]uint8, m.size*m.size)
		c := float64(m.size) / 2
		lw := backRingLine * px
		for y := range m.size {
			for x := range m.size {
				dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
				d := math.Hypot(dx, dy) / px // mm from the centre
				th := math.Atan2(dy, dx)
				v := uint8(255)
				// The ring whose wave passes nearest.
				u := (d - backInnerMM - backRingWaveM*math.Sin(backRingLobes*th)) / backRingMM
				k := math.Round(u)
				if k >= 0 && k < backMarkRings {
					dist := math.Abs(u-k) * backRingMM * px
					a := math.Max(0, math.Min(1, lw+0.5-dist))
					v = uint8(math.Round(255 * (1 - a)))
				}
				m.pix[y*m.size+x] = v
			}
		}
	})
	return m
}
