package diag

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// overviewView lists every preflight check with its verdict, as
// `kiosk selftest` prints them.
type overviewView struct {
	tv  *tview.TextView
	rep *health.Report
}

func newOverview() *overviewView { return &overviewView{tv: newBody()} }

func (v *overviewView) name() string               { return "Overview" }
func (v *overviewView) primitive() tview.Primitive { return v.tv }
func (v *overviewView) hints() []hint              { return scrollHints() }
func (v *overviewView) handle(k key) action        { scroll(v.tv, k); return actNone }

func (v *overviewView) pending() {
	if v.rep == nil {
		v.tv.SetText(loading)
		return
	}
	v.tv.SetText(v.text() + "\n" + loading)
}

func (v *overviewView) set(rep health.Report) {
	v.rep = &rep
	v.tv.SetText(v.text())
}

func (v *overviewView) text() string {
	var b strings.Builder
	for _, o := range v.rep.Outcomes {
		block := "blocking"
		if !o.Blocking {
			block = "info"
		}
		fmt.Fprintf(&b, "%s  %s%-8s%s %s%-8s%s %s\n", badge(o.Status), tagTitle, o.Name, tagOff, tagDim, block, tagOff, esc(o.Detail))
	}
	b.WriteString("\n")
	if failed := v.rep.Blocking(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, o := range failed {
			names[i] = o.Name
		}
		b.WriteString(tagFail + "OUT OF SERVICE" + tagOff + ": the customer UI stays closed while " + esc(strings.Join(names, ", ")) + " fails\n")
	} else {
		b.WriteString(tagOK + "READY" + tagOff + ": no blocking check fails\n")
	}
	return b.String()
}
