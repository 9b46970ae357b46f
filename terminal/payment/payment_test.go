package payment

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestCoins(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op   string // insert, hold, capture, release
		yen  int
		want error
	}
	cases := []struct {
		name                      string
		steps                     []step
		cashbox, returned, credit int
	}{
		{"captured with change", []step{{"insert", 500, nil}, {"hold", 300, nil}, {"capture", 0, nil}}, 300, 200, 0},
		{"released in full", []step{{"insert", 100, nil}, {"insert", 100, nil}, {"insert", 100, nil}, {"hold", 300, nil}, {"release", 0, nil}}, 0, 300, 0},
		{"not enough inserted", []step{{"insert", 100, nil}, {"hold", 300, ErrInsufficient}}, 0, 0, 100},
		{"odd coin refused", []step{{"insert", 5, ErrAmount}}, 0, 0, 0},
		{"capture twice", []step{{"insert", 500, nil}, {"hold", 450, nil}, {"capture", 0, nil}, {"capture", 0, ErrNoHold}}, 450, 50, 0},
		{"capture after release", []step{{"insert", 500, nil}, {"hold", 450, nil}, {"release", 0, nil}, {"capture", 0, ErrNoHold}}, 0, 500, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCoins()
			var h Hold
			for i, s := range tc.steps {
				var err error
				switch s.op {
				case "insert":
					err = c.Insert(s.yen)
				case "hold":
					var nh Hold
					nh, err = c.Hold(ctx, fmt.Sprint("h", i), "ticket", s.yen)
					if err == nil {
						h = nh
					}
				case "capture":
					err = c.Capture(ctx, h)
				case "release":
					err = c.Release(ctx, h)
				}
				if !errors.Is(err, s.want) {
					t.Fatalf("step %d %s: %v, want %v", i, s.op, err, s.want)
				}
			}
			l := c.Ledger()
			if l.Cashbox != tc.cashbox || l.Returned != tc.returned || l.Credit != tc.credit {
				t.Fatalf("ledger %+v", l)
			}
		})
	}
}

// TestConservation: whatever is inserted ends in the cash box, returned,
// still credited or held — never lost or created.
func TestConservation(t *testing.T) {
	ctx := context.Background()
	c := NewCoins()
	in := 0
	for i := range 200 {
		for _, y := range []int{100, 100, 50, 500} {
			c.Insert(y)
			in += y
		}
		h, err := c.Hold(ctx, fmt.Sprint("h", i), "t", 300+10*(i%10))
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			c.Release(ctx, h)
		} else if i%3 == 1 {
			c.Capture(ctx, h)
		}
	}
	l := c.Ledger()
	if got := l.Cashbox + l.Returned + l.Credit + l.Held; got != in {
		t.Fatalf("inserted %d, accounted %d (%+v)", in, got, l)
	}
}
