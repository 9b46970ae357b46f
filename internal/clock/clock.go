// Package clock owns how kofu reads "now" where a verdict depends on it:
// the wall clock on a store machine; in emulator mode and in tests, a clock
// that starts at a chosen instant and runs at real speed, so that no
// verdict depends on the day, hour or time zone it happens to run at.
package clock

import (
	"fmt"
	"strings"
	"time"
)

// Wall is the machine's wall clock, the clock of a store machine.
func Wall() time.Time { return time.Now() }

// Starting returns a clock that reads at when it is made and then advances
// with the machine's monotonic clock: deadlines, lifetimes and latencies
// behave as on the wall clock, while the calendar (weekday, hour, date) is
// the one chosen.
func Starting(at time.Time) func() time.Time {
	base := time.Now() // the monotonic origin only; its date is never read
	return func() time.Time { return at.Add(time.Since(base)) }
}

// Parse reads an instant for a --clock flag: RFC 3339 with a zone, seconds
// optional ("2026-12-07T09:00+09:00", "2026-12-07T00:00:00Z"), or "now"
// for the wall clock's current instant. A zone is required: an instant
// without one would mean a different moment on every laptop.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return time.Now(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("clock %q: want an RFC 3339 instant with a zone, e.g. 2026-12-07T09:00+09:00, or now", s)
}

// Flag is a flag.Value for an instant that a clock starts at; the zero
// value means the wall clock.
type Flag struct {
	At  time.Time
	set bool
}

// String returns the instant as given, or "" for the wall clock.
func (f *Flag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.At.Format(time.RFC3339)
}

// Set parses an instant with Parse.
func (f *Flag) Set(s string) error {
	t, err := Parse(s)
	if err != nil {
		return err
	}
	f.At, f.set = t, true
	return nil
}

// Clock is the clock the flag asks for: Starting(At) when it was set, the
// wall clock otherwise.
func (f *Flag) Clock() func() time.Time {
	if f == nil || !f.set {
		return Wall
	}
	return Starting(f.At)
}

// IsSet reports whether an instant was given.
func (f *Flag) IsSet() bool { return f != nil && f.set }
