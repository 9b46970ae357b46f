package main

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/cardreader"
	"kofu/internal/clock"
	"kofu/protocol"
	"kofu/protocol/pages"
	"kofu/terminal"
	"kofu/terminal/config"
	"kofu/terminal/health"
	"kofu/terminal/host"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
	"kofu/terminal/tui"
)

// storeMachine is what a store machine's sessions run on, once the
// preflight has passed: the center client and verifier from the
// configuration, the printer, the journal, the card reader.
type storeMachine struct {
	cfg    *config.Config
	client *protocol.Client
	verify *protocol.Verifier
	id     terminal.Identity
	sink   terminal.Sink
	j      *journal.Journal
	reader *host.Reader
	coins  *payment.Coins // the emulated coin unit: the only payment unit there is (see docs/operator.md)
	svc    *service
	outbox *terminal.Outbox
	tm     terminal.Timeouts
	now    func() time.Time // the kiosk's clock: the wall clock on a store machine
}

// newStoreMachine builds the store machine's kiosk parts from its
// configuration and trust anchors.
func newStoreMachine(cfg *config.Config, trust *config.Trust, sw string, ct protocol.Timeouts, tm terminal.Timeouts,
	sink terminal.Sink, j *journal.Journal, pc host.Events) (*storeMachine, error) {
	tr, err := protocol.NewTransport(trust.TLSRoots, trust.Device)
	if err != nil {
		return nil, err
	}
	client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: cfg.Center.URL, Transport: tr, Timeouts: ct})
	if err != nil {
		return nil, err
	}
	dev, ok := trust.Device.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("terminal.key: the device key cannot sign")
	}
	return &storeMachine{
		cfg:    cfg,
		client: client,
		verify: &protocol.Verifier{CenterRoots: trust.CenterRoots, IssuerRoots: trust.IssuerRoots,
			MaxSkew: cfg.Center.MaxSkew.Duration, MaxPages: cfg.Center.MaxPages, Now: clock.Wall,
			PageLimits: pages.Limits{MarginMM: cfg.Printer.MarginMM}},
		id: terminal.Identity{Term: cfg.Terminal.ID, Store: cfg.Terminal.Store, Device: dev,
			DeviceChain: trust.Device.Certificate, SW: sw},
		sink:   sink,
		j:      j,
		reader: &host.Reader{PC: pc, Filter: cfg.Card.Reader},
		coins:  payment.NewCoins(),
		tm:     tm,
		now:    clock.Wall,
	}, nil
}

// kiosk is the terminal.Kiosk for one session.
func (m *storeMachine) kiosk() *terminal.Kiosk {
	k := &terminal.Kiosk{Client: m.client, Verifier: m.verify, Identity: m.id, Sink: m.sink, Payment: m.coins,
		Journal: m.j, Timeouts: m.tm, Outbox: m.outbox, Now: m.now}
	if m.svc != nil {
		m.svc.instrument(k)
	}
	return k
}

// serve runs one session for the card on the reader: the session ends
// cancelled/card-removed if the card leaves before printing.
func (m *storeMachine) serve(ctx context.Context, panel terminal.Panel) (terminal.Result, error) {
	p, err := m.reader.Next(ctx)
	if err != nil {
		return terminal.Result{}, err
	}
	defer p.Close()
	return m.kiosk().Serve(p.Ctx, p.Card, panel), nil
}

// autopilot is `kiosk run --config FILE --autopilot`: it waits for a card
// on the configured reader, runs one session for order with pin (and for
// 世帯の一部 the household list's places chosen, nil: the holder) and
// prints the JSON line of DESIGN §8.
func (m *storeMachine) autopilot(ctx context.Context, order terminal.Order, chosen []int, pin []byte) (terminal.Result, error) {
	// The autopilot keeps its own copy, which the session zeroes; this
	// one goes now.
	pilot := terminal.NewAutopilot(order, pin, m.coins)
	pilot.Chosen = chosen
	clear(pin)
	r, err := m.serve(ctx, pilot)
	if err != nil {
		var ce *host.CardError
		if errors.As(err, &ce) {
			return terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-certificate", Payment: "none"}, nil
		}
		return r, err
	}
	return r, nil
}

// printResult writes the autopilot's JSON line and picks the exit code.
func printResult(rc *runContext, r terminal.Result) int {
	if r.Files == nil {
		r.Files = []string{}
	}
	line, _ := json.Marshal(r)
	fmt.Fprintln(rc.stdout, string(line))
	if r.Outcome != protocol.ResultPrinted {
		return 1
	}
	return 0
}

// storeUI is the store machine's customer UI on the card loop
// (host.Loop): the welcome screen while the reader is empty (out of
// service while a blocking check fails), one session per card placed on
// the reader, its finish screen until the card leaves, and the staff's
// card-left screen while a card stays in the reader after it — never the
// welcome screen over a card.
type storeUI struct {
	desk
	m        *storeMachine
	onResult func(terminal.Result)
	log      *slog.Logger // nil: none
}

// newStoreUI builds the loop on screen (tcell.NewSimulationScreen in tests).
func newStoreUI(m *storeMachine, munis []tui.Municipality, lang string, checks []health.Check, screen tcell.Screen) (*storeUI, error) {
	l, err := tui.ParseLang(lang)
	if err != nil {
		return nil, err
	}
	langs, err := uiLanguages(m.cfg.UI.Languages)
	if err != nil {
		return nil, err
	}
	// No idle keys: a resident must not be able to close a store machine
	// (issue 17); it stops when its service is stopped.
	c, err := tui.NewCustomer(tui.Options{Screen: screen, Coins: m.coins, Municipalities: munis, Lang: l, Languages: langs,
		Now: m.now, Helpdesk: m.cfg.UI.Helpdesk})
	if err != nil {
		return nil, err
	}
	recheck := defaultRecheck
	if d := m.cfg.UI.Recheck.Duration; d > 0 {
		recheck = d
	}
	return &storeUI{desk: desk{customer: c, checks: checks, recheck: recheck}, m: m}, nil
}

// run shows the UI until ctx ends (the service stops).
func (u *storeUI) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- u.customer.Run(ctx) }()
	loop := &host.Loop{Reader: u.m.reader, UI: &u.desk, Kiosk: u.m.kiosk, Finish: u.m.tm.Finish, OnResult: u.onResult,
		Log: u.log}
	lerr := loop.Run(ctx)
	cancel()
	if err := <-errc; err != nil {
		return err
	}
	if errors.Is(lerr, tui.ErrStopped) {
		return nil
	}
	return lerr
}

// storeSessions runs the store machine once its preflight has passed:
// metrics, systemd readiness and the stop drain as in emulator mode, then
// one autopilot session (--autopilot) or the customer UI.
func (rc *runContext) storeSessions(ctx context.Context, trust *config.Trust, sink terminal.Sink, j *journal.Journal, sw string) (int, error) {
	f, cfg := rc.f, rc.cfg
	var order terminal.Order
	var chosen []int
	if f.autopilot {
		doc, places, err := autopilotDoc(f.docType, f.opts, f.members)
		if err != nil {
			return 2, err
		}
		if f.muni == "" || (len(rc.pin) == 0 && f.pin == "") {
			return 2, errors.New("kiosk run --config --autopilot needs --muni CODE and --pin-stdin (or --pin PIN, for tests)")
		}
		order, chosen = terminal.Order{Muni: f.muni, Doc: doc}, places
	}
	outbox, err := rc.loadOutbox(cfg.Journal.Path)
	if err != nil {
		return 1, err
	}
	svc, stopMetrics, err := rc.start(ctx, sw, cfg.Journal.Path, j)
	if err != nil {
		return 1, err
	}
	defer stopMetrics()
	pc, err := cardreader.NewContext()
	if err != nil {
		return 1, fmt.Errorf("card reader: %w", err)
	}
	defer pc.Close()
	m, err := newStoreMachine(cfg, trust, sw, rc.centerTimeouts(), rc.sessionTimeouts(), sink, j, pc)
	if err != nil {
		return 1, err
	}
	m.svc, m.outbox = svc, outbox
	// The emulated coin unit persists next to the journal; holds a killed
	// run left open are resolved by the journal before the first session.
	if m.coins, err = rc.openCoins(ctx, filepath.Join(filepath.Dir(cfg.Journal.Path), "coins.json"), cfg.Journal.Path, j); err != nil {
		return 1, err
	}
	now := rc.hooks.now
	if now == nil && f.clock.IsSet() && testClockBuild {
		now = f.clock.Clock() // a test build only (clockbuild_testclock.go)
	}
	if now != nil {
		m.now = now
		m.verify.Now = now
	}
	if outbox.Len() > 0 {
		// Tell the center first what it has not heard (a partition at the
		// last report, a crash after a ticket); the rest waits for later.
		n, err := m.kiosk().FlushOutbox(ctx)
		rc.log.Info("outbox flushed at start", "sent", n, "left", outbox.Len(), "err", errString(err))
	}
	var printerOpen health.PrinterOpener
	if dev := sinkDevice(sink); dev != nil {
		printerOpen = health.Held(dev)
	}
	readerCheck := health.Reader(pc, cfg.Card.Reader)
	svc.probeDevices(ctx, printerOpen, &readerCheck)
	rc.log.Info("kiosk ready", "mode", "store", "sw", sw, "profile", cfg.Profile.Name, "printer", config.PrinterKind(cfg.Printer.Spec))

	sctx, release := svc.drain(ctx, f.stopTimeout)
	defer release()
	stopWatchdog := svc.ready(ctx)
	defer stopWatchdog()

	if f.autopilot {
		r, err := m.autopilot(sctx, order, chosen, rc.autopilotPIN()) // zeroed by autopilot
		if err != nil {
			return 1, err
		}
		return printResult(rc, r), nil
	}
	checks := []health.Check{readerCheck}
	if printerOpen != nil {
		checks = append(checks, health.PrinterCheck(printerOpen))
	}
	tr, err := protocol.NewTransport(trust.TLSRoots, trust.Device)
	if err != nil {
		return 1, err
	}
	checks = append(checks, health.CenterCheck(health.Center{URL: cfg.Center.URL, MaxSkew: cfg.Center.MaxSkew.Duration, Transport: tr, Now: m.now}),
		health.LiveJournalCheck(cfg.Journal.Path, j), health.DiskCheck(cfg.Journal.Path, health.DefaultMinFree, nil))
	munis, err := loadMunicipalities(cfg)
	if err != nil {
		return 2, err
	}
	lang := f.lang
	if cfg.UI.Default != "" && !f.explicit["lang"] {
		lang = cfg.UI.Default
	}
	screen, err := tcell.NewScreen()
	if err != nil {
		return 1, fmt.Errorf("the customer UI needs a terminal (or use --autopilot): %w", err)
	}
	u, err := newStoreUI(m, munis, lang, checks, screen)
	if err != nil {
		return 1, err
	}
	u.log = rc.log
	if err := u.run(sctx); err != nil {
		return 1, err
	}
	return 0, nil
}

// loadMunicipalities reads the configuration's municipality list for the
// customer UI.
func loadMunicipalities(cfg *config.Config) ([]tui.Municipality, error) {
	ms, err := config.LoadMunicipalities(cfg.UI.Municipalities)
	if err != nil {
		return nil, err
	}
	out := make([]tui.Municipality, 0, len(ms))
	for _, m := range ms {
		out = append(out, tui.Municipality{Code: m.Code, Name: m.Name, Fees: m.Fees, KosekiWeekdaysOnly: m.KosekiWeekdaysOnly, Hours: m.Hours})
	}
	return out, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
