package terminal

import (
	"context"
	"slices"

	"kofu/terminal/payment"
)

// Autopilot is a Panel with fixed answers, for `kiosk run --autopilot`,
// tests and the fleet: it chooses one document, enters one PIN once (a
// wrong PIN is not retried), chooses household members by place (世帯の一部),
// pays the fee exactly in coins and acknowledges at once.
type Autopilot struct {
	Order Order
	pin   []byte
	Coins *payment.Coins
	asked bool
	// Chosen are the places on the household list the autopilot
	// chooses for 世帯の一部; nil: the card's holder alone.
	Chosen []int
}

// NewAutopilot copies pin; the session zeroes what it is handed.
func NewAutopilot(o Order, pin []byte, coins *payment.Coins) *Autopilot {
	return &Autopilot{Order: o, pin: slices.Clone(pin), Coins: coins}
}

// Choose returns the fixed order.
func (a *Autopilot) Choose(ctx context.Context) (Order, error) { return a.Order, ctx.Err() }

// PIN returns the PIN the first time and cancels after that.
func (a *Autopilot) PIN(ctx context.Context, _ int) ([]byte, error) {
	if a.asked {
		return nil, ErrCancelled
	}
	a.asked = true
	p := slices.Clone(a.pin)
	clear(a.pin)
	return p, ctx.Err()
}

// Members returns the places set in Chosen, or the card's holder's.
func (a *Autopilot) Members(ctx context.Context, list []Member) ([]int, error) {
	if a.Chosen != nil {
		return slices.Clone(a.Chosen), ctx.Err()
	}
	for i, m := range list {
		if m.Self {
			return []int{i}, ctx.Err()
		}
	}
	return nil, ErrCancelled
}

// Pay inserts the fee in 100-yen and 10-yen coins.
func (a *Autopilot) Pay(ctx context.Context, fee int) error {
	for fee >= 100 {
		if err := a.Coins.Insert(100); err != nil {
			return err
		}
		fee -= 100
	}
	for fee > 0 {
		if err := a.Coins.Insert(10); err != nil {
			return err
		}
		fee -= 10
	}
	return ctx.Err()
}

// Progress ignores progress.
func (a *Autopilot) Progress(Progress) {}

// Finish acknowledges at once.
func (a *Autopilot) Finish(context.Context, Result) {}
