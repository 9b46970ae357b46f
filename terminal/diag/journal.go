package diag

import (
	"fmt"
	"kofu/terminal/uikit"
	"strings"
	"time"

	"kofu/terminal"
	"kofu/terminal/health"
)

// journalView lists the journal's sessions, newest first, one row each
// in fixed-width columns and local time, under the chain check's result.
// Enter opens a session; / finds one by the resident's reference number,
// its outcome or its reason.
type journalView struct {
	p        *pane
	sessions []health.Session
}

func newJournal() *journalView { return &journalView{p: newPane(true)} }

func (v *journalView) name() string { return "Journal" }
func (v *journalView) pane() *pane  { return v.p }

func (v *journalView) bindings() []binding {
	return append([]binding{
		{Keys: []key{kk(uikit.Enter)}, Label: "Enter", Does: "open the session", Act: actOpen, Keymap: true},
		filterBinding("by reference number, outcome or reason"),
		escBinding("clear the filter"),
	}, listBindings()...)
}

// outcomeTag colors an outcome.
func outcomeTag(outcome string) string {
	switch outcome {
	case "", "open":
		return tagWarn
	case "refused", "failed", "unknown":
		return tagFail
	case "cancelled":
		return tagDim
	}
	return tagOK
}

func (v *journalView) set(s *health.Summary, r health.Result, z *time.Location, now time.Time) {
	var d doc
	d.result(r)
	if s != nil {
		v.sessions = s.Sessions
		d.section(fmt.Sprintf("Sessions, newest first (%s; %d)", s.Path, len(s.Sessions)))
		d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-14s %-14s %-9s ", "TIME "+zoneName(z, now), "REFERENCE", "OUTCOME")}},
			body: []seg{{tagDim, fmt.Sprintf("%-24s %4s %5s", "REASON", "FEE", "PAGES")}}, extra: []seg{{tagDim, "   STATES"}}})
		if len(s.Sessions) == 0 {
			d.text(tagDim, "no session recorded")
		}
		for _, ss := range s.Sessions {
			d.add(sessionRow(ss, z))
		}
	}
	v.p.set(d.lines)
}

// sessionRow is one session in the journal's columns.
func sessionRow(ss health.Session, z *time.Location) line {
	outcome := ss.Outcome
	if outcome == "" {
		outcome = "open"
	}
	fee, pages := "-", "-"
	if ss.Fee > 0 || ss.Pages > 0 {
		fee, pages = fmt.Sprint(ss.Fee), fmt.Sprint(ss.Pages)
	}
	body := []seg{{"", fmt.Sprintf("%-24s %4s %5s", orDash(ss.Reason), fee, pages)}}
	return line{id: ss.ID,
		lead: []seg{{"", journalTime(ss.Start, z, false) + " "}, {tagTitle, fmt.Sprintf("%-14s", terminal.Reference(ss.ID))},
			{"", " "}, {outcomeTag(ss.Outcome), fmt.Sprintf("%-9s", outcome)}, {"", " "}},
		body:  body,
		extra: []seg{{tagDim, "   " + strings.Join(ss.States, " → ")}},
		match: func(q string) bool { return sessionMatches(ss, q) },
	}
}

// session returns the listed session with id.
func (v *journalView) session(id string) (health.Session, bool) {
	for _, s := range v.sessions {
		if s.ID == id {
			return s, true
		}
	}
	return health.Session{}, false
}
