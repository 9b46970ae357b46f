package clock

import (
	"flag"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	jst := time.FixedZone("", 9*3600)
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-07T09:00+09:00", time.Date(2026, 12, 7, 9, 0, 0, 0, jst), true},
		{"2026-12-07T09:00:30+09:00", time.Date(2026, 12, 7, 9, 0, 30, 0, jst), true},
		{"2026-12-07T00:00:00Z", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), true},
		{" 2026-12-31T23:30:00.5+09:00 ", time.Date(2026, 12, 31, 23, 30, 0, 5e8, jst), true},
		{"2026-12-07T09:00", time.Time{}, false}, // no zone: refused
		{"2026-12-07", time.Time{}, false},
		{"monday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("Parse(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestStarting: the clock reads the chosen instant and advances with the
// monotonic clock, whatever the wall clock's date.
func TestStarting(t *testing.T) {
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	now := Starting(at)
	first := now()
	if d := first.Sub(at); d < 0 || d > time.Second {
		t.Fatalf("first reading %v, want %v (+ less than 1s)", first, at)
	}
	time.Sleep(20 * time.Millisecond)
	if d := now().Sub(first); d < 20*time.Millisecond || d > 10*time.Second {
		t.Fatalf("advanced %v after a 20 ms sleep", d)
	}
}

func TestFlag(t *testing.T) {
	var f Flag
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.Var(&f, "clock", "")
	if f.IsSet() || f.String() != "" {
		t.Fatal("zero Flag claims an instant")
	}
	// The zero flag is the wall clock: its reading is the wall clock's,
	// compared with the wall clock itself, so the date cannot matter.
	if d := time.Since(f.Clock()()); d < 0 || d > time.Minute {
		t.Fatalf("zero Flag's clock is %v away from the wall clock", d)
	}
	if err := fs.Parse([]string{"--clock", "2026-12-05T10:00+09:00"}); err != nil {
		t.Fatal(err)
	}
	if !f.IsSet() || f.String() != "2026-12-05T10:00:00+09:00" {
		t.Fatalf("flag = %q", f.String())
	}
	if got := f.Clock()(); got.Sub(f.At) > time.Second {
		t.Fatalf("clock reads %v, want %v", got, f.At)
	}
	if err := fs.Parse([]string{"--clock", "tomorrow"}); err == nil {
		t.Fatal("bad instant accepted")
	}
}
