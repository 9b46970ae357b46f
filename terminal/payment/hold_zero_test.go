package payment

import (
	"context"
	"errors"
	"testing"
)

// TestHoldAmount: Hold takes only a positive fee up to the unit's limit;
// a fee of 0 is the session's to skip (no hold), never an empty hold here,
// and a refused amount leaves the inserted credit untouched.
func TestHoldAmount(t *testing.T) {
	for _, c := range []struct {
		yen  int
		want error
	}{
		{0, ErrAmount}, {-10, ErrAmount}, {100001, ErrAmount}, {10, nil}, {100, nil},
	} {
		co := NewCoins()
		if err := co.Insert(100); err != nil {
			t.Fatal(err)
		}
		_, err := co.Hold(context.Background(), "h1", "t", c.yen)
		if !errors.Is(err, c.want) {
			t.Errorf("Hold(%d): %v, want %v", c.yen, err, c.want)
		}
		if l := co.Ledger(); err != nil && (l.Credit != 100 || l.OpenHolds != 0) {
			t.Errorf("Hold(%d) refused but the ledger moved: %+v", c.yen, l)
		}
	}
}
