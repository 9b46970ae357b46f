package center

import (
	"fmt"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
)

// The emulated center's calendar. Every rule here reads the instant it is
// given, never the wall clock: the center passes its configured clock
// (Config.Now), so a test or `kiosk run --emulator --clock` chooses the day
// and the hour, and no verdict changes with the day a test runs.

// ServiceHours is when the service is open, in Japan time: daily from
// From to Until (minutes after midnight), closed on the year-end days
// 12/29–1/3 as the real service is.
type ServiceHours struct {
	From, Until int // minutes after 00:00 JST
}

// DefaultHours is the real service's 6:30–23:00.
func DefaultHours() *ServiceHours { return &ServiceHours{From: 6*60 + 30, Until: 23 * 60} }

// ParseHours parses "HH:MM-HH:MM".
func ParseHours(s string) (*ServiceHours, error) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
		return nil, fmt.Errorf("service hours %q: want HH:MM-HH:MM", s)
	}
	h := &ServiceHours{From: h1*60 + m1, Until: h2*60 + m2}
	if h1 < 0 || h1 > 24 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || h.From >= h.Until {
		return nil, fmt.Errorf("service hours %q out of range", s)
	}
	return h, nil
}

// jst returns Japan Standard Time (no DST, so a fixed zone is exact and
// needs no tzdata).
func jst() *time.Location { return time.FixedZone("JST", 9*60*60) }

// Open reports whether the service is open at t.
func (h *ServiceHours) Open(t time.Time) bool {
	if YearEndClosure(t) {
		return false
	}
	t = t.In(jst())
	m := t.Hour()*60 + t.Minute()
	return m >= h.From && m < h.Until
}

// YearEndClosure reports whether t falls on the year-end days 12/29–1/3
// in Japan, when the real service issues nothing.
func YearEndClosure(t time.Time) bool {
	t = t.In(jst())
	mo, d := t.Month(), t.Day()
	return (mo == time.December && d >= 29) || (mo == time.January && d <= 3)
}

// WeekdayInJapan reports whether t is Monday to Friday in Japan: the days
// on which a municipality with koseki_weekdays_only issues family register
// documents.
func WeekdayInJapan(t time.Time) bool {
	wd := t.In(jst()).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// ClosedFor says why the center would refuse doc for muni at t because of
// its calendar, with the problem it answers; ok is false when the calendar
// allows it. hours may be nil (always open, the emulator's default).
func ClosedFor(hours *ServiceHours, muni fixtures.Municipality, doc protocol.DocType, t time.Time) (p protocol.ProblemType, why string, ok bool) {
	at := t.In(jst()).Format("Mon 2006-01-02 15:04 MST")
	if hours != nil && !hours.Open(t) {
		return protocol.ProbOutsideHours, fmt.Sprintf("the service is open %s JST except 12/29–1/3; the center's clock reads %s",
			hours, at), true
	}
	if doc.FamilyRegister() && muni.KosekiWeekdaysOnly && !WeekdayInJapan(t) {
		return protocol.ProbDocumentUnavailable, fmt.Sprintf("%s issues family register documents on weekdays only; the center's clock reads %s",
			muni.Code, at), true
	}
	return "", "", false
}

// String returns the hours as "HH:MM–HH:MM".
func (h *ServiceHours) String() string {
	return fmt.Sprintf("%02d:%02d–%02d:%02d", h.From/60, h.From%60, h.Until/60, h.Until%60)
}

// CalendarRefuses says whether the center's calendar, at its clock's
// current instant, refuses doc for muni, and why in words a technician
// can act on (emulator mode prints it beside a refusal).
func (c *Center) CalendarRefuses(muni string, doc protocol.DocType) (why string, closed bool) {
	m, ok := c.fx.Municipality(muni)
	if !ok {
		return "", false
	}
	now := c.cfg.Now()
	_, why, closed = ClosedFor(c.cfg.Hours, m, doc, now)
	if closed {
		if next := NextOpen(c.cfg.Hours, m, doc, now); !next.IsZero() {
			why += "; it is next open at " + next.Format("Mon 2006-01-02 15:04 MST") + " (--clock " + next.Format("2006-01-02T15:04-07:00") + ")"
		}
	}
	return why, closed
}

// NextOpen is the first whole hour after t at which the calendar allows
// doc for muni, or the zero time if none within 16 days (a municipality
// that never issues it).
func NextOpen(hours *ServiceHours, muni fixtures.Municipality, doc protocol.DocType, t time.Time) time.Time {
	c := t.In(jst()).Truncate(time.Hour).Add(time.Hour)
	for range 24 * 16 {
		if _, _, closed := ClosedFor(hours, muni, doc, c); !closed && c.Hour() >= 9 {
			return c
		}
		c = c.Add(time.Hour)
	}
	return time.Time{}
}
