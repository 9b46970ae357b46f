package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/printer"
	"kofu/protocol"
	"kofu/terminal/diag"
	"kofu/terminal/health"
)

// runDiag is `kiosk diag [--config FILE | --emulator]` (DESIGN §8): the
// technician UI over the same parts `kiosk selftest` checks.
func runDiag(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("diag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f partsFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if err := f.parse(fs); err != nil {
		return 2, err
	}
	screen, err := tcell.NewScreen()
	if err != nil {
		return 1, fmt.Errorf("the technician UI needs a terminal (or use kiosk selftest): %w", err)
	}
	d, closeParts, err := newDiag(ctx, f, partsHooks{}, screen)
	if err != nil {
		return 1, err
	}
	defer closeParts()
	if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return 1, err
	}
	return 0, nil
}

// newDiag builds the technician UI on screen over the parts the flags
// name. The printer is held open while the UI runs, so that what a test
// page did to it (paper out, a jam) stays on screen.
func newDiag(ctx context.Context, f partsFlags, h partsHooks, screen tcell.Screen) (*diag.Diag, func(), error) {
	p, err := openParts(ctx, f, h)
	if err != nil {
		return nil, nil, err
	}
	hp := &heldPrinter{open: p.printer}
	closeAll := func() { hp.close(); p.close() }
	p.printer = hp.get
	parts := diag.Parts{
		Readers: p.readers, Card: p.card, Printer: p.printer, Center: p.center, Journal: p.journal,
		Checks:   p.checks(),
		TestPage: func(ctx context.Context) health.Result { return printTestPage(ctx, hp, p.spec) },
	}
	d, err := diag.New(diag.Options{Backend: parts.Backend(), Title: p.mode, Screen: screen})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return d, closeAll, nil
}

// heldPrinter opens the printer on first use and keeps it until close;
// a failed open is tried again on the next use.
type heldPrinter struct {
	open    health.PrinterOpener
	mu      sync.Mutex
	p       health.Printer
	release func()
}

func (h *heldPrinter) get(ctx context.Context) (health.Printer, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p == nil {
		p, release, err := h.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		h.p, h.release = p, release
	}
	return h.p, func() {}, nil
}

func (h *heldPrinter) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.release != nil {
		h.release()
		h.p, h.release = nil, nil
	}
}

// pagePrinter is a printer that can print (*printer.Printer).
type pagePrinter interface {
	Print(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage) (int, error)
}

// printTestPage prints one test page (never a certificate: see
// renderTestPage) and says whether the printer confirmed it.
func printTestPage(ctx context.Context, hp *heldPrinter, spec string) health.Result {
	dev, _, err := hp.get(ctx)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("no printer: %v", err)}
	}
	pp, ok := dev.(pagePrinter)
	if !ok {
		return health.Result{Status: health.Fail, Detail: "this printer cannot be sent a test page"}
	}
	img, err := renderTestPage(300, spec)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("cannot draw the test page: %v", err)}
	}
	page, err := protocol.TechnicianTestPage(img, 300)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("cannot draw the test page: %v", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	start := time.Now()
	n, err := pp.Print(ctx, nil, []*protocol.VerifiedPage{page})
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case err == nil:
		return health.Result{Status: health.OK, Detail: fmt.Sprintf("test page printed and confirmed by %s (%d page, %v)", spec, n, took)}
	case errors.Is(err, printer.ErrUnconfirmed):
		return health.Result{Status: health.Warn, Detail: fmt.Sprintf("test page sent to %s but NOT confirmed after %v: %v", spec, took, err)}
	}
	return health.Result{Status: health.Fail, Detail: fmt.Sprintf("test page NOT printed on %s: %v", spec, err)}
}
