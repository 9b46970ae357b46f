package fleetcheck

import (
	"reflect"
	"strings"
	"testing"
)

// TestParse: the selectors and label names of PromQL expressions shaped
// like the shipped rules and dashboard queries.
func TestParse(t *testing.T) {
	sel := func(name string, ms ...string) Selector {
		s := Selector{Name: name}
		for i := 0; i+2 < len(ms)+1; i += 3 {
			s.Matchers = append(s.Matchers, Matcher{ms[i], ms[i+1], ms[i+2]})
		}
		return s
	}
	for _, tc := range []struct {
		expr string
		want Uses
	}{
		{`up == 0`, Uses{Selectors: []Selector{sel("up")}}},
		{`increase(kofu_kiosk_refusals_total[5m]) > 0 or (kofu_kiosk_refusals_total unless kofu_kiosk_refusals_total offset 5m)`,
			Uses{Selectors: []Selector{sel("kofu_kiosk_refusals_total"), sel("kofu_kiosk_refusals_total"), sel("kofu_kiosk_refusals_total")}}},
		{`increase(kofu_kiosk_payments_total{result=~".*-failed"}[15m]) > 0`,
			Uses{Selectors: []Selector{sel("kofu_kiosk_payments_total", "result", "=~", ".*-failed")}}},
		{`histogram_quantile(0.95, sum by (le, state) (rate(kofu_kiosk_stage_seconds_bucket{job="k", state!='print'}[$x:1m])))`,
			Uses{Selectors: []Selector{sel("kofu_kiosk_stage_seconds_bucket", "job", "=", "k", "state", "!=", "print")}, Labels: []string{"le", "state"}}},
		{`sum(rate(a[5m])) without (instance) / on(job) group_left(sw) b`,
			Uses{Selectors: []Selector{sel("a"), sel("b")}, Labels: []string{"instance", "job", "sw"}}},
		{`count by (build) (label_replace(kofu_kiosk_build_info, "build", "$1", "sw", "(.*) cfg=.*"))`,
			Uses{Selectors: []Selector{sel("kofu_kiosk_build_info")}, Labels: []string{"build", "sw"}, Derived: []string{"build"}}},
		{`{__name__="x:y", a!~"b|c"} * 1e9 - .5 + 0x1f`, Uses{Selectors: []Selector{sel("x:y", "a", "!~", "b|c")}}},
		{"count(x == 0) or vector(0) # a comment naming no_metric", Uses{Selectors: []Selector{sel("x")}}},
		{`sum by (reason) (y{reason="a\"b"}) @ start()`, Uses{Selectors: []Selector{sel("y", "reason", "=", `a"b`)}, Labels: []string{"reason"}}},
		{`count_values("v", z)`, Uses{Selectors: []Selector{sel("z")}, Derived: []string{"v"}}},
	} {
		got, err := Parse(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.expr, got, tc.want)
		}
	}
}

// TestParseErrors: malformed expressions are refused, not half-read.
func TestParseErrors(t *testing.T) {
	for _, expr := range []string{`sum(x`, `x)`, `x{a="b"`, `x{a}`, `x{a=="b"}`, `x{a="b}`, `x[5m`, `x}`, `x ! y`, `by (a`} {
		if _, err := Parse(expr); err == nil {
			t.Errorf("%s: parsed", expr)
		}
	}
}

const exposition = `# HELP kofu_kiosk_sessions_total Sessions ended.
# TYPE kofu_kiosk_sessions_total counter
kofu_kiosk_sessions_total{outcome="printed"} 2
kofu_kiosk_sessions_total{outcome="unknown"} 0
# HELP kofu_kiosk_payments_total Fee settlements.
# TYPE kofu_kiosk_payments_total counter
kofu_kiosk_payments_total{result="captured"} 2
kofu_kiosk_payments_total{result="release-failed"} 0
# HELP kofu_kiosk_build_info Always 1.
# TYPE kofu_kiosk_build_info gauge
kofu_kiosk_build_info{profile="laptop",sw="kofu-kiosk/test+0 cfg=0123456789abcdef"} 1
# HELP kofu_kiosk_stage_seconds Time in each state.
# TYPE kofu_kiosk_stage_seconds histogram
kofu_kiosk_stage_seconds_bucket{state="fetch",le="0.01"} 0
kofu_kiosk_stage_seconds_bucket{state="fetch",le="38.14697265625"} 1
kofu_kiosk_stage_seconds_bucket{state="fetch",le="+Inf"} 1
kofu_kiosk_stage_seconds_sum{state="fetch"} 3
kofu_kiosk_stage_seconds_count{state="fetch"} 1
`

// TestCheck: queries against a small exposition, with the target labels
// and the open labels as the kiosk tests set them.
func TestCheck(t *testing.T) {
	k, err := FromExposition(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	k.AddLabels("job", "instance")
	k.Open("sw", "profile")
	k.Merge(Known{"up": {"job": nil, "instance": nil}, "kofu_attested_builds": {"sw": nil}})
	for _, tc := range []struct {
		expr string
		want string // "" for no problem, else a fragment of the only problem
	}{
		{`increase(kofu_kiosk_sessions_total{outcome="unknown", job="kofu-kiosk"}[5m]) > 0`, ""},
		{`sum by (outcome, instance) (kofu_kiosk_sessions_total)`, ""},
		{`kofu_kiosk_payments_total{result=~".*-failed"}`, ""},
		{`kofu_kiosk_build_info unless on(sw) kofu_attested_builds`, ""},
		{`kofu_kiosk_build_info{sw="anything at all"}`, ""},
		{`histogram_quantile(0.95, sum by (le) (rate(kofu_kiosk_stage_seconds_bucket{state="fetch",le="38.14697265625"}[5m])))`, ""},
		{`kofu_kiosk_stage_seconds_count{state="fetch"} + kofu_kiosk_stage_seconds_sum`, ""},
		{`count by (build) (label_replace(kofu_kiosk_build_info, "build", "$1", "sw", "(.*) cfg=.*"))`, ""},
		{`kofu_kiosk_sessions_total{instance=~"` + varMarker + `instance__"}`, ""},
		{`kofu_kiosk_session_total`, "kofu_kiosk_session_total is not exported"},
		{`kofu_kiosk_stage_seconds`, "kofu_kiosk_stage_seconds is not exported"},
		{`kofu_kiosk_sessions_total{result="printed"}`, `has no label "result"`},
		{`kofu_kiosk_sessions_total{outcome="unknwon"}`, "exports no such value"},
		{`kofu_kiosk_sessions_total{outcome!="unknwon"}`, "exports no such value"},
		{`kofu_kiosk_payments_total{result=~".*-fialed"}`, "matches no value"},
		{`kofu_kiosk_sessions_total{outcome=~"printed|unknwon"}`, `"unknwon" matches no value`},
		{`kofu_kiosk_stage_seconds_bucket{le="38.1"}`, "exports no such value"},
		{`sum by (reason) (kofu_kiosk_sessions_total)`, `label "reason" is on none`},
		{`count by (cfg) (label_replace(kofu_kiosk_build_info, "build", "$1", "sw", ".*"))`, `label "cfg" is on none`},
		{`label_replace(kofu_kiosk_build_info, "build", "$1", "version", ".*")`, `label "version" is on none`},
		{`{outcome="printed"}`, "without a metric name"},
		{`sum(kofu_kiosk_sessions_total`, "does not parse"},
	} {
		got := Check(Query{"f", "q", tc.expr}, k)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s: %v", tc.expr, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: got %q, want one problem with %q", tc.expr, got, tc.want)
		}
	}
}

// TestExpand: Grafana's variables in a dashboard's queries.
func TestExpand(t *testing.T) {
	d, err := LoadDashboard([]byte(`{"templating": {"list": [{"name": "job", "type": "query", "query": "label_values(up, job)"},
		{"name": "instance", "type": "query", "query": {"query": "label_values(x{job=\"$job\"}, instance)", "refId": "A"}},
		{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
		"panels": [{"id": 1, "title": "p", "targets": [{"refId": "A", "expr": "sum(increase(x{job=\"$job\",instance=~\"${instance:regex}\"}[$__rate_interval]))"}]},
		{"id": 2, "type": "row", "panels": [{"id": 3, "title": "r", "targets": [{"refId": "B", "expr": "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")[[job]]"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := d.Queries("d.json")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`sum(increase(x{job="` + varMarker + `job__",instance=~"` + varMarker + `instance__"}[5m]))`,
		`label_replace(x, "a", "$1", "b", "(.*)")` + varMarker + `job__`,
		`group by (job) (up)`,
		`group by (instance) (x{job="` + varMarker + `job__"})`,
	}
	var got []string
	for _, q := range qs {
		got = append(got, q.Expr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	for _, tc := range []struct{ expr, err string }{
		{`x{a="$nope"}`, "undefined variable $nope"},
		{`x[$__nope]`, "undefined variable $__nope"},
		{`x{a="${other:csv}"}`, "undefined variable $other"},
	} {
		if _, err := d.Expand(tc.expr); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %v, want %q", tc.expr, err, tc.err)
		}
	}
}

// TestRuleFiles: rules and rule tests load strictly — a misspelt key is
// an error, as it is for Prometheus — and give their queries.
func TestRuleFiles(t *testing.T) {
	rules := "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n" +
		"      - record: r\n        expr: vector(1)\n        labels: {sw: x}\n"
	f, err := LoadRules([]byte(rules))
	if err != nil {
		t.Fatal(err)
	}
	if a := f.Alerts(); len(a) != 1 || a[0].Alert != "A" || a[0].For != "5m" {
		t.Errorf("alerts %+v", a)
	}
	if got := f.Queries("r.yml"); len(got) != 2 || got[1].Where != "record r" || got[1].Expr != "vector(1)" {
		t.Errorf("queries %+v", got)
	}
	if got := f.Recorded(); !reflect.DeepEqual(got, Known{"r": {"sw": nil}}) {
		t.Errorf("recorded %+v", got)
	}
	if _, err := LoadRules([]byte(strings.Replace(rules, "for:", "fro:", 1))); err == nil {
		t.Error("a misspelt key loaded")
	}
	tests := "rule_files: [r.yml]\nevaluation_interval: 1m\ntests:\n  - name: t\n    interval: 1m\n" +
		"    input_series:\n      - series: 'up{job=\"k\"}'\n        values: '0x5'\n" +
		"    alert_rule_test:\n      - eval_time: 5m\n        alertname: A\n        exp_alerts:\n          - exp_labels: {job: k}\n"
	tf, err := LoadRuleTests([]byte(tests))
	if err != nil {
		t.Fatal(err)
	}
	if got := tf.Queries("t.yml"); len(got) != 1 || got[0].Expr != `up{job="k"}` {
		t.Errorf("test queries %+v", got)
	}
	if len(tf.Tests[0].AlertRuleTests[0].ExpAlerts) != 1 {
		t.Errorf("exp_alerts %+v", tf.Tests[0].AlertRuleTests)
	}
	if _, err := LoadRuleTests([]byte(strings.Replace(tests, "exp_alerts", "expected_alerts", 1))); err == nil {
		t.Error("a misspelt key loaded")
	}
}
