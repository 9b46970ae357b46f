// Package fleetcheck checks the operator's fleet view — the Prometheus
// rules under deploy/prometheus/ and the Grafana dashboard under
// deploy/grafana/ — against what the kiosk really exports. It loads the
// queries of those files (rules, rule-test input series, dashboard
// targets and template variables, Grafana's variables expanded), finds
// the metric selectors and label names in each PromQL expression, and
// reports every metric, label or label value that a /metrics page of the
// kiosk does not have. It also finds promtool for the tests that run it:
// skipped on a developer machine without it, a failure in CI.
//
// It is test support: no part of the kiosk imports it.
package fleetcheck

import (
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series is what a query may say about one series name: its label names
// and, for each, the values seen; a nil set means any value (a label
// whose values are free text, or one that Prometheus adds).
type Series map[string]map[string]bool

// Known maps series names to their labels.
type Known map[string]Series

// FromExposition reads a /metrics page in the Prometheus text format. A
// histogram family gives its _bucket (with le), _sum and _count series,
// a summary its own (with quantile), _sum and _count.
func FromExposition(r io.Reader) (Known, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, err
	}
	k := Known{}
	add := func(name string, m *dto.Metric, extra, value string) {
		s := k[name]
		if s == nil {
			s = Series{}
			k[name] = s
		}
		put := func(l, v string) {
			if s[l] == nil {
				s[l] = map[string]bool{}
			}
			s[l][v] = true
		}
		for _, l := range m.GetLabel() {
			put(l.GetName(), l.GetValue())
		}
		if extra != "" {
			put(extra, value)
		}
	}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					add(name+"_bucket", m, "le", formatFloat(b.GetUpperBound()))
				}
				add(name+"_bucket", m, "le", "+Inf")
				add(name+"_sum", m, "", "")
				add(name+"_count", m, "", "")
			case dto.MetricType_SUMMARY:
				for _, q := range m.GetSummary().GetQuantile() {
					add(name, m, "quantile", formatFloat(q.GetQuantile()))
				}
				add(name+"_sum", m, "", "")
				add(name+"_count", m, "", "")
			default:
				add(name, m, "", "")
			}
		}
	}
	return k, nil
}

// formatFloat writes a bound as the client library's exposition does.
func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// AddLabels gives every series the named labels with any value: the
// target labels (job, instance) Prometheus adds at each scrape.
func (k Known) AddLabels(names ...string) {
	for _, s := range k {
		for _, n := range names {
			s[n] = nil
		}
	}
}

// Open lets any value of the named labels pass wherever they appear:
// labels whose values are free text or an open set (sw, profile, reason).
func (k Known) Open(labels ...string) {
	for _, s := range k {
		for _, l := range labels {
			if _, ok := s[l]; ok {
				s[l] = nil
			}
		}
	}
}

// Merge adds the series of o (names not exported by the kiosk: those
// Prometheus makes, and those the shipped rules record).
func (k Known) Merge(o Known) {
	for n, s := range o {
		k[n] = s
	}
}

// Names lists the series names, sorted.
func (k Known) Names() []string {
	var out []string
	for n := range k {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// varMarker marks a Grafana variable's place in an expanded query: a
// value containing it is the dashboard user's choice, not checked.
const varMarker = "__grafana_var_"

// Check returns one problem for each metric, label or label value that
// the query uses and known lacks; a query that does not parse is one
// problem.
func Check(q Query, known Known) []string {
	u, err := Parse(q.Expr)
	if err != nil {
		return []string{fmt.Sprintf("%s: does not parse: %v\n\t%s", q, err, q.Expr)}
	}
	var bad []string
	have := map[string]bool{} // every label of the selected series, and those derived
	for _, d := range u.Derived {
		have[d] = true
	}
	for _, sel := range u.Selectors {
		if sel.Name == "" {
			bad = append(bad, fmt.Sprintf("%s: a selector without a metric name: %v", q, sel.Matchers))
			continue
		}
		s, ok := known[sel.Name]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: %s is not exported (known: %s)", q, sel.Name, strings.Join(known.Names(), ", ")))
			continue
		}
		for l := range s {
			have[l] = true
		}
		for _, m := range sel.Matchers {
			values, ok := s[m.Label]
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: %s has no label %q (it has %s)", q, sel.Name, m.Label, labelNames(s)))
				continue
			}
			if values == nil || m.Value == "" || strings.Contains(m.Value, varMarker) {
				continue
			}
			if p := valueProblem(m, values); p != "" {
				bad = append(bad, fmt.Sprintf("%s: %s{%s%s%q}: %s", q, sel.Name, m.Label, m.Op, m.Value, p))
			}
		}
	}
	for _, l := range u.Labels {
		if !have[l] {
			bad = append(bad, fmt.Sprintf("%s: label %q is on none of the series the query selects", q, l))
		}
	}
	return bad
}

// valueProblem says why m matches none of the values the kiosk shows.
func valueProblem(m Matcher, values map[string]bool) string {
	var vs []string
	for v := range values {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	switch m.Op {
	case "=", "!=":
		if values[m.Value] {
			return ""
		}
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + m.Value + ")$")
		if err != nil {
			return "bad regular expression: " + err.Error()
		}
		// Each alternative of a|b|c must match a value: a misspelt one would
		// pass unseen next to a good one.
		for _, alt := range alternatives(m.Value) {
			are, err := regexp.Compile("^(?:" + alt + ")$")
			if err != nil {
				are = re
			}
			if !slices.ContainsFunc(vs, are.MatchString) {
				return fmt.Sprintf("%q matches no value the kiosk exports (%s)", alt, strings.Join(vs, ", "))
			}
		}
		return ""
	}
	return "the kiosk exports no such value (" + strings.Join(vs, ", ") + ")"
}

// alternatives splits a regular expression at its top-level |.
func alternatives(re string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(re); i++ {
		switch re[i] {
		case '\\':
			i++
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, re[start:i])
				start = i + 1
			}
		}
	}
	return append(out, re[start:])
}

func labelNames(s Series) string {
	var ns []string
	for n := range s {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	if len(ns) == 0 {
		return "none"
	}
	return strings.Join(ns, ", ")
}

// Promtool is the path of promtool (Debian package prometheus). Where it
// is missing the test is skipped, except under CI=true — the CI script
// installs it, so there a missing promtool is a failure, never a skip.
func Promtool(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("promtool")
	if err == nil {
		return p
	}
	const why = "promtool not installed (Debian package prometheus; scripts/deps.sh installs it as root)"
	if os.Getenv("CI") == "true" {
		tb.Fatal(why + ": CI must run the Prometheus checks")
	}
	tb.Skip(why + ": skipped outside CI")
	return ""
}
