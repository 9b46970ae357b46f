package printer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"

	"kofu/printer/groundpattern"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// face returns what the printer encodes for the verified page pg: pg
// itself when no ground pattern is configured, or — not required — when
// pg is at a resolution the pattern is not built for; otherwise a new
// bitmap, pg with the pattern composited, which Composite has already
// checked bit for bit against pg (every black pixel of pg, and the bottom
// band and the KOFU symbol's quiet zone whole). done wipes what face
// made; call it once the page is encoded.
func (o *Options) face(pg *protocol.VerifiedPage) (img pages.Raster, done func(), err error) {
	gp := o.GroundPattern
	if gp == nil || (pg.DPI() != gp.DPI() && !o.RequireGroundPattern) {
		return pg, func() {}, nil
	}
	w, h := pg.Size()
	var quiet []image.Rectangle
	if q := pg.QRZone(); !q.Empty() {
		quiet = append(quiet, q)
	}
	out, err := gp.Composite(pg, groundpattern.KeepOut(w, h, pg.DPI(), quiet...), pg.DPI())
	if err != nil {
		return nil, nil, newError(KindGroundPattern, false, fmt.Sprintf("page %d", pg.N()), err)
	}
	return out, out.Wipe, nil
}

// Prepare checks that the printer can print a two-sided document's faces
// (KindNoDuplex), composites the ground pattern on every page and checks
// it, as Print will, and keeps nothing: it lets the session refuse a job whose
// pattern cannot be added before it moves to print, when nothing has
// been sent and the fee can be released (terminal.Preparer). Without a
// pattern it checks nothing. A page the pattern is not built for (300
// dpi) is refused when Options.RequireGroundPattern, and otherwise
// printed without it, with a warning logged here, once per job.
func (p *Printer) Prepare(ctx context.Context, pgs []*protocol.VerifiedPage) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prepared = nil
	if err := p.prepare(ctx, pgs); err != nil {
		return err
	}
	p.prepared = slices.Clone(pgs)
	return nil
}

// prepare is Prepare without the lock and the memo. Print runs it too,
// before its first byte, unless Prepare has just passed the same pages.
// A two-sided document is checked first: its faces in print order, and a
// printer that can print both sides (KindNoDuplex otherwise).
func (p *Printer) prepare(ctx context.Context, pgs []*protocol.VerifiedPage) error {
	for _, pg := range pgs {
		if pg == nil {
			return errors.New("printer: a page has no image")
		}
	}
	if err := checkFaces(pgs); err != nil {
		return err
	}
	if err := p.duplexReady(ctx, countOf(pgs, p.info.Quirks)); err != nil {
		return err
	}
	gp := p.opts.GroundPattern
	if gp == nil {
		return nil
	}
	plain := 0
	for _, pg := range pgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if pg == nil {
			return errors.New("printer: a page has no image")
		}
		if pg.DPI() != gp.DPI() && !p.opts.RequireGroundPattern {
			plain++
			continue
		}
		_, done, err := p.opts.face(pg)
		if err != nil {
			return err
		}
		done()
	}
	if plain > 0 {
		p.opts.logger().Warn("ground pattern not added: the pattern is built for 600 dpi only, the page is not; printed without it",
			"pages", plain, "of", len(pgs))
	}
	return nil
}
