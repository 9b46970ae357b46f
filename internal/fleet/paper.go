package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"

	"kofu/printer/pdl"
)

// Reading the paper: the fleet's judge of what a printer really put on a
// sheet. It starts from the bytes of the job as they went over USB (PJL +
// PCL 5, or PWG Raster), decodes them back to the 1-bit sheets the printer
// makes, and reads every QR symbol on each sheet as a person with a phone
// would: anywhere on the face, dark-on-light or light-on-dark.
//
// It shares no search code with the kiosk's verifier (protocol/pages):
// the sheet comes from the printer's bytes, not from the verified page;
// its bits are the matrix (no binarizer: the sheet already is black and
// white); gozxing's own multi-symbol finder scans every row of the whole
// face (TRY_HARDER) at full resolution, in both polarities; and the
// printer's unprintable margin is blanked first, since nothing drawn there
// reaches paper. Only the 1-bit container type (pdl.Bitmap) and the
// gozxing QR decoder are common to both.

// PaperMarginMM is the unprintable margin the judge assumes on every edge
// of the sheet: what a printer drops (most lasers lose 4–5 mm; the kiosk's
// rule keeps symbols 5 mm from every edge, DESIGN §3.4).
const PaperMarginMM = 5.0

// maxPaperCandidates bounds the finder-pattern candidates on one sheet
// polarity: the multi-symbol detector's cost is cubic in them. A genuine
// sheet gives a handful; a sheet beyond the bound is unreadable (and
// counted against the kiosk that printed it).
const maxPaperCandidates = 64

// Symbol is one QR symbol read from a sheet.
type Symbol struct {
	Text     string
	Inverted bool            // light modules on a dark ground
	Bounds   image.Rectangle // the symbol (without quiet zone), in sheet pixels, estimated from its finder patterns
}

// Sheet is one printed sheet as read.
type Sheet struct {
	DPI     int
	W, H    int // pixels
	Symbols []Symbol
}

// ErrUnreadable is wrapped when a sheet cannot be read (too many finder
// patterns, a decoder fault): the judge treats such a sheet as wrong.
var ErrUnreadable = errors.New("fleet: sheet unreadable")

// uel is PJL's Universal Exit Language sequence.
const uel = "\x1b%-12345X"

// ReadJob decodes a print job exactly as sent over USB — PJL-wrapped PCL
// 5, bare PCL 5, or PWG Raster — and reads every sheet it prints, with
// marginMM blanked on every edge (PaperMarginMM for a real printer, 0 for
// the raster as sent). An 8-bit PWG page is cut at pdl.Threshold, as the
// kiosk's printers do.
func ReadJob(job []byte, marginMM float64) ([]Sheet, error) {
	lang, body, err := pdlStream(job)
	if err != nil {
		return nil, err
	}
	var sheets []Sheet
	read := func(p *pdl.Page) error {
		b := p.Bitmap
		if b == nil {
			b = pdl.ToBitmap(p.Gray)
		}
		s, err := ReadSheet(b, p.DPI, marginMM)
		sheets = append(sheets, s)
		return err
	}
	if lang == "PWG" {
		err = pdl.DecodePWG(bytes.NewReader(body), pdl.Limits{}, func(_ pdl.PWGHeader, p *pdl.Page) error { return read(p) })
	} else {
		err = pdl.DecodePCL(bytes.NewReader(body), pdl.Limits{}, read)
	}
	return sheets, err
}

// pdlStream finds the page description in a job: after PJL's ENTER
// LANGUAGE up to the next UEL, or the whole job when it has no PJL.
func pdlStream(job []byte) (lang string, body []byte, err error) {
	if !bytes.HasPrefix(job, []byte(uel)) {
		if bytes.HasPrefix(job, []byte("RaS2")) {
			return "PWG", job, nil
		}
		return "PCL", job, nil
	}
	const enter = "@PJL ENTER LANGUAGE="
	i := bytes.Index(job, []byte(enter))
	if i < 0 {
		return "", nil, fmt.Errorf("fleet: PJL job without ENTER LANGUAGE")
	}
	rest := job[i+len(enter):]
	eol := bytes.IndexByte(rest, '\n')
	if eol < 0 {
		return "", nil, fmt.Errorf("fleet: PJL job ends in ENTER LANGUAGE")
	}
	lang = string(bytes.TrimSpace(rest[:eol]))
	body = rest[eol+1:]
	if j := bytes.Index(body, []byte(uel)); j >= 0 {
		body = body[:j]
	}
	switch lang {
	case "PCL", "PCL5", "PCL5E":
		return "PCL", body, nil
	case "PWG", "PWGRASTER":
		return "PWG", body, nil
	}
	return "", nil, fmt.Errorf("fleet: PJL language %q", lang)
}

// ReadSheet reads every QR symbol on one printed sheet (1 = black) at
// dpi, dark-on-light and light-on-dark, after blanking marginMM on every
// edge as a printer with that unprintable margin would.
func ReadSheet(b *pdl.Bitmap, dpi int, marginMM float64) (Sheet, error) {
	s := Sheet{DPI: dpi, W: b.W, H: b.H}
	if dpi <= 0 || b.W <= 0 || b.H <= 0 || marginMM < 0 {
		return s, fmt.Errorf("%w: %dx%d at %d dpi, margin %v mm", ErrUnreadable, b.W, b.H, dpi, marginMM)
	}
	m, err := sheetMatrix(b, int(math.Round(marginMM*float64(dpi)/25.4)))
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	for _, inverted := range []bool{false, true} {
		if inverted {
			m.FlipAll()
		}
		found, err := readMatrix(m)
		if err != nil {
			return s, err
		}
		for _, f := range found {
			f.Inverted = inverted
			s.Symbols = append(s.Symbols, f)
		}
	}
	return s, nil
}

// sheetMatrix turns the sheet's bits into a gozxing matrix, with a margin
// of margin pixels on every side forced white.
func sheetMatrix(b *pdl.Bitmap, margin int) (*gozxing.BitMatrix, error) {
	m, err := gozxing.NewBitMatrix(b.W, b.H)
	if err != nil {
		return nil, err
	}
	for y := margin; y < b.H-margin; y++ {
		row := b.Row(y)
		for i, v := range row {
			if v == 0 {
				continue
			}
			for k := range 8 {
				x := i*8 + k
				if v&(0x80>>k) != 0 && x >= margin && x < b.W-margin {
					m.Set(x, y)
				}
			}
		}
	}
	return m, nil
}

// tooManyFinders aborts the detector once a sheet has more finder
// candidates than maxPaperCandidates (gozxing has no way to stop early).
type tooManyFinders struct{}

// readMatrix finds and decodes every symbol in m (dark modules set). The
// same symbol found through two finder triplets is reported once.
func readMatrix(m *gozxing.BitMatrix) (out []Symbol, err error) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(tooManyFinders); ok {
				out, err = nil, fmt.Errorf("%w: more than %d finder patterns", ErrUnreadable, maxPaperCandidates)
				return
			}
			out, err = nil, fmt.Errorf("%w: decoder panicked: %v", ErrUnreadable, p)
		}
	}()
	candidates := 0
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_TRY_HARDER: true,
		gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK: gozxing.ResultPointCallback(func(gozxing.ResultPoint) {
			if candidates++; candidates > maxPaperCandidates {
				panic(tooManyFinders{})
			}
		}),
	}
	found, err := multidetector.NewMultiDetector(m).DetectMulti(hints)
	if err != nil {
		if _, ok := err.(gozxing.NotFoundException); ok {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	delete(hints, gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK)
	dec := decoder.NewDecoder()
next:
	for _, d := range found {
		res, err := dec.Decode(d.GetBits(), hints)
		if err != nil {
			continue // a false triplet of finder patterns: no symbol
		}
		sym := Symbol{Text: res.GetText(), Bounds: symbolBounds(d)}
		for _, o := range out {
			if o.Text == sym.Text && o.Bounds.Overlaps(sym.Bounds) {
				continue next
			}
		}
		out = append(out, sym)
	}
	return out, nil
}

// symbolBounds estimates a detected symbol's rectangle from its finder
// pattern centres (bottom-left, top-left, top-right), which lie 3.5
// modules inside its corners.
func symbolBounds(d *common.DetectorResult) image.Rectangle {
	p := d.GetPoints()
	dim := d.GetBits().GetWidth()
	if len(p) < 3 || dim <= 7 {
		return image.Rectangle{}
	}
	bl := [2]float64{p[0].GetX(), p[0].GetY()}
	tl := [2]float64{p[1].GetX(), p[1].GetY()}
	tr := [2]float64{p[2].GetX(), p[2].GetY()}
	k := 3.5 / float64(dim-7)
	u := [2]float64{(tr[0] - tl[0]) * k, (tr[1] - tl[1]) * k} // 3.5 modules along a row
	v := [2]float64{(bl[0] - tl[0]) * k, (bl[1] - tl[1]) * k} // 3.5 modules down a column
	corners := [4][2]float64{
		{tl[0] - u[0] - v[0], tl[1] - u[1] - v[1]},
		{tr[0] + u[0] - v[0], tr[1] + u[1] - v[1]},
		{bl[0] - u[0] + v[0], bl[1] - u[1] + v[1]},
		{tr[0] + bl[0] - tl[0] + u[0] + v[0], tr[1] + bl[1] - tl[1] + u[1] + v[1]},
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range corners {
		minX, maxX = math.Min(minX, c[0]), math.Max(maxX, c[0])
		minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
	}
	return image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
}
