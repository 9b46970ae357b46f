// Package testclock gives tests the instants they mean. A test that needs
// the emulated service open takes Open (by default Monday 2026-12-07 09:00
// JST); KOFU_TEST_CLOCK moves that base so scripts/clock-sweep.sh can run
// the time-sensitive packages at instants spread over a week and a year.
package testclock

import (
	"os"
	"testing"
	"time"

	"kofu/internal/clock"
	"kofu/protocol/center"
)

// Env names the variable that moves the base instant (RFC 3339 with a
// zone, as clock.Parse reads it).
const Env = "KOFU_TEST_CLOCK"

// DefaultBase is the base instant when Env is unset: a Monday morning in
// Japan, in December, inside the test PKI's validity.
var DefaultBase = time.Date(2026, 12, 7, 9, 0, 0, 0, time.FixedZone("JST", 9*3600))

// Base is the instant the sweep chose, or DefaultBase.
func Base(tb testing.TB) time.Time {
	tb.Helper()
	s := os.Getenv(Env)
	if s == "" {
		return DefaultBase
	}
	t, err := clock.Parse(s)
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}
	return t
}

// OpenAfter is the first whole hour at or after t at which the emulated
// center, even with the real service hours (06:30–23:00 JST, closed
// 12/29–1/3), issues every document type in every municipality of the
// fixtures, 戸籍 on weekdays only included; it is also within office hours
// (09:00–17:00 JST), so a test that adds a few minutes stays open.
func OpenAfter(t time.Time) time.Time {
	h := center.DefaultHours()
	jst := time.FixedZone("JST", 9*3600)
	c := t.In(jst)
	if c.Minute() != 0 || c.Second() != 0 || c.Nanosecond() != 0 {
		c = c.Truncate(time.Hour).Add(time.Hour)
	}
	for range 24 * 16 { // year end + a weekend: at most 8 days away
		if hr := c.Hour(); hr >= 9 && hr < 17 && h.Open(c) && center.WeekdayInJapan(c) {
			return c
		}
		c = c.Add(time.Hour)
	}
	panic("testclock: no open hour within 16 days of " + t.String())
}

// Open is the instant tests that need an open center run at: OpenAfter
// the base.
func Open(tb testing.TB) time.Time {
	tb.Helper()
	return OpenAfter(Base(tb))
}

// Now is a clock starting at Open and running at real speed: the clock an
// emulated world gets in tests that need the service open.
func Now(tb testing.TB) func() time.Time {
	tb.Helper()
	return clock.Starting(Open(tb))
}

// Flag is the --clock argument that starts `kiosk run --emulator` at Open.
func Flag(tb testing.TB) string {
	tb.Helper()
	return "--clock=" + Open(tb).Format(time.RFC3339)
}
