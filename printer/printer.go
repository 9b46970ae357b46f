package printer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"kofu/printer/pjl"
	"kofu/protocol"
)

// Path is how a job travels to a printer.
type Path string

// Job paths.
const (
	PathPJLPCL Path = "pjl+pcl5" // PJL-wrapped PCL 5 raster; confirmed by PJL USTATUS on 7/1/2
	PathPCL    Path = "pcl5"     // bare PCL 5 raster: the printer has no PJL, cannot confirm
	PathPWG    Path = "pwg"      // bare PWG Raster on the printer class pipe: cannot confirm
	PathIPP    Path = "ipp-usb"  // IPP Print-Job with PWG Raster over IPP-over-USB (7/1/4)
)

// Plan is what kofu will do with this printer.
type Plan struct {
	Path    Path
	Confirm bool   // the printer can confirm a job (bidirectional, PJL or IPP)
	Why     string // one line for technicians
	Err     error  // non-nil: no job can be sent (unsupported printer)
}

// choosePlan picks the job path from the interface protocol, quirks and
// the device ID's CMD.
func choosePlan(info Info, id DeviceID, idErr error) Plan {
	if info.Protocol == protoIPPUSB {
		return Plan{Path: PathIPP, Confirm: true, Why: "IPP-over-USB: Print-Job with PWG Raster, confirmed by job-state"}
	}
	if idErr != nil {
		return Plan{Err: newError(KindUnsupported, false, "cannot read the printer's device ID", idErr)}
	}
	caps := id.Capabilities()
	bidir := info.Protocol == protoBidir && info.HasIn && info.Quirks&QuirkUnidir == 0
	switch {
	case caps.Has(PDLPCL5) && caps.Has(PDLPJL):
		p := Plan{Path: PathPJLPCL, Confirm: bidir, Why: "PJL + PCL 5 raster, confirmed by PJL USTATUS JOB"}
		if !bidir {
			p.Why = "PJL + PCL 5 raster on a unidirectional interface: printing cannot be confirmed"
		}
		return p
	case caps.Has(PDLPCL5):
		return Plan{Path: PathPCL, Why: "PCL 5 raster without PJL: printing cannot be confirmed"}
	case caps.Has(PDLPWG):
		return Plan{Path: PathPWG, Why: "PWG Raster on the printer pipe: printing cannot be confirmed"}
	}
	offered := strings.Join(caps.Offered(), ", ")
	if offered == "" {
		offered = "nothing"
	}
	detail := fmt.Sprintf("%s %s offers %s; kofu sends PCL 5 (with PJL), PWG Raster, or IPP-over-USB",
		id.Manufacturer, id.Model, offered)
	if len(caps.HostBased) > 0 {
		detail += "; " + strings.Join(caps.HostBased, ", ") + " is host-based and needs the vendor's driver"
	}
	return Plan{Err: newError(KindUnsupported, false, detail, nil)}
}

// Printer prints verified pages on one printer and says how many it can
// confirm. It implements kofu's terminal.Sink. Jobs are serialised.
type Printer struct {
	link   Link
	opts   Options
	info   Info
	id     DeviceID
	idErr  error
	plan   Plan
	isFile bool
	ipp    *ippClient // IPP-over-USB printers, created on first use
	// prepared are the pages Prepare last checked the ground pattern
	// of; the next Print of exactly these pages need not check again.
	prepared []*protocol.VerifiedPage
	// config is what the printer's @PJL INFO CONFIG said of its duplex
	// unit, asked once, the first time a two-sided job or the site's
	// duplex check needs it (pjlDuplexUnit); nil until then.
	config *configAnswer

	mu sync.Mutex // one job (or status query) at a time
}

// onLink reads the device ID over an opened link and chooses the plan
// (New). It fails only if the link is unusable.
func onLink(ctx context.Context, l Link, opts Options) (*Printer, error) {
	p := &Printer{link: l, opts: opts, info: l.Info()}
	cctx, cancel := context.WithTimeout(ctx, controlTimeout)
	raw, err := ReadDeviceID(cctx, l)
	cancel()
	if errors.Is(err, ErrNoDevice) {
		return nil, newError(KindOffline, false, "printer disappeared", err)
	}
	if err == nil {
		p.id, err = ParseDeviceID(raw)
	}
	p.idErr = err
	p.plan = choosePlan(p.info, p.id, p.idErr)
	p.opts.logger().Info("printer opened", "usb", p.info.String(), "mfg", p.id.Manufacturer,
		"mdl", p.id.Model, "cmd", strings.Join(p.id.Commands, ","), "path", p.plan.Path, "confirm", p.plan.Confirm)
	return p, nil
}

// Info describes the USB interface in use.
func (p *Printer) Info() Info { return p.info }

// DeviceID is the parsed device ID, and the error if it was unusable.
func (p *Printer) DeviceID() (DeviceID, error) { return p.id, p.idErr }

// Plan says how jobs will be sent.
func (p *Printer) Plan() Plan { return p.plan }

// ID identifies the printer in outcome reports.
func (p *Printer) ID() protocol.PrinterID {
	mfg, mdl, sn := p.id.Manufacturer, p.id.Model, p.id.Serial
	if mfg == "" {
		mfg = p.info.Manufacturer
	}
	if mdl == "" {
		mdl = p.info.Product
	}
	if sn == "" {
		sn = p.info.Serial
	}
	return protocol.PrinterID{MFG: mfg, MDL: mdl, SN: sn}
}

// Link returns the link the printer uses (tests reach the emulator).
func (p *Printer) Link() Link { return p.link }

// Close releases the printer.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.info.Quirks&QuirkDelayClose != 0 {
		time.Sleep(time.Second)
	}
	return p.link.Close()
}

// Print sends the verified pages as one job and returns how many pages
// the printer confirmed: all of them, or, with an error, the pages the
// printer reported out before the job stopped (PJL USTATUS PAGE, IPP
// job-impressions-completed; 0 when it reported none) — pages on paper,
// not a confirmation of the job. Errors are *Error; errors.Is(err,
// ErrUnconfirmed) means the job may have printed and the outcome must be
// reported as unknown. A fatal state the printer reports while the job
// runs — paper out, jam, cover open, offline — ends it at once with that
// Kind rather than at the confirmation timeout (Options.StatusInterval).
func (p *Printer) Print(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage) (int, error) {
	return p.PrintReporting(ctx, tid, pages, nil)
}

// PrintReporting is Print that also calls out (when not nil) with the
// number of pages the printer reports out so far, as PJL USTATUS PAGE or
// IPP job-impressions-completed says, from another goroutine while the
// job runs. The count is for the resident's screen only: the job's END
// (IPP: completed) alone confirms pages.
func (p *Printer) PrintReporting(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage, out func(int)) (int, error) {
	_ = tid // job names are random, never derived from the ticket
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan.Err != nil {
		return 0, p.plan.Err
	}
	if len(pages) == 0 {
		return 0, errors.New("printer: no pages")
	}
	for i, pg := range pages {
		if pg == nil {
			return 0, fmt.Errorf("printer: page %d has no image", i+1)
		}
		if pg.DPI() != 300 && pg.DPI() != 600 {
			return 0, fmt.Errorf("printer: page %d at %d dpi: only 300 and 600", i+1, pg.DPI())
		}
	}
	// The ground pattern: every page is composited and checked before
	// the first byte goes out (unless Prepare has just done so for these
	// very pages), so that a page that fails sends no job at all.
	if !slices.Equal(pages, p.prepared) {
		if err := p.prepare(ctx, pages); err != nil {
			return 0, err
		}
	}
	p.prepared = nil
	log := p.opts.logger()
	start := time.Now()
	var n int
	var err error
	if p.isFile {
		n, err = p.printFile(ctx, pages)
	} else if err = p.preflight(ctx); err == nil {
		switch p.plan.Path {
		case PathIPP:
			n, err = p.printIPP(ctx, pages, out)
		default:
			n, err = p.printRaw(ctx, pages, out)
		}
	}
	var pe *Error
	if errors.As(err, &pe) && pe.Sent && p.info.Quirks&QuirkSoftReset != 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), controlTimeout)
		if rerr := SoftReset(rctx, p.link); rerr != nil {
			log.Warn("soft reset after an aborted job failed", "err", rerr)
		}
		cancel()
	}
	if c := countOf(pages, p.info.Quirks); c.Duplex {
		log.Info("print job", "pages", len(pages), "sheets", c.Sheets, "two-sided", true, "confirmed", n,
			"confirmed_sheets", pjl.Count{Faces: c.Faces, Sheets: c.Sheets, Duplex: true}.SheetsOf(n),
			"path", p.plan.Path, "err", err, "took", time.Since(start).Round(time.Millisecond))
	} else {
		log.Info("print job", "pages", len(pages), "confirmed", n, "path", p.plan.Path, "err", err, "took", time.Since(start).Round(time.Millisecond))
	}
	return n, err
}

// Ready says, without sending a byte, whether the printer can take a job
// now: a printer this build cannot drive (host-based, no USB backend), or
// a port status that says offline, out of paper or in error. The session
// asks just before the move to print (terminal.Preflighter), so such a
// session ends failed with nothing on paper rather than unknown. Print
// checks the port status again as the job starts.
func (p *Printer) Ready(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.plan.Err != nil {
		return p.plan.Err
	}
	if p.isFile {
		return nil
	}
	return p.preflight(ctx)
}

// preflight refuses to start a job the port status says cannot print.
func (p *Printer) preflight(ctx context.Context) error {
	if p.plan.Path == PathIPP {
		return nil // IPP printers report state through IPP
	}
	cctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	st, err := ReadPortStatus(cctx, p.link)
	switch {
	case errors.Is(err, ErrNoDevice):
		return newError(KindOffline, false, "printer disappeared", err)
	case err != nil:
		// Some printers do not implement GET_PORT_STATUS.
		p.opts.logger().Debug("port status unavailable", "err", err)
		return nil
	case st.Problem() != 0:
		return newError(st.Problem(), false, "port status "+st.String(), nil)
	}
	return nil
}
