package main

import (
	"context"
	"fmt"

	"github.com/gdamore/tcell/v2"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
	"kofu/terminal/tui"
)

// runUI runs the customer UI on this terminal in emulator mode (`kiosk run
// --emulator` without --autopilot): the welcome screen until C places the
// test resident's card (its id and published test PIN are on screen), one
// session, the welcome screen again; Q on the welcome screen quits. It
// returns when the resident quits or ctx ends.
func runUI(ctx context.Context, env *emulator.Env, res *fixtures.Resident, j *journal.Journal, sink terminal.Sink, lang string) error {
	if _, err := tui.ParseLang(lang); err != nil {
		return err // before the terminal is touched
	}
	screen, err := tcell.NewScreen()
	if err != nil {
		return fmt.Errorf("the customer UI needs a terminal (or use --autopilot): %w", err)
	}
	u, err := newUI(env, res, j, sink, lang, screen)
	if err != nil {
		return err
	}
	return u.run(ctx)
}

// ui is emulator mode's loop of sessions around the customer UI.
type ui struct {
	env      *emulator.Env
	j        *journal.Journal
	sink     terminal.Sink
	coins    *payment.Coins     // the machine's coin unit
	slot     *emulator.CardSlot // the one card: its PIN counter outlives a session
	customer *tui.Customer
	onResult func(terminal.Result) // tests observe each session's result
}

// newUI builds the loop on screen (tcell.NewSimulationScreen in tests).
func newUI(env *emulator.Env, res *fixtures.Resident, j *journal.Journal, sink terminal.Sink, lang string,
	screen tcell.Screen) (*ui, error) {
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
	u := &ui{env: env, j: j, sink: sink, coins: payment.NewCoins(), slot: slot}
	u.customer, err = tui.NewCustomer(tui.Options{
		Screen: screen, Coins: u.coins, Municipalities: munis, Muni: res.Muni, HonsekiMuni: res.HonsekiMuni, Lang: l,
		Note: tui.T(
			fmt.Sprintf("［エミュレータ］テスト利用者 %s のカード（暗証番号 %s）。C キーでカードを置きます。硬貨は 1〜5 キーで投入します。", res.ID, res.PIN),
			fmt.Sprintf("[emulator] Card of test resident %s (PIN %s). Press C to place the card; keys 1–5 insert coins.", res.ID, res.PIN)),
		IdleKeys: []tui.IdleKey{
			{Key: 'C', Label: tui.T("カードを置く", "Place card")},
			{Key: 'Q', Label: tui.T("終了", "Quit"), Quit: true},
		},
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// run shows the UI and serves a session per card until Q or ctx.
func (u *ui) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- u.customer.Run(ctx) }()
	for {
		k, err := u.customer.Idle(ctx)
		if err != nil || k.Quit {
			break
		}
		if k.Key == 'C' {
			u.serve(ctx)
		}
	}
	cancel()
	return <-errc
}

// serve runs one session for the card on the reader.
func (u *ui) serve(ctx context.Context) {
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	u.customer.Progress(terminal.Progress{State: terminal.StateCard})
	card, err := u.slot.Open(sctx)
	if err != nil {
		// The card does not answer as a My Number card: say so and wait
		// for the resident to take it back.
		r := terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-certificate", Payment: "none"}
		u.customer.Finish(sctx, r)
		if u.onResult != nil {
			u.onResult(r)
		}
		return
	}
	defer card.Close()
	r := u.env.Kiosk(u.sink, u.coins, u.j).Serve(sctx, card, u.customer)
	if u.onResult != nil {
		u.onResult(r)
	}
}
