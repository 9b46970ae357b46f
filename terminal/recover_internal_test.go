package terminal

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"kofu/internal/testclock"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// flaky is a coin unit whose Capture and Release fail the first fails
// calls (or panic, for panics), then go through.
type flaky struct {
	*payment.Coins
	fails, calls int
	panics       bool
}

func (f *flaky) try() error {
	f.calls++
	if f.calls <= f.fails {
		if f.panics {
			panic("unit jammed")
		}
		return errors.New("unit busy")
	}
	return nil
}

func (f *flaky) Capture(ctx context.Context, h payment.Hold) error {
	if err := f.try(); err != nil {
		return err
	}
	return f.Coins.Capture(ctx, h)
}

func (f *flaky) Release(ctx context.Context, h payment.Hold) error {
	if err := f.try(); err != nil {
		return err
	}
	return f.Coins.Release(ctx, h)
}

// TestSettleHoldRetries: a failing capture or release is tried again on
// a bounded schedule (3 tries), each failure journaled as a note; after
// the last try the hold stays open for the start-up recovery.
func TestSettleHoldRetries(t *testing.T) {
	cases := []struct {
		name    string
		fails   int
		panics  bool
		capture bool
		want    string
		notes   int // failure records
		open    int // holds left open
	}{
		{"capture-first-try", 0, false, true, "captured", 0, 0},
		{"capture-third-try", 2, false, true, "captured", 2, 0},
		{"release-second-try-after-panic", 1, true, false, "released", 1, 0},
		{"capture-gives-up", 5, false, true, "capture-failed", 3, 1},
		{"release-gives-up", 5, false, false, "release-failed", 3, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "journal")
			j, _, err := journal.Open(path, []byte("0123456789abcdef"), testclock.Now(t))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			coins := payment.NewCoins()
			coins.Insert(500)
			h, err := coins.Hold(ctx, "h1", "tid", 500)
			if err != nil {
				t.Fatal(err)
			}
			unit := &flaky{Coins: coins, fails: c.fails, panics: c.panics}
			k := &Kiosk{Payment: unit, Journal: j}
			protect := func(_ string, fn func()) (panicked bool) {
				defer func() {
					if recover() != nil {
						panicked = true
					}
				}()
				fn()
				return false
			}
			if got := settleHold(ctx, k, "s1", h, c.capture, protect); got != c.want {
				t.Fatalf("settleHold = %q, want %q", got, c.want)
			}
			notes, done := 0, 0
			if err := journal.Each(path, func(r journal.Record) error {
				if r.Kind == journal.KindSettled && r.Note == "h1" {
					if r.Billing == c.want && (r.Billing == "captured" || r.Billing == "released") {
						done++
					} else {
						notes++
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			open, _ := coins.Open(ctx)
			if notes != c.notes || len(open) != c.open || (c.open == 0) != (done == 1) {
				t.Fatalf("failure notes %d (want %d), settled %d, open holds %d (want %d)", notes, c.notes, done, len(open), c.open)
			}
		})
	}
}
