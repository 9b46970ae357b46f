package diag

import (
	"fmt"
	"time"

	"kofu/terminal/health"
)

// readerView shows the card readers, the inserted card's applet check
// and the APDU trace of that check. It never asks for or shows a PIN.
type readerView struct{ p *pane }

func newReader() *readerView { return &readerView{p: newPane(false)} }

func (v *readerView) name() string { return "Reader" }
func (v *readerView) pane() *pane  { return v.p }

func (v *readerView) bindings() []binding {
	return append([]binding{filterBinding("the APDU trace"), escBinding("clear the filter")}, scrollBindings()...)
}

func (v *readerView) set(names []string, rr health.Result, info health.CardInfo, cr health.Result, trace []string) {
	var d doc
	d.section("Readers")
	if len(names) == 0 {
		d.result(rr)
	}
	for _, n := range names {
		d.text("", "  "+n)
	}
	d.section("Card (JPKI applet check, no PIN)")
	d.result(cr)
	if info.Reader != "" {
		d.field("reader", info.Reader)
		d.field("ATR", fmt.Sprintf("% X", info.ATR))
	}
	if info.Token != "" {
		d.field("token", string(info.Token))
	}
	if info.Serial != "" {
		d.field("subject", info.Subject)
		d.field("issuer", info.Issuer)
		d.field("serial", info.Serial)
		d.field("valid", info.NotBefore.UTC().Format(time.RFC3339)+" – "+info.NotAfter.UTC().Format(time.RFC3339))
	}
	if info.Tries >= 0 {
		d.field("PIN tries left", fmt.Sprint(info.Tries))
	}
	d.section(fmt.Sprintf("APDU trace of this check (%d lines; PIN data is always redacted)", len(trace)))
	if len(trace) == 0 {
		d.text(tagDim, "no APDU exchanged")
	}
	for _, l := range trace {
		d.add(line{row: true, lead: []seg{{"", "  "}}, body: []seg{{tagDim, l}}})
	}
	v.p.set(d.lines)
}
