package center

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	"kofu/protocol"
	"kofu/protocol/pages"
)

// The attacks on the printed bitmap (issue 14). A kiosk that checks a
// page's symbols on the 8-bit image, or in the bottom band only, can pass
// a page whose paper says something else: the printer cuts the page at
// gray 0x80 (≤ 127 black), and paper shows every symbol on the sheet in
// either polarity, except what falls in the printer's unprintable margin.
// Each fault below alters one page of this ticket's own document and, like
// every mix-up, the center signs whatever it holds: the envelope is this
// request's and its page hashes match the altered pages.
//
// Gray levels (0 black, 255 white), relative to the printer's cut at 128:
//
//	qr-faint-own        own symbol at 160 on 255 (prints nothing) beside,
//	                    in the genuine symbol's place, another live
//	                    ticket's genuine symbol at 120 on a 136 patch
//	                    (prints black on white: the paper carries exactly
//	                    one symbol, and it names the other ticket)
//	qr-gray-only        own symbol only, its dark modules spread over
//	                    128..180 (prints nothing: no symbol on the paper)
//	qr-inverted-second  another ticket's symbol, light on dark, in the band
//	                    beside the genuine one (phone scanners read it)
//	qr-in-body          another ticket's symbol in the page body
//	qr-band-straddle    another ticket's symbol across the top of the band
//	qr-edge             own symbol moved to end 2 mm above the sheet's
//	                    bottom edge (inside most printers' unprintable
//	                    margin: the paper would carry none)
const (
	faintOwnGray     = 160 // ≥ 128: white on paper
	faintForeignDark = 120 // ≤ 127: black on paper
	faintForeignLite = 136 // ≥ 128: white on paper, 16 levels from the dark
	grayOnlyMin      = 128
	grayOnlyMax      = 180
	edgeGapMM        = 2.0 // qr-edge: symbol's bottom above the sheet edge
	besideGapMM      = 2.0 // gap between two symbols' quiet zones
)

// paperFault applies one of the printed-bitmap faults to one page of
// genuine and reseals the document over the altered pages.
func (c *Center) paperFault(ctx context.Context, j *job, genuine *document, inj *Injection) (*document, *Injection, error) {
	k := attackedPage(len(genuine.pages))
	img, err := grayPage(genuine.pages[k])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: page %d: %w", j.fault.Name, k+1, err)
	}
	own := envelopeQR(genuine.env, k).String()
	var foreign string
	inj.Source = "own"
	switch j.fault.Name {
	case FaultQRFaintOwn, FaultQRInvertedSecond, FaultQRInBody, FaultQRBandStraddle:
		other, src, err := c.otherDocument(ctx, j, nil)
		if err != nil {
			return nil, nil, err
		}
		foreign = envelopeQR(other.env, min(k, len(other.env.Pages)-1)).String()
		inj.Source = src
	}
	if err := craftPage(img, c.cfg.DPI, j.fault.Name, own, foreign); err != nil {
		return nil, nil, fmt.Errorf("%s: page %d: %w", j.fault.Name, k+1, err)
	}
	data, err := pages.EncodePNG(img, c.cfg.DPI)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: page %d: %w", j.fault.Name, k+1, err)
	}
	pngs := append([][]byte(nil), genuine.pages...)
	pngs[k] = data
	d, err := c.reseal(j, genuine, pngs, nil)
	return d, inj, err
}

// attackedPage is the page a printed-bitmap fault alters in a document of
// n pages: the one page-swap replaces (page 2 of 3, else the last).
func attackedPage(n int) int {
	if n > 2 {
		return 1
	}
	return n - 1
}

// craftPage draws the fault's symbols on img, a genuine page at dpi whose
// own symbol text is own; foreign is another ticket's symbol text (empty
// for the faults that use none).
func craftPage(img *image.Gray, dpi int, fault FaultName, own, foreign string) error {
	at, err := pages.PageSymbol(dpi, own)
	if err != nil {
		return err
	}
	h := img.Rect.Dy()
	q := pages.QuietModules * at.Module
	// beside is a symbol of n modules left of the genuine one, on the same
	// rows, quiet zones apart by besideGapMM.
	beside := func(text string) (pages.SymbolPlacement, error) {
		n, err := pages.SymbolModules(text)
		if err != nil {
			return pages.SymbolPlacement{}, err
		}
		p := pages.SymbolPlacement{Module: at.Module, Modules: n}
		return p.At(at.X-q-pages.MM(besideGapMM, dpi)-q-p.Side(), at.Y), nil
	}
	switch fault {
	case FaultQRFaintOwn:
		// The other ticket's symbol takes the genuine one's place, so the
		// paper looks like any genuine page; ours goes beside it, faint.
		there := pages.SymbolPlacement{X: at.X, Y: at.Y, Module: at.Module} // any size
		if err := pages.PaintSymbol(img, foreign, there, pages.SymbolInk{Dark: faintForeignDark, Light: faintForeignLite}); err != nil {
			return err
		}
		p, err := beside(own)
		if err != nil {
			return err
		}
		return pages.PaintSymbol(img, own, p, pages.SymbolInk{Dark: faintOwnGray, Light: 255})
	case FaultQRGrayOnly:
		return pages.PaintSymbol(img, own, at, pages.SymbolInk{Dark: grayOnlyMin, DarkMax: grayOnlyMax, Light: 255})
	case FaultQRInvertedSecond:
		p, err := beside(foreign)
		if err != nil {
			return err
		}
		return pages.PaintSymbol(img, foreign, p, pages.SymbolInk{Dark: 0, Light: 255, Inverted: true})
	case FaultQRInBody:
		n, err := pages.SymbolModules(foreign)
		if err != nil {
			return err
		}
		p := pages.SymbolPlacement{Module: at.Module, Modules: n}
		// Left margin, a little below the middle of the sheet: where the
		// table and notes end on most pages.
		return pages.PaintSymbol(img, foreign, p.At(pages.MM(20, dpi)+q, h*11/20), pages.SymbolInk{Light: 255})
	case FaultQRBandStraddle:
		n, err := pages.SymbolModules(foreign)
		if err != nil {
			return err
		}
		p := pages.SymbolPlacement{Module: at.Module, Modules: n}
		bandTop := h - pages.BandHeight(dpi)
		return pages.PaintSymbol(img, foreign, p.At(pages.MM(20, dpi)+q, bandTop-p.Side()/2), pages.SymbolInk{Light: 255})
	case FaultQREdge:
		pages.PaintRect(img, at.Box(), 255)
		y := h - pages.MM(edgeGapMM, dpi) - at.Side()
		return pages.PaintSymbol(img, own, at.At(at.X, y), pages.SymbolInk{Light: 255})
	}
	return fmt.Errorf("%s is not a printed-bitmap fault", fault)
}

// envelopeQR is the symbol text face i (0-based) of the document e
// describes carries: its ids, its place, and its face when e declares
// faces.
func envelopeQR(e protocol.Envelope, i int) protocol.QRText {
	q := protocol.QRText{TID: e.TID, Binding: e.Binding, Subject: e.Subject, N: i + 1, Total: len(e.Pages)}
	if e.HasFaces() {
		q.Sheet, q.Face = e.FaceOf(i)
		q.Sheets = e.Sheets()
	}
	return q
}

// grayPage decodes a page PNG the center rendered into an 8-bit image it
// can draw on.
func grayPage(data []byte) (*image.Gray, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g, nil
}
