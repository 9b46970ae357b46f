package printer

import (
	"context"
	"fmt"
	"strings"

	"github.com/OpenPrinting/goipp"

	"kofu/printer/internal/ippattr"
	"kofu/printer/pjl"
	"kofu/protocol"
)

// sidesTwoSidedLong is the IPP sides keyword kofu asks for a two-sided
// document: the back turns about the long edge, as a bound A4
// certificate reads.
const sidesTwoSidedLong = "two-sided-long-edge"

// countOf says what a job of these verified pages puts on paper: each
// back (VerifiedPage.Back) goes on the reverse of the front before it, a
// front starts a sheet. The pages of a one-sided document are all fronts.
// q's QuirkPagesCountSheets says how the printer's PJL counts.
func countOf(pages []*protocol.VerifiedPage, q Quirks) pjl.Count {
	c := pjl.Count{Faces: len(pages), PagesCountSheets: q&QuirkPagesCountSheets != 0}
	for _, pg := range pages {
		if pg.Back() {
			c.Duplex = true
		} else {
			c.Sheets++
		}
	}
	return c
}

// checkFaces refuses a two-sided job whose faces are not in print order
// (each sheet's front, then its back): a duplex printer puts page 2k on
// the back of page 2k−1, so a stray page would shift every later face to
// the wrong sheet. The verifier guarantees the order; this keeps the
// printer from trusting it.
func checkFaces(pages []*protocol.VerifiedPage) error {
	for i, pg := range pages {
		if !pg.Back() {
			continue
		}
		if i == 0 || pages[i-1].Back() || pages[i-1].Sheet() != pg.Sheet() {
			return fmt.Errorf("printer: face %d is the back of sheet %d but does not follow that sheet's front", i+1, pg.Sheet())
		}
	}
	return nil
}

// duplexReady says, without sending a job, whether the printer can print
// a two-sided document: an IPP printer by its sides-supported (and a
// back it takes as kofu sends it); a printer-class printer unless the
// site's quirk says it has no duplex unit — the quirk overrides whatever
// the printer says — or, on a bidirectional PJL printer, unless its
// @PJL INFO CONFIG answer says so (DUPLEX=NOTINSTALLED; asked once,
// pjlDuplexUnit). A PJL printer whose answer says nothing of a duplex
// unit, is malformed, or does not come, and a printer that cannot be
// asked (unidirectional, or no PJL), print two-sided jobs unless the
// quirk says no-duplex, as before kofu asked. A one-sided document needs
// nothing; a file target takes anything.
func (p *Printer) duplexReady(ctx context.Context, c pjl.Count) error {
	if !c.Duplex || p.isFile {
		return nil
	}
	if p.plan.Path == PathIPP {
		return p.ippConn().duplexReady(ctx)
	}
	if p.info.Quirks&QuirkNoDuplex != 0 {
		return newError(KindNoDuplex, false, fmt.Sprintf("%s %s: the site's quirk says no-duplex; the document has %d sheets, %d faces",
			p.id.Manufacturer, p.id.Model, c.Sheets, c.Faces), nil)
	}
	if p.plan.Path == PathPJLPCL && p.plan.Confirm {
		if a := p.pjlDuplexUnit(ctx); a.unit == pjl.DuplexNotInstalled {
			return newError(KindNoDuplex, false, fmt.Sprintf("%s %s says in @PJL INFO CONFIG %q: no duplex unit; the document has %d sheets, %d faces",
				p.id.Manufacturer, p.id.Model, a.said, c.Sheets, c.Faces), nil)
		}
	}
	return nil
}

// duplexReady asks an IPP printer whether it prints two-sided long-edge
// and turns the back as kofu sends it: PWG Raster's
// pwg-raster-document-sheet-back "normal" (or absent). A printer that
// wants the back image flipped or rotated is refused: the verified bitmap
// is what prints (DESIGN §3.4 rule 4), and transforming it is left for
// when such a printer is met.
func (c *ippClient) duplexReady(ctx context.Context) error {
	m := c.request(goipp.OpGetPrinterAttributes)
	m.Operation.Add(keywords("sides-supported", "pwg-raster-document-sheet-back"))
	resp, err := c.do(ctx, m, nil)
	if err != nil {
		return newError(KindOffline, false, "Get-Printer-Attributes (sides-supported) failed", err)
	}
	sides := ippattr.Values(resp.Printer, "sides-supported")
	if !contains(sides, sidesTwoSidedLong) {
		offered := strings.Join(sides, ", ")
		if offered == "" {
			offered = "no sides-supported"
		}
		return newError(KindNoDuplex, false, "the printer offers "+offered+", not "+sidesTwoSidedLong, nil)
	}
	if back := ippattr.Values(resp.Printer, "pwg-raster-document-sheet-back"); len(back) > 0 && back[0] != "normal" {
		return newError(KindNoDuplex, false, "the printer wants PWG Raster backs "+back[0]+"; kofu sends them as verified (normal)", nil)
	}
	return nil
}

// Sides is how the kiosk asks documents to be printed: two-sided when
// the site prints duplex (Options.Duplex), else one-sided (""). The
// session puts it in the request's doc (terminal.SidesAsker).
func (p *Printer) Sides() protocol.Sides {
	if p.opts.Duplex {
		return protocol.SidesTwoSided
	}
	return ""
}

// DuplexReady says, without sending a job, whether the printer can print
// the two-sided documents the site asks for (Options.Duplex): nil when it
// can or the site prints one-sided, else a *Error of KindNoDuplex (or
// the plan's error, for a printer kofu cannot drive). The health check
// asks it, so a kiosk whose printer cannot duplex is out of service
// before a resident pays.
func (p *Printer) DuplexReady(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.opts.Duplex {
		return nil
	}
	if p.plan.Err != nil {
		return p.plan.Err
	}
	return p.duplexReady(ctx, pjl.Count{Faces: 2, Sheets: 1, Duplex: true})
}
