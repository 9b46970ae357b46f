package diag

import (
	"fmt"
	"strings"

	"kofu/printer"
	"kofu/terminal/health"
)

// printerView shows the printer's state and the fault it reports first,
// then the last test page, its device ID, interface and the job path kofu
// chose (and why): at 80×24 the state is on screen without scrolling.
type printerView struct {
	p        *pane
	info     *health.PrinterInfo
	r        health.Result
	read     bool   // the printer was read at least once
	testing  string // a test page is running: its progress
	testPage *health.Result
}

func newPrinter() *printerView { return &printerView{p: newPane(false)} }

func (v *printerView) name() string { return "Printer" }
func (v *printerView) pane() *pane  { return v.p }

func (v *printerView) bindings() []binding {
	return append([]binding{
		{Keys: []key{rk('T')}, Label: "T", Does: "print a test page", Act: actTestPage, Keymap: true},
		escBinding("cancel the test page"),
	}, scrollBindings()...)
}

func (v *printerView) set(info *health.PrinterInfo, r health.Result) {
	v.info, v.r, v.read = info, r, true
	v.draw()
}

// printing shows a test page's progress.
func (v *printerView) printing(progress string) {
	v.testing = progress
	v.draw()
}

// printed shows how the test page ended.
func (v *printerView) printed(r health.Result) {
	v.testing, v.testPage = "", &r
	v.draw()
}

func (v *printerView) draw() {
	var d doc
	if v.read {
		d.result(v.r)
	} else {
		d.add(loadingLine())
	}
	d.section("Status")
	if v.testing != "" {
		d.text(tagDim, "the test page's job is asking the printer (every second); its state shows here when the job ends")
	}
	if info := v.info; info != nil {
		st := info.Status
		state := seg{tagOK, "ready"}
		if !st.Ready() {
			state = seg{tagFail, "NOT READY"}
		}
		d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-16s ", "state")}}, body: []seg{state}})
		if st.Problem != 0 {
			_, do, _ := strings.Cut(health.PrinterAdvice(st.Problem), ": ") // the advice without the fault's name
			d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-16s ", "fault")}}, body: []seg{{tagFail, faultName(st.Problem)}, {"", ": " + do}}})
		}
		switch {
		case st.PortErr != nil:
			d.field("port status", st.PortErr.Error())
		case st.Port != 0:
			d.field("port status", st.Port.String())
		}
		if st.PJL != nil {
			d.field("PJL", fmt.Sprintf("%d %q", st.PJL.Code, st.PJL.Display))
		} else if st.PJLErr != nil {
			d.field("PJL", st.PJLErr.Error())
		}
		if st.IPP != nil {
			d.field("IPP", fmt.Sprintf("%s, printer-state %d, reasons %s", st.IPP.MakeModel, st.IPP.State, strings.Join(st.IPP.Reasons, ",")))
		} else if st.IPPErr != nil {
			d.field("IPP", st.IPPErr.Error())
		}
	}
	d.section("Test page")
	switch {
	case v.testing != "":
		d.text(tagWarn, v.testing)
	case v.testPage != nil:
		d.result(*v.testPage)
	default:
		d.text(tagDim, "none printed yet: T prints one (marked テストページ, never a certificate)")
	}
	if info := v.info; info != nil {
		d.section("Device ID (IEEE 1284)")
		if info.IDErr != nil {
			d.field("error", info.IDErr.Error())
		} else {
			d.field("manufacturer", info.ID.Manufacturer)
			d.field("model", info.ID.Model)
			d.field("serial", info.ID.Serial)
			d.field("command set", strings.Join(info.ID.Commands, ","))
		}
		d.section("USB interface")
		in := info.Info
		d.field("device", fmt.Sprintf("%04x:%04x bus %d address %d", in.VID, in.PID, in.Bus, in.Address))
		d.field("protocol", fmt.Sprintf("%d (%s), interface %d alt %d", in.Protocol, in.ProtocolName(), in.Interface, in.Alt))
		quirks := "none"
		if in.Quirks != 0 {
			quirks = in.Quirks.String()
		}
		d.field("quirks", quirks)
		d.section("Job path")
		if info.Plan.Err != nil {
			d.field("refused", info.Plan.Err.Error())
		} else {
			d.field("path", string(info.Plan.Path))
			d.field("confirmation", yesNo(info.Plan.Confirm))
			d.field("why", info.Plan.Why)
		}
	}
	v.p.set(d.lines)
}

// faultName is a printer fault in capitals, as a panel shows it.
func faultName(k printer.Kind) string { return strings.ToUpper(k.String()) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no: a job cannot be confirmed"
}
