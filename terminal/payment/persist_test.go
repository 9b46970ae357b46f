package payment

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestCoinsPersist: a coin unit opened on a file and dropped with holds
// open (the process killed) is reopened from the file with the same open
// holds, credit and totals; resolving the holds then balances the books.
func TestCoinsPersist(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coins.json")
	c, err := OpenCoins(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range []int{500, 500, 100, 50} {
		if err := c.Insert(y); err != nil {
			t.Fatal(err)
		}
	}
	a, err := c.Hold(ctx, "a1", "ticketA", 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hold(ctx, "b2", "ticketB", 200); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Hold(ctx, "a1", "ticketC", 10); !errors.Is(err, ErrHoldID) {
		t.Fatalf("reused hold id: %v, want ErrHoldID", err)
	}
	c = nil // the crash: nothing but the file survives

	r, err := OpenCoins(path)
	if err != nil {
		t.Fatal(err)
	}
	open, err := r.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Hold{{"a1", "ticketA", 300}, {"b2", "ticketB", 200}}
	if len(open) != 2 || open[0] != want[0] || open[1] != want[1] {
		t.Fatalf("open holds after reopen %+v, want %+v", open, want)
	}
	l := r.Ledger()
	if l.Inserted != 1150 || l.Held != 500 || l.Credit != 650 {
		t.Fatalf("ledger after reopen %+v", l)
	}
	if err := r.Capture(ctx, Hold{ID: a.ID}); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, Hold{ID: "b2"}); err != nil {
		t.Fatal(err)
	}
	l, err = ReadCoinsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.OpenHolds != 0 || l.Cashbox != 300 || l.Cashbox+l.Returned+l.Credit+l.Held != l.Inserted {
		t.Fatalf("books after resolving %+v", l)
	}
}

// TestCoinsMemory: without a path nothing is written and Open still lists.
func TestCoinsMemory(t *testing.T) {
	ctx := context.Background()
	c := NewCoins()
	c.Insert(100)
	if _, err := c.Hold(ctx, "x", "t", 100); err != nil {
		t.Fatal(err)
	}
	if hs, _ := c.Open(ctx); len(hs) != 1 || hs[0].ID != "x" {
		t.Fatalf("open %+v", hs)
	}
}
