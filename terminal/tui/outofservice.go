package tui

import (
	"context"
	"strings"

	"github.com/rivo/tview"
)

// Fault is one failing preflight check as the out-of-service screen
// names it: what, in the resident's words; what the store clerk does
// about it, in the clerk's language (issue 17, item 6: the action was in
// technician English only); and the check's own detail for the
// technician.
type Fault struct {
	What   Text
	Do     Text
	Detail string
}

// outOfServiceView is shown instead of the welcome screen while a
// blocking preflight check fails: the machine is closed, what is wrong,
// and that it reopens by itself.
type outOfServiceView struct {
	tv       *tview.TextView
	faults   []Fault
	helpdesk string // who the clerk calls ("": not configured)
	idleKeys        // only the Quit keys work here
}

func newOutOfService(keys []IdleKey, helpdesk string) *outOfServiceView {
	v := &outOfServiceView{tv: newBody(), helpdesk: helpdesk}
	for _, k := range keys {
		if k.Quit {
			v.keys = append(v.keys, k)
		}
	}
	return v
}

func (v *outOfServiceView) name() string               { return "out-of-service" }
func (v *outOfServiceView) primitive() tview.Primitive { return v.tv }
func (v *outOfServiceView) step() step                 { return stepNone }
func (v *outOfServiceView) reset()                     { v.answer = nil }
func (v *outOfServiceView) title(l Locale) string {
	return esc(T("休止中", "Out of service").In(l))
}

// open shows faults and waits for a Quit key.
func (v *outOfServiceView) open(faults []Fault, answer func(IdleKey)) {
	v.faults, v.answer = append([]Fault(nil), faults...), answer
}

func (v *outOfServiceView) render(l Locale) {
	var b strings.Builder
	b.WriteString(tagError + esc(T("ただいま、この端末はご利用いただけません。",
		"This machine is out of service at the moment.").In(l)) + tagOff + "\n\n")
	b.WriteString(esc(T("ご迷惑をおかけして申し訳ありません。店員にお知らせください。",
		"We are sorry for the inconvenience. Please tell the store staff.").In(l)) + "\n\n")
	b.WriteString(tagTitle + esc(T("点検が必要な項目：", "Needs attention:").In(l)) + tagOff + "\n")
	for _, f := range v.faults {
		b.WriteString(tagWarn + "● " + esc(f.What.In(l)) + tagOff + "\n")
		if !f.Do.Empty() {
			b.WriteString("    " + esc(Tf("店員の方へ：%s", "Staff: %s", f.Do).In(l)) + "\n")
		}
	}
	b.WriteString("\n" + esc(T("復旧すると、自動的にご利用いただけるようになります。",
		"Service resumes by itself once this is fixed.").In(l)) + "\n")
	if v.helpdesk != "" {
		b.WriteString(esc(Tf("直らない場合の連絡先：%s", "If it stays out of service, call: %s", v.helpdesk).In(l)) + "\n")
	}
	if len(v.faults) > 0 {
		b.WriteString("\n" + tagDim + "──────────" + tagOff + "\n" + tagDim +
			esc(T("係員向け（kiosk selftest）：", "For staff (kiosk selftest):").In(l)) + tagOff + "\n")
		for _, f := range v.faults {
			b.WriteString(tagDim + esc(f.Detail) + tagOff + "\n")
		}
	}
	v.tv.SetText(b.String())
}

// OutOfService shows the out-of-service screen naming faults until ctx
// ends (the caller checks again and calls it anew, or opens the welcome
// screen) or a Quit idle key is pressed. No session can start from it.
func (c *Customer) OutOfService(ctx context.Context, faults []Fault) (IdleKey, error) {
	return ask(ctx, c, func(answer func(IdleKey)) {
		c.wipe()
		c.outOfService.open(faults, answer)
		c.show(c.outOfService)
	}, nil, nil)
}
