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
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kofu/cardreader"
	"kofu/internal/buildinfo"
	"kofu/internal/clock"
	"kofu/internal/emulator"
	"kofu/internal/sdnotify"
	"kofu/printer"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/config"
	"kofu/terminal/health"
	"kofu/terminal/journal"
	"kofu/terminal/metrics"
	"kofu/terminal/payment"
)

// runHooks let tests watch a run from inside the process.
type runHooks struct {
	metricsAddr func(net.Addr)   // the metrics endpoint is listening
	now         func() time.Time // store mode's clock in tests (nil: the wall clock)
	stdin       io.Reader        // where --pin-stdin reads (nil: os.Stdin)
}

// runKiosk is `kiosk run` (DESIGN §8).
func runKiosk(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	return runWith(ctx, args, stdout, stderr, runHooks{})
}

// runFlags are the command line of `kiosk run`.
type runFlags struct {
	config, faults, resident, docType, pin, printerSpec, out, journal, crashAt, lang string
	muni                                                                             string
	emu, autopilot, pinStdin, duplex, v1Center                                       bool
	dpi                                                                              int
	logFormat, metrics                                                               string
	stopTimeout                                                                      time.Duration
	acceptBuild, opts                                                                repeated
	members                                                                          string
	clock                                                                            clock.Flag
	explicit                                                                         map[string]bool // flags given on the command line
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, hooks runHooks) (int, error) {
	var f runFlags
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "configuration file (store machine; with --emulator: profile, timeouts, printer, metrics, log)")
	fs.BoolVar(&f.emu, "emulator", false, "emulated card, center and printer in one process")
	fs.StringVar(&f.faults, "fault", "", "emulator: center fault modes NAME[,NAME...] (see kofu-emu center)")
	fs.Var(&f.acceptBuild, "accept-build", "emulator: the emulated center accepts only this kiosk \"sw\" (build and configuration digest); repeatable")
	fs.BoolVar(&f.v1Center, "center-v1-only", false, "emulator: the emulated center serves DESIGN §3's routes alone, as one built from the contract would: no 世帯の一部 (POST /v1/household answers 404)")
	fs.StringVar(&f.resident, "resident", "R0001", "emulator: the test resident whose card is inserted")
	fs.Var(&f.clock, "clock", "emulator: start the emulated world's clock (center calendar, tickets, kiosk) at this instant, RFC 3339 with a zone, e.g. 2026-12-07T09:00+09:00 (default: the wall clock)")
	fs.BoolVar(&f.autopilot, "autopilot", false, "no UI: run one transaction and print one JSON line")
	fs.StringVar(&f.docType, "doc", "juminhyo", "autopilot: document type")
	fs.Var(&f.opts, "opt", "autopilot: a document option KEY=VALUE, e.g. zokugara=include (default: the type's defaults); repeatable")
	fs.StringVar(&f.members, "members", "", "autopilot: 世帯の一部 (scope members): the places on the household list to list, 1-based as the screen numbers them, e.g. 1,3")
	fs.StringVar(&f.pin, "pin", "", "autopilot: "+pinFlagHelp+" (emulator default: the resident's)")
	fs.BoolVar(&f.pinStdin, "pin-stdin", false, "autopilot: "+pinStdinHelp)
	fs.StringVar(&f.muni, "muni", "", "store autopilot: the municipality code the request goes to")
	fs.StringVar(&f.printerSpec, "printer", "emulator", "printer: emulator[:OPTIONS] (ipp: the IPP-over-USB printer, unidir, scenarios such as paper-out@1; bytes and decoded PNG pages to --out), usb, usb:VID:PID, file:PATH.pcl|.pwg")
	fs.StringVar(&f.out, "out", "kofu-out", "emulator output directory for printed pages")
	fs.StringVar(&f.journal, "journal", "", "journal file (emulator default: OUT/journal)")
	fs.StringVar(&f.crashAt, "crash-at", "", "emulator, for crash tests: SIGKILL this process on entering STATE, or right after the coin unit captured the fee (captured)")
	fs.IntVar(&f.dpi, "dpi", 300, "emulator: center page resolution (300 or 600)")
	fs.BoolVar(&f.duplex, "duplex", false, "emulator: ask documents two-sided and print them on both sides (default: the configuration's printer.duplex, else its profile's: one-sided for laptop)")
	fs.StringVar(&f.lang, "lang", "ja", "customer UI: the language a session starts in (ja, en, zh, ko, pt or vi)")
	fs.StringVar(&f.logFormat, "log-format", "", "log on stderr: json or text (default: the config's log.format, else JSON unless stderr is a terminal)")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus /metrics on this loopback ADDR (default: the config's metrics.listen)")
	fs.DurationVar(&f.stopTimeout, "stop-timeout", 90*time.Second, "on SIGTERM: how long a print in progress may take to finish before it is aborted")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	f.explicit = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.explicit[fl.Name] = true })
	if !f.emu && f.config == "" {
		return 2, errors.New("kiosk run needs --config FILE (store machine) or --emulator")
	}
	if f.clock.IsSet() && !f.emu && !testClockBuild {
		return 2, errors.New("--clock is for --emulator: a store machine keeps the wall clock, which its center's skew check and the service's hours hold it to")
	}
	// The PIN from stdin is read now, before anything starts, into a slice
	// that every way out of run zeroes (the autopilot takes its own copy).
	var pin []byte
	if f.pinStdin {
		if !f.autopilot {
			return 2, errors.New("--pin-stdin is for --autopilot (the customer UI asks the resident)")
		}
		stdin := hooks.stdin
		if stdin == nil {
			stdin = os.Stdin
		}
		var err error
		if pin, err = readPIN(f.pin, true, stdin); err != nil {
			return 2, err
		}
		defer clear(pin)
	}
	var cfg *config.Config
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return 2, fmt.Errorf("%s: %w", f.config, err)
		}
	} else {
		cfg = &config.Config{Profile: config.Profile{Name: "laptop"}}
	}
	format := cfg.Log.Format
	if f.logFormat != "" {
		format = f.logFormat
	}
	logTo := stderr
	if !f.autopilot && isTerminal(stderr) {
		// The customer UI draws on this terminal: log lines written to
		// it would tear the resident's screen. They go to a file beside
		// the emulator's output, or the journal, instead.
		dir := f.out
		if !f.emu {
			dir = filepath.Dir(cfg.Journal.Path)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return 2, err
		}
		path := filepath.Join(dir, "kiosk.log")
		lf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return 2, fmt.Errorf("the log file (the customer UI has the terminal): %w", err)
		}
		defer lf.Close()
		fmt.Fprintf(stderr, "kiosk: logging to %s while the customer UI has the terminal\n", path)
		logTo = lf
	}
	log, err := newLogger(logTo, format, cfg.Log.Level)
	if err != nil {
		return 2, err
	}
	addr := cfg.Metrics.Listen
	if f.metrics != "" {
		if err := config.CheckListen(f.metrics, cfg.Metrics.AllowRemote); err != nil {
			return 2, fmt.Errorf("--metrics %q: %w", f.metrics, err)
		}
		addr = f.metrics
	}
	notify, err := sdnotify.FromEnv()
	if err != nil {
		log.Warn("systemd watchdog not honoured", "err", err)
	}
	rc := &runContext{f: f, cfg: cfg, log: log, metricsAddr: addr, hooks: hooks, notify: notify,
		stdout: stdout, pin: pin}
	if f.emu {
		return rc.emulator(ctx)
	}
	return rc.store(ctx)
}

// autopilotPIN is a copy of the autopilot's PIN for the caller to zero:
// from --pin-stdin, else --pin (tests only), else nil.
func (rc *runContext) autopilotPIN() []byte {
	if rc.pin != nil {
		return append([]byte(nil), rc.pin...)
	}
	if rc.f.pin != "" {
		return []byte(rc.f.pin)
	}
	return nil
}

// runContext is one `kiosk run`.
type runContext struct {
	f           runFlags
	cfg         *config.Config
	log         *slog.Logger
	metricsAddr string
	hooks       runHooks
	notify      *sdnotify.Notifier
	stdout      io.Writer
	// pin is the autopilot's PIN read by --pin-stdin (nil: --pin or the
	// emulated resident's); runWith zeroes it when the run ends.
	pin []byte
}

// sessionTimeouts are the configuration's resident-facing timeouts, with
// the defaults filled in.
func (rc *runContext) sessionTimeouts() terminal.Timeouts {
	s := rc.cfg.Session
	t := terminal.Timeouts{Session: s.Timeout.Duration, Choose: s.Choose.Duration, PIN: s.PIN.Duration,
		Members: s.Members.Duration, Pay: s.Pay.Duration, Print: s.Print.Duration, Finish: s.Finish.Duration}
	d := terminal.DefaultTimeouts()
	for _, p := range []struct {
		dst *time.Duration
		def time.Duration
	}{
		{&t.Session, d.Session}, {&t.Choose, d.Choose}, {&t.PIN, d.PIN}, {&t.Members, d.Members}, {&t.Pay, d.Pay},
		{&t.Print, d.Print}, {&t.Finish, d.Finish},
	} {
		if *p.dst <= 0 {
			*p.dst = p.def
		}
	}
	return t
}

// centerTimeouts are the configuration's protocol timeouts (zero: default).
func (rc *runContext) centerTimeouts() protocol.Timeouts {
	t := rc.cfg.Center.Timeouts
	return protocol.Timeouts{Request: t.Request.Duration, Document: t.Document.Duration, Page: t.Page.Duration,
		Outcome: t.Outcome.Duration}
}

// start brings up the service side once the kiosk's identity is known:
// the metrics endpoint and the service object. The returned function
// stops the endpoint.
func (rc *runContext) start(ctx context.Context, sw, journalPath string, j *journal.Journal) (*service, func(), error) {
	var m *metrics.Metrics
	stop := func() {}
	if rc.metricsAddr != "" {
		m = metrics.New(metrics.Options{SW: sw, Profile: rc.cfg.Profile.Name, JournalPath: journalPath, Journal: j})
		mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		a, done, err := m.Serve(mctx, rc.metricsAddr)
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("metrics endpoint: %w", err)
		}
		rc.log.Info("metrics endpoint listening", "addr", a.String())
		if rc.hooks.metricsAddr != nil {
			rc.hooks.metricsAddr(a)
		}
		stop = func() { cancel(); <-done }
	}
	return newService(rc.log, m, rc.notify, rc.sessionTimeouts()), stop, nil
}

// refuse ends a run whose machine does not fit its profile: logged,
// exit 1, nothing printed.
func (rc *runContext) refuse(err error) (int, error) {
	rc.log.Error("refusing to start", "err", err.Error())
	return 1, fmt.Errorf("refusing to start: %w", err)
}

// emulator is `kiosk run --emulator`: card, center and printer emulated in
// this process. A --config supplies the profile, timeouts, printer (unless
// --printer is given), language, metrics and log; its center, trust
// anchors, terminal identity, card reader and journal are replaced by the
// emulator's.
func (rc *runContext) emulator(ctx context.Context) (int, error) {
	f, cfg := rc.f, rc.cfg
	fl, err := center.ParseFaults(f.faults)
	if err != nil {
		return 2, err
	}
	doc, chosen, err := autopilotDoc(f.docType, f.opts, f.members)
	if err != nil {
		return 2, err
	}
	if cfg.Printer.Spec != "" && !f.explicit["printer"] {
		f.printerSpec = cfg.Printer.Spec
	}
	if cfg.UI.Default != "" && !f.explicit["lang"] {
		f.lang = cfg.UI.Default
	}
	if f.config != "" {
		rc.log.Info("emulator mode: the configuration's center, trust anchors, terminal, card reader and journal are replaced by the emulator's")
	}
	builds := []string(f.acceptBuild)
	env, err := emulator.Start(ctx, emulator.Options{Now: f.clock.Clock(), Faults: fl, DPI: f.dpi, Timeouts: rc.centerTimeouts(),
		Logger: slog.New(slog.DiscardHandler), Center: func(c *center.Config) { c.Builds, c.V1Only = builds, f.v1Center }})
	if err != nil {
		return 1, err
	}
	defer env.Close()
	env.Verifier.MaxSkew, env.Verifier.MaxPages = cfg.Center.MaxSkew.Duration, cfg.Center.MaxPages
	env.Verifier.PageLimits.MarginMM = cfg.Printer.MarginMM
	res, ok := env.Fixtures.Resident(f.resident)
	if !ok {
		return 2, fmt.Errorf("no test resident %q", f.resident)
	}
	if err := os.MkdirAll(f.out, 0o700); err != nil {
		return 1, err
	}
	if f.journal == "" {
		f.journal = filepath.Join(f.out, "journal")
	}

	// Duplex: as the configuration's profile says (laptop, the profile of
	// emulator mode without --config: one-sided, so the emulator's flows
	// stay DESIGN §3's), unless --duplex says; counted in the digest.
	if f.explicit["duplex"] {
		duplex := f.duplex
		cfg.Printer.Duplex = &duplex
	}

	// Identity: the build and the digest of the effective configuration.
	sw := emulatorSW(cfg, f.printerSpec, env)
	env.Identity.SW = sw

	popts, err := printerOptions(cfg, rc.log)
	if err != nil {
		return 1, fmt.Errorf("printer: %w", err)
	}
	sink, files, err := openPrinter(ctx, f.printerSpec, f.out, popts)
	if err != nil {
		return 1, fmt.Errorf("printer: %w", err)
	}
	defer sink.Close()
	slot, err := emulator.NewCardSlot(env.Fixtures, res)
	if err != nil {
		return 1, err
	}
	reader, err := slotReader(ctx, slot)
	if err != nil {
		return 1, fmt.Errorf("card: %w", err)
	}
	det, err := detect(ctx, f.printerSpec, sink.ID(), []string{reader}, env.Center.URL)
	if err != nil {
		return rc.refuse(err)
	}
	if err := checkProfile(cfg.Profile.Name, det); err != nil {
		return rc.refuse(err)
	}

	key, err := journal.KeyFile(f.journal + ".key")
	if err != nil {
		return 1, err
	}
	j, rep, err := journal.Open(f.journal, key, nil)
	if err != nil {
		return 1, fmt.Errorf("journal: %w", err)
	}
	defer j.Close()
	rc.logRecovered(rep)
	// The coin unit keeps its money in OUT/coins.json, so that a hold a
	// killed run left open is still there, and resolved here by the
	// journal, before the first session.
	coins, err := rc.openCoins(ctx, filepath.Join(f.out, "coins.json"), f.journal, j)
	if err != nil {
		return 1, err
	}
	outbox, err := rc.loadOutbox(f.journal)
	if err != nil {
		return 1, err
	}
	svc, stopMetrics, err := rc.start(ctx, sw, f.journal, j)
	if err != nil {
		return 1, err
	}
	defer stopMetrics()
	var printerOpen health.PrinterOpener
	if dev := sinkDevice(sink); dev != nil {
		printerOpen = health.Held(dev)
	}
	readerCheck := health.Reader(health.StaticReaders{reader}, "")
	svc.probeDevices(ctx, printerOpen, &readerCheck)
	rc.log.Info("kiosk ready", "mode", "emulator", "sw", sw, "profile", cfg.Profile.Name, "printer", config.PrinterKind(f.printerSpec))

	sctx, release := svc.drain(ctx, f.stopTimeout)
	defer release()
	stopWatchdog := svc.ready(ctx)
	defer stopWatchdog()

	if !f.autopilot {
		// The customer UI: sessions until the resident quits (Q when idle),
		// C placing the card on the emulated reader and pulling it off.
		opts := []uiOption{withJournalPath(f.journal), withResults(svc), withOutbox(outbox), withCoins(coins),
			withTimeouts(rc.sessionTimeouts()), withLog(rc.log), withHelpdesk(rc.cfg.UI.Helpdesk),
			withLanguages(rc.cfg.UI.Languages)}
		if d := cfg.UI.Recheck.Duration; d > 0 {
			opts = append(opts, withRecheck(d))
		}
		if err := runUI(sctx, env, res, j, sink, f.lang, opts...); err != nil {
			return 1, err
		}
		return 0, nil
	}
	p := rc.autopilotPIN()
	if len(p) == 0 {
		p = []byte(res.PIN)
	}
	// The autopilot keeps its own copy, which the session zeroes; this
	// one goes now, not when run returns (the process may sit blocked
	// writing its result line long after the session).
	pilot := terminal.NewAutopilot(emulator.OrderFor(res, doc), p, coins)
	pilot.Chosen = chosen
	clear(p)
	k := env.Kiosk(sink, coins, j)
	k.Outbox = outbox
	k.Timeouts = rc.sessionTimeouts()
	svc.instrument(k)
	if f.crashAt != "" {
		crashAt := f.crashAt
		k.OnState = func(st terminal.State) {
			if string(st) == crashAt {
				killSelf()
			}
		}
		if crashAt == crashCaptured {
			k.Payment = crashAfterCapture{k.Payment}
		}
	}
	card, err := slot.Open(sctx)
	if err != nil {
		return 1, fmt.Errorf("card: %w", err)
	}
	defer card.Close()
	result := k.Serve(sctx, card, pilot)
	result.Files = append([]string{}, files()...)
	line, _ := json.Marshal(result)
	fmt.Fprintln(rc.stdout, string(line))
	if result.Outcome != protocol.ResultPrinted {
		rc.explainCalendar(env, res.RecordMuni(doc.Type), doc.Type, result)
		return 1, nil
	}
	return 0, nil
}

// explainCalendar says on the log why the emulated center refused a
// document for its calendar (戸籍 on weekdays only, service hours), with
// the instant its clock read, so that a refusal on a laptop on a Saturday
// is not a mystery: --clock runs the emulated world at another instant.
func (rc *runContext) explainCalendar(env *emulator.Env, muni string, doc protocol.DocType, r terminal.Result) {
	if p, ok := r.Reason.Problem(); !ok || (p != protocol.ProbDocumentUnavailable && p != protocol.ProbOutsideHours) {
		return
	}
	if why, closed := env.Center.Center.CalendarRefuses(muni, doc); closed {
		rc.log.Warn("the emulated center's calendar refused this document: "+why+
			"; --clock INSTANT runs the emulated world at another instant", "reason", r.Reason)
	}
}

// emulatorSW is the "sw" of an emulator-mode kiosk: its build and the
// digest of its effective configuration, in which the center is the
// emulator's (a fixed name: its port changes every run) under the test
// PKI's anchors, and the printer is the one in use.
func emulatorSW(cfg *config.Config, printerSpec string, env *emulator.Env) string {
	eff := *cfg
	eff.Center.URL, eff.Printer.Spec = "https://emulator.invalid", printerSpec
	fx := env.Fixtures
	digest := eff.Digest(&config.Trust{TLSCerts: []*x509.Certificate{fx.OperatorCA.Cert},
		CenterCerts: []*x509.Certificate{fx.CenterCA.Cert}, IssuerCerts: []*x509.Certificate{fx.IssuerCA.Cert}})
	return buildinfo.Attested(buildinfo.SW(), digest)
}

// store is `kiosk run --config FILE` on a store machine: it loads the
// configuration and every file it names, opens the printer, lists the
// card readers, resolves the center and checks the machine against the
// configured profile, refusing to start on any mismatch.
func (rc *runContext) store(ctx context.Context) (int, error) {
	cfg := rc.cfg
	trust, err := cfg.LoadTrust()
	if err != nil {
		return 2, fmt.Errorf("%s: %w", rc.f.config, err)
	}
	sw := buildinfo.Attested(buildinfo.SW(), cfg.Digest(trust))
	popts, err := printerOptions(cfg, rc.log)
	if err != nil {
		return rc.refuse(fmt.Errorf("printer: %w", err))
	}
	sink, err := openTarget(ctx, cfg.Printer.Spec, popts)
	if err != nil {
		return rc.refuse(fmt.Errorf("printer %s: %w", cfg.Printer.Spec, err))
	}
	defer sink.Close()
	var readers []string
	if pc, err := cardreader.NewContext(); err != nil {
		rc.log.Warn("no PC/SC service: no card reader can be listed", "err", err.Error())
	} else {
		readers, err = pc.Readers(ctx, cfg.Card.Reader)
		if err != nil {
			rc.log.Warn("listing card readers", "err", err.Error())
		}
		pc.Close()
	}
	det, err := detect(ctx, cfg.Printer.Spec, sink.ID(), readers, cfg.Center.URL)
	if err != nil {
		return rc.refuse(err)
	}
	if err := checkProfile(cfg.Profile.Name, det); err != nil {
		return rc.refuse(err)
	}
	j, rep, err := journal.Open(cfg.Journal.Path, trust.JournalKey, nil)
	if err != nil {
		return 1, fmt.Errorf("journal: %w", err)
	}
	defer j.Close()
	rc.logRecovered(rep)
	rc.log.Info("preflight passed", "mode", "store", "sw", sw, "profile", cfg.Profile.Name,
		"printer", config.PrinterKind(cfg.Printer.Spec), "readers", len(readers))
	return rc.storeSessions(ctx, trust, sink, j, sw)
}

// logRecovered says which sessions the journal found unfinished at open.
func (rc *runContext) logRecovered(rep *journal.Report) {
	for _, sid := range rep.Recovered {
		if pages, ok := rep.Earned[sid]; ok {
			rc.log.Warn(fmt.Sprintf("kiosk: session %s was left unfinished by an earlier run after the printer confirmed all %d page(s); recorded as printed, its fee captured, not reprinted", sid, pages),
				"session", sid)
			continue
		}
		rc.log.Warn(fmt.Sprintf("kiosk: session %s was left unfinished by an earlier run; recorded as unknown, not reprinted", sid),
			"session", sid)
	}
}

// openCoins opens the emulated coin unit persisted at path and resolves
// every hold a previous run left open by the journal at journalPath (j,
// already opened): captured only for a session that ended printed,
// released otherwise (terminal.RecoverHolds). A hold that cannot be
// settled now stays open for the next start: logged, not fatal.
func (rc *runContext) openCoins(ctx context.Context, path, journalPath string, j *journal.Journal) (*payment.Coins, error) {
	coins, err := payment.OpenCoins(path)
	if err != nil {
		return nil, err
	}
	rec, err := terminal.RecoverHolds(ctx, journalPath, j, coins)
	for _, h := range rec.Captured {
		rc.log.Warn("a hold left open by the last run was captured: its session printed", "hold", h.ID, "yen", h.Yen)
	}
	for _, h := range rec.Released {
		rc.log.Warn("a hold left open by the last run was released: its session did not end printed", "hold", h.ID, "yen", h.Yen)
	}
	if err != nil {
		rc.log.Error("holds left open; the next start tries again", "err", err)
	}
	return coins, nil
}

// loadOutbox rebuilds the outbox of outcomes the center has not heard
// from the journal at path (opened already, so its recovery is in it).
func (rc *runContext) loadOutbox(path string) (*terminal.Outbox, error) {
	ob, err := terminal.LoadOutbox(path)
	if err != nil {
		return nil, err
	}
	if n := ob.Len(); n > 0 {
		rc.log.Warn("outcomes the center has not acknowledged wait in the outbox; they are sent after the next session", "count", n)
	}
	return ob, nil
}

// slotReader is the emulated card's reader name, read from the card
// itself as a session would.
func slotReader(ctx context.Context, slot *emulator.CardSlot) (string, error) {
	c, err := slot.Open(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.Reader(), nil
}

// closingSink is a printer the kiosk closes when it stops.
type closingSink interface {
	terminal.Sink
	Close() error
}

// openPrinter opens the printer a spec names with opts. The emulated
// printer (emulator[:OPTIONS]: ipp, unidir, scenarios) also reports the
// page files it wrote to out; a real printer writes none.
func openPrinter(ctx context.Context, spec, out string, opts printer.Options) (closingSink, func() []string, error) {
	t, err := printer.ParseTarget(spec)
	if err != nil {
		return nil, nil, err
	}
	if t.Kind == printer.TargetEmulator {
		ep, err := emulator.NewPrinterWith(ctx, out, t.Emulator, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("printer spec %q: %w", spec, err)
		}
		return ep, func() []string { return ep.Files }, nil
	}
	p, err := printer.New(ctx, t, opts)
	if err != nil {
		return nil, nil, err
	}
	return p, func() []string { return nil }, nil
}

// repeated is a repeatable string flag.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
