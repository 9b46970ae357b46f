package protocol

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"strings"

	"kofu/protocol/pages"
)

// VerifiedPage is one page that passed every check of DESIGN §3.4 rule 3:
// the bilevel bitmap the printer receives, on which the checks ran (rule
// 4: what is encoded for the printer is what was verified).
//
// It is opaque: only the Verifier makes one for a resident's document
// (Pages), and the technician's test page is made by TechnicianTestPage.
// Its bits are read a row at a time (ReadRow, a copy) or as a whole copy
// (Bitmap); nothing outside this package holds an alias it could change
// between the check and the print.
type VerifiedPage struct {
	n, dpi int
	sheet  SheetNo
	face   Face
	bmp    *pages.Bitmap
	test   bool
	qr     image.Rectangle // the KOFU symbol with its quiet zone, as checkFace found it (QRZone)
}

// N returns the 1-based page number within its document: the face's
// place in print order.
func (p *VerifiedPage) N() int { return p.n }

// Sheet returns the 1-based sheet the page is a face of (the page number
// for a single-sided document).
func (p *VerifiedPage) Sheet() int { return int(p.sheet) }

// Back reports whether the page is the back face of its sheet. The pages
// Verifier.Pages returns are in print order, each sheet's front then its
// back: a duplex printer puts a back on the reverse of the front before it.
func (p *VerifiedPage) Back() bool { return p.face == FaceBack }

// DPI returns the page's resolution (300 or 600 for a resident's page).
func (p *VerifiedPage) DPI() int { return p.dpi }

// Size returns the page's width and height in pixels (pages.Raster).
func (p *VerifiedPage) Size() (w, h int) { return p.bmp.W, p.bmp.H }

// ReadRow copies packed row y of the verified bitmap into dst (pages.Raster):
// the PDL writers encode the job from these rows.
func (p *VerifiedPage) ReadRow(y int, dst []byte) []byte { return p.bmp.ReadRow(y, dst) }

// Bitmap returns a copy of the verified bitmap (for tests and the
// emulator's records; the caller wipes it when done).
func (p *VerifiedPage) Bitmap() *pages.Bitmap { return p.bmp.Clone() }

// TechnicianTest reports whether the page is the technician's test page
// (TechnicianTestPage), not a resident's document.
func (p *VerifiedPage) TechnicianTest() bool { return p.test }

// Wipe zeroes the bitmap so no document pixels outlive the session.
func (p *VerifiedPage) Wipe() {
	if p != nil {
		p.bmp.Wipe()
	}
}

// TechnicianTestPage makes the printable page of the technician's test
// print (kiosk printer testpage, the diag UI, selftest): img thresholded
// exactly as a resident's page is (pages.Binarize), as page 1. It is not a
// resident's document and passes no check; the name says so at every
// call site.
func TechnicianTestPage(img *image.Gray, dpi int) (*VerifiedPage, error) {
	if img == nil || img.Rect.Empty() {
		return nil, errors.New("protocol: test page without an image")
	}
	if dpi <= 0 {
		return nil, fmt.Errorf("protocol: test page at %d dpi", dpi)
	}
	return &VerifiedPage{n: 1, dpi: dpi, sheet: 1, face: FaceFront, bmp: pages.Binarize(img), test: true}, nil
}

// TechnicianTestSheets makes a two-sided technician test print: faces
// are the sheets' faces in print order, front then back, two per sheet
// (1 to MaxPages sheets), each thresholded as TechnicianTestPage does,
// with Sheet and Back set as the Verifier sets them on a two-sided
// document. It checks a duplex printer path (the printer package's tests
// and benchmarks, the qemu harness); it is not a resident's document and
// passes no check.
func TechnicianTestSheets(dpi int, faces ...*image.Gray) ([]*VerifiedPage, error) {
	if len(faces)%2 != 0 || len(faces) < 2 || len(faces) > 2*MaxPages {
		return nil, fmt.Errorf("protocol: two-sided test print of %d faces", len(faces))
	}
	out := make([]*VerifiedPage, 0, len(faces))
	for i, img := range faces {
		p, err := TechnicianTestPage(img, dpi)
		if err != nil {
			return nil, err
		}
		p.n, p.sheet, p.face = i+1, SheetNo(i/2+1), FaceFront
		if i%2 == 1 {
			p.face = FaceBack
		}
		out = append(out, p)
	}
	return out, nil
}

// Pages checks every page of a verified envelope (§3.4 rules 3 and 4).
// data[i] holds the fetched bytes of page i+1. It returns the verified
// pages only when every page passed: nothing is printed unless all are
// good, and what is printed is what was checked.
func (v *Verifier) Pages(env *VerifiedEnvelope, data [][]byte) ([]*VerifiedPage, error) {
	if len(data) != len(env.e.Pages) {
		return nil, refuse(StagePage, ReasonMissing,
			fmt.Sprintf("%d pages supplied, %d declared", len(data), len(env.e.Pages)), nil)
	}
	out := make([]*VerifiedPage, 0, len(data))
	for i := range data {
		p, err := v.page(env, i+1, data[i])
		if err != nil {
			for _, done := range out {
				done.Wipe()
			}
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// page checks one page: the hash signed in the envelope, the PNG within
// limits and as declared; then the page becomes the bitmap the printer
// will receive, and on exactly that bitmap: exactly one KOFU symbol on the
// whole face (either polarity), wholly inside the bottom band, its quiet
// zone at least the printable margin from every edge, naming this ticket,
// request, subject and page.
func (v *Verifier) page(env *VerifiedEnvelope, n int, data []byte) (*VerifiedPage, error) {
	e := env.e
	if n < 1 || n > len(e.Pages) {
		return nil, &RefusalError{Stage: StagePage, Reason: ReasonMissing, Page: n, Detail: "no such page declared"}
	}
	ref := e.Pages[n-1]
	pageErr := func(r Reason, detail string, err error) error {
		return &RefusalError{Stage: StagePage, Reason: r, Page: n, Detail: detail, Err: err}
	}
	sum := sha256.Sum256(data)
	if !bytes.Equal(sum[:], ref.SHA256) {
		return nil, pageErr(ReasonHash, "", nil)
	}
	// The one threshold: the page is decoded straight to the bitmap the
	// printer will receive; no 8-bit page exists to be checked instead.
	bmp, err := pages.DecodeBitmap(data, ref.W, ref.H, ref.DPI, v.PageLimits)
	if err != nil {
		return nil, pageErr(imageReason(err), "", err)
	}
	sheet, face := e.FaceOf(n - 1)
	vp := &VerifiedPage{n: n, dpi: ref.DPI, sheet: sheet, face: face, bmp: bmp}
	if err := v.checkFace(env, vp); err != nil {
		vp.Wipe()
		return nil, err
	}
	return vp, nil
}

// imageReason maps a pages.Decode error to its reason: sizes and size
// limits (declared size, IHDR, the pixel count — decompression bombs —
// and the file's byte limit) are dimensions, densities dpi, everything
// else (a malformed PNG) image.
func imageReason(err error) Reason {
	var pe *pages.Error
	if errors.As(err, &pe) {
		switch pe.Kind {
		case pages.KindDimensions, pages.KindPixels, pages.KindTooLarge:
			return ReasonDimensions
		case pages.KindDPI:
			return ReasonDPI
		}
	}
	return ReasonImage
}

// checkFace applies the symbol rules to the page's bitmap.
func (v *Verifier) checkFace(env *VerifiedEnvelope, vp *VerifiedPage) error {
	e, n := env.e, vp.n
	pageErr := func(r Reason, detail string, err error) error {
		return &RefusalError{Stage: StagePage, Reason: r, Page: n, Detail: detail, Err: err}
	}
	syms, err := pages.FindSymbols(vp.bmp)
	if err != nil {
		var pe *pages.Error
		if errors.As(err, &pe) && pe.Kind == pages.KindCrowded {
			return pageErr(ReasonQRTooMany, "", err)
		}
		return pageErr(ReasonQRSearch, "", err)
	}
	var kofu []pages.Symbol
	for _, s := range syms {
		if strings.HasPrefix(s.Text, QRPrefix+"|") {
			kofu = append(kofu, s)
		}
	}
	switch len(kofu) {
	case 0:
		return pageErr(ReasonQRMissing, fmt.Sprintf("%d other symbols", len(syms)), nil)
	case 1:
	default:
		return pageErr(ReasonQRMultiple, fmt.Sprintf("%d KOFU symbols", len(kofu)), nil)
	}
	s := kofu[0]
	if detail := placement(s, vp.bmp.W, vp.bmp.H, vp.dpi, v.PageLimits.Margin()); detail != "" {
		return pageErr(ReasonQRPosition, detail, nil)
	}
	vp.qr = s.Quiet
	got, err := ParseQRText(s.Text)
	want := QRText{TID: env.ticket.t.TID, Binding: env.ticket.sent.binding, Subject: env.ticket.sent.subject,
		N: n, Total: len(e.Pages)}
	if e.HasFaces() {
		// The face the envelope declares this page to be, in the symbol.
		want.Sheet, want.Face = vp.sheet, vp.face
		want.Sheets = e.Sheets()
	}
	if err != nil {
		return pageErr(ReasonQRMismatch, "symbol text malformed", err)
	}
	if !got.Equal(want) {
		return pageErr(faceReason(got, want), qrDiff(got, want), nil)
	}
	return nil
}

// faceReason names a symbol that is not the one this face must carry:
// this document's symbol for the other face of the same sheet (front and
// back swapped), another document's symbol on a declared back face (a
// back from another document), or any other mismatch.
func faceReason(got, want QRText) Reason {
	switch {
	case want.Face == "":
		return ReasonQRMismatch
	case got.sameDocument(want) && got.Face != "" && got.Sheet == want.Sheet && got.Face != want.Face:
		return ReasonFaceSwapped
	case !got.sameDocument(want) && want.Face == FaceBack:
		return ReasonBackForeign
	}
	return ReasonQRMismatch
}

// placement returns why the KOFU symbol s sits where it must not on a w×h
// face at dpi, or "": the symbol wholly inside the bottom band, and the
// symbol with its quiet zone at least marginMM from every edge. Positions
// only, never content.
func placement(s pages.Symbol, w, h, dpi int, marginMM float64) string {
	if top := h - pages.BandHeight(dpi); s.Box.Min.Y < top {
		if s.Box.Max.Y <= top {
			return "symbol above the bottom band"
		}
		return "symbol straddles the top of the bottom band"
	}
	m := pages.MMToPx(marginMM, dpi)
	q := s.Quiet
	if q.Min.X < m || q.Min.Y < m || q.Max.X > w-m || q.Max.Y > h-m {
		return fmt.Sprintf("symbol and quiet zone closer than %.1f mm to an edge", marginMM)
	}
	return ""
}

// qrDiff names the fields that differ, for technicians (no personal data:
// only which field).
func qrDiff(got, want QRText) string {
	var d []string
	if !bytes.Equal(got.TID, want.TID) {
		d = append(d, "tid")
	}
	if !bytes.Equal(got.Binding, want.Binding) {
		d = append(d, "binding")
	}
	if !bytes.Equal(got.Subject, want.Subject) {
		d = append(d, "subject")
	}
	if got.N != want.N || got.Total != want.Total {
		d = append(d, "page")
	}
	if got.Sheet != want.Sheet || got.Sheets != want.Sheets || got.Face != want.Face {
		d = append(d, "face")
	}
	return "differs in " + strings.Join(d, ",")
}
