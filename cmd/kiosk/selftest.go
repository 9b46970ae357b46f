package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/clock"
	"kofu/internal/emulator"
	"kofu/printer"
	"kofu/protocol"
	"kofu/terminal/config"
	"kofu/terminal/health"
)

// inProcessReader is the name of emulator mode's in-process card reader.
const inProcessReader = "kofu emulated reader 00"

// runSelftest is `kiosk selftest [--config FILE | --emulator] [--json]`
// (DESIGN §8): the preflight checks, one line each, exit 0 when no
// blocking check fails and 1 otherwise.
func runSelftest(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	return selftest(ctx, args, stdout, stderr, partsHooks{})
}

// partsHooks let tests break what flags cannot reach. The zero value is
// the product's behaviour.
type partsHooks struct {
	now     func() time.Time                       // the kiosk's clock (clock skew)
	printer func(spec string) health.PrinterOpener // replace how the printer is opened
}

// partsFlags are the flags selftest and diag share.
type partsFlags struct {
	config, reader, printer, journal, resident string
	emulator, readerSet                        bool
	minFree                                    uint64
	clock                                      clock.Flag // emulator: the emulated world's clock
}

func (p *partsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.config, "config", "", "configuration file (store machine)")
	fs.BoolVar(&p.emulator, "emulator", false, "check the emulated center, printer and card of emulator mode")
	fs.StringVar(&p.reader, "reader", "", "check the PC/SC readers whose names contain this (default: card.reader; emulator: the in-process emulated reader)")
	fs.StringVar(&p.printer, "printer", "", "printer SPEC to check (default: printer.spec; emulator: emulator)")
	fs.StringVar(&p.journal, "journal", "", "journal file to check (default: journal.path; emulator: kofu-out/journal)")
	fs.StringVar(&p.resident, "resident", "R0001", "emulator: the test resident whose card is in the emulated reader")
	fs.Var(&p.clock, "clock", "emulator: start the emulated world's clock at this instant (RFC 3339 with a zone, e.g. 2026-12-07T09:00+09:00; default: the wall clock)")
	fs.Func("min-free", "free space the journal's filesystem must keep (default 256MiB)", func(s string) error {
		n, err := health.ParseBytes(s)
		p.minFree = n
		return err
	})
}

// parse notes which flags were given and checks the mode.
func (p *partsFlags) parse(fs *flag.FlagSet) error {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "reader" {
			p.readerSet = true
		}
	})
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (p.config == "") == !p.emulator {
		return errors.New("give either --config FILE (store machine) or --emulator")
	}
	return nil
}

// parts is what the checks and the technician UI reach: the card reader
// side, the printer, the center, the journal.
type parts struct {
	mode      string // "emulator" or the configuration file
	readers   health.ReaderLister
	filter    string
	card      health.CardOpener
	printer   health.PrinterOpener
	quirks    []printer.QuirkRule // the configuration's printer.quirks
	spec      string
	center    health.Center
	centerErr error // the trust anchors could not be loaded
	keysErr   error // key files other users may read (store machine only)
	journal   string
	minFree   uint64
	close     func()
}

// checks are the preflight checks in report order.
func (p *parts) checks() []health.Check {
	center := health.CenterCheck(p.center)
	if p.centerErr != nil {
		err := p.centerErr
		center.Run = func(context.Context) health.Result {
			return health.Result{Status: health.Fail, Detail: fmt.Sprintf("no mutual-TLS identity: %v (`kiosk config check`)", oneLine(err))}
		}
	}
	checks := []health.Check{
		health.Reader(p.readers, p.filter),
		health.CardApplet(p.card),
		health.PrinterCheck(p.printer),
		center,
	}
	if p.mode != "" && p.mode != "emulator" {
		// A store machine's configuration: its key files must not be
		// readable by other users (emulator mode has none of its own).
		keysErr := p.keysErr
		checks = append(checks, health.Check{Name: "keys", Blocking: true, Run: func(context.Context) health.Result {
			if keysErr != nil {
				return health.Result{Status: health.Fail, Detail: oneLine(keysErr)}
			}
			return health.Result{Status: health.OK, Detail: "terminal.key and journal.key readable by the service only"}
		}})
	}
	return append(checks, health.JournalCheck(p.journal), health.DiskCheck(p.journal, p.minFree, nil))
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// openParts builds the parts for the mode the flags name. In emulator
// mode the emulated center runs in this process until close.
func openParts(ctx context.Context, f partsFlags, h partsHooks) (*parts, error) {
	p := &parts{minFree: f.minFree, close: func() {}}
	now := h.now // the kiosk's clock (tests set it off the center's)
	if f.emulator {
		world := f.clock.Clock()
		if now == nil {
			now = world // the kiosk and the emulated center share one clock
		}
		if err := p.openEmulator(ctx, f, world); err != nil {
			return nil, err
		}
	} else if err := p.openConfig(f); err != nil {
		return nil, err
	}
	if f.printer != "" {
		p.spec = f.printer
	}
	p.printer = health.OpenSpec(p.spec, printer.Options{Quirks: p.quirks})
	if h.printer != nil {
		p.printer = h.printer(p.spec)
	}
	switch {
	case f.journal != "":
		p.journal = f.journal
	case f.emulator:
		// As `kiosk run --emulator` does with its output directory.
		if err := os.MkdirAll(filepath.Dir(p.journal), 0o700); err != nil {
			p.close()
			return nil, err
		}
	}
	p.center.Now = now
	if f.readerSet || !f.emulator {
		if f.readerSet {
			p.filter = f.reader
		}
		pc, err := cardreader.NewContext()
		if err != nil {
			p.readers = failedReaders{err}
			p.card = func(context.Context, io.Writer) (health.Card, error) { return nil, err }
		} else {
			prev := p.close
			p.close = func() { pc.Close(); prev() }
			p.readers, p.card = pc, health.PCSCCard(pc, p.filter)
		}
	}
	p.card = health.OneAtATime(p.card)
	return p, nil
}

// openEmulator starts the emulated center and an emulated card in an
// in-process reader, as `kiosk run --emulator` does.
func (p *parts) openEmulator(ctx context.Context, f partsFlags, now func() time.Time) error {
	env, err := emulator.Start(ctx, emulator.Options{Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	p.close = func() { env.Close() }
	fx := env.Fixtures
	center, err := emulatorCenter(env)
	if err != nil {
		env.Close()
		return err
	}
	res, ok := fx.Resident(f.resident)
	if !ok {
		env.Close()
		return fmt.Errorf("no test resident %q", f.resident)
	}
	ec, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		env.Close()
		return err
	}
	p.mode, p.spec, p.journal = "emulator", "emulator", "kofu-out/journal"
	p.center = center
	p.readers, p.card = health.StaticReaders{inProcessReader}, health.DialerCard(ec.Dialer(inProcessReader))
	return nil
}

// emulatorCenter is the emulated center as the kiosk of emulator mode
// reaches it: the test terminal's device certificate, the operator CA.
func emulatorCenter(env *emulator.Env) (health.Center, error) {
	fx := env.Fixtures
	term, ok := fx.Terminal(env.Identity.Term)
	if !ok {
		return health.Center{}, fmt.Errorf("no terminal %q in the fixtures", env.Identity.Term)
	}
	roots := x509.NewCertPool()
	roots.AddCert(fx.OperatorCA.Cert)
	tr, err := protocol.NewTransport(roots, term.Device.TLS())
	if err != nil {
		return health.Center{}, err
	}
	// The kiosk's clock in the emulated world is the world's, which the
	// center's Date header also reads.
	return health.Center{URL: env.Center.URL, Transport: tr, Now: env.Now}, nil
}

// openConfig takes everything from a store machine's configuration.
func (p *parts) openConfig(f partsFlags) error {
	c, err := config.Load(f.config)
	if err != nil {
		return fmt.Errorf("%s: %s", f.config, oneLine(err))
	}
	p.mode, p.spec, p.journal, p.filter = f.config, c.Printer.Spec, c.Journal.Path, c.Card.Reader
	p.quirks, err = c.Printer.QuirkRules() // the same USB interface the kiosk would choose
	if err != nil {
		return fmt.Errorf("%s: %w", f.config, err)
	}
	p.center = health.Center{URL: c.Center.URL, MaxSkew: c.Center.MaxSkew.Duration}
	trust, err := c.LoadTrust()
	if err == nil {
		p.center.Transport, err = protocol.NewTransport(trust.TLSRoots, trust.Device)
	}
	p.centerErr = err
	p.keysErr = c.CheckKeyModes()
	return nil
}

// failedReaders answers every listing with the error PC/SC gave.
type failedReaders struct{ err error }

func (f failedReaders) Readers(context.Context, string) ([]string, error) { return nil, f.err }

func selftest(ctx context.Context, args []string, stdout, stderr io.Writer, h partsHooks) (int, error) {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f partsFlags
	f.register(fs)
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	timeout := fs.Duration("timeout", health.DefaultTimeout, "how long one check may take")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if err := f.parse(fs); err != nil {
		return 2, err
	}
	p, err := openParts(ctx, f, h)
	if err != nil {
		return 1, err
	}
	defer p.close()
	rep := health.Run(ctx, p.checks(), *timeout)
	if *asJSON {
		writeReportJSON(stdout, p.mode, rep)
	} else {
		writeReport(stdout, rep)
	}
	if !rep.OK() {
		return 1, nil
	}
	return 0, nil
}

// writeReport prints one line per check and a verdict.
func writeReport(w io.Writer, rep health.Report) {
	for _, o := range rep.Outcomes {
		name := o.Name
		if !o.Blocking {
			name += "*"
		}
		fmt.Fprintf(w, "%-4s  %-8s %s\n", o.Status, name, o.Detail)
	}
	if failed := rep.Blocking(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, o := range failed {
			names[i] = o.Name
		}
		fmt.Fprintf(w, "selftest FAILED: %s; the customer UI stays closed until this is fixed (* = not blocking)\n", strings.Join(names, ", "))
		return
	}
	fmt.Fprintln(w, "selftest passed: the kiosk can serve residents (* = not blocking)")
}

// writeReportJSON prints the report as one JSON object.
func writeReportJSON(w io.Writer, mode string, rep health.Report) {
	type check struct {
		health.Outcome
		MS int64 `json:"ms"`
	}
	out := struct {
		OK     bool    `json:"ok"`
		Mode   string  `json:"mode"`
		Checks []check `json:"checks"`
	}{OK: rep.OK(), Mode: mode}
	for _, o := range rep.Outcomes {
		out.Checks = append(out.Checks, check{o, o.Took.Milliseconds()})
	}
	b, _ := json.Marshal(out)
	fmt.Fprintln(w, string(b))
}
