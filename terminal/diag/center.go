package diag

import (
	"fmt"
	"strings"
	"time"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// centerView shows how the center answered a mutual-TLS probe: TLS,
// its certificate, the round trip and the clock skew.
type centerView struct {
	tv *tview.TextView
}

func newCenter() *centerView { return &centerView{tv: newBody()} }

func (v *centerView) name() string               { return "Center" }
func (v *centerView) primitive() tview.Primitive { return v.tv }
func (v *centerView) hints() []hint              { return nil }
func (v *centerView) handle(k key) action        { scroll(v.tv, k); return actNone }
func (v *centerView) pending()                   { v.tv.SetText(loading) }

func (v *centerView) set(info *health.CenterInfo, r health.Result) {
	var b strings.Builder
	b.WriteString(resultLine(r) + "\n")
	if info != nil {
		section(&b, "Probe (GET of an unknown ticket over mutual TLS)")
		field(&b, "URL", info.URL)
		if info.Status != 0 {
			field(&b, "answer", fmt.Sprintf("HTTP %d %s", info.Status, info.Problem))
			field(&b, "round trip", info.RoundTrip.Round(time.Millisecond).String())
		}
		if info.TLSVersion != "" {
			section(&b, "TLS")
			field(&b, "version", info.TLSVersion)
			field(&b, "cipher", info.Cipher)
			field(&b, "peer subject", info.PeerSubject)
			field(&b, "peer issuer", info.PeerIssuer)
			field(&b, "peer expires", info.PeerNotAfter.UTC().Format(time.RFC3339))
		}
		if info.HasDate {
			section(&b, "Clock")
			field(&b, "center time", info.ServerTime.UTC().Format(time.RFC3339))
			field(&b, "skew", fmt.Sprintf("%v (center minus kiosk; Date has whole seconds)", info.Skew.Round(time.Second)))
		}
	}
	v.tv.SetText(b.String())
}
