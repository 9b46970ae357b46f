package pages

import (
	"errors"
	"sync"

	"rsc.io/qr/coding"
)

// The page's QR symbol (center side). It is encoded with rsc.io/qr's
// coding package, a different implementation from the kiosk's decoder
// (gozxing), so the round trip checks one against the other.
//
// Level M, mask chosen by the ISO/IEC 18004 penalty rules (rsc.io/qr's
// top-level Encode always uses mask 0, which can leave finder-like runs in
// the data area), a 4-module quiet zone, modules of a whole number of
// pixels no smaller than 0.4 mm.

const (
	qrQuiet       = 4   // quiet zone, modules
	qrModuleMM    = 0.5 // preferred module size
	qrMinModuleMM = 0.4 // smallest module size allowed
	qrMaxText     = 1024
)

// qrSymbol is an encoded symbol: size×size modules, true = dark.
type qrSymbol struct {
	size int
	dark []bool
}

func (s *qrSymbol) at(x, y int) bool { return s.dark[y*s.size+x] }

// planCache keeps the QR plans (module maps per version and mask) a
// Renderer built: a plan never changes once built, and building one costs
// more than encoding with it. At most 40 versions × 8 masks.
type planCache struct {
	m sync.Map // [2]int{version, mask} → *coding.Plan
}

func (pc *planCache) plan(v coding.Version, m coding.Mask) (*coding.Plan, error) {
	if pc == nil {
		return coding.NewPlan(v, coding.M, m)
	}
	k := [2]int{int(v), int(m)}
	if p, ok := pc.m.Load(k); ok {
		return p.(*coding.Plan), nil
	}
	p, err := coding.NewPlan(v, coding.M, m)
	if err != nil {
		return nil, err
	}
	pc.m.Store(k, p)
	return p, nil
}

// encodeQR encodes text at error-correction level M in the smallest
// version that holds it, trying all eight masks and keeping the one with
// the lowest penalty.
func encodeQR(text string) (*qrSymbol, error) { return encodeQRWith(text, nil) }

// encodeQRWith is encodeQR taking plans from pc (nil: build them).
func encodeQRWith(text string, pc *planCache) (*qrSymbol, error) {
	if text == "" {
		return nil, errors.New("empty QR text")
	}
	if len(text) > qrMaxText {
		return nil, errors.New("QR text too long")
	}
	var enc coding.Encoding
	switch {
	case coding.Num(text).Check() == nil:
		enc = coding.Num(text)
	case coding.Alpha(text).Check() == nil:
		enc = coding.Alpha(text)
	default:
		enc = coding.String(text)
	}
	v := coding.Version(coding.MinVersion)
	for ; ; v++ {
		if v > coding.MaxVersion {
			return nil, errors.New("QR text too long")
		}
		if enc.Bits(v) <= v.DataBytes(coding.M)*8 {
			break
		}
	}
	var best *qrSymbol
	bestPenalty := -1
	for m := coding.Mask(0); m < 8; m++ {
		p, err := pc.plan(v, m)
		if err != nil {
			return nil, err
		}
		cc, err := p.Encode(enc)
		if err != nil {
			return nil, err
		}
		s := &qrSymbol{size: cc.Size, dark: make([]bool, cc.Size*cc.Size)}
		for y := 0; y < cc.Size; y++ {
			for x := 0; x < cc.Size; x++ {
				s.dark[y*cc.Size+x] = cc.Black(x, y)
			}
		}
		if pen := qrPenalty(s); bestPenalty < 0 || pen < bestPenalty {
			best, bestPenalty = s, pen
		}
	}
	return best, nil
}

// qrPenalty scores a masked symbol by the four rules of ISO/IEC 18004
// §7.8.3.1 (N1=3, N2=3, N3=40, N4=10).
func qrPenalty(s *qrSymbol) int {
	n := s.size
	// Rows and columns as byte lines (1 = dark): rules 1 and 3 scan both
	// the same way, with plain indexing.
	rows := make([]byte, n*n)
	cols := make([]byte, n*n)
	dark := 0
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if s.dark[y*n+x] {
				rows[y*n+x], cols[x*n+y] = 1, 1
				dark++
			}
		}
	}
	pen := 0
	for _, grid := range [2][]byte{rows, cols} {
		for i := 0; i < n; i++ {
			line := grid[i*n : (i+1)*n]
			// Rule 1: runs of 5 or more of one colour.
			run := 1
			for j := 1; j < n; j++ {
				if line[j] == line[j-1] {
					run++
					continue
				}
				if run >= 5 {
					pen += 3 + run - 5
				}
				run = 1
			}
			if run >= 5 {
				pen += 3 + run - 5
			}
			// Rule 3: 1:1:3:1:1 with 4 light modules on a side.
			for j := 0; j+7 <= n; j++ {
				if line[j] != 1 || line[j+1] != 0 || line[j+2] != 1 || line[j+3] != 1 || line[j+4] != 1 || line[j+5] != 0 || line[j+6] != 1 {
					continue
				}
				lightBefore, lightAfter := j >= 4, j+11 <= n
				for k := 1; k <= 4 && lightBefore; k++ {
					lightBefore = line[j-k] == 0
				}
				for k := 7; k < 11 && lightAfter; k++ {
					lightAfter = line[j+k] == 0
				}
				if lightBefore || lightAfter {
					pen += 40
				}
			}
		}
	}
	// Rule 2: 2×2 blocks of one colour.
	for y := 0; y+1 < n; y++ {
		a, b := rows[y*n:(y+1)*n], rows[(y+1)*n:(y+2)*n]
		for x := 0; x+1 < n; x++ {
			if c := a[x]; a[x+1] == c && b[x] == c && b[x+1] == c {
				pen += 3
			}
		}
	}
	// Rule 4: proportion of dark modules.
	pct := dark * 100 / (n * n)
	dev := pct - 50
	if dev < 0 {
		dev = -dev
	}
	pen += dev / 5 * 10
	return pen
}

// drawQR paints the symbol with modules of m pixels, its top-left module
// corner at (x, y), after clearing its quiet zone to white. Each module
// row is built once and copied to the m pixel rows it covers.
func (c *canvas) drawQR(s *qrSymbol, x, y, m int) {
	q := qrQuiet * m
	c.fill(x-q, y-q, x+s.size*m+q, y+s.size*m+q, 255)
	row := make([]uint8, s.size*m)
	for my := 0; my < s.size; my++ {
		for mx := 0; mx < s.size; mx++ {
			v := uint8(255)
			if s.at(mx, my) {
				v = 0
			}
			seg := row[mx*m : (mx+1)*m]
			for i := range seg {
				seg[i] = v
			}
		}
		for py := y + my*m; py < y+(my+1)*m; py++ {
			if py < c.y0 || py >= c.y1 || x < 0 || x+len(row) > c.w {
				continue // never happens for a placement checked by the caller
			}
			copy(c.pix[c.off(x, py):], row)
		}
	}
}
