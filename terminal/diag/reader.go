package diag

import (
	"fmt"
	"strings"
	"time"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// readerView shows the card readers, the inserted card's applet check
// and the APDU trace of that check. It never asks for or shows a PIN.
type readerView struct {
	tv *tview.TextView
}

func newReader() *readerView { return &readerView{tv: newBody()} }

func (v *readerView) name() string               { return "Reader & card" }
func (v *readerView) primitive() tview.Primitive { return v.tv }
func (v *readerView) hints() []hint {
	return append([]hint{{"R", "check the card again"}}, scrollHints()...)
}
func (v *readerView) handle(k key) action { scroll(v.tv, k); return actNone }
func (v *readerView) pending()            { v.tv.SetText(loading) }

func (v *readerView) set(names []string, rr health.Result, info health.CardInfo, cr health.Result, trace []string) {
	var b strings.Builder
	section(&b, "Readers")
	if len(names) == 0 {
		b.WriteString(resultLine(rr) + "\n")
	}
	for _, n := range names {
		b.WriteString("  " + esc(n) + "\n")
	}
	section(&b, "Card (JPKI applet check, no PIN)")
	b.WriteString(resultLine(cr) + "\n")
	if info.Reader != "" {
		field(&b, "reader", info.Reader)
		field(&b, "ATR", fmt.Sprintf("% X", info.ATR))
	}
	if info.Token != "" {
		field(&b, "token", string(info.Token))
	}
	if info.Serial != "" {
		field(&b, "subject", info.Subject)
		field(&b, "issuer", info.Issuer)
		field(&b, "serial", info.Serial)
		field(&b, "valid", info.NotBefore.UTC().Format(time.RFC3339)+" – "+info.NotAfter.UTC().Format(time.RFC3339))
	}
	if info.Tries >= 0 {
		field(&b, "PIN tries left", fmt.Sprint(info.Tries))
	}
	section(&b, fmt.Sprintf("APDU trace of this check (%d lines; PIN data is always redacted)", len(trace)))
	if len(trace) == 0 {
		b.WriteString(tagDim + "no APDU exchanged" + tagOff + "\n")
	}
	for _, l := range trace {
		b.WriteString(tagDim + esc(l) + tagOff + "\n")
	}
	v.tv.SetText(b.String())
	v.tv.ScrollToBeginning()
}
