package diag

import (
	"fmt"
	"time"

	"kofu/terminal/health"
)

// countersView counts the sessions of a time window (today, the last 7
// days, the whole journal) by outcome, and the refusals and failures by
// reason, grouped as the operator guide explains them.
type countersView struct {
	p   *pane
	win window
	s   *health.Summary
	r   health.Result
}

func newCounters() *countersView { return &countersView{p: newPane(false)} }

func (v *countersView) name() string { return "Counters" }
func (v *countersView) pane() *pane  { return v.p }

func (v *countersView) bindings() []binding {
	return append([]binding{
		{Keys: []key{rk('W')}, Label: "W", Does: "next window (today, 7 days, whole journal)", Act: actWindow, Keymap: true},
		filterBinding("the reasons"),
		escBinding("clear the filter"),
	}, scrollBindings()...)
}

// nextWindow moves to the next time window.
func (v *countersView) nextWindow() { v.win = (v.win + 1) % nWindows }

func (v *countersView) set(s *health.Summary, r health.Result) { v.s, v.r = s, r }

// draw counts the window as it stands at now, in zone z.
func (v *countersView) draw(z *time.Location, now time.Time) {
	var d doc
	if v.r.Status != health.OK {
		d.result(v.r)
	}
	var tabs []seg
	for w := range nWindows {
		tag := tagDim
		if w == v.win {
			tag = tagSel
		}
		tabs = append(tabs, seg{tag, " " + w.String() + " "}, seg{"", " "})
	}
	d.add(line{lead: []seg{{tagDim, "window  "}}, body: tabs})
	if v.s == nil {
		v.p.set(d.lines)
		return
	}
	from := v.win.since(now, z)
	t := count(v.s.Sessions, from)
	since := "the first record"
	if !from.IsZero() {
		since = from.In(z).Format("2006-01-02 15:04 MST")
	}
	d.text(tagDim, fmt.Sprintf("sessions ended since %s; %d ended, %d open", since, t.ended, t.open))
	d.section("Sessions by outcome")
	if len(t.outcomes) == 0 {
		d.text(tagDim, "none")
	}
	for _, c := range health.Sorted(t.outcomes) {
		d.add(countLine(c.Key, c.Count, outcomeTag(c.Key)))
	}
	d.section("Refusals by reason (nothing printed, the fee released)")
	groupLines(&d, t.refusals)
	d.section("Failed, unknown and cancelled sessions by reason")
	groupLines(&d, t.failures)
	d.section("Kiosk (whole journal)")
	d.field("starts", fmt.Sprint(v.s.Opens))
	d.field("records", fmt.Sprint(v.s.Records))
	v.p.set(d.lines)
}

func countLine(key string, n int, tag string) line {
	if key == "" {
		key = "(no reason)"
	}
	return line{row: true, lead: []seg{{"", "  "}, {tag, fmt.Sprintf("%-30s", key)}}, body: []seg{{"", fmt.Sprintf("%6d", n)}}}
}

// groupLines lists counts under their group's title.
func groupLines(d *doc, cs []reasonCount) {
	if len(cs) == 0 {
		d.text(tagDim, "none")
		return
	}
	group := "\x00"
	for _, c := range cs {
		if c.group != group {
			group = c.group
			d.add(line{lead: []seg{{"", " "}}, body: []seg{{tagTitle, group}}})
		}
		l := countLine(c.reason, c.n, "")
		if x, ok := explain(c.reason); ok {
			l.extra = []seg{{tagDim, "  " + x.meaning}}
		}
		d.add(l)
	}
}
