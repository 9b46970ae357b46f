package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// runPrinter is `kiosk printer list|status|testpage [--printer SPEC]`
// (DESIGN §8): the technician's view of the printer.
func runPrinter(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	const usage = "usage: kiosk printer list|status|testpage [--printer SPEC] (SPEC: " + printer.SpecSyntax + ")"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return 2, errors.New(usage)
	}
	sub := args[0]
	if sub != "list" && sub != "status" && sub != "testpage" {
		return 2, fmt.Errorf("unknown subcommand %q; %s", sub, usage)
	}
	fs := flag.NewFlagSet("printer "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("printer", "usb", "printer: "+printer.SpecSyntax+" (emulator OPTIONS: ipp, unidir, scenarios)")
	dpi := fs.Int("dpi", 300, "testpage: resolution of the page (300 or 600)")
	timeout := fs.Duration("timeout", 3*time.Minute, "testpage: how long to wait for the printer to confirm")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected argument %q; %s", fs.Arg(0), usage)
	}
	if err := checkSpec(*spec); err != nil {
		return 2, err
	}
	switch sub {
	case "list":
		return printerList(ctx, *spec, stdout)
	case "status":
		return printerStatus(ctx, *spec, stdout)
	default:
		return printerTestPage(ctx, *spec, *dpi, *timeout, stdout)
	}
}

// printerList lists the printers a SPEC can reach: every USB printer for
// usb and usb:VID:PID, or the one emulated or file printer.
func printerList(ctx context.Context, spec string, w io.Writer) (int, error) {
	sp, _ := printer.ParseTarget(spec)
	if sp.Kind != printer.TargetUSB {
		p, err := openTarget(ctx, spec, printer.Options{})
		if err != nil {
			return 1, err
		}
		defer p.Close()
		describe(w, spec, p)
		return 0, nil
	}
	devs, err := printer.ListUSB(ctx, nil)
	if err != nil {
		return 1, err
	}
	found := 0
	for _, d := range devs {
		if sp.USB.VID != 0 && (d.VID != sp.USB.VID || d.PID != sp.USB.PID) {
			continue
		}
		found++
		name := fmt.Sprintf("usb:%04x:%04x (bus %d address %d)", d.VID, d.PID, d.Bus, d.Address)
		p, err := printer.New(ctx, printer.Target{Kind: printer.TargetUSB, USB: printer.Selector{Bus: d.Bus, Address: d.Address}}, printer.Options{})
		if err != nil {
			fmt.Fprintf(w, "%s: cannot open: %v\n", name, err)
			continue
		}
		describe(w, name, p)
		p.Close()
	}
	if found == 0 {
		fmt.Fprintln(w, "no USB printer found")
		return 1, nil
	}
	return 0, nil
}

// describe prints what a technician needs to know about one printer.
func describe(w io.Writer, name string, p *printer.Printer) {
	info := p.Info()
	id, idErr := p.DeviceID()
	fmt.Fprintf(w, "%s\n", name)
	fmt.Fprintf(w, "  interface: protocol %d (%s), interface %d alt %d%s\n", info.Protocol, info.ProtocolName(),
		info.Interface, info.Alt, quirkNote(info.Quirks))
	if idErr != nil {
		fmt.Fprintf(w, "  device ID: %v\n", idErr)
	} else {
		fmt.Fprintf(w, "  device ID: %s %s, serial %q, CMD %s\n", id.Manufacturer, id.Model, id.Serial, strings.Join(id.Commands, ","))
	}
	plan := p.Plan()
	if plan.Err != nil {
		fmt.Fprintf(w, "  refused:   %v\n", plan.Err)
		return
	}
	fmt.Fprintf(w, "  jobs:      %s\n", plan.Why)
}

func quirkNote(q printer.Quirks) string {
	if q == 0 {
		return ""
	}
	return ", quirks " + q.String()
}

// printerStatus prints the printer's state; exit 0 only if a job could
// start now.
func printerStatus(ctx context.Context, spec string, w io.Writer) (int, error) {
	p, err := openTarget(ctx, spec, printer.Options{})
	if err != nil {
		return 1, err
	}
	defer p.Close()
	describe(w, spec, p)
	s := p.Status(ctx)
	if s.PortErr != nil {
		fmt.Fprintf(w, "  port:      %v\n", s.PortErr)
	} else if p.Plan().Path != printer.PathIPP && p.Info().Protocol != 0 && !strings.HasPrefix(spec, "file:") {
		fmt.Fprintf(w, "  port:      %v\n", s.Port)
	}
	switch {
	case s.PJL != nil:
		fmt.Fprintf(w, "  PJL:       %v\n", *s.PJL)
	case s.PJLErr != nil:
		fmt.Fprintf(w, "  PJL:       %v\n", s.PJLErr)
	}
	switch {
	case s.IPP != nil:
		fmt.Fprintf(w, "  IPP:       %s, printer-state %d, reasons %s\n", s.IPP.MakeModel, s.IPP.State, strings.Join(s.IPP.Reasons, ","))
	case s.IPPErr != nil:
		fmt.Fprintf(w, "  IPP:       %v\n", s.IPPErr)
	}
	if !s.Ready() {
		what := "unsupported printer"
		if s.Problem != 0 {
			what = s.Problem.String()
		}
		fmt.Fprintf(w, "  status:    NOT READY (%s)\n", what)
		return 1, nil
	}
	fmt.Fprintln(w, "  status:    ready")
	return 0, nil
}

// printerTestPage prints one test page, marked as such, and reports
// whether the printer confirmed it.
func printerTestPage(ctx context.Context, spec string, dpi int, timeout time.Duration, w io.Writer) (int, error) {
	if dpi != 300 && dpi != 600 {
		return 2, fmt.Errorf("--dpi %d: only 300 and 600", dpi)
	}
	img, err := renderTestPage(dpi, spec)
	if err != nil {
		return 1, err
	}
	page, err := protocol.TechnicianTestPage(img, dpi)
	if err != nil {
		return 1, err
	}
	p, err := openTarget(ctx, spec, printer.Options{})
	if err != nil {
		return 1, err
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	n, err := p.Print(ctx, nil, []*protocol.VerifiedPage{page})
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case err == nil:
		fmt.Fprintf(w, "test page printed and confirmed by %s (%d page, %v)\n", spec, n, took)
		return 0, nil
	case errors.Is(err, printer.ErrUnconfirmed):
		fmt.Fprintf(w, "test page sent to %s but NOT confirmed after %v: %v\n", spec, took, err)
	default:
		fmt.Fprintf(w, "test page NOT printed on %s: %v\n", spec, err)
	}
	return 1, nil
}

// renderTestPage draws a page that says it is a test page, never a
// certificate: its QR text does not start with KOFU1.
func renderTestPage(dpi int, spec string) (*image.Gray, error) {
	fx, err := fixtures.Load()
	if err != nil {
		return nil, err
	}
	ttf, err := fx.FontTTF()
	if err != nil {
		return nil, err
	}
	r, err := pages.NewRenderer(ttf)
	if err != nil {
		return nil, err
	}
	now := time.Now().Format(time.RFC3339)
	return r.Render(pages.Spec{
		DPI:    dpi,
		Title:  "テストページ",
		Issuer: "kofu 印刷試験 (printer test page)",
		Serial: "TEST",
		AsOf:   now,
		Rows: []pages.Row{
			{Label: "用途", Value: "プリンタの動作確認（証明書ではありません） / printer check, not a certificate"},
			{Label: "プリンタ", Value: spec},
			{Label: "日時", Value: now},
		},
		Notes:  []string{"この用紙は証明書ではありません。", "This sheet is not a certificate."},
		N:      1,
		Total:  1,
		QRText: "KOFU-TESTPAGE|" + now,
	})
}

// checkSpec checks a printer SPEC, an emulator's options included,
// without opening anything.
func checkSpec(spec string) error {
	t, err := printer.ParseTarget(spec)
	if err != nil {
		return err
	}
	if t.Kind == printer.TargetEmulator {
		if _, err := emuprinter.ParseConfig(t.Emulator); err != nil {
			return fmt.Errorf("printer spec %q: %w", spec, err)
		}
	}
	return nil
}
