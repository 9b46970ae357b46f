package pages

import (
	"image"
)

// Drawing primitives for hostile pages: the emulated center's fault modes
// that attack the gap between the page a kiosk checks and the paper a
// printer makes of it (issue 14). A printer receives the page cut at one
// gray level, so a symbol drawn in the right grays can be seen by one
// reader and not by the other. These helpers draw QR symbols in any pair
// of grays and in either polarity, anywhere on a page; they never decide
// what is drawn where (that is the fault's business, protocol/center).

// SymbolInk is how a symbol is painted. Dark modules take gray levels
// spread over [Dark, DarkMax] (DarkMax ≤ Dark: all exactly Dark), light
// modules and the quiet zone take Light; the renderer's own ink is
// SymbolInk{Dark: 0, Light: 255}. Inverted swaps the roles of the
// module colours, as a light-on-dark symbol is printed: dark modules get
// Light and light modules and the quiet zone get Dark.
type SymbolInk struct {
	Dark, DarkMax uint8
	Light         uint8
	Inverted      bool
}

// SymbolPlacement is where a QR symbol sits on a page: the top-left
// corner of its first module, the module size in pixels, and the symbol's
// side in modules. Its quiet zone is QuietModules modules around it.
type SymbolPlacement struct {
	X, Y    int
	Module  int
	Modules int
}

// QuietModules is the width of a symbol's quiet zone, in modules.
const QuietModules = qrQuiet

// Side is the symbol's side in pixels, without its quiet zone.
func (p SymbolPlacement) Side() int { return p.Modules * p.Module }

// Box is the symbol's rectangle including its quiet zone.
func (p SymbolPlacement) Box() image.Rectangle {
	q := qrQuiet * p.Module
	return image.Rect(p.X-q, p.Y-q, p.X+p.Side()+q, p.Y+p.Side()+q)
}

// At returns the placement moved so that its top-left module is at (x, y).
func (p SymbolPlacement) At(x, y int) SymbolPlacement {
	p.X, p.Y = x, y
	return p
}

// PageSymbol returns where Render puts the page symbol for text on a page
// at dpi: the placement a genuine page of that text has.
func PageSymbol(dpi int, text string) (SymbolPlacement, error) {
	w, h, ok := PageSize(dpi)
	if !ok {
		return SymbolPlacement{}, errorf(KindRender, "dpi %d: only 300 and 600", dpi)
	}
	sym, err := encodeQR(text)
	if err != nil {
		return SymbolPlacement{}, wrapErr(KindRender, err, "QR")
	}
	x, y, m, err := qrPlacement(dpi, w, h, sym.size)
	if err != nil {
		return SymbolPlacement{}, err
	}
	return SymbolPlacement{X: x, Y: y, Module: m, Modules: sym.size}, nil
}

// SymbolModules returns the side in modules of the symbol Render draws
// for text.
func SymbolModules(text string) (int, error) {
	sym, err := encodeQR(text)
	if err != nil {
		return 0, wrapErr(KindRender, err, "QR")
	}
	return sym.size, nil
}

// PaintSymbol paints the QR symbol of text at p on img with ink, its quiet
// zone included. The quiet zone is clipped at the image's edges, but the
// symbol itself must lie wholly inside the image, and p.Modules, when not
// zero, must equal the symbol's size (SymbolModules); a KindRender error
// says otherwise.
func PaintSymbol(img *image.Gray, text string, p SymbolPlacement, ink SymbolInk) error {
	sym, err := encodeQR(text)
	if err != nil {
		return wrapErr(KindRender, err, "QR")
	}
	if p.Modules != 0 && p.Modules != sym.size {
		return errorf(KindRender, "symbol of %d modules placed as %d", sym.size, p.Modules)
	}
	p.Modules = sym.size
	r := img.Bounds()
	if p.Module < 1 || !image.Rect(p.X, p.Y, p.X+p.Side(), p.Y+p.Side()).In(r) {
		return errorf(KindRender, "symbol at (%d,%d), %d px modules, not inside the page %v", p.X, p.Y, p.Module, r)
	}
	darkInk, lightInk := ink.Dark, ink.Light
	if ink.Inverted {
		darkInk, lightInk = ink.Light, ink.Dark
	}
	PaintRect(img, p.Box(), lightInk)
	spread := 0
	if ink.DarkMax > ink.Dark && !ink.Inverted {
		spread = int(ink.DarkMax-ink.Dark) + 1
	}
	k := 0
	for my := range sym.size {
		for mx := range sym.size {
			if !sym.at(mx, my) {
				continue
			}
			v := darkInk
			if spread > 0 {
				// A fixed stride through the range, so neighbouring
				// modules differ and every level in it is used.
				v = ink.Dark + uint8(k*37%spread)
				k++
			}
			PaintRect(img, image.Rect(p.X+mx*p.Module, p.Y+my*p.Module, p.X+(mx+1)*p.Module, p.Y+(my+1)*p.Module), v)
		}
	}
	return nil
}

// PaintRect sets every pixel of r (clipped to img) to v.
func PaintRect(img *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(img.Bounds())
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := range row {
			row[i] = v
		}
	}
}

// MM converts millimetres to whole pixels at dpi, rounding half up, as the
// page geometry does.
func MM(mm float64, dpi int) int {
	return int(mm*float64(dpi)/25.4 + 0.5)
}
