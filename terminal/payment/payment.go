// Package payment is the kiosk's payment unit behind a small interface:
// hold the fee before printing, capture it only when every page is
// confirmed, release it otherwise (DESIGN §2, §7). Coins is the emulated
// coin unit used in emulator mode and tests.
package payment

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"kofu/protocol"
)

// Unit is a payment device.
type Unit interface {
	// Hold reserves yen for the ticket ref; nothing is taken yet. yen is
	// positive: a ticket with fee 0 (valid in protocol v1) takes no hold
	// at all — the session neither holds nor captures, so a unit never
	// sees an empty hold to settle, and refusing 0 (ErrAmount) keeps a
	// missing fee from passing as a free one.
	Hold(ctx context.Context, ref string, yen int) (Hold, error)
	// Capture takes a held fee. Called only after a confirmed print.
	Capture(ctx context.Context, h Hold) error
	// Release gives a held fee back.
	Release(ctx context.Context, h Hold) error
	// Return gives back whatever was inserted and not held (a resident who
	// cancels before paying in full), and says how much.
	Return(ctx context.Context) (int, error)
}

// Hold is a reservation of a fee.
type Hold struct {
	ID  string
	Ref string
	Yen int
}

// Errors a caller branches on.
var (
	ErrInsufficient = errors.New("not enough money inserted")
	ErrNoHold       = errors.New("no such open hold")
	ErrAmount       = errors.New("invalid amount")
)

// denominations the coin unit accepts (yen coins and the 1000-yen note).
var denominations = []int{10, 50, 100, 500, 1000}

// Coins is an emulated coin unit: the resident inserts coins (credit), a
// hold sets part of the credit aside, capture moves it to the cash box,
// release returns it with the change. Safe for concurrent use.
type Coins struct {
	mu       sync.Mutex
	credit   int
	holds    map[string]Hold
	cashbox  int
	returned int
	events   []Event
}

// Event is one ledger entry of the coin unit.
type Event struct {
	Op  string // insert, hold, capture, release, refund
	Ref string
	Yen int
}

// NewCoins returns an empty coin unit.
func NewCoins() *Coins { return &Coins{holds: map[string]Hold{}} }

// Insert credits a coin or note.
func (c *Coins) Insert(yen int) error {
	if !slices.Contains(denominations, yen) {
		return fmt.Errorf("%d yen: %w", yen, ErrAmount)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.credit += yen
	c.events = append(c.events, Event{"insert", "", yen})
	return nil
}

// Hold sets yen aside from the inserted credit.
func (c *Coins) Hold(ctx context.Context, ref string, yen int) (Hold, error) {
	if err := ctx.Err(); err != nil {
		return Hold{}, err
	}
	if yen <= 0 || yen > 100000 {
		return Hold{}, ErrAmount
	}
	id, err := protocol.RandomID(8)
	if err != nil {
		return Hold{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.credit < yen {
		return Hold{}, fmt.Errorf("%d of %d yen inserted: %w", c.credit, yen, ErrInsufficient)
	}
	h := Hold{ID: id.String(), Ref: ref, Yen: yen}
	c.credit -= yen
	c.holds[h.ID] = h
	c.events = append(c.events, Event{"hold", ref, yen})
	return h, nil
}

// Capture moves a held fee into the cash box and returns the change.
func (c *Coins) Capture(ctx context.Context, h Hold) error {
	return c.settle(ctx, h, "capture")
}

// Release returns a held fee (and any remaining credit) to the resident.
func (c *Coins) Release(ctx context.Context, h Hold) error {
	return c.settle(ctx, h, "release")
}

func (c *Coins) settle(ctx context.Context, h Hold, op string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	held, ok := c.holds[h.ID]
	if !ok {
		return fmt.Errorf("%s %s: %w", op, h.ID, ErrNoHold)
	}
	delete(c.holds, h.ID)
	if op == "capture" {
		c.cashbox += held.Yen
	} else {
		c.returned += held.Yen
	}
	c.events = append(c.events, Event{op, held.Ref, held.Yen})
	if c.credit > 0 {
		c.returned += c.credit
		c.events = append(c.events, Event{"refund", held.Ref, c.credit})
		c.credit = 0
	}
	return nil
}

// Return gives back the inserted credit no hold has set aside.
func (c *Coins) Return(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.credit
	if n > 0 {
		c.returned += n
		c.credit = 0
		c.events = append(c.events, Event{"refund", "", n})
	}
	return n, nil
}

// Ledger is the coin unit's totals.
type Ledger struct {
	Cashbox, Returned, Credit, Held int
	OpenHolds                       int
	Events                          []Event
}

// Ledger returns the totals and a copy of the events.
func (c *Coins) Ledger() Ledger {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := Ledger{Cashbox: c.cashbox, Returned: c.returned, Credit: c.credit, OpenHolds: len(c.holds),
		Events: slices.Clone(c.events)}
	for _, h := range c.holds {
		l.Held += h.Yen
	}
	return l
}
