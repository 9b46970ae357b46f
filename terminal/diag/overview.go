package diag

import (
	"fmt"
	"kofu/terminal/uikit"
	"strings"

	"kofu/terminal/health"
)

// overviewView lists every preflight check with its verdict, as
// `kiosk selftest` prints them.
type overviewView struct{ p *pane }

func newOverview() *overviewView { return &overviewView{p: newPane(true)} }

func (v *overviewView) name() string { return "Overview" }
func (v *overviewView) pane() *pane  { return v.p }

func (v *overviewView) bindings() []binding {
	return append([]binding{
		{Keys: []key{kk(uikit.Enter)}, Label: "Enter", Does: "open the check's screen", Act: actOpen, Keymap: true},
		filterBinding("the checks"),
		escBinding("clear the filter"),
	}, listBindings()...)
}

func (v *overviewView) set(rep health.Report) {
	var d doc
	for _, o := range rep.Outcomes {
		block := "blocking"
		if !o.Blocking {
			block = "info"
		}
		d.add(line{id: o.Name,
			lead: []seg{badge(o.Status), {"", "  "}, {tagTitle, fmt.Sprintf("%-8s", o.Name)}, {tagDim, fmt.Sprintf(" %-8s ", block)}},
			body: []seg{{"", o.Detail}}})
	}
	d.blank()
	if failed := rep.Blocking(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, o := range failed {
			names[i] = o.Name
		}
		d.add(line{lead: []seg{{tagFail, "OUT OF SERVICE"}}, body: []seg{{"", ": the customer UI stays closed while " + strings.Join(names, ", ") + " fails"}}})
	} else {
		d.add(line{lead: []seg{{tagOK, "READY"}}, body: []seg{{"", ": no blocking check fails"}}})
	}
	v.p.set(d.lines)
}
