package usbtest

import (
	"fmt"
	"image"

	"kofu/printer/pdl"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// DuplexSheets is the size of the harness's two-sided job: three sheets,
// six faces, as R0004's 戸籍.
const DuplexSheets = 3

// DuplexSession is the synthetic session the two-sided job's faces are
// bound to (the guest has no center): fixed ids, so the host and the test
// on the build machine agree on every face's symbol text.
func DuplexSession() protocol.QRText {
	id := func(n int, b byte) []byte {
		out := make([]byte, n)
		for i := range out {
			out[i] = b + byte(i)
		}
		return out
	}
	return protocol.QRText{TID: id(16, 0x10), Binding: id(32, 0x40), Subject: id(32, 0x80)}
}

// FaceText is the KOFU symbol text of face n (1-based, print order) of
// the two-sided job: sheet (n+1)/2, front for odd n.
func FaceText(n int) string {
	q := DuplexSession()
	q.N, q.Total = n, 2*DuplexSheets
	q.Sheet, q.Sheets, q.Face = protocol.SheetNo((n+1)/2), DuplexSheets, protocol.FaceFront
	if n%2 == 0 {
		q.Face = protocol.FaceBack
	}
	return q.String()
}

// DuplexFaces draws the six faces of the two-sided job at 300 dpi: the
// harness's test page (a different seed per face) with the face's own
// KOFU symbol where a genuine page has it.
func DuplexFaces() ([]*image.Gray, error) {
	out := make([]*image.Gray, 2*DuplexSheets)
	for i := range out {
		img := Page(300, uint64(10+i), false)
		text := FaceText(i + 1)
		p, err := pages.PageSymbol(300, text)
		if err != nil {
			return nil, err
		}
		if err := pages.PaintSymbol(img, text, p, pages.SymbolInk{Dark: 0, DarkMax: 0, Light: 255}); err != nil {
			return nil, err
		}
		out[i] = img
	}
	return out, nil
}

// faceReport is the gadget's line for a face it printed: its side as the
// job said, and the symbol decoded from the face as printed.
func faceReport(n int, p *pdl.Page) string {
	text := "none"
	if syms, err := pages.FindSymbols(p.Bitmap); err == nil && len(syms) == 1 {
		text = syms[0].Text
	} else if err != nil {
		text = "error"
	}
	return fmt.Sprintf(Marker+"gadget page %d bitmap=%s side=%s qr=%s\n", n, BitmapSum(p.Bitmap), p.Side, text)
}

// PaperOutAt is the page (counted since the gadget started) at which its
// paper runs out: the first page of job 3, after job 1's page and the
// two-sided job's faces.
const PaperOutAt = 2 + 2*DuplexSheets
