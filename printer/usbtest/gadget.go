package usbtest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"kofu/printer"
	"kofu/printer/emuprinter"
)

// GadgetConfig configures the gadget side.
type GadgetConfig struct {
	PaperOutAt int // the page (counted from 1 since start) at which paper runs out
}

// RunGadget is the printer behind /dev/g_printer0: it pumps what the host
// sends into kofu's emulated printer engine (PJL answers, PCL decoding,
// the paper-out scenario) and the engine's readback back to the host, and
// mirrors the engine's port status into the gadget with setStatus
// (GADGET_SET_PRINTER_STATUS). It prints a marker line for every page
// printed, job ended and status change, until ctx ends.
func RunGadget(ctx context.Context, dev io.ReadWriter, setStatus func(printer.PortStatus) error, cfg GadgetConfig, out io.Writer) error {
	em := emuprinter.New(emuprinter.Config{Scenario: emuprinter.Scenario{PaperOutAt: cfg.PaperOutAt}})
	defer em.Close()
	// mirror copies the engine's port status into the gadget when it
	// changed. It runs on the tick and also before any readback goes to
	// the host, so a host that has read "paper out" from the printer
	// finds the port status saying so too, as on a real printer.
	var mu sync.Mutex
	out = &lockedWriter{w: out}
	status := em.PortStatus()
	if err := setStatus(status); err != nil {
		return fmt.Errorf("set printer status: %w", err)
	}
	fmt.Fprintf(out, Marker+"gadget status %v\n", status)
	mirror := func() error {
		mu.Lock()
		defer mu.Unlock()
		s := em.PortStatus()
		if s == status {
			return nil
		}
		status = s
		if err := setStatus(s); err != nil {
			return fmt.Errorf("set printer status: %w", err)
		}
		fmt.Fprintf(out, Marker+"gadget status %v\n", s)
		return nil
	}
	errc := make(chan error, 2)
	go func() { // host → printer
		buf := make([]byte, 8192)
		for {
			n, err := dev.Read(buf)
			if n > 0 {
				if _, err := em.BulkOut(ctx, buf[:n]); err != nil {
					errc <- err
					return
				}
			}
			if err != nil {
				errc <- fmt.Errorf("read: %w", err)
				return
			}
		}
	}()
	go func() { // printer → host
		buf := make([]byte, 4096)
		for {
			n, err := em.BulkIn(ctx, buf)
			if err != nil {
				errc <- err
				return
			}
			if err := mirror(); err != nil {
				errc <- err
				return
			}
			if _, err := dev.Write(buf[:n]); err != nil {
				errc <- fmt.Errorf("write: %w", err)
				return
			}
		}
	}()
	pages, ended := 0, 0
	report := func() {
		for _, p := range em.Pages()[pages:] {
			pages++
			fmt.Fprint(out, faceReport(pages, p))
		}
		jobs := em.Jobs()
		for _, j := range jobs[min(ended, len(jobs)):] {
			if !j.Ended {
				break
			}
			ended++
			n, sum := em.Received()
			fmt.Fprintf(out, Marker+"gadget job %d ended pages=%d sheets=%d duplex=%v result=%s bytes=%d sha256=%x\n", ended, j.Pages, j.Sheets, j.Duplex, j.Result, n, sum)
		}
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// Stopped (the guest's init, once the host is done): what the
			// engine printed but was not reported yet is reported now —
			// decoding a 600 dpi face's symbol under an emulated CPU
			// takes a while, and a line lost here is a face missing
			// from the verdict.
			report()
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				report()
				return nil
			}
			return err
		case <-tick.C:
		}
		if err := mirror(); err != nil {
			return err
		}
		report()
		if err := em.Err(); err != nil {
			return err
		}
	}
}

// lockedWriter serialises the gadget's report lines, written from the
// main loop and from the readback goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
