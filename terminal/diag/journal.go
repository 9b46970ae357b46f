package diag

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal"
	"kofu/terminal/health"
)

// journalView lists the journal's sessions, newest first, with their
// state trail and outcome, under the chain check's result.
type journalView struct {
	tv *tview.TextView
}

func newJournal() *journalView { return &journalView{tv: newBody()} }

func (v *journalView) name() string               { return "Journal" }
func (v *journalView) primitive() tview.Primitive { return v.tv }
func (v *journalView) hints() []hint              { return scrollHints() }
func (v *journalView) handle(k key) action        { scroll(v.tv, k); return actNone }
func (v *journalView) pending()                   { v.tv.SetText(loading) }

func (v *journalView) set(s *health.Summary, r health.Result) {
	var b strings.Builder
	b.WriteString(resultLine(r) + "\n")
	if s != nil {
		section(&b, fmt.Sprintf("Sessions, newest first (%s)", s.Path))
		if len(s.Sessions) == 0 {
			b.WriteString(tagDim + "no session recorded" + tagOff + "\n")
		}
		for _, ss := range s.Sessions {
			outcome := ss.Outcome
			tag := tagOK
			switch outcome {
			case "":
				outcome, tag = "open", tagWarn
			case "refused", "failed", "unknown":
				tag = tagFail
			case "cancelled":
				tag = tagDim
			}
			id := terminal.Reference(ss.ID)
			fmt.Fprintf(&b, "%s %s %s%-9s%s", esc(ss.Start), esc(id), tag, esc(outcome), tagOff)
			if ss.Reason != "" {
				b.WriteString(" " + esc(ss.Reason))
			}
			if ss.Fee > 0 || ss.Pages > 0 {
				fmt.Fprintf(&b, " fee %d (%s) pages %d", ss.Fee, esc(ss.Billing), ss.Pages)
			}
			b.WriteString("\n   " + tagDim + esc(strings.Join(ss.States, " → ")) + tagOff + "\n")
		}
	}
	v.tv.SetText(b.String())
}
