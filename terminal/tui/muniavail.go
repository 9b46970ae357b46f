package tui

import (
	"fmt"
	"strings"
	"time"

	"kofu/protocol"
)

// What the municipality data says a resident can get now, told before the
// PIN (issue 17, item 4): the service's hours and year-end closure, the
// documents a municipality issues, its weekdays-only family register and
// its counter hours per document. The center decides; this is the
// forecast a resident needs to choose, and nothing here lets a request
// through that the center would refuse.

// serviceFrom and serviceUntil are the real service's daily hours, in
// minutes after midnight in Japan.
const (
	serviceFrom  = 6*60 + 30
	serviceUntil = 23 * 60
)

// jst is Japan Standard Time (no DST: a fixed zone is exact).
func jst() *time.Location { return time.FixedZone("JST", 9*60*60) }

// availability is whether a document can be requested from a
// municipality now, and if not, why in the resident's words.
type availability struct {
	known bool // the municipality takes part in the service (is in the list)
	ok    bool
	fee   int  // per copy, when known and issued
	why   Text // when !ok
	short Text // why, in a few words for a list
}

// serviceClosed says why the whole service is closed at now, or "" .
func serviceClosed(now time.Time) Text {
	t := now.In(jst())
	mo, d := t.Month(), t.Day()
	if (mo == time.December && d >= 29) || (mo == time.January && d <= 3) {
		return T("年末年始（12月29日〜1月3日）は証明書を発行できません。",
			"No certificates are issued over the New Year holidays (Dec 29 – Jan 3).")
	}
	if m := t.Hour()*60 + t.Minute(); m < serviceFrom || m >= serviceUntil {
		return T("証明書を発行できるのは 6:30〜23:00 です。", "Certificates are issued from 6:30 to 23:00.")
	}
	return Text{}
}

// weekdayName is a day of the week as a resident reads it.
func weekdayName(d time.Weekday) Text {
	return [...]Text{
		T("日曜日", "Sunday"), T("月曜日", "Monday"), T("火曜日", "Tuesday"), T("水曜日", "Wednesday"),
		T("木曜日", "Thursday"), T("金曜日", "Friday"), T("土曜日", "Saturday"),
	}[d]
}

// parseHours reads "HH:MM-HH:MM" into minutes after midnight.
func parseHours(s string) (from, until int, ok bool) {
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil {
		return 0, 0, false
	}
	from, until = h1*60+m1, h2*60+m2
	if h1 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || from >= until {
		return 0, 0, false
	}
	return from, until, true
}

// available says whether t can be requested from the municipality code
// at now, by the data the kiosk has.
func (c *Customer) available(code string, t protocol.DocType, now time.Time) availability {
	if why := serviceClosed(now); !why.Empty() {
		m, known := c.munis[code]
		return availability{known: known, fee: m.Fees[string(t)], why: why, short: T("ただいま発行できません", "closed now")}
	}
	m, ok := c.munis[code]
	if !ok {
		return availability{why: T("この市区町村はコンビニ交付を行っていません。",
			"This municipality does not issue certificates at convenience stores."), short: T("コンビニ交付なし", "not in the service")}
	}
	a := availability{known: true}
	fee, issued := m.Fees[string(t)]
	if !issued {
		a.why = T("この市区町村では、この証明書はコンビニ交付の対象外です。",
			"This municipality does not issue this certificate here.")
		a.short = T("この証明書は対象外", "not issued here")
		return a
	}
	a.fee = fee
	local := now.In(jst())
	if t.FamilyRegister() && m.KosekiWeekdaysOnly {
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
			a.why = Tf("戸籍の証明書は平日のみの発行です（本日は%s）。",
				"Family register documents are issued on weekdays only (today is %s).", weekdayName(wd))
			a.short = T("平日のみ（本日は発行できません）", "weekdays only")
			return a
		}
	}
	if h, ok := m.Hours[string(t)]; ok {
		if from, until, ok := parseHours(h); ok {
			if mins := local.Hour()*60 + local.Minute(); mins < from || mins >= until {
				hours := timeRange{from, until}
				a.why = Tf("この証明書の発行は %s です。", "This certificate is issued %s.", hours)
				a.short = Tf("%s のみ", "%s only", hours)
				return a
			}
		}
	}
	a.ok = true
	return a
}

// requirementNote is what a resident must have done before requesting t
// from the municipality chosen as its 本籍地: the real service issues a
// family register from a 本籍地 other than the 住所地 only after a
// registration there (本籍地利用登録, which takes days).
func requirementNote(t protocol.DocType, honsekiElsewhere bool) Text {
	if !t.FamilyRegister() || !honsekiElsewhere {
		return Text{}
	}
	return T("本籍地が住所地と異なる場合は、事前に本籍地の市区町村への利用登録申請が必要です。",
		"If your registered domicile is not where you live, you must have registered with that municipality beforehand.")
}

// shortOrWhy is the reason in a few words where there are some.
func (a availability) shortOrWhy() Text {
	if !a.short.Empty() {
		return a.short
	}
	return a.why
}
