package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/host"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
	"kofu/terminal/tui"
)

// runUI runs the customer UI on this terminal in emulator mode (`kiosk run
// --emulator` without --autopilot): the welcome screen until C places the
// test resident's card on the emulated reader (its id and published test
// PIN are on screen), one session, the finish screen until C pulls the
// card again, the welcome screen again; C pulls the card mid-session too
// (a card removal). Q on the welcome screen quits. It returns when the
// resident quits or ctx ends. While a blocking preflight check fails, the
// out-of-service screen replaces the welcome screen.
func runUI(ctx context.Context, env *emulator.Env, res *fixtures.Resident, j *journal.Journal, sink terminal.Sink, lang string, opts ...uiOption) error {
	if _, err := tui.ParseLang(lang); err != nil {
		return err // before the terminal is touched
	}
	screen, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("the customer UI needs a terminal (or use --autopilot): %w", err)
	}
	u, err := newUI(env, res, j, sink, lang, screen, opts...)
	if err != nil {
		return err
	}
	return u.run(ctx)
}

// desk is the customer UI as the card loop (host.Loop) drives it, in
// emulator mode and on a store machine alike: the out-of-service gate,
// the welcome screen, a panel per session that follows its card, and the
// staff's screen for a card left in the reader.
type desk struct {
	customer *tui.Customer
	checks   []health.Check // the blocking preflight checks (the gate)
	recheck  time.Duration  // how often they run while idle or out of service
}

var _ host.UI = (*desk)(nil)

// Ready returns once every blocking check passes (host.ErrQuit: ctx ended
// or the quit key was pressed on the out-of-service screen).
func (d *desk) Ready(ctx context.Context) error {
	if quit := d.gate(ctx); quit {
		return host.ErrQuit
	}
	return nil
}

// Welcome shows the welcome screen until ctx ends (a card was placed), a
// blocking check fails (host.ErrNotReady) or the quit key is pressed
// (host.ErrQuit).
func (d *desk) Welcome(ctx context.Context) error {
	ictx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go d.watch(ictx, stop)
	k, err := d.customer.Idle(ictx)
	switch {
	case errors.Is(context.Cause(ictx), errUnhealthy) && ctx.Err() == nil:
		return host.ErrNotReady
	case err == nil && k.Quit:
		return host.ErrQuit
	case errors.Is(err, tui.ErrStopped):
		return err
	}
	return nil
}

// Panel is the customer UI as one session's panel, following its card.
func (d *desk) Panel(gone <-chan struct{}) terminal.Panel { return d.customer.WithCard(gone) }

// CardLeft shows the staff's card-left screen until ctx ends.
func (d *desk) CardLeft(ctx context.Context, r terminal.Result) { d.customer.CardLeft(ctx, r) }

// ui is emulator mode's loop of sessions around the customer UI.
type ui struct {
	desk
	env      *emulator.Env
	j        *journal.Journal
	sink     terminal.Sink
	coins    *payment.Coins        // the machine's coin unit
	reader   *emulator.CardReader  // the one card on its reader: its PIN counter outlives a session
	onResult func(terminal.Result) // tests observe each session's result
	// instrument, when set, attaches observers to each session's kiosk.
	instrument func(*terminal.Kiosk)
	outbox     *terminal.Outbox  // outcomes the center has not heard, shared by the sessions
	timeouts   terminal.Timeouts // the sessions' (zero fields: the defaults)
	log        *slog.Logger      // nil: none
	helpdesk   string            // who the clerk calls (ui.helpdesk)
	languages  []string          // the languages offered (ui.languages; none: all)
}

// uiOption adds to the customer UI's loop.
type uiOption func(*ui)

// withJournalPath adds the journal and free-disk checks for the journal
// at path to the gate (runUI is handed the open journal, not its path):
// a journal that cannot be written closes the customer UI until it can.
func withJournalPath(path string) uiOption {
	return func(u *ui) {
		u.checks = append(u.checks, health.LiveJournalCheck(path, u.j), health.DiskCheck(path, health.DefaultMinFree, nil))
	}
}

// withCoins gives the sessions the kiosk's coin unit (emulator mode: the
// one persisted in --out, whose holds a restart resolves).
func withCoins(c *payment.Coins) uiOption { return func(u *ui) { u.coins = c } }

// withOutbox gives the sessions the kiosk's outbox.
func withOutbox(o *terminal.Outbox) uiOption { return func(u *ui) { u.outbox = o } }

// withRecheck sets how often the gate's checks run again.
func withRecheck(d time.Duration) uiOption { return func(u *ui) { u.recheck = d } }

// withTimeouts sets the sessions' timeouts (the configuration's).
func withTimeouts(t terminal.Timeouts) uiOption { return func(u *ui) { u.timeouts = t } }

// withHelpdesk sets who the clerk calls, shown where the screen asks for
// staff (the configuration's ui.helpdesk).
func withHelpdesk(s string) uiOption { return func(u *ui) { u.helpdesk = s } }

// withLanguages sets the languages the resident may choose (the
// configuration's ui.languages; none: every language of the UI).
func withLanguages(codes []string) uiOption { return func(u *ui) { u.languages = codes } }

// uiLanguages reads ui.languages for the customer UI (nil: all).
func uiLanguages(codes []string) ([]tui.Lang, error) {
	var out []tui.Lang
	for _, c := range codes {
		l, err := tui.ParseLang(c)
		if err != nil {
			return nil, fmt.Errorf("ui.languages: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

// withLog logs the card loop's events (a card left in the reader).
func withLog(l *slog.Logger) uiOption { return func(u *ui) { u.log = l } }

// defaultRecheck is how often the gate runs while the kiosk waits, and
// gateTimeout how long one of its checks may take (a hung center closes
// the kiosk after this long, not after the checks' default).
const (
	defaultRecheck = 30 * time.Second
	gateTimeout    = 10 * time.Second
)

// gateChecks are the blocking checks of emulator mode's kiosk: its
// in-process reader, the printer it holds, the emulated center over
// mutual TLS.
func gateChecks(env *emulator.Env, sink terminal.Sink) ([]health.Check, error) {
	checks := []health.Check{health.Reader(health.StaticReaders{inProcessReader}, "")}
	if dev := sinkDevice(sink); dev != nil {
		checks = append(checks, health.PrinterCheck(health.Held(dev)))
	}
	c, err := emulatorCenter(env)
	if err != nil {
		return nil, err
	}
	return append(checks, health.CenterCheck(c)), nil
}

// sinkDevice is the printer behind a sink, or nil when the sink is not a
// printer the checks can ask.
func sinkDevice(s terminal.Sink) health.Printer {
	switch p := s.(type) {
	case *printer.Printer:
		return p
	case interface{ Device() *printer.Printer }:
		return p.Device()
	}
	return nil
}

// newUI builds the loop on screen (tcell.NewSimulationScreen in tests).
func newUI(env *emulator.Env, res *fixtures.Resident, j *journal.Journal, sink terminal.Sink, lang string,
	screen tcell.Screen, opts ...uiOption) (*ui, error) {
	l, err := tui.ParseLang(lang)
	if err != nil {
		return nil, err
	}
	munis := make([]tui.Municipality, 0, len(env.Fixtures.Municipalities))
	for _, m := range env.Fixtures.Municipalities {
		munis = append(munis, tui.Municipality{Code: m.Code, Name: m.Name, Fees: m.Fees, KosekiWeekdaysOnly: m.KosekiWeekdaysOnly})
	}
	slot, err := emulator.NewCardSlot(env.Fixtures, res)
	if err != nil {
		return nil, err
	}
	checks, err := gateChecks(env, sink)
	if err != nil {
		return nil, err
	}
	u := &ui{desk: desk{checks: checks, recheck: defaultRecheck}, env: env, j: j, sink: sink, coins: payment.NewCoins(),
		reader: emulator.NewCardReader(slot)}
	for _, o := range opts {
		o(u)
	}
	langs, err := uiLanguages(u.languages)
	if err != nil {
		return nil, err
	}
	u.customer, err = tui.NewCustomer(tui.Options{
		Screen: screen, Coins: u.coins, Municipalities: munis, Muni: res.Muni, HonsekiMuni: res.HonsekiMuni, Lang: l, Languages: langs,
		Now:      env.Now, // the emulated world's instant (--clock): what can be had now is told by it
		Helpdesk: u.helpdesk,
		Note: tui.Tf("［エミュレータ］テスト利用者 %s のカード（暗証番号 %s）。C キーでカードを置き、もう一度 C キーで抜きます（手続きの途中でも）。硬貨は 1〜5 キーで投入します。",
			"[emulator] Card of test resident %s (PIN %s). Press C to place the card and C again to pull it (at any step); keys 1–5 insert coins.", res.ID, res.PIN),
		Card: &tui.CardKey{Key: 'C', Present: u.reader.Present, Toggle: func() { u.reader.Toggle() }},
		IdleKeys: []tui.IdleKey{
			{Key: 'Q', Label: tui.T("終了", "Quit"), Quit: true},
		},
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// run shows the UI and serves a session per card placed on the emulated
// reader until Q or ctx.
func (u *ui) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- u.customer.Run(ctx) }()
	loop := &host.Loop{Reader: &host.Reader{PC: u.reader}, UI: &u.desk, Kiosk: u.kiosk,
		Finish: u.timeouts.Finish, OnResult: u.onResult, Log: u.log}
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

// kiosk is the kiosk of one session.
func (u *ui) kiosk() *terminal.Kiosk {
	k := u.env.Kiosk(u.sink, u.coins, u.j)
	k.Outbox = u.outbox
	k.Timeouts = u.timeouts
	if u.instrument != nil {
		u.instrument(k)
	}
	return k
}

// errUnhealthy ends the welcome screen when a blocking check fails.
var errUnhealthy = errors.New("a blocking preflight check failed")

// gate returns once every blocking check passes, showing the
// out-of-service screen (and checking again) until then. It reports
// whether to quit instead: ctx ended or the Quit key was pressed.
func (d *desk) gate(ctx context.Context) (quit bool) {
	for {
		rep := health.Run(ctx, d.checks, gateTimeout)
		if ctx.Err() != nil {
			return true
		}
		if rep.OK() {
			return false
		}
		wctx, cancel := context.WithTimeout(ctx, d.recheck)
		k, err := d.customer.OutOfService(wctx, faults(rep))
		cancel()
		switch {
		case err == nil && k.Quit, ctx.Err() != nil, errors.Is(err, tui.ErrStopped):
			return true
		}
	}
}

// watch runs the checks every recheck while the welcome screen waits and
// ends it (errUnhealthy) as soon as one fails.
func (d *desk) watch(ctx context.Context, stop context.CancelCauseFunc) {
	t := time.NewTicker(d.recheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if rep := health.Run(ctx, d.checks, gateTimeout); ctx.Err() == nil && !rep.OK() {
			stop(errUnhealthy)
			return
		}
	}
}

// faults names the failing blocking checks for the out-of-service screen.
func faults(rep health.Report) []tui.Fault {
	var out []tui.Fault
	for _, o := range rep.Blocking() {
		out = append(out, tui.Fault{What: checkName(o.Name), Do: clerkAction(o.Name), Detail: o.Name + ": " + o.Detail})
	}
	return out
}

// checkName is a check's name in the resident's words.
func checkName(name string) tui.Text {
	switch name {
	case "reader":
		return tui.T("カードリーダー", "Card reader")
	case "card":
		return tui.T("カード", "Card")
	case "printer":
		return tui.T("プリンタ", "Printer")
	case "center":
		return tui.T("交付センターとの通信", "Connection to the issuance center")
	case "journal":
		return tui.T("取引の記録", "Transaction record")
	case "disk":
		return tui.T("記憶装置の空き容量", "Free storage")
	}
	return tui.Name(name, name)
}
