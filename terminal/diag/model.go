package diag

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// This file is what the views show, computed: which session a technician
// means, what a reason code means, what the counters of a time window
// are. Views call it; it draws nothing.

type reasonGroup struct {
	title   string
	entries []reasonEntry
}

type reasonEntry struct {
	codes   []string
	outcome string
	meaning string
	do      string
}

// explanation is a reason code as the operator guide explains it.
type explanation struct {
	group   string
	outcome string
	meaning string
	do      string
}

// explain finds the operator guide's words for a reason code; ok is
// false for a code the guide does not list.
func explain(code string) (explanation, bool) {
	if code == "" {
		return explanation{}, false
	}
	var pattern *explanation
	for _, g := range reasonGroups() {
		for _, e := range g.entries {
			for _, c := range e.codes {
				x := explanation{group: g.title, outcome: e.outcome, meaning: e.meaning, do: e.do}
				if c == code {
					return x, true
				}
				// "center-<problem>" stands for every center-… code.
				if pre, _, ok := strings.Cut(c, "<"); ok && strings.HasSuffix(c, ">") && strings.HasPrefix(code, pre) && pattern == nil {
					pattern = &x
				}
			}
		}
	}
	if pattern != nil {
		return *pattern, true
	}
	return explanation{}, false
}

// groupOf names the guide's group of a reason code: "Refused because of
// a page"; "other codes" for one the guide does not list.
func groupOf(code string) string {
	if x, ok := explain(code); ok {
		return x.group
	}
	return "Codes the operator guide does not list"
}

// sessionMatches says whether a session is what a technician typed: its
// reference number (digits, in part or whole, separators ignored), its id,
// its outcome, its reason or a state it went through. q is lower-cased.
func sessionMatches(s health.Session, q string) bool {
	q = strings.TrimSpace(q)
	if q == "" {
		return true
	}
	if terminal.MatchReference(s.ID, q) {
		return true
	}
	outcome := s.Outcome
	if outcome == "" {
		outcome = "open"
	}
	for _, f := range []string{s.ID, outcome, s.Reason, s.Billing} {
		if f != "" && strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	for _, st := range s.States {
		if strings.ToLower(st) == q {
			return true
		}
	}
	return false
}

// findSessions returns the sessions q names (by reference number or id
// prefix), newest first.
func findSessions(ss []health.Session, q string) []health.Session {
	q = strings.TrimSpace(q)
	var out []health.Session
	for _, s := range ss {
		if s.ID == q || terminal.MatchReference(s.ID, q) || (len(q) >= 4 && strings.HasPrefix(s.ID, q)) {
			out = append(out, s)
		}
	}
	return out
}

// window is a time span the counters cover.
type window int

const (
	winToday window = iota // since local midnight
	winWeek                // the last 7 days
	winAll                 // the whole journal
	nWindows
)

func (w window) String() string {
	switch w {
	case winToday:
		return "today"
	case winWeek:
		return "7 days"
	}
	return "whole journal"
}

// since is where a window starts at now in zone z (zero: no start).
func (w window) since(now time.Time, z *time.Location) time.Time {
	switch w {
	case winToday:
		l := now.In(z)
		return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, z)
	case winWeek:
		return now.Add(-7 * 24 * time.Hour)
	}
	return time.Time{}
}

// tally is the counters of one window.
type tally struct {
	from     time.Time // zero: the whole journal
	ended    int
	open     int
	outcomes map[string]int
	refusals []reasonCount // grouped as the operator guide groups them
	failures []reasonCount // failed, unknown and cancelled, by reason
}

type reasonCount struct {
	group, outcome, reason string
	n                      int
}

// count tallies the sessions that ended in [from, now] (an open session
// counts by its start).
func count(ss []health.Session, from time.Time) tally {
	t := tally{from: from, outcomes: map[string]int{}}
	ref := map[string]int{}
	fail := map[[2]string]int{}
	for _, s := range ss {
		at := s.End
		if at == "" {
			at = s.Start
		}
		if !from.IsZero() {
			ts, err := time.Parse(time.RFC3339Nano, at)
			if err != nil || ts.Before(from) {
				continue
			}
		}
		if s.Outcome == "" {
			t.open++
			continue
		}
		t.ended++
		t.outcomes[s.Outcome]++
		switch s.Outcome {
		case "printed":
		case "refused":
			ref[s.Reason]++
		default:
			fail[[2]string{s.Outcome, s.Reason}]++
		}
	}
	for r, n := range ref {
		t.refusals = append(t.refusals, reasonCount{group: groupOf(r), outcome: "refused", reason: r, n: n})
	}
	for k, n := range fail {
		t.failures = append(t.failures, reasonCount{group: k[0], outcome: k[0], reason: k[1], n: n})
	}
	order := map[string]int{}
	for i, g := range reasonGroups() {
		order[g.title] = i
	}
	sortCounts(t.refusals, func(g string) int {
		if i, ok := order[g]; ok {
			return i
		}
		return len(order)
	})
	rank := map[string]int{"unknown": 0, "failed": 1, "cancelled": 2}
	sortCounts(t.failures, func(g string) int {
		if i, ok := rank[g]; ok {
			return i
		}
		return len(rank)
	})
	return t
}

// sortCounts orders by group (rank), then count, then reason.
func sortCounts(cs []reasonCount, rank func(string) int) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if ra, rb := rank(a.group), rank(b.group); ra != rb {
			return ra < rb
		}
		if a.group != b.group {
			return a.group < b.group
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return a.reason < b.reason
	})
}

// outboxMatch matches a waiting outcome as sessionMatches matches a
// session.
func outboxMatch(q terminal.Pending) func(string) bool {
	return func(s string) bool {
		return sessionMatches(health.Session{ID: q.Session, Outcome: string(q.Result), Reason: q.Reason}, s)
	}
}

// facts is what a session's records say about the center and the
// printer, in plain words.
type facts struct {
	center  []string
	printer []string
	waiting bool // its outcome waits in the outbox
}

// sessionFacts reads a session's records (codes only) into plain words.
func sessionFacts(s health.Session, recs []journal.Record) facts {
	var f facts
	var ticket, printed bool
	var end *journal.Record
	for i, r := range recs {
		if r.TID != "" {
			ticket = true
		}
		switch r.Kind {
		case journal.KindState:
			if r.State == "print" {
				printed = true
			}
		case journal.KindEnd, journal.KindRecovered:
			end = &recs[i]
		case journal.KindOutbox:
			f.waiting = true
			f.center = append(f.center, fmt.Sprintf("the outcome report (%s) was not acknowledged and went to the outbox", r.State))
		case journal.KindReported:
			f.waiting = false
			switch {
			case r.Note != "":
				f.center = append(f.center, fmt.Sprintf("sent again from the outbox: the center refused it for good (%s); it is no longer sent", r.Note))
			default:
				f.center = append(f.center, fmt.Sprintf("sent again from the outbox: the center heard it (billing %s)", orDash(r.Billing)))
			}
		}
	}
	reason := terminal.Reason(s.Reason) // as the journal spells it
	switch {
	case reason.Class() == terminal.ClassCenter:
		f.center = append([]string{fmt.Sprintf("the center answered with the problem %s", reason.Detail())}, f.center...)
	case !ticket && end != nil:
		f.center = append([]string{"no ticket was verified: the center issued nothing the kiosk accepted, and no outcome was reported under a ticket"}, f.center...)
	case ticket && end != nil && len(f.center) == 0:
		f.center = append(f.center, "a ticket was verified; the outcome was reported at the session's end and acknowledged (nothing went to the outbox)")
	case end == nil:
		f.center = append(f.center, "the session has no end record yet (open, or the kiosk stopped mid-session: it is closed as unknown at the next start)")
	}
	if f.waiting {
		f.center = append(f.center, "the center has NOT heard the outcome yet: it waits in the outbox (screen Outbox, S sends it now)")
	}
	switch {
	case end != nil && s.Outcome == "printed":
		f.printer = append(f.printer, fmt.Sprintf("the printer confirmed %d page(s)", end.Pages))
	case !printed:
		f.printer = append(f.printer, "nothing was sent to the printer")
	case end == nil:
		f.printer = append(f.printer, "printing began; no end was recorded: look at the tray")
	case reason.Class() == terminal.ClassPrinter:
		f.printer = append(f.printer, fmt.Sprintf("the printer reported %s; %d page(s) reported out", reason.Detail(), end.Pages))
	default:
		f.printer = append(f.printer, fmt.Sprintf("printing began; the session ended %s (%s) with %d page(s) reported out", s.Outcome, orDash(string(reason)), end.Pages))
	}
	if printed && s.Outcome == "unknown" {
		f.printer = append(f.printer, "pages may have come out: give the resident what is in the tray, look before the next resident")
	}
	return f
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// sessionOf rebuilds a session's summary from its records (for a
// session asked for by id that the journal screen has not listed).
func sessionOf(id string, recs []journal.Record) health.Session {
	s := health.Session{ID: id}
	for _, r := range recs {
		if s.Start == "" {
			s.Start = r.Time
		}
		if r.TID != "" {
			s.TID = r.TID
		}
		switch r.Kind {
		case journal.KindState:
			s.States = append(s.States, r.State)
		case journal.KindEnd, journal.KindRecovered:
			s.Outcome, s.End, s.Reason = r.State, r.Time, r.Reason
			s.Fee, s.Billing, s.Pages = r.Fee, r.Billing, r.Pages
			if r.Kind == journal.KindRecovered && s.Reason == "" {
				s.Reason = r.Note
			}
		}
	}
	return s
}
