package diag

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// printerView shows the printer's device ID, interface, the job path kofu
// chose (and why), its status, and the last test page's result.
type printerView struct {
	tv       *tview.TextView
	info     string // the printer as last read
	testPage string // the last test page's result
}

func newPrinter() *printerView { return &printerView{tv: newBody()} }

func (v *printerView) name() string               { return "Printer" }
func (v *printerView) primitive() tview.Primitive { return v.tv }
func (v *printerView) hints() []hint {
	return append([]hint{{"T", "print a test page"}}, scrollHints()...)
}

func (v *printerView) handle(k key) action {
	if k.kind == keyRune && k.r == 'T' {
		return actTestPage
	}
	scroll(v.tv, k)
	return actNone
}

func (v *printerView) pending() {
	v.info = loading
	v.draw()
}

// printing says a test page is on its way.
func (v *printerView) printing() {
	v.testPage = tagDim + "printing a test page…" + tagOff
	v.draw()
}

func (v *printerView) setTestPage(r health.Result) {
	v.testPage = resultLine(r)
	v.draw()
}

func (v *printerView) set(info *health.PrinterInfo, r health.Result) {
	var b strings.Builder
	b.WriteString(resultLine(r) + "\n")
	if info != nil {
		section(&b, "Device ID (IEEE 1284)")
		if info.IDErr != nil {
			field(&b, "error", info.IDErr.Error())
		} else {
			field(&b, "manufacturer", info.ID.Manufacturer)
			field(&b, "model", info.ID.Model)
			field(&b, "serial", info.ID.Serial)
			field(&b, "command set", strings.Join(info.ID.Commands, ","))
		}
		section(&b, "USB interface")
		in := info.Info
		field(&b, "device", fmt.Sprintf("%04x:%04x bus %d address %d", in.VID, in.PID, in.Bus, in.Address))
		field(&b, "protocol", fmt.Sprintf("%d (%s), interface %d alt %d", in.Protocol, in.ProtocolName(), in.Interface, in.Alt))
		quirks := "none"
		if in.Quirks != 0 {
			quirks = in.Quirks.String()
		}
		field(&b, "quirks", quirks)
		section(&b, "Job path")
		if info.Plan.Err != nil {
			field(&b, "refused", info.Plan.Err.Error())
		} else {
			field(&b, "path", string(info.Plan.Path))
			field(&b, "confirmation", yesNo(info.Plan.Confirm))
			field(&b, "why", info.Plan.Why)
		}
		section(&b, "Status")
		st := info.Status
		switch {
		case st.PortErr != nil:
			field(&b, "port status", st.PortErr.Error())
		case st.Port != 0:
			field(&b, "port status", st.Port.String())
		}
		if st.PJL != nil {
			field(&b, "PJL", fmt.Sprintf("%d %q", st.PJL.Code, st.PJL.Display))
		} else if st.PJLErr != nil {
			field(&b, "PJL", st.PJLErr.Error())
		}
		if st.IPP != nil {
			field(&b, "IPP", fmt.Sprintf("%s, printer-state %d, reasons %s", st.IPP.MakeModel, st.IPP.State, strings.Join(st.IPP.Reasons, ",")))
		} else if st.IPPErr != nil {
			field(&b, "IPP", st.IPPErr.Error())
		}
		ready := "ready"
		if !st.Ready() {
			ready = "NOT READY"
			if st.Problem != 0 {
				ready += " (" + st.Problem.String() + ")"
			}
		}
		field(&b, "state", ready)
	}
	v.info = b.String()
	v.draw()
}

func (v *printerView) draw() {
	text := v.info
	if v.testPage != "" {
		text = tagTitle + "Test page" + tagOff + "\n" + v.testPage + "\n\n" + text
	}
	v.tv.SetText(text)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no: a job cannot be confirmed"
}
