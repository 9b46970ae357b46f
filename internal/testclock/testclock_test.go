package testclock

import (
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
)

// TestOpenAfter pins instants on both sides of every calendar rule and
// checks the open instant chosen for each is really open for every
// document in every fixture municipality.
func TestOpenAfter(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		from time.Time
		want time.Time
	}{
		{"Monday 09:00 JST", time.Date(2026, 12, 7, 9, 0, 0, 0, jst), time.Date(2026, 12, 7, 9, 0, 0, 0, jst)},
		{"Monday 09:30 JST", time.Date(2026, 12, 7, 9, 30, 0, 0, jst), time.Date(2026, 12, 7, 10, 0, 0, 0, jst)},
		{"Saturday JST", time.Date(2026, 12, 5, 10, 0, 0, 0, jst), time.Date(2026, 12, 7, 9, 0, 0, 0, jst)},
		{"Friday 23:30 JST", time.Date(2026, 12, 4, 23, 30, 0, 0, jst), time.Date(2026, 12, 7, 9, 0, 0, 0, jst)},
		{"Friday 16:00 UTC = Saturday 01:00 JST", time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 9, 0, 0, 0, jst)},
		{"Sunday 15:00 UTC = Monday 00:00 JST", time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 9, 0, 0, 0, jst)},
		{"31 December", time.Date(2026, 12, 31, 12, 0, 0, 0, jst), time.Date(2027, 1, 4, 9, 0, 0, 0, jst)},
		{"Tuesday 17:00 JST", time.Date(2027, 6, 15, 17, 0, 0, 0, jst), time.Date(2027, 6, 16, 9, 0, 0, 0, jst)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := OpenAfter(tc.from)
			if !got.Equal(tc.want) {
				t.Fatalf("OpenAfter(%v) = %v, want %v", tc.from, got, tc.want)
			}
			for _, m := range fx.Municipalities {
				for _, d := range protocol.DocTypes() {
					if _, why, closed := center.ClosedFor(center.DefaultHours(), m, d.Type, got); closed {
						t.Fatalf("%s %s at %v: %s", m.Code, d.Type, got, why)
					}
				}
			}
		})
	}
}
