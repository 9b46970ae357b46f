package faultmatrix

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// FastConfirm are printer options that make a printer fault end within
// seconds instead of the production minute: the same code paths, shorter
// waits. Only for printers that are meant to fail: a healthy job on a
// loaded machine may take longer than these.
func FastConfirm() printer.Options {
	return printer.Options{ConfirmTimeout: 2 * time.Second, PerPage: 500 * time.Millisecond,
		StallTimeout: 300 * time.Millisecond, WriteTimeout: 3 * time.Second, PollInterval: 100 * time.Millisecond}
}

// Patient are printer options for printers meant to work: waits long
// enough for a healthy job on a loaded test machine, short stall polls.
func Patient() printer.Options {
	return printer.Options{ConfirmTimeout: 30 * time.Second, PerPage: 5 * time.Second,
		StallTimeout: 300 * time.Millisecond, WriteTimeout: 20 * time.Second, PollInterval: 100 * time.Millisecond}
}

// Printer is kofu's real printer code (PDL choice, PJL job confirmation)
// driving the emulated USB printer, which plays a scenario (paper-out@K,
// jam@K, no-end, unplug@BYTES, …; see emuprinter.ParseConfig, which also takes ipp and unidir). It is a
// terminal.Sink. Unlike the emulator-mode printer it writes nothing to
// disk, takes printer.Options, and lets a test unplug the device at any
// moment and read back what came out on paper.
type Printer struct {
	Emu *emuprinter.Printer
	p   *printer.Printer

	mu     sync.Mutex
	jobs   int
	before func(ctx context.Context) // runs as a job starts (fault injection)
	// beforeReady runs as the session asks whether the printer is ready.
	beforeReady func(ctx context.Context)
}

// NewPrinter starts an emulated printer playing scenario ("" for none)
// with keep printed pages kept for inspection (0: the emulator default).
func NewPrinter(ctx context.Context, scenario string, keep int, opts printer.Options) (*Printer, error) {
	cfg, err := emuprinter.ParseConfig(scenario)
	if err != nil {
		return nil, err
	}
	cfg.Keep = keep
	emu := emuprinter.New(cfg)
	p, err := printer.New(ctx, printer.OnLink(emu), opts)
	if err != nil {
		return nil, err
	}
	if plan := p.Plan(); plan.Err != nil {
		p.Close()
		return nil, plan.Err
	}
	return &Printer{Emu: emu, p: p}, nil
}

// BeforeJob sets a hook run as each job starts, before any byte is sent
// (a test unplugs the printer or pulls the card there).
func (e *Printer) BeforeJob(fn func(ctx context.Context)) {
	e.mu.Lock()
	e.before = fn
	e.mu.Unlock()
}

// BeforeReady sets a hook run as the session asks whether the printer can
// take a job, before the move to print (a test unplugs the printer there).
func (e *Printer) BeforeReady(fn func(ctx context.Context)) {
	e.mu.Lock()
	e.beforeReady = fn
	e.mu.Unlock()
}

// Ready runs the BeforeReady hook, then asks kofu's printer whether it can
// take a job (terminal.Preflighter).
func (e *Printer) Ready(ctx context.Context) error {
	e.mu.Lock()
	fn := e.beforeReady
	e.mu.Unlock()
	if fn != nil {
		fn(ctx)
	}
	return e.p.Ready(ctx)
}

// Prepare composites and checks the ground pattern of opts, if any,
// before the move to print (terminal.Preparer).
func (e *Printer) Prepare(ctx context.Context, vp []*protocol.VerifiedPage) error {
	return e.p.Prepare(ctx, vp)
}

// ID identifies the printer (its device ID).
func (e *Printer) ID() protocol.PrinterID { return e.p.ID() }

// Close releases the printer and stops the emulated device.
func (e *Printer) Close() error {
	err := e.p.Close()
	e.Emu.Close()
	return err
}

// Print prints through kofu's printer code.
func (e *Printer) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	e.mu.Lock()
	e.jobs++
	fn := e.before
	e.mu.Unlock()
	if fn != nil {
		fn(ctx)
	}
	return e.p.Print(ctx, tid, vp)
}

// Jobs is how many jobs the kiosk started on this printer.
func (e *Printer) Jobs() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.jobs
}

// Paper reads every page the emulated printer put on paper (of those it
// keeps) as a person would: the KOFU QR symbol of each, decoded from the
// printed raster. A page without exactly one readable symbol comes back
// with a nil TID.
func (e *Printer) Paper() []protocol.QRText {
	var out []protocol.QRText
	for _, pg := range e.Emu.Pages() {
		texts, err := pages.FindQR(pg.Image(), pg.DPI)
		if err != nil || len(texts) != 1 {
			out = append(out, protocol.QRText{})
			continue
		}
		q, err := protocol.ParseQRText(texts[0])
		if err != nil {
			out = append(out, protocol.QRText{})
			continue
		}
		out = append(out, q)
	}
	return out
}

// CheckPaper reports an error unless exactly want pages are on paper and
// each names ticket tid (base64url) as page n of total.
func CheckPaper(paper []protocol.QRText, tid string, want, total int) error {
	if len(paper) != want {
		return fmt.Errorf("%d pages on paper, want %d", len(paper), want)
	}
	id, err := protocol.B64Decode(tid)
	if want > 0 && err != nil {
		return fmt.Errorf("tid %q: %w", tid, err)
	}
	for i, q := range paper {
		if !bytes.Equal(q.TID, id) || q.N != i+1 || q.Total != total {
			return fmt.Errorf("page %d on paper names tid %s page %d/%d, want %s page %d/%d",
				i+1, protocol.B64(q.TID), q.N, q.Total, tid, i+1, total)
		}
	}
	return nil
}
