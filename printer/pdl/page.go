package pdl

import (
	"errors"
	"fmt"
	"image"
)

// Page is one decoded page: a 1-bit Bitmap (PCL, PWG black_1) or an 8-bit
// Gray image (PWG sgray_8), never both.
type Page struct {
	DPI    int
	Bitmap *Bitmap
	Gray   *image.Gray
	// Side is the face of the sheet the page was printed on, as the
	// stream said (PCL ESC&l#S and ESC&a#G, PWG Duplex): SideSimplex on
	// a one-sided job.
	Side Side
}

// Side is which face of a sheet a page goes on.
type Side int

// Sides.
const (
	SideSimplex Side = iota // a one-sided job: every page is a sheet of its own
	SideFront               // the front of a sheet of a two-sided job
	SideBack                // the back of the sheet whose front came before
)

func (s Side) String() string {
	switch s {
	case SideFront:
		return "front"
	case SideBack:
		return "back"
	}
	return "simplex"
}

// Image returns the page as 8-bit gray (0 black, 255 white).
func (p *Page) Image() *image.Gray {
	if p.Gray != nil {
		return p.Gray
	}
	return p.Bitmap.Gray()
}

// Limits bound what a decoder accepts, so hostile input costs bounded
// memory. The zero value means DefaultLimits.
type Limits struct {
	MaxWidth, MaxHeight int // pixels
	MaxPages            int
}

// DefaultLimits fit A4 and US Legal at up to 600 dpi.
func DefaultLimits() Limits { return Limits{MaxWidth: 5400, MaxHeight: 8500, MaxPages: 100} }

func (l Limits) norm() Limits {
	d := DefaultLimits()
	if l.MaxWidth <= 0 {
		l.MaxWidth = d.MaxWidth
	}
	if l.MaxHeight <= 0 {
		l.MaxHeight = d.MaxHeight
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	return l
}

// ErrFormat is wrapped by every decoding error caused by the input.
var ErrFormat = errors.New("pdl: malformed input")

// ErrLimit is wrapped when the input exceeds the decoder's Limits.
var ErrLimit = errors.New("pdl: input exceeds limits")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func limitErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLimit}, args...)...)
}
