package health

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"kofu/printer"
	"kofu/printer/emuprinter"
)

// Printer is the printer as the checks see it (*printer.Printer).
type Printer interface {
	Info() printer.Info
	DeviceID() (printer.DeviceID, error)
	Plan() printer.Plan
	Status(ctx context.Context) printer.Status
}

// duplexer is a printer that can tell whether it prints the two-sided
// documents the site asks for (*printer.Printer: nil when the site prints
// one-sided).
type duplexer interface {
	DuplexReady(ctx context.Context) error
}

// PrinterOpener gives the printer to check and a function that releases
// it.
type PrinterOpener func(ctx context.Context) (Printer, func(), error)

// OpenSpec opens the printer a SPEC names for each check and closes it
// after (`kiosk selftest`, `kiosk diag` while no kiosk holds the printer);
// an emulator SPEC starts a fresh emulated printer each time.
func OpenSpec(spec string, opts printer.Options) PrinterOpener {
	return func(ctx context.Context) (Printer, func(), error) {
		t, _, err := emuprinter.ParseTarget(spec)
		if err != nil {
			return nil, nil, err
		}
		p, err := printer.New(ctx, t, opts)
		if err != nil {
			return nil, nil, err
		}
		return p, func() { p.Close() }, nil
	}
}

// Held checks a printer the kiosk already holds open (`kiosk run`); it is
// not closed after the check.
func Held(p Printer) PrinterOpener {
	return func(context.Context) (Printer, func(), error) { return p, func() {}, nil }
}

// PrinterInfo is what the printer check saw.
type PrinterInfo struct {
	Info   printer.Info
	ID     printer.DeviceID
	IDErr  error
	Plan   printer.Plan
	Status printer.Status
}

// ProbePrinter opens the printer, reads its device ID and plan (the
// command set kofu will use) and its status (GET_PORT_STATUS, PJL INFO
// STATUS or IPP printer-state), and, when the site prints two-sided,
// whether it can (printer.Printer.DuplexReady): a printer that cannot
// fails the check, so the kiosk is out of service before anyone pays.
func ProbePrinter(ctx context.Context, open PrinterOpener) (*PrinterInfo, Result) {
	p, release, err := open(ctx)
	if err != nil {
		return nil, printerOpenFailure(err)
	}
	defer release()
	info := &PrinterInfo{Info: p.Info(), Plan: p.Plan()}
	info.ID, info.IDErr = p.DeviceID()
	name := printerName(info)
	if info.Plan.Err != nil {
		return info, fail("%s cannot be used: %v; connect a printer that takes PCL 5 with PJL, PWG Raster or IPP-over-USB", name, info.Plan.Err)
	}
	info.Status = p.Status(ctx)
	st := info.Status
	if !st.Ready() {
		return info, fail("%s: %s", name, problemAdvice(st))
	}
	if d, ok := p.(duplexer); ok {
		if err := d.DuplexReady(ctx); err != nil {
			var pe *printer.Error
			if errors.As(err, &pe) && pe.Kind == printer.KindNoDuplex {
				return info, fail("%s: %s (%s)", name, pe.Kind.ClerkAction(), pe.Detail)
			}
			return info, fail("%s: cannot tell whether it prints both sides: %v", name, err)
		}
	}
	if !info.Plan.Confirm {
		return info, warn("%s: %s; every session would end \"unknown\" with no fee taken: use a bidirectional PJL or an IPP-over-USB printer",
			name, info.Plan.Why)
	}
	return info, ok("%s: ready; %s", name, info.Plan.Why)
}

// printerName is the printer as a technician recognises it.
func printerName(info *PrinterInfo) string {
	mfg, mdl, sn := info.ID.Manufacturer, info.ID.Model, info.ID.Serial
	if mfg == "" && mdl == "" {
		mfg, mdl = info.Info.Manufacturer, info.Info.Product
	}
	s := strings.TrimSpace(mfg + " " + mdl)
	if s == "" {
		s = "the printer"
	}
	if sn != "" {
		s += " (SN " + sn + ")"
	}
	return s
}

// problemAdvice says what stops printing and what to do about it.
func problemAdvice(st printer.Status) string {
	s := st.Problem.ClerkAction()
	if s == "" {
		s = fmt.Sprintf("not ready (%v)", st.Problem)
	}
	switch {
	case st.PJL != nil && st.PJL.Display != "":
		s += fmt.Sprintf(" (panel: %q, PJL %d)", st.PJL.Display, st.PJL.Code)
	case st.IPP != nil && len(st.IPP.Reasons) > 0:
		s += " (printer-state-reasons: " + strings.Join(st.IPP.Reasons, ",") + ")"
	case st.PortErr == nil && st.Port != 0:
		s += " (port status " + st.Port.String() + ")"
	}
	return s
}

// printerOpenFailure explains why the printer could not be opened.
func printerOpenFailure(err error) Result {
	switch {
	case errors.Is(err, printer.ErrNoBackend):
		return fail("this kiosk binary was built without USB (no cgo): install the build with printer support")
	}
	return fail("no printer: %v; check that the printer is switched on and its USB cable is plugged in (`kiosk printer list` shows what USB sees)", err)
}

// PrinterCheck checks that the printer is there, speaks a command set
// kofu can send and confirm, and is ready to print. Blocking.
func PrinterCheck(open PrinterOpener) Check {
	return Check{Name: "printer", Blocking: true, Run: func(ctx context.Context) Result {
		_, r := ProbePrinter(ctx, open)
		return r
	}}
}
