package diag

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// countersView counts the journal's sessions by outcome, and refusals
// and failures by reason.
type countersView struct {
	tv *tview.TextView
}

func newCounters() *countersView { return &countersView{tv: newBody()} }

func (v *countersView) name() string               { return "Counters" }
func (v *countersView) primitive() tview.Primitive { return v.tv }
func (v *countersView) hints() []hint              { return nil }
func (v *countersView) handle(k key) action        { scroll(v.tv, k); return actNone }
func (v *countersView) pending()                   { v.tv.SetText(loading) }

func (v *countersView) set(s *health.Summary, r health.Result) {
	var b strings.Builder
	if r.Status != health.OK {
		b.WriteString(resultLine(r) + "\n")
	}
	if s != nil {
		counts(&b, "Sessions by outcome", s.Outcomes)
		counts(&b, "Refusals by reason (a document not bound to the request: never printed)", s.Refusals)
		counts(&b, "Failed and unknown sessions by reason", s.Failures)
		section(&b, "Kiosk")
		field(&b, "starts", fmt.Sprint(s.Opens))
		field(&b, "records", fmt.Sprint(s.Records))
	}
	v.tv.SetText(b.String())
}

func counts(b *strings.Builder, title string, m map[string]int) {
	section(b, title)
	if len(m) == 0 {
		b.WriteString(tagDim + "none" + tagOff + "\n")
		return
	}
	for _, c := range health.Sorted(m) {
		key := c.Key
		if key == "" {
			key = "(no reason)"
		}
		fmt.Fprintf(b, "  %-28s %6d\n", esc(key), c.Count)
	}
}
