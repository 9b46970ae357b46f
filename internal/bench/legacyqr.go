package bench

// This file keeps, frozen, the page search the kiosk ran before issue 14:
// gozxing's adaptive HybridBinarizer over the 8-bit gray bottom band only
// (halved at 600 dpi). It is NOT a check any more — it looked at other
// pixels than the printer prints — and lives here only so that
// `kofu-emu bench` can show the old figure beside the new one in the
// same run.

import (
	"fmt"
	"image"
	"math"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/common"
	multidetector "github.com/makiuchi-d/gozxing/multi/qrcode/detector"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"

	"kofu/protocol/pages"
)

// maxFinderCandidates bounds the finder-pattern candidates in one band: a
// genuine page has 3 or 4 (one symbol, sometimes a false candidate in the
// text); eight symbols' worth is already absurd. Above it the page is refused
// instead of searched: the detector's triplet search is cubic in
// the candidates (adversarially placed: 32 cost up to ~80 ms, 48 up to
// ~0.2 s, 800 ~50 s); 24 keep its worst case near 40 ms.
const maxFinderCandidates = 24

// legacyFindQR is the old search: the texts of the QR symbols gozxing's
// HybridBinarizer finds in the bottom 40 mm band of the gray page img at
// dpi (the band halved at 600 dpi).
func legacyFindQR(img *image.Gray, dpi int) (texts []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			texts, err = nil, fmt.Errorf("legacy QR search panicked: %v", p)
		}
	}()
	r := img.Rect
	if r.Empty() || dpi <= 0 {
		return nil, fmt.Errorf("legacy QR search: image %v at %d dpi", r, dpi)
	}
	band := min(pages.BandHeight(dpi), r.Dy())
	sub := img.SubImage(image.Rect(r.Min.X, r.Max.Y-band, r.Max.X, r.Max.Y)).(*image.Gray)
	scale := max(1, dpi/300)
	var src *graySource
	if scale == 1 {
		src = newGraySource(sub.Pix, sub.Rect.Dx(), sub.Rect.Dy(), sub.Stride)
	} else {
		src = downscale(sub, scale)
	}
	return detectAll(src)
}

// detectAll runs the multi-symbol detector and decodes each candidate.
func detectAll(src *graySource) ([]string, error) {
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return nil, fmt.Errorf("binarizer: %w", err)
	}
	matrix, err := bmp.GetBlackMatrix()
	if err != nil {
		if _, ok := err.(gozxing.NotFoundException); ok {
			return nil, nil
		}
		return nil, fmt.Errorf("binarize: %w", err)
	}
	// The multi detector tries every triplet of finder-pattern candidates:
	// its cost is cubic in their number (800 candidates: ~50 s). Count the
	// candidates as the finder reports them and abort the search once a
	// band holds more than any page could legitimately carry.
	candidates := 0
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_TRY_HARDER: true,
		gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK: gozxing.ResultPointCallback(func(gozxing.ResultPoint) {
			candidates++
			if candidates > maxFinderCandidates {
				panic(tooManyCandidates{})
			}
		}),
	}
	found, err := detectMulti(matrix, hints)
	if err != nil {
		if _, ok := err.(gozxing.NotFoundException); ok {
			return nil, nil
		}
		return nil, fmt.Errorf("detect: %w", err)
	}
	delete(hints, gozxing.DecodeHintType_NEED_RESULT_POINT_CALLBACK)
	dec := decoder.NewDecoder()
	type seen struct {
		cx, cy, side float64
		text         string
	}
	var got []seen
	var texts []string
next:
	for _, d := range found {
		res, err := dec.Decode(d.GetBits(), hints)
		if err != nil {
			if _, ok := err.(gozxing.ReaderException); ok {
				continue // not a decodable symbol: a false finder triplet
			}
			return nil, fmt.Errorf("decode: %w", err)
		}
		cx, cy, side, ok := symbolGeometry(d)
		if !ok {
			return nil, fmt.Errorf("detector returned %d points", len(d.GetPoints()))
		}
		for _, s := range got {
			// Same text decoded around the same centre: one symbol, two
			// finder triplets.
			if s.text == res.GetText() && math.Hypot(s.cx-cx, s.cy-cy) < 0.25*math.Max(s.side, side) {
				continue next
			}
		}
		got = append(got, seen{cx, cy, side, res.GetText()})
		texts = append(texts, res.GetText())
	}
	return texts, nil
}

// tooManyCandidates is the panic value with which the candidate counter
// aborts gozxing's detector (which has no way to stop early); detectMulti
// turns it back into an error. The detector keeps no state outside the
// objects of this one call, so unwinding through it is safe.
type tooManyCandidates struct{}

func detectMulti(matrix *gozxing.BitMatrix, hints map[gozxing.DecodeHintType]interface{}) (found []*common.DetectorResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(tooManyCandidates); !ok {
				panic(p)
			}
			found, err = nil, fmt.Errorf("more than %d QR finder patterns in the band", maxFinderCandidates)
		}
	}()
	return multidetector.NewMultiDetector(matrix).DetectMulti(hints)
}

// symbolGeometry returns the centre and approximate side of a detected
// symbol from its finder pattern centres (bottom-left, top-left, top-right).
func symbolGeometry(d *common.DetectorResult) (cx, cy, side float64, ok bool) {
	p := d.GetPoints()
	if len(p) < 3 {
		return 0, 0, 0, false
	}
	bl, tl, tr := p[0], p[1], p[2]
	cx = (bl.GetX() + tr.GetX()) / 2
	cy = (bl.GetY() + tr.GetY()) / 2
	side = math.Hypot(tr.GetX()-tl.GetX(), tr.GetY()-tl.GetY())
	return cx, cy, side, true
}

// downscale box-filters a grayscale image by an integer factor into a
// fresh contiguous buffer (the band only, never the page).
func downscale(g *image.Gray, k int) *graySource {
	w, h := g.Rect.Dx()/k, g.Rect.Dy()/k
	if w < 1 || h < 1 {
		// Too small to scale: search it as is.
		return newGraySource(g.Pix, g.Rect.Dx(), g.Rect.Dy(), g.Stride)
	}
	out := make([]uint8, w*h)
	sums := make([]int, w)
	kk := k * k
	for y := 0; y < h; y++ {
		clear(sums)
		for dy := 0; dy < k; dy++ {
			row := g.Pix[(y*k+dy)*g.Stride : (y*k+dy)*g.Stride+w*k]
			for x := 0; x < w; x++ {
				s := 0
				for _, v := range row[x*k : x*k+k] {
					s += int(v)
				}
				sums[x] += s
			}
		}
		o := out[y*w : (y+1)*w]
		for x, s := range sums {
			o[x] = uint8((s + kk/2) / kk)
		}
	}
	return newGraySource(out, w, h, w)
}

// graySource is a gozxing.LuminanceSource straight over 8-bit gray pixels
// (luminance = gray value), with cropping. gozxing's generic image source
// converts through image.Image.At per pixel; this one copies rows.
type graySource struct {
	gozxing.LuminanceSourceBase
	pix    []uint8
	stride int
	left   int
	top    int
}

func newGraySource(pix []uint8, w, h, stride int) *graySource {
	return &graySource{LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: w, Height: h}, pix: pix, stride: stride}
}

func (s *graySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.Height {
		return row, fmt.Errorf("IllegalArgumentException: row %d outside the image", y)
	}
	if len(row) < s.Width {
		row = make([]byte, s.Width)
	}
	off := (s.top+y)*s.stride + s.left
	copy(row, s.pix[off:off+s.Width])
	return row, nil
}

// GetMatrix returns the pixels row-major with stride Width; without a copy
// when the source already is laid out that way.
func (s *graySource) GetMatrix() []byte {
	if s.left == 0 && s.stride == s.Width {
		off := s.top * s.stride
		return s.pix[off : off+s.Width*s.Height]
	}
	m := make([]byte, s.Width*s.Height)
	for y := 0; y < s.Height; y++ {
		off := (s.top+y)*s.stride + s.left
		copy(m[y*s.Width:(y+1)*s.Width], s.pix[off:off+s.Width])
	}
	return m
}

func (s *graySource) IsCropSupported() bool { return true }

func (s *graySource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width < 0 || height < 0 || left+width > s.Width || top+height > s.Height {
		return nil, fmt.Errorf("IllegalArgumentException: crop rectangle does not fit")
	}
	c := *s
	c.Width, c.Height = width, height
	c.left, c.top = s.left+left, s.top+top
	return &c, nil
}

func (s *graySource) Invert() gozxing.LuminanceSource { return gozxing.NewInvertedLuminanceSource(s) }

func (s *graySource) String() string { return gozxing.LuminanceSourceString(s) }
