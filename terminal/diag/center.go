package diag

import (
	"fmt"
	"time"

	"kofu/terminal/health"
)

// centerView shows how the center answered a mutual-TLS probe: TLS,
// its certificate, the round trip and the clock skew.
type centerView struct{ p *pane }

func newCenter() *centerView { return &centerView{p: newPane(false)} }

func (v *centerView) name() string        { return "Center" }
func (v *centerView) pane() *pane         { return v.p }
func (v *centerView) bindings() []binding { return scrollBindings() }

func (v *centerView) set(info *health.CenterInfo, r health.Result) {
	var d doc
	d.result(r)
	if info != nil {
		d.section("Probe (GET of an unknown ticket over mutual TLS)")
		d.field("URL", info.URL)
		if info.Status != 0 {
			d.field("answer", fmt.Sprintf("HTTP %d %s", info.Status, info.Problem))
			d.field("round trip", info.RoundTrip.Round(time.Millisecond).String())
		}
		if info.TLSVersion != "" {
			d.section("TLS")
			d.field("version", info.TLSVersion)
			d.field("cipher", info.Cipher)
			d.field("peer subject", info.PeerSubject)
			d.field("peer issuer", info.PeerIssuer)
			d.field("peer expires", info.PeerNotAfter.UTC().Format(time.RFC3339))
		}
		if info.HasDate {
			d.section("Clock")
			d.field("center time", info.ServerTime.UTC().Format(time.RFC3339))
			d.field("skew", fmt.Sprintf("%v (center minus kiosk; Date has whole seconds)", info.Skew.Round(time.Second)))
		}
	}
	v.p.set(d.lines)
}
