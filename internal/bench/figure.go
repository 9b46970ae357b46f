package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Figure is one measured figure: ours beside a peer tool's value for the
// same work, or beside the target when no tool does that work.
type Figure struct {
	Name     string  `json:"name"`
	Ours     float64 `json:"ours"`
	Peer     float64 `json:"peer"`
	PeerName string  `json:"peer_name"` // the tool, or "target"
	Unit     string  `json:"unit"`
	Ratio    float64 `json:"ratio"` // Ours / Peer
	Target   string  `json:"target"`
	Met      bool    `json:"met"`
	Note     string  `json:"note,omitempty"`

	group string // the chart the figure is drawn in
}

// PeerTarget is the PeerName of a figure measured against its target.
const PeerTarget = "target"

// goal is how a figure is judged.
type goal struct {
	op    string  // "<=" or ">="
	value float64 // bound on Ours (abs) or on Ours/Peer (ratio)
	ratio bool
}

func (g goal) String() string {
	op := map[string]string{"<=": "≤", ">=": "≥"}[g.op]
	if g.ratio {
		return fmt.Sprintf("%s %g× peer", op, g.value)
	}
	return fmt.Sprintf("%s %s", op, trimFloat(g.value))
}

func (g goal) met(ours, ratio float64) bool {
	v := ours
	if g.ratio {
		v = ratio
	}
	if g.op == ">=" {
		return v >= g.value
	}
	return v <= g.value
}

// newFigure builds a figure and judges it against the goals, all of which
// must hold.
func newFigure(group, name string, ours, peer float64, peerName, unit string, goals ...goal) Figure {
	f := Figure{Name: name, Ours: ours, Peer: peer, PeerName: peerName, Unit: unit, group: group, Met: true}
	f.Ratio = ratio(ours, peer)
	var ts []string
	for _, g := range goals {
		ts = append(ts, g.String())
		f.Met = f.Met && g.met(ours, f.Ratio)
	}
	f.Target = strings.Join(ts, ", ")
	return f
}

// againstTarget is a figure with no peer tool: the peer column is the
// target itself, so the ratio reads as a share of the budget.
func againstTarget(group, name string, ours float64, unit, op string, target float64) Figure {
	return newFigure(group, name, ours, target, PeerTarget, unit, goal{op: op, value: target})
}

// ratio is a/b, or 0 when b is 0 (JSON has no NaN).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a/b, 4)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func trimFloat(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// WriteMarkdown writes the figures as one Markdown table.
func WriteMarkdown(w io.Writer, figs []Figure) error {
	var b strings.Builder
	b.WriteString("| figure | kofu | peer | peer value | unit | ratio | target | met |\n")
	b.WriteString("|---|---:|---|---:|---|---:|---|---|\n")
	for _, f := range figs {
		met := "yes"
		if !f.Met {
			met = "**no**"
		}
		r := "–"
		if f.Peer != 0 {
			r = fmt.Sprintf("%.3g", f.Ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			f.Name, trimFloat(f.Ours), f.PeerName, trimFloat(f.Peer), f.Unit, r, f.Target, met)
	}
	for _, f := range figs {
		if f.Note != "" {
			fmt.Fprintf(&b, "\n- `%s`: %s", f.Name, f.Note)
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
