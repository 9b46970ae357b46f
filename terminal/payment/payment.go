// Package payment is the kiosk's payment unit behind a small interface:
// hold the fee before printing, capture it only when every page is
// confirmed, release it otherwise (DESIGN §2, §7). Coins is the emulated
// coin unit used in emulator mode and tests.
package payment

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	//
	// id is chosen by the caller (NewHoldID) so that it can be journaled
	// before the hold is taken: a crash between the two leaves a journaled
	// id the unit may or may not know, never a hold nobody can name.
	Hold(ctx context.Context, id, ref string, yen int) (Hold, error)
	// Capture takes a held fee, named by h.ID. Called only after a
	// confirmed print (or at start-up recovery for a session the journal
	// shows printed).
	Capture(ctx context.Context, h Hold) error
	// Release gives a held fee back, named by h.ID.
	Release(ctx context.Context, h Hold) error
	// Open lists the holds neither captured nor released: after a restart,
	// the ones a killed session left, to be resolved by the journal.
	Open(ctx context.Context) ([]Hold, error)
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
	ErrHoldID       = errors.New("invalid or reused hold id")
)

// NewHoldID returns a fresh random hold id (a journal code: hex).
func NewHoldID() (string, error) {
	id, err := protocol.RandomID(8)
	if err != nil {
		return "", fmt.Errorf("hold id: %w", err)
	}
	return hex.EncodeToString(id[:]), nil
}

// denominations the coin unit accepts (yen coins and the 1000-yen note).
var denominations = []int{10, 50, 100, 500, 1000}

// Coins is an emulated coin unit: the resident inserts coins (credit), a
// hold sets part of the credit aside, capture moves it to the cash box,
// release returns it with the change. Safe for concurrent use.
//
// Opened with OpenCoins on a path, it persists its money (credit, open
// holds, cash box, returned) after every change, atomically, so that a
// kiosk killed with a hold open finds the hold again at restart, as a
// real coin unit keeps the coins in its escrow; NewCoins keeps everything
// in memory.
type Coins struct {
	mu       sync.Mutex
	path     string // "" : in memory only
	credit   int
	holds    map[string]Hold
	cashbox  int
	returned int
	inserted int // every yen ever inserted, counted apart: the books' check
	events   []Event
}

// coinsFile is the persisted state of a Coins.
type coinsFile struct {
	Credit   int    `json:"credit"`
	Holds    []Hold `json:"holds"`
	Cashbox  int    `json:"cashbox"`
	Returned int    `json:"returned"`
	// Inserted is every yen ever inserted: the books balance when
	// Inserted = Credit + held + Cashbox + Returned.
	Inserted int `json:"inserted"`
}

// Event is one ledger entry of the coin unit.
type Event struct {
	Op  string // insert, hold, capture, release, refund
	Ref string
	Yen int
}

// NewCoins returns an empty coin unit kept in memory.
func NewCoins() *Coins { return &Coins{holds: map[string]Hold{}} }

// OpenCoins returns the coin unit persisted at path, empty when the file
// does not exist yet; every change is written back to path before the
// call that made it returns.
func OpenCoins(path string) (*Coins, error) {
	c := &Coins{path: path, holds: map[string]Hold{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("coin unit: %w", err)
	}
	var f coinsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("coin unit %s: %w", path, err)
	}
	c.credit, c.cashbox, c.returned, c.inserted = f.Credit, f.Cashbox, f.Returned, f.Inserted
	for _, h := range f.Holds {
		c.holds[h.ID] = h
	}
	return c, nil
}

// ReadCoinsFile reads a persisted coin unit's state without opening it:
// for tests and technicians checking that no coin was lost.
func ReadCoinsFile(path string) (Ledger, error) {
	c, err := OpenCoins(path)
	if err != nil {
		return Ledger{}, err
	}
	return c.Ledger(), nil
}

// save writes the state to c.path atomically (temp file, fsync, rename,
// fsync of the directory). Called with c.mu held; a no-op in memory.
func (c *Coins) save() error {
	if c.path == "" {
		return nil
	}
	f := coinsFile{Credit: c.credit, Cashbox: c.cashbox, Returned: c.returned, Holds: []Hold{}}
	f.Inserted = c.inserted
	for _, h := range c.holds {
		f.Holds = append(f.Holds, h)
	}
	slices.SortFunc(f.Holds, func(a, b Hold) int { return strings.Compare(a.ID, b.ID) })
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("coin unit: %w", err)
	}
	dir := filepath.Dir(c.path)
	tmp, err := os.CreateTemp(dir, ".coins-*")
	if err != nil {
		return fmt.Errorf("coin unit: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("coin unit: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("coin unit: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("coin unit: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("coin unit: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Insert credits a coin or note.
func (c *Coins) Insert(yen int) error {
	if !slices.Contains(denominations, yen) {
		return fmt.Errorf("%d yen: %w", yen, ErrAmount)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.credit += yen
	c.inserted += yen
	c.events = append(c.events, Event{"insert", "", yen})
	return c.save()
}

// Hold sets yen aside from the inserted credit.
func (c *Coins) Hold(ctx context.Context, id, ref string, yen int) (Hold, error) {
	if err := ctx.Err(); err != nil {
		return Hold{}, err
	}
	if yen <= 0 || yen > 100000 {
		return Hold{}, ErrAmount
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.holds[id]; dup || id == "" {
		return Hold{}, fmt.Errorf("hold %q: %w", id, ErrHoldID)
	}
	if c.credit < yen {
		return Hold{}, fmt.Errorf("%d of %d yen inserted: %w", c.credit, yen, ErrInsufficient)
	}
	h := Hold{ID: id, Ref: ref, Yen: yen}
	c.credit -= yen
	c.holds[h.ID] = h
	c.events = append(c.events, Event{"hold", ref, yen})
	if err := c.save(); err != nil {
		// Not persisted: undo, so memory and file agree.
		delete(c.holds, h.ID)
		c.credit += yen
		return Hold{}, err
	}
	return h, nil
}

// Open lists the holds neither captured nor released, sorted by id.
func (c *Coins) Open(ctx context.Context) ([]Hold, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := make([]Hold, 0, len(c.holds))
	for _, h := range c.holds {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b Hold) int { return strings.Compare(a.ID, b.ID) })
	return hs, nil
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
	return c.save()
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
		if err := c.save(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Ledger is the coin unit's totals.
type Ledger struct {
	Cashbox, Returned, Credit, Held int
	// Inserted is every yen ever inserted; no coin is lost when it equals
	// Cashbox + Returned + Credit + Held.
	Inserted  int
	OpenHolds int
	Events    []Event
}

// Ledger returns the totals and a copy of the events.
func (c *Coins) Ledger() Ledger {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := Ledger{Cashbox: c.cashbox, Returned: c.returned, Credit: c.credit, Inserted: c.inserted, OpenHolds: len(c.holds),
		Events: slices.Clone(c.events)}
	for _, h := range c.holds {
		l.Held += h.Yen
	}
	return l
}
