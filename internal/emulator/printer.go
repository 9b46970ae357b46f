package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/pdl"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// Printer is emulator mode's printer: kofu's real printer code (PDL choice,
// PJL job confirmation) drives the emulated USB printer, and the emulator
// output directory gets, per job, the exact bytes that went over the link
// and each page as the printer decoded it, in PNG. Only what the printer
// confirmed is written as pages.
type Printer struct {
	Dir   string
	Files []string // page files written, in order

	p   *printer.Printer
	emu *emuprinter.Printer
	tee *teeLink
}

// NewPrinter starts the emulated printer an emulator SPEC's options
// describe ("" for the default PJL + PCL laser; e.g. "paper-out@2", "ipp",
// "ipp,jam@1": see emuprinter.ParseConfig).
func NewPrinter(ctx context.Context, dir, options string) (*Printer, error) {
	return NewPrinterWith(ctx, dir, options, printer.Options{})
}

// NewPrinterWith is NewPrinter with kofu's printer code tuned by opts (the
// kiosk's configured status interval, ground pattern, logger).
func NewPrinterWith(ctx context.Context, dir, options string, opts printer.Options) (*Printer, error) {
	cfg, err := emuprinter.ParseConfig(options)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	emu := emuprinter.New(cfg)
	tee := &teeLink{Link: emu}
	p, err := printer.New(ctx, printer.OnLink(tee), opts)
	if err != nil {
		return nil, err
	}
	if plan := p.Plan(); plan.Err != nil {
		p.Close()
		return nil, plan.Err
	}
	return &Printer{Dir: dir, p: p, emu: emu, tee: tee}, nil
}

// ID identifies the printer (its device ID).
func (e *Printer) ID() protocol.PrinterID { return e.p.ID() }

// Close releases the printer.
func (e *Printer) Close() error { return e.p.Close() }

// Device is kofu's printer driving the emulated device, for the
// technician's checks (device ID, plan, status).
func (e *Printer) Device() *printer.Printer { return e.p }

// Ready asks kofu's printer whether it can take a job (terminal.Preflighter).
func (e *Printer) Ready(ctx context.Context) error { return e.p.Ready(ctx) }

// Sides says how documents are asked (terminal.SidesAsker): two-sided
// when the printer options say the site prints duplex.
func (e *Printer) Sides() protocol.Sides { return e.p.Sides() }

// DuplexReady says whether the printer prints the two-sided documents
// the site asks for (the health check).
func (e *Printer) DuplexReady(ctx context.Context) error { return e.p.DuplexReady(ctx) }

// Prepare composites and checks the ground pattern before the move to
// print (terminal.Preparer).
func (e *Printer) Prepare(ctx context.Context, vp []*protocol.VerifiedPage) error {
	return e.p.Prepare(ctx, vp)
}

// Print prints through kofu's printer code, then saves what the device got.
func (e *Printer) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	return e.PrintReporting(ctx, tid, vp, nil)
}

// PrintReporting is Print passing the printer's page reports to out
// (terminal.PageReporter).
func (e *Printer) PrintReporting(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage, out func(int)) (int, error) {
	wire := filepath.Join(e.Dir, protocol.B64(tid)+".prn")
	f, err := os.OpenFile(wire, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	e.tee.start(f)
	n, perr := e.p.PrintReporting(ctx, tid, vp, out)
	e.tee.stop()
	if err := f.Close(); err != nil && perr == nil {
		perr = err
	}
	decoded := e.emu.Pages()
	if n > len(decoded) {
		n = len(decoded)
	}
	names := FaceNames(decoded[len(decoded)-n:])
	for i, pg := range decoded[len(decoded)-n:] {
		data, err := pages.EncodePNG(pg.Image(), pg.DPI)
		if err != nil {
			return i, err
		}
		path := filepath.Join(e.Dir, protocol.B64(tid)+"-"+names[i]+".png")
		if err := writeSynced(path, data); err != nil {
			return i, err
		}
		clear(data)
		e.Files = append(e.Files, path)
	}
	return n, perr
}

// FaceNames names the faces of one job as the printer decoded them, in
// order: "pN" for the pages of a one-sided job (page N, as before duplex
// existed), and "sK-front", "sK-back" for the faces of a two-sided one,
// K the sheet (a face the printer put on a sheet of its own is that
// sheet's front).
func FaceNames(faces []*pdl.Page) []string {
	out := make([]string, len(faces))
	sheet, open := 0, false
	for i, f := range faces {
		switch {
		case f.Side == pdl.SideSimplex:
			out[i] = fmt.Sprintf("p%d", i+1)
			open = false
			continue
		case f.Side == pdl.SideBack && open:
			out[i] = fmt.Sprintf("s%d-back", sheet)
		default:
			sheet++
			side := "front"
			if f.Side == pdl.SideBack {
				side = "back"
			}
			out[i] = fmt.Sprintf("s%d-%s", sheet, side)
		}
		open = f.Side == pdl.SideFront
	}
	return out
}

// teeLink copies every bulk-out byte to a file while a job runs.
type teeLink struct {
	printer.Link
	mu sync.Mutex
	w  *os.File
}

func (t *teeLink) start(w *os.File) { t.mu.Lock(); t.w = w; t.mu.Unlock() }
func (t *teeLink) stop()            { t.mu.Lock(); t.w = nil; t.mu.Unlock() }

// BulkOut forwards to the device and records what it accepted.
func (t *teeLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	n, err := t.Link.BulkOut(ctx, p)
	t.mu.Lock()
	if t.w != nil && n > 0 {
		_, _ = t.w.Write(p[:n])
	}
	t.mu.Unlock()
	return n, err
}

func writeSynced(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
