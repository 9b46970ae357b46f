package center_test

import (
	"strings"
	"testing"
	"time"

	"kofu/internal/clock"
	"kofu/internal/emulator"
	"kofu/protocol"
	"kofu/protocol/center"
)

// The calendar's rules at the instants they are about. Every instant is
// pinned; none depends on the day the test runs or on TZ.
var (
	jst = time.FixedZone("JST", 9*3600)
	// Instants around one week of December 2026 (Friday 4th – Monday 7th).
	saturday10  = time.Date(2026, 12, 5, 10, 0, 0, 0, jst)
	monday09    = time.Date(2026, 12, 7, 9, 0, 0, 0, jst)
	tuesday2330 = time.Date(2026, 12, 8, 23, 30, 0, 0, jst)
	friday1530Z = time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC) // Saturday 00:30 JST
	friday1459Z = time.Date(2026, 12, 4, 14, 59, 0, 0, time.UTC) // Friday 23:59 JST
	sunday2130Z = time.Date(2026, 12, 6, 21, 30, 0, 0, time.UTC) // Monday 06:30 JST
	sunday2129Z = time.Date(2026, 12, 6, 21, 29, 0, 0, time.UTC) // Monday 06:29 JST
	monday2259  = time.Date(2026, 12, 7, 22, 59, 0, 0, jst)
	monday2300  = time.Date(2026, 12, 7, 23, 0, 0, 0, jst)
	december28  = time.Date(2026, 12, 28, 12, 0, 0, 0, jst) // Monday, last open day
	december31  = time.Date(2026, 12, 31, 12, 0, 0, 0, jst)
	january03   = time.Date(2027, 1, 3, 12, 0, 0, 0, jst)
	january04   = time.Date(2027, 1, 4, 12, 0, 0, 0, jst)        // Monday, first open day
	december28Z = time.Date(2026, 12, 28, 15, 0, 0, 0, time.UTC) // 12/29 00:00 JST
)

func TestCalendarRules(t *testing.T) {
	fx := loadFixtures(t)
	weekdayOnly, _ := fx.Municipality("362018") // 徳島市: 戸籍 on weekdays only
	anyDay, _ := fx.Municipality("141003")      // 横浜市
	if !weekdayOnly.KosekiWeekdaysOnly || anyDay.KosekiWeekdaysOnly {
		t.Fatal("fixtures changed: 362018 should issue 戸籍 on weekdays only, 141003 every day")
	}
	const (
		open   = protocol.ProblemType("")
		hours  = protocol.ProbOutsideHours
		noDoc  = protocol.ProbDocumentUnavailable
		koseki = protocol.DocKosekiZenbu
		jumin  = protocol.DocJuminhyo
	)
	svc := center.DefaultHours()
	for _, tc := range []struct {
		name  string
		hours *center.ServiceHours
		at    time.Time
		muni  bool // true: the weekday-only municipality
		doc   protocol.DocType
		want  protocol.ProblemType
	}{
		{"Saturday: 住民票", svc, saturday10, true, jumin, open},
		{"Saturday: 戸籍, weekday-only municipality", svc, saturday10, true, koseki, noDoc},
		{"Saturday: 戸籍, any-day municipality", svc, saturday10, false, koseki, open},
		{"Saturday, always-open emulator: 戸籍 still weekdays only", nil, saturday10, true, koseki, noDoc},
		{"Monday 09:00 JST: 戸籍", svc, monday09, true, koseki, open},
		{"23:30 JST", svc, tuesday2330, false, jumin, hours},
		{"23:30 JST, always-open emulator", nil, tuesday2330, true, koseki, open},
		{"22:59 JST", svc, monday2259, false, jumin, open},
		{"23:00 JST", svc, monday2300, false, jumin, hours},
		{"06:29 JST (Sunday 21:29 UTC)", svc, sunday2129Z, false, jumin, hours},
		{"06:30 JST (Sunday 21:30 UTC)", svc, sunday2130Z, false, jumin, open},
		{"Monday in JST, Sunday in UTC: 戸籍", nil, sunday2130Z, true, koseki, open},
		{"Friday 23:59 JST (14:59 UTC): 戸籍", nil, friday1459Z, true, koseki, open},
		{"Saturday in JST, Friday in UTC: 戸籍", nil, friday1530Z, true, koseki, noDoc},
		{"Saturday 00:30 JST: hours", svc, friday1530Z, false, jumin, hours},
		{"28 December", svc, december28, true, koseki, open},
		{"29 December 00:00 JST (28th in UTC)", svc, december28Z, false, jumin, hours},
		{"31 December", svc, december31, false, jumin, hours},
		{"3 January", svc, january03, false, jumin, hours},
		{"4 January", svc, january04, true, koseki, open},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := anyDay
			if tc.muni {
				m = weekdayOnly
			}
			p, why, closed := center.ClosedFor(tc.hours, m, tc.doc, tc.at)
			if p != tc.want || closed != (tc.want != open) {
				t.Fatalf("at %v: %q closed=%v (%s), want %q", tc.at, p, closed, why, tc.want)
			}
			if closed && why == "" {
				t.Fatal("a calendar refusal without a reason")
			}
		})
	}
}

// TestCalendarThroughTheCenter runs real sessions against emulated worlds
// whose one clock (center, verifier, kiosk) starts at pinned instants: the
// weekday rule, the service hours and the year-end closure, as a kiosk
// sees them, and the explanation emulator mode prints.
func TestCalendarThroughTheCenter(t *testing.T) {
	fx := loadFixtures(t)
	tokushima, _ := fx.Resident("R0019") // 戸籍 in 362018, weekdays only
	for _, tc := range []struct {
		name   string
		at     time.Time
		hours  *center.ServiceHours
		doc    protocol.DocType
		reason string // "" means printed
		next   string // when refused: the next open hour the center names
	}{
		{"戸籍 on Monday 09:00 JST", monday09, nil, protocol.DocKosekiZenbu, "", ""},
		{"戸籍 on Saturday JST", saturday10, nil, protocol.DocKosekiZenbu, "center-document-unavailable", "Mon 2026-12-07 09:00 JST"},
		{"戸籍 on Saturday JST, Friday UTC", friday1530Z, nil, protocol.DocKosekiZenbu, "center-document-unavailable", "Mon 2026-12-07 09:00 JST"},
		{"住民票 on Saturday JST", saturday10, center.DefaultHours(), protocol.DocJuminhyo, "", ""},
		{"住民票 at 23:30 JST", tuesday2330, center.DefaultHours(), protocol.DocJuminhyo, "center-outside-service-hours", "Wed 2026-12-09 09:00 JST"},
		{"住民票 on 31 December", december31, center.DefaultHours(), protocol.DocJuminhyo, "center-outside-service-hours", "Mon 2027-01-04 09:00 JST"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hours := tc.hours
			env, _ := startEnv(t, emulator.Options{Fixtures: fx, Now: clock.Starting(tc.at),
				Center: func(c *center.Config) { c.Hours = hours }})
			doc, _ := protocol.NewDocSpec(tc.doc)
			r := runAuto(t, env, newRecordingSink(t), tokushima, doc)
			why, closed := env.Center.Center.CalendarRefuses(tokushima.RecordMuni(tc.doc), tc.doc)
			if tc.reason == "" {
				if r.Outcome != protocol.ResultPrinted || closed {
					t.Fatalf("got %s/%s (calendar: %q), want printed", r.Outcome, r.Reason, why)
				}
				return
			}
			if r.Outcome == protocol.ResultPrinted || string(r.Reason) != tc.reason {
				t.Fatalf("got %s/%s, want %s", r.Outcome, r.Reason, tc.reason)
			}
			if !closed || !strings.Contains(why, "next open at "+tc.next) {
				t.Fatalf("the center refused %s; its calendar says %q, want the next open hour %s", tc.reason, why, tc.next)
			}
		})
	}
}
