package usbtest

import (
	"context"
	"fmt"
	"io"
	"time"

	"kofu/printer"
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
	em := printer.NewEmulator(printer.EmulatorConfig{Scenario: printer.Scenario{PaperOutAt: cfg.PaperOutAt}})
	defer em.Close()
	status := em.PortStatus()
	if err := setStatus(status); err != nil {
		return fmt.Errorf("set printer status: %w", err)
	}
	fmt.Fprintf(out, Marker+"gadget status %v\n", status)
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
			if _, err := dev.Write(buf[:n]); err != nil {
				errc <- fmt.Errorf("write: %w", err)
				return
			}
		}
	}()
	pages, ended := 0, 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case <-tick.C:
		}
		if s := em.PortStatus(); s != status {
			status = s
			if err := setStatus(s); err != nil {
				return fmt.Errorf("set printer status: %w", err)
			}
			fmt.Fprintf(out, Marker+"gadget status %v\n", s)
		}
		for _, p := range em.Pages()[pages:] {
			pages++
			fmt.Fprintf(out, Marker+"gadget page %d bitmap=%s\n", pages, BitmapSum(p.Bitmap))
		}
		jobs := em.Jobs()
		for _, j := range jobs[min(ended, len(jobs)):] {
			if !j.Ended {
				break
			}
			ended++
			n, sum := em.Received()
			fmt.Fprintf(out, Marker+"gadget job %d ended pages=%d result=%s bytes=%d sha256=%x\n", ended, j.Pages, j.Result, n, sum)
		}
		if err := em.Err(); err != nil {
			return err
		}
	}
}
