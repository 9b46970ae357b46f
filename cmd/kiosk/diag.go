package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/buildinfo"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/config"
	"kofu/terminal/diag"
	"kofu/terminal/diag/techauth"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// diagFlags are diag's flags: selftest's, and the emulator's output
// directory.
type diagFlags struct {
	partsFlags
	out    string // emulator: where test pages (the job's bytes and the decoded page) land; exports
	outSet bool
	login  bool // emulator: ask for the emulator's test technician
}

// The emulator's test technician (test material, like the test
// residents): `kiosk diag --emulator --login` asks for it.
const (
	emuTechnician = "tech-emu"
	emuTechPIN    = "246810"
)

// runDiag is `kiosk diag [--config FILE | --emulator [--out DIR]]` (DESIGN
// §8): the technician UI over the same parts `kiosk selftest` checks.
func runDiag(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("diag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f diagFlags
	f.register(fs)
	fs.StringVar(&f.out, "out", "kofu-out", "emulator: directory for the test pages (the bytes sent to the printer and the page as it decoded them, PNG) and, unless --journal, the journal; session exports (store machine default: exports/ beside the journal)")
	fs.BoolVar(&f.login, "login", false, "emulator: ask for a technician login as a store machine does (the test technician "+emuTechnician+", PIN "+emuTechPIN+")")
	hashPIN := fs.Bool("hash-pin", false, "read a technician PIN on stdin and print its salted hash for [[technician.account]] pin_hash")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *hashPIN {
		return hashPINStdin(os.Stdin, stdout)
	}
	if err := f.parse(fs); err != nil {
		return 2, err
	}
	fs.Visit(func(fl *flag.Flag) { f.outSet = f.outSet || fl.Name == "out" })
	if !f.emulator {
		c, err := config.Load(f.config)
		if err != nil {
			return 1, fmt.Errorf("%s: %s", f.config, oneLine(err))
		}
		if len(c.Technician.Accounts) == 0 {
			return 1, fmt.Errorf("%s: no [[technician.account]]: kiosk diag on a store machine asks for a technician's ID and PIN; add an account (kiosk diag --hash-pin makes the PIN's hash)", f.config)
		}
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
func newDiag(ctx context.Context, f diagFlags, h partsHooks, screen tcell.Screen) (*diag.Diag, func(), error) {
	if f.emulator {
		if err := os.MkdirAll(f.out, 0o700); err != nil {
			return nil, nil, fmt.Errorf("--out: %w", err)
		}
		if f.journal == "" {
			f.journal = filepath.Join(f.out, "journal")
		}
	}
	var cfg *config.Config
	if !f.emulator {
		c, err := config.Load(f.config)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s", f.config, oneLine(err))
		}
		cfg = c
	}
	p, err := openParts(ctx, f.partsFlags, h)
	if err != nil {
		return nil, nil, err
	}
	var ep *emulator.Printer // emulator mode: the printer that saves its jobs in --out
	open := p.printer
	if scenario, ok := strings.CutPrefix(p.spec, "emulator"); ok && f.emulator && h.printer == nil {
		open = func(ctx context.Context) (health.Printer, func(), error) {
			e, err := emulator.NewPrinter(ctx, f.out, strings.TrimPrefix(scenario, ":"))
			if err != nil {
				return nil, nil, err
			}
			ep = e
			return e.Device(), func() { e.Close() }, nil
		}
	}
	hp := &heldPrinter{open: open}
	jw := &journalWriter{path: p.journal, key: func() ([]byte, error) { return journalKey(f, cfg) }}
	closeAll := func() { jw.close(); hp.close(); p.close() }
	p.printer = hp.get
	now := p.center.Now
	if now == nil {
		now = time.Now
	}
	jw.now = now
	tp := testPager{hp: hp, spec: p.spec, now: now, out: f.out}
	if f.emulator {
		tp.saved = func() *emulator.Printer { return ep }
	}
	exports := f.out
	if cfg != nil && !f.outSet {
		exports = filepath.Join(filepath.Dir(cfg.Journal.Path), "exports")
	}
	parts := diag.Parts{
		Readers: p.readers, Card: p.card, Printer: p.printer, Center: p.center, Journal: p.journal,
		Checks:     p.checks(),
		TestPage:   tp.print,
		SendOutbox: outboxSender(f, cfg, p, hp, jw, now),
		ExportDir:  exports, Now: now, Append: jw.append,
	}
	o := diag.Options{Backend: parts.Backend(), Title: p.mode, Screen: screen, SW: buildinfo.SW(), Profile: "emulator (laptop)",
		Uptime: machineUptime, Now: now, Who: "emulator"}
	if f.emulator && f.login {
		hash, err := techauth.Hash(emuTechPIN)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		o.Login = accountsLogin([]config.TechnicianAccount{{ID: emuTechnician, PINHash: hash}})
	}
	if cfg != nil {
		if len(cfg.Technician.Accounts) > 0 {
			o.Login = accountsLogin(cfg.Technician.Accounts)
		}
		o.Profile = cfg.Profile.Name
		o.Refresh = diag.Refresh{Checks: cfg.Diag.RefreshChecks.Duration, Reader: cfg.Diag.RefreshReader.Duration,
			Printer: cfg.Diag.RefreshPrinter.Duration, Center: cfg.Diag.RefreshCenter.Duration, Journal: cfg.Diag.RefreshJournal.Duration}
	}
	d, err := diag.New(o)
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return d, closeAll, nil
}

// machineUptime reads the machine's uptime from /proc/uptime (0 where
// there is none).
func machineUptime() time.Duration {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	s, err := strconv.ParseFloat(f, 64)
	if err != nil {
		return 0
	}
	return time.Duration(s * float64(time.Second))
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

// testPager prints test pages on the held printer.
type testPager struct {
	hp   *heldPrinter
	spec string
	now  func() time.Time
	out  string
	// saved, in emulator mode, is the printer that writes each job's
	// bytes and decoded pages to out.
	saved func() *emulator.Printer
}

// print prints one test page (never a certificate: see renderTestPage)
// and says what the printer reported. The job asks the printer its state
// while it waits (printer.Options.StatusInterval, as the customer flow
// does), so paper out, a jam, an open cover or an offline printer ends it
// at once: FAIL with the printer's reason.
func (tp testPager) print(ctx context.Context) health.Result {
	dev, _, err := tp.hp.get(ctx)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("no printer: %v", err)}
	}
	var pp pagePrinter
	var ep *emulator.Printer
	if tp.saved != nil {
		ep = tp.saved()
	}
	if ep != nil {
		pp = ep
	} else if p, ok := dev.(pagePrinter); ok {
		pp = p
	} else {
		return health.Result{Status: health.Fail, Detail: "this printer cannot be sent a test page"}
	}
	img, err := renderTestPage(300, tp.spec)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("cannot draw the test page: %v", err)}
	}
	page, err := protocol.TechnicianTestPage(img, 300)
	if err != nil {
		return health.Result{Status: health.Fail, Detail: fmt.Sprintf("cannot draw the test page: %v", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	stamp := strings.ReplaceAll(tp.now().UTC().Format("20060102T150405.000Z"), ".", "")
	tid := []byte("testpage-" + stamp) // names the emulator's files; a real printer never sees it
	start := time.Now()
	before := 0
	if ep != nil {
		before = len(ep.Files)
	}
	n, err := pp.Print(ctx, tid, []*protocol.VerifiedPage{page})
	took := time.Since(start).Round(time.Millisecond)
	saved := ""
	if ep != nil {
		saved = keepTestPage(ep, tid, stamp, before)
	}
	return testPageResult(tp.spec, n, err, took, saved)
}

// keepTestPage renames what the emulated printer saved of a test page's
// job — the bytes it was sent and each page it decoded — to
// testpage-STAMP.prn and testpage-STAMP-pN.png, and says where they are.
func keepTestPage(ep *emulator.Printer, tid []byte, stamp string, before int) string {
	name := "testpage-" + stamp
	var kept []string
	wire := filepath.Join(ep.Dir, protocol.B64(tid)+".prn")
	if err := os.Rename(wire, filepath.Join(ep.Dir, name+".prn")); err == nil {
		kept = append(kept, name+".prn")
	}
	for i, f := range ep.Files[min(before, len(ep.Files)):] {
		to := filepath.Join(ep.Dir, fmt.Sprintf("%s-p%d.png", name, i+1))
		if err := os.Rename(f, to); err == nil {
			ep.Files[before+i] = to
			kept = append(kept, filepath.Base(to))
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return "saved in " + ep.Dir + ": " + strings.Join(kept, ", ")
}

// testPageResult says how a test page ended. A fault the printer
// reported (paper out, a jam, an open cover, offline) is a FAIL naming
// it with what to do, even when job data had reached the printer; only
// a job the printer took without confirming its end is a WARN.
func testPageResult(spec string, n int, err error, took time.Duration, saved string) health.Result {
	with := func(s string) string {
		if saved != "" {
			s += "; " + saved
		}
		return s
	}
	var pe *printer.Error
	switch {
	case err == nil:
		return health.Result{Status: health.OK, Detail: with(fmt.Sprintf("test page printed and confirmed by %s (%d page, %v)", spec, n, took))}
	case errors.As(err, &pe) && pe.Kind != printer.KindUnconfirmed:
		_, do, _ := strings.Cut(health.PrinterAdvice(pe.Kind), ": ") // the advice without the fault's name
		s := fmt.Sprintf("test page NOT printed on %s: %s after %v: %s", spec, pe.Kind, took, do)
		if pe.Detail != "" {
			s += " (" + pe.Detail + ")"
		}
		if pe.Sent && pe.Kind != printer.KindCanceled {
			s += "; cancel the job on the printer's panel before you fix it, or the printer may print the rest when it resumes"
		}
		return health.Result{Status: health.Fail, Detail: with(s)}
	case errors.Is(err, printer.ErrUnconfirmed):
		return health.Result{Status: health.Warn, Detail: with(fmt.Sprintf("test page sent to %s but NOT confirmed after %v: %v; look at the paper and the panel", spec, took, err))}
	case errors.Is(err, context.Canceled):
		return health.Result{Status: health.Fail, Detail: with(fmt.Sprintf("test page cancelled after %v: %v", took, err))}
	}
	return health.Result{Status: health.Fail, Detail: with(fmt.Sprintf("test page NOT printed on %s: %v", spec, err))}
}

// outboxSender sends the outbox now as the kiosk does after a session:
// it opens the journal for writing (the kiosk must be stopped: it holds
// the journal's lock), rebuilds the outbox from it and sends each
// outcome signed by the device key.
func outboxSender(f diagFlags, cfg *config.Config, p *parts, hp *heldPrinter, jw *journalWriter, now func() time.Time) func(ctx context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		id, err := senderIdentity(f, cfg)
		if err != nil {
			return 0, err
		}
		if p.center.Transport == nil {
			return 0, fmt.Errorf("no mutual-TLS identity for the center: %v", p.centerErr)
		}
		client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: p.center.URL, Transport: p.center.Transport, Now: now})
		if err != nil {
			return 0, fmt.Errorf("center client: %w", err)
		}
		j, err := jw.get()
		if err != nil {
			return 0, err
		}
		ob, err := terminal.LoadOutbox(p.journal)
		if err != nil {
			return 0, err
		}
		sink := idSink{}
		if dev, _, err := hp.get(ctx); err == nil {
			if ider, ok := dev.(interface{ ID() protocol.PrinterID }); ok {
				sink.id = ider.ID()
			}
		}
		k := &terminal.Kiosk{Client: client, Identity: id, Sink: sink, Journal: j, Outbox: ob, Now: now}
		return k.FlushOutbox(ctx)
	}
}

// senderIdentity is the device identity outcomes are signed with.
func senderIdentity(f diagFlags, cfg *config.Config) (terminal.Identity, error) {
	if f.emulator {
		fx, err := fixtures.Load()
		if err != nil {
			return terminal.Identity{}, err
		}
		term, ok := fx.Terminal("T0001")
		if !ok {
			return terminal.Identity{}, errors.New("no terminal T0001 in the fixtures")
		}
		return terminal.Identity{Term: term.ID, Store: term.Store, Device: term.Device.Key,
			DeviceChain: [][]byte{term.Device.CertDER}, SW: buildinfo.SW()}, nil
	}
	trust, err := cfg.LoadTrust()
	if err != nil {
		return terminal.Identity{}, fmt.Errorf("%s: %w", f.config, err)
	}
	dev, ok := trust.Device.PrivateKey.(crypto.Signer)
	if !ok {
		return terminal.Identity{}, errors.New("terminal.key: the device key cannot sign")
	}
	sw := buildinfo.Attested(buildinfo.SW(), cfg.Digest(trust))
	return terminal.Identity{Term: cfg.Terminal.ID, Store: cfg.Terminal.Store, Device: dev,
		DeviceChain: trust.Device.Certificate, SW: sw}, nil
}

// journalKey is the journal's card-hash key: journal.key on a store
// machine, JOURNAL.key beside it in emulator mode (as kiosk run makes it).
func journalKey(f diagFlags, cfg *config.Config) ([]byte, error) {
	if cfg == nil {
		key, err := journal.KeyFile(f.journal + ".key")
		if err != nil {
			return nil, fmt.Errorf("journal key: %w", err)
		}
		return key, nil
	}
	trust, err := cfg.LoadTrust()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.config, err)
	}
	return trust.JournalKey, nil
}

// journalWriter opens the journal for writing at diag's first action
// that changes something, and keeps it until diag ends: the kiosk must
// be stopped (it holds the journal's lock).
type journalWriter struct {
	path string
	key  func() ([]byte, error)
	now  func() time.Time
	mu   sync.Mutex
	j    *journal.Journal
}

func (w *journalWriter) get() (*journal.Journal, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.j != nil {
		return w.j, nil
	}
	key, err := w.key()
	if err != nil {
		return nil, err
	}
	j, _, err := journal.Open(w.path, key, w.now)
	if errors.Is(err, journal.ErrLocked) {
		return nil, fmt.Errorf("%w: stop the kiosk first (systemctl stop kofu-kiosk)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	w.j = j
	return j, nil
}

func (w *journalWriter) append(_ context.Context, r journal.Record) error {
	j, err := w.get()
	if err != nil {
		return err
	}
	return j.Append(r)
}

func (w *journalWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.j != nil {
		w.j.Close()
		w.j = nil
	}
}

// accountsLogin checks an ID and PIN against the accounts' salted
// hashes. An unknown ID costs a hash too, so that IDs cannot be told
// apart by time.
func accountsLogin(accounts []config.TechnicianAccount) diag.Login {
	return func(ctx context.Context, id, pin string) (string, error) {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		for _, a := range accounts {
			if a.ID == id {
				if err := techauth.Verify(a.PINHash, pin); err != nil {
					return "", err
				}
				return a.ID, nil
			}
		}
		if len(accounts) > 0 {
			_ = techauth.Verify(accounts[0].PINHash, pin+"x") // the same cost as a known ID
		}
		return "", techauth.ErrMismatch
	}
}

// hashPINStdin reads a technician PIN on stdin and prints its hash.
func hashPINStdin(stdin io.Reader, stdout io.Writer) (int, error) {
	b, err := io.ReadAll(io.LimitReader(stdin, 64))
	if err != nil {
		return 1, err
	}
	h, err := techauth.Hash(strings.TrimSpace(string(b)))
	if err != nil {
		return 2, err
	}
	fmt.Fprintln(stdout, h)
	return 0, nil
}

// idSink is the printer as an outcome names it; it prints nothing.
type idSink struct{ id protocol.PrinterID }

func (s idSink) ID() protocol.PrinterID { return s.id }

func (s idSink) Print(context.Context, []byte, []*protocol.VerifiedPage) (int, error) {
	return 0, errors.New("diag prints no documents")
}
