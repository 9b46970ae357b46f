package diag

import (
	"fmt"
	"kofu/terminal/uikit"

	"kofu/terminal"
	"kofu/terminal/health"
)

// outboxView lists the outcomes the center has not heard yet, oldest
// first (the order they are sent in). S sends them now; Enter opens the
// session.
type outboxView struct {
	p       *pane
	sending string // a send is running: its progress
	last    string // how the last send ended
	lastBad bool
	pending []terminal.Pending
	err     error
}

func newOutbox() *outboxView { return &outboxView{p: newPane(true)} }

func (v *outboxView) name() string { return "Outbox" }
func (v *outboxView) pane() *pane  { return v.p }

func (v *outboxView) bindings() []binding {
	return append([]binding{
		{Keys: []key{rk('S')}, Label: "S", Does: "send the outbox to the center now", Act: actSendOutbox, Keymap: true},
		{Keys: []key{kk(uikit.Enter)}, Label: "Enter", Does: "open the session", Act: actOpen, Keymap: true},
		filterBinding("by reference number, outcome or reason"),
		escBinding("cancel the send, or clear the filter"),
	}, listBindings()...)
}

// sent says how the last send ended.
func (v *outboxView) sent(msg string, bad bool) { v.sending, v.last, v.lastBad = "", msg, bad }

// sentProgress shows the send's progress over the list.
func (v *outboxView) sentProgress() { v.draw() }

func (v *outboxView) set(pending []terminal.Pending, err error) {
	v.pending, v.err = pending, err
	v.draw()
}

func (v *outboxView) draw() {
	pending, err := v.pending, v.err
	var d doc
	switch {
	case v.sending != "":
		d.text(tagWarn, v.sending)
	case v.last != "":
		tag := tagOK
		if v.lastBad {
			tag = tagFail
		}
		d.text(tag, v.last)
	}
	if err != nil {
		d.result(health.Result{Status: health.Fail, Detail: err.Error()})
		v.p.set(d.lines)
		return
	}
	d.section(fmt.Sprintf("Outcomes the center has not heard yet (%d), sent oldest first", len(pending)))
	d.text(tagDim, "until the center hears, its ticket stays open and its records say nothing of what happened here; the kiosk sends them after each session and at start")
	if len(pending) == 0 {
		d.text(tagOK, "none: the center has heard every outcome")
	} else {
		d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-14s %-9s ", "REFERENCE", "OUTCOME")}}, body: []seg{{tagDim, "REASON  PAGES"}}})
	}
	for _, q := range pending {
		reason := q.Reason
		if reason == "" {
			reason = "-"
		}
		d.add(line{id: q.Session,
			lead: []seg{{tagTitle, fmt.Sprintf("%-14s", terminal.Reference(q.Session))}, {"", " "},
				{outcomeTag(string(q.Result)), fmt.Sprintf("%-9s", q.Result)}, {"", " "}},
			body:  []seg{{"", reason}, {"", fmt.Sprintf(" pages %d", q.Pages)}},
			match: outboxMatch(q),
		})
	}
	v.p.set(d.lines)
}
