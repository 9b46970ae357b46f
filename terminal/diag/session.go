package diag

import (
	"fmt"
	"strings"
	"time"

	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// sessionView is one session drilled into: its outcome, the reason in
// the operator guide's words with what to do, what the center answered,
// what the printer reported, and every journal record of it.
type sessionView struct {
	p  *pane
	id string
}

func newSession() *sessionView { return &sessionView{p: newPane(false)} }

func (v *sessionView) name() string { return "Session " + terminal.Reference(v.id) }
func (v *sessionView) pane() *pane  { return v.p }

func (v *sessionView) bindings() []binding {
	return append([]binding{
		escBinding("back"),
		{Keys: []key{rk('E')}, Label: "E", Does: "export its records for the center (codes only)", Act: actExport, Keymap: true},
		filterBinding("the records"),
	}, scrollBindings()...)
}

// loading shows the session while its records are read.
func (v *sessionView) loading(id string) {
	v.id = id
	v.p.top = 0
	v.p.set([]line{loadingLine()})
}

func (v *sessionView) set(s health.Session, recs []journal.Record, err error, z *time.Location, now time.Time, note string) {
	var d doc
	if note != "" {
		d.text(tagOK, note)
	}
	if err != nil {
		d.result(health.Result{Status: health.Fail, Detail: err.Error()})
	}
	if len(recs) == 0 && err == nil {
		d.result(health.Result{Status: health.Fail, Detail: "the journal has no record of session " + v.id})
		v.p.set(d.lines)
		return
	}
	outcome := s.Outcome
	if outcome == "" {
		outcome = "open"
	}
	d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-16s ", "reference")}}, body: []seg{{tagTitle, terminal.Reference(s.ID)}, {tagDim, "  id " + s.ID}}})
	d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-16s ", "outcome")}}, body: []seg{{outcomeTag(s.Outcome), outcome}}})
	d.field("reason", orDash(s.Reason))
	d.field("started", journalTime(s.Start, z, true)+" "+zoneName(z, now))
	if s.End != "" {
		d.field("ended", journalTime(s.End, z, true))
	}
	d.field("states", strings.Join(s.States, " → "))
	if s.Fee > 0 || s.Billing != "" {
		d.field("fee", fmt.Sprintf("%d yen (%s), pages %d", s.Fee, orDash(s.Billing), s.Pages))
	}
	if s.Reason != "" {
		if x, ok := explain(s.Reason); ok {
			d.section("Why: " + s.Reason + " (operator guide: " + x.group + ")")
			d.field("what it means", x.meaning)
			d.field("what to do", x.do)
			if x.outcome != "refused" && x.outcome != s.Outcome {
				d.field("outcome", x.outcome)
			}
		} else {
			d.section("Why: " + s.Reason)
			d.text(tagDim, "the operator guide does not list this code: look at the kiosk's log for this session and tell the developers")
		}
	}
	f := sessionFacts(s, recs)
	d.section("The center's answer")
	for _, c := range f.center {
		d.add(line{lead: []seg{{"", "  "}}, body: []seg{{"", c}}})
	}
	d.section("The printer's report")
	for _, c := range f.printer {
		d.add(line{lead: []seg{{"", "  "}}, body: []seg{{"", c}}})
	}
	d.section(fmt.Sprintf("Journal records (%d)", len(recs)))
	d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%5s %-19s %-9s %-9s ", "SEQ", "TIME", "KIND", "STATE")}}, body: []seg{{tagDim, "REASON BILLING FEE PAGES NOTE"}}})
	for _, r := range recs {
		var body []string
		for _, kv := range [][2]string{{"", r.Reason}, {"billing ", r.Billing}, {"note ", r.Note}} {
			if kv[1] != "" {
				body = append(body, kv[0]+kv[1])
			}
		}
		if r.Fee > 0 {
			body = append(body, fmt.Sprintf("fee %d", r.Fee))
		}
		if r.Pages > 0 {
			body = append(body, fmt.Sprintf("pages %d", r.Pages))
		}
		if r.TID != "" {
			body = append(body, "ticket "+r.TID)
		}
		d.add(line{row: true,
			lead: []seg{{tagDim, fmt.Sprintf("%5d ", r.Seq)}, {"", journalTime(r.Time, z, true) + " "}, {tagTitle, fmt.Sprintf("%-9s", r.Kind)}, {"", fmt.Sprintf(" %-9s ", r.State)}},
			body: []seg{{"", orDash(strings.Join(body, " "))}}})
	}
	v.p.set(d.lines)
}
