package pages

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"math/bits"
	"sort"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// Symbol is one QR symbol found on a bilevel face.
type Symbol struct {
	Text     string
	Inverted bool            // light modules on a dark ground
	Dim      int             // modules per side (21 for version 1)
	Module   float64         // module size in pixels
	Box      image.Rectangle // the symbol's modules, in page pixels
	Quiet    image.Rectangle // Box grown by the 4-module quiet zone
}

// MaxSymbols bounds the QR symbols of any kind a face may carry: a
// genuine page has one. Above it (or above maxFinderCandidates finder
// patterns of one polarity) FindSymbols refuses the page as crowded
// (KindCrowded) instead of reporting a count it did not finish.
const MaxSymbols = 4

// maxFinderCandidates bounds the finder-pattern candidates of one polarity
// on one face. A genuine page has the symbol's three, and every 回 in its
// text is one more of the inverted polarity (its hole, inner stroke and
// gap are a light-on-dark finder pattern): a row of "第２回　住所" forty
// times over makes 40. The triplet enumeration is cubic in the candidates
// (120: ~15 ms), so the bound also bounds the work a hostile page causes.
const maxFinderCandidates = 120

// maxTriplets bounds the candidate triplets sampled and decoded for one
// polarity. A genuine page has one, plus those its 回 glyphs make (they
// sit on the text grid: 40 of them make ~520); each costs a grid sample
// and a failed decode (0.15–0.3 ms), and a page of finder patterns laid
// out on a lattice can make tens of thousands. More is refused as
// crowded; the bound keeps a hostile page under ~0.2 s per polarity.
const maxTriplets = 600

// quietModules is the quiet zone ISO/IEC 18004 requires around a symbol.
const quietModules = 4

// FindSymbols returns every QR symbol on the whole face of b, dark on
// light and light on dark, in any orientation (and mirrored): the search
// DESIGN §3.4 rule 3 runs on exactly the bitmap the printer receives.
//
// The bits are taken as they are; there is no binarizer to reinterpret
// them. Every third row of the face is scanned at full resolution for the
// 1:1:3:1:1 finder pattern (so any finder pattern at least one pixel per
// module is crossed), once for each polarity; the candidates are
// cross-checked by gozxing's finder, grouped into right-angled triplets,
// and each triplet is sampled and decoded by gozxing's detector and
// decoder. Structured-append symbols are not merged: two symbols always
// count as two, and the same symbol reached through two triplets is
// reported once.
//
// More than maxFinderCandidates finder patterns or maxTriplets candidate
// triplets in one polarity, or more than MaxSymbols symbols, is a *Error
// of KindCrowded. A panic inside gozxing is turned into a KindQR error:
// the input is hostile. The working copies of the face are zeroed before
// it returns.
func FindSymbols(b *Bitmap) (syms []Symbol, err error) {
	defer func() {
		if p := recover(); p != nil {
			syms, err = nil, &Error{Kind: KindQR, Detail: "search aborted", Err: decoderPanic{p}}
		}
	}()
	if !b.valid() {
		return nil, errorf(KindQR, "inconsistent bitmap")
	}
	// One BitMatrix serves both polarities, filled for each only when its
	// row scan first meets a finder-like run (on most pages the inverted
	// scan never does).
	var m *gozxing.BitMatrix
	defer func() {
		if m != nil {
			m.Clear()
		}
	}()
	for _, inverted := range []bool{false, true} {
		lf := &lazyFinder{b: b, inverted: inverted, m: &m}
		found, err := searchPolarity(lf)
		if err != nil {
			return nil, err
		}
		for _, s := range found {
			if !seenBefore(syms, s) {
				syms = append(syms, s)
			}
		}
		if len(syms) > MaxSymbols {
			return nil, errorf(KindCrowded, "more than %d QR symbols on the face", MaxSymbols)
		}
	}
	return syms, nil
}

// FindQR returns the texts of every QR symbol on the face that prints
// from img at the kiosk's threshold (Binarize, then FindSymbols). It is a
// convenience for tools and tests that hold an 8-bit page; the verifier
// runs FindSymbols on the Bitmap it keeps for the printer.
func FindQR(img *image.Gray, dpi int) ([]string, error) {
	if img == nil || img.Rect.Empty() {
		return nil, errorf(KindQR, "no image")
	}
	if dpi <= 0 || dpi > maxDPI {
		return nil, errorf(KindQR, "dpi %d out of range", dpi)
	}
	r := img.Rect
	if img.Stride < r.Dx() || int64(len(img.Pix)) < int64(r.Dy()-1)*int64(img.Stride)+int64(r.Dx()) {
		return nil, errorf(KindQR, "inconsistent image %v stride %d len %d", r, img.Stride, len(img.Pix))
	}
	bm := Binarize(img)
	defer bm.Wipe()
	syms, err := FindSymbols(bm)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(syms))
	for i, s := range syms {
		texts[i] = s.Text
	}
	return texts, nil
}

// decoderPanic is wrapped in the KindQR error reported when gozxing
// panicked on a face.
type decoderPanic struct{ value any }

func (p decoderPanic) Error() string { return fmt.Sprintf("QR decoder panicked: %v", p.value) }

// lazyFinder is gozxing's finder-pattern finder for one polarity of a
// face, over a BitMatrix of that polarity built at the first call of get.
type lazyFinder struct {
	b        *Bitmap
	inverted bool
	m        **gozxing.BitMatrix // shared by the polarities, allocated once
	f        *detector.FinderPatternFinder
}

func (lf *lazyFinder) get() (*detector.FinderPatternFinder, error) {
	if lf.f != nil {
		return lf.f, nil
	}
	if *lf.m == nil {
		m, err := gozxing.NewBitMatrix(lf.b.W, lf.b.H)
		if err != nil {
			return nil, wrapErr(KindQR, err, "bit matrix")
		}
		*lf.m = m
	}
	fillMatrix(*lf.m, lf.b, lf.inverted)
	lf.f = detector.NewFinderPatternFinder(*lf.m, nil)
	return lf.f, nil
}

// fillMatrix writes the packed bitmap (MSB first, 1 = black) into m, a
// BitMatrix of its size (LSB first in 32-bit words, set = dark): dark is
// black, or white when inverted. Padding bits stay clear.
func fillMatrix(m *gozxing.BitMatrix, b *Bitmap, inverted bool) {
	words := (b.W + 31) / 32
	full := b.W / 32 // words filled from four whole bytes of the row
	var tail uint32 = math.MaxUint32
	if r := b.W % 32; r != 0 {
		tail = 1<<uint(r) - 1
	}
	var flip uint32
	if inverted {
		flip = math.MaxUint32
	}
	row := gozxing.NewBitArray(words * 32)
	for y := range b.H {
		src := b.Row(y)
		for k := range full {
			v := binary.LittleEndian.Uint32(src[k*4:])
			if v != 0 {
				v = uint32(bits.Reverse8(byte(v))) | uint32(bits.Reverse8(byte(v>>8)))<<8 |
					uint32(bits.Reverse8(byte(v>>16)))<<16 | uint32(bits.Reverse8(byte(v>>24)))<<24
			}
			row.SetBulk(k*32, v^flip)
		}
		if full < words {
			var v uint32
			for i, c := range src[full*4:] {
				v |= uint32(bits.Reverse8(c)) << (8 * uint(i))
			}
			row.SetBulk(full*32, (v^flip)&tail)
		}
		m.SetRow(y, row)
	}
}

// rowSkip is the step between scanned rows: gozxing's own step when it
// tries hard. A finder pattern's centre is three modules high, so with
// modules of one pixel or more every finder pattern is crossed.
const rowSkip = 3

// searchPolarity finds the symbols of one polarity.
func searchPolarity(lf *lazyFinder) ([]Symbol, error) {
	b, inverted := lf.b, lf.inverted
	var counts [5]int
	for y := rowSkip - 1; y < b.H; y += rowSkip {
		if err := scanRow(lf.get, b.Row(y), b.W, y, inverted, &counts); err != nil {
			return nil, err
		}
	}
	if lf.f == nil {
		return nil, nil // no finder-like run at all
	}
	m := *lf.m
	cands := lf.f.GetPossibleCenters()
	if len(cands) < 3 {
		return nil, nil
	}
	ts := triplets(cands)
	if len(ts) > maxTriplets {
		return nil, errorf(KindCrowded, "%d finder-pattern triplets on the face", len(ts))
	}
	var syms []Symbol
	for _, t := range ts {
		s, ok, err := decodeTriplet(m, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		s.Inverted = inverted
		if !seenBefore(syms, s) {
			syms = append(syms, s)
		}
		if len(syms) > MaxSymbols {
			return nil, errorf(KindCrowded, "more than %d QR symbols on the face", MaxSymbols)
		}
	}
	return syms, nil
}

// scanRow runs the finder-pattern state machine of gozxing's row scan over
// one packed row, a run of equal pixels at a time (a page is mostly long
// white runs, skipped 64 pixels per step). It feeds gozxing's
// HandlePossibleCenter exactly where the pixel-by-pixel loop would; the
// finder (and its matrix) is got only there.
func scanRow(finder func() (*detector.FinderPatternFinder, error), row []byte, w, y int, inverted bool, c *[5]int) error {
	*c = [5]int{}
	state := 0
	for x := 0; x < w; {
		dark := (row[x>>3]>>(7-uint(x&7)))&1 == 1
		if inverted {
			dark = !dark
		}
		end := nextChange(row, x, w, dark != inverted)
		n := end - x
		switch {
		case dark:
			if state&1 == 1 {
				state++
			}
			c[state] += n
		case state&1 == 1:
			c[state] += n
		case state == 4:
			var f *detector.FinderPatternFinder
			if detector.FinderPatternFinder_foundPatternCross(c[:]) {
				var err error
				if f, err = finder(); err != nil {
					return err
				}
			}
			if f != nil && f.HandlePossibleCenter(c[:], y, x) {
				if len(f.GetPossibleCenters()) > maxFinderCandidates {
					return errorf(KindCrowded, "more than %d QR finder patterns on the face", maxFinderCandidates)
				}
				*c = [5]int{}
				state = 0
				if n > 1 {
					state, c[1] = 1, n-1
				}
			} else {
				c[0], c[1], c[2], c[3], c[4] = c[2], c[3], c[4], n, 0
				state = 3
			}
		default:
			state++
			c[state] += n
		}
		x = end
	}
	if detector.FinderPatternFinder_foundPatternCross(c[:]) {
		f, err := finder()
		if err != nil {
			return err
		}
		f.HandlePossibleCenter(c[:], y, w)
		if len(f.GetPossibleCenters()) > maxFinderCandidates {
			return errorf(KindCrowded, "more than %d QR finder patterns on the face", maxFinderCandidates)
		}
	}
	return nil
}

// nextChange returns the first x' > x (or w) whose bit differs from the
// bit at x, which is set iff set is true.
func nextChange(row []byte, x, w int, set bool) int {
	var flip uint64
	if set {
		flip = math.MaxUint64
	}
	x++
	for x < w {
		k := x >> 3
		var v uint64
		if k+8 <= len(row) {
			v = binary.BigEndian.Uint64(row[k:])
		} else {
			var buf [8]byte
			copy(buf[:], row[k:])
			v = binary.BigEndian.Uint64(buf[:])
		}
		v = (v ^ flip) << uint(x&7)
		if v != 0 {
			return min(x+bits.LeadingZeros64(v), w)
		}
		x += 64 - x&7
	}
	return w
}

// triplets returns the candidate triples that could be the three finder
// patterns of one symbol: similar module sizes, two equal legs at a right
// angle, and a leg length of 21 to 177 modules.
func triplets(cands []*detector.FinderPattern) []*detector.FinderPatternInfo {
	c := append([]*detector.FinderPattern(nil), cands...)
	sort.Slice(c, func(i, j int) bool { return c[i].GetEstimatedModuleSize() < c[j].GetEstimatedModuleSize() })
	similar := func(a, b float64) bool { return b-a <= 1 || b <= a*1.4 }
	var out []*detector.FinderPatternInfo
	for i := 0; i < len(c)-2; i++ {
		for j := i + 1; j < len(c)-1 && similar(c[i].GetEstimatedModuleSize(), c[j].GetEstimatedModuleSize()); j++ {
			for k := j + 1; k < len(c) && similar(c[i].GetEstimatedModuleSize(), c[k].GetEstimatedModuleSize()); k++ {
				bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(c[i], c[j], c[k])
				a := gozxing.ResultPoint_Distance(tl, bl)
				b := gozxing.ResultPoint_Distance(tl, tr)
				d := gozxing.ResultPoint_Distance(tr, bl)
				mod := (c[i].GetEstimatedModuleSize() + c[j].GetEstimatedModuleSize() + c[k].GetEstimatedModuleSize()) / 3
				if legs := (a + b) / 2 / mod; legs < 12 || legs > 180 {
					continue
				}
				if math.Abs(a-b) > 0.15*math.Min(a, b) {
					continue
				}
				if hyp := math.Hypot(a, b); math.Abs(d-hyp) > 0.15*math.Min(d, hyp) {
					continue
				}
				out = append(out, detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)))
			}
		}
	}
	return out
}

// decodeTriplet samples and decodes the symbol a triplet frames; ok is
// false when it is not a decodable symbol (a false triplet).
func decodeTriplet(m *gozxing.BitMatrix, info *detector.FinderPatternInfo) (Symbol, bool, error) {
	d, err := detector.NewDetector(m).ProcessFinderPatternInfo(info)
	if err != nil {
		if _, ok := err.(gozxing.ReaderException); ok {
			return Symbol{}, false, nil
		}
		return Symbol{}, false, wrapErr(KindQR, err, "detect")
	}
	res, err := decoder.NewDecoder().Decode(d.GetBits(), nil)
	if err != nil {
		if _, ok := err.(gozxing.ReaderException); ok {
			return Symbol{}, false, nil
		}
		return Symbol{}, false, wrapErr(KindQR, err, "decode")
	}
	s, ok := geometry(d)
	if !ok {
		return Symbol{}, false, errorf(KindQR, "detector returned %d points", len(d.GetPoints()))
	}
	s.Text = res.GetText()
	return s, true, nil
}

// geometry derives a symbol's box and quiet zone from its finder pattern
// centres (bottom-left, top-left, top-right), which sit 3.5 modules inside
// the symbol's corners: the symbol is the parallelogram they span, grown
// to its full size; printed pages carry no perspective.
func geometry(d *common.DetectorResult) (Symbol, bool) {
	p := d.GetPoints()
	dim := d.GetBits().GetWidth()
	if len(p) < 3 || dim < 21 {
		return Symbol{}, false
	}
	bl, tl, tr := p[0], p[1], p[2]
	n := float64(dim - 7)
	ux, uy := (tr.GetX()-tl.GetX())/n, (tr.GetY()-tl.GetY())/n
	vx, vy := (bl.GetX()-tl.GetX())/n, (bl.GetY()-tl.GetY())/n
	box := func(lo, hi float64) image.Rectangle {
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, a := range [2]float64{lo, hi} {
			for _, b := range [2]float64{lo, hi} {
				x := tl.GetX() + (a-3.5)*ux + (b-3.5)*vx
				y := tl.GetY() + (a-3.5)*uy + (b-3.5)*vy
				x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
			}
		}
		return image.Rect(int(math.Floor(x0)), int(math.Floor(y0)), int(math.Ceil(x1)), int(math.Ceil(y1)))
	}
	fd := float64(dim)
	return Symbol{
		Dim:    dim,
		Module: (math.Hypot(ux, uy) + math.Hypot(vx, vy)) / 2,
		Box:    box(0, fd),
		Quiet:  box(-quietModules, fd+quietModules),
	}, true
}

// seenBefore reports whether s is already in syms: the same text decoded
// around the same centre (one symbol reached through two triplets, or
// through both a full and a partial set of finder estimates).
func seenBefore(syms []Symbol, s Symbol) bool {
	c := center(s.Box)
	for _, o := range syms {
		oc := center(o.Box)
		if o.Text == s.Text && o.Inverted == s.Inverted &&
			math.Hypot(oc.X-c.X, oc.Y-c.Y) < 0.25*float64(max(o.Box.Dx(), s.Box.Dx())) {
			return true
		}
	}
	return false
}

func center(r image.Rectangle) struct{ X, Y float64 } {
	return struct{ X, Y float64 }{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}
}
