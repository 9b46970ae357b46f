package center

import (
	"fmt"
	"time"
)

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
	t = t.In(jst())
	mo, d := t.Month(), t.Day()
	if (mo == time.December && d >= 29) || (mo == time.January && d <= 3) {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= h.From && m < h.Until
}
