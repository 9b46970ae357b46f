package fleetcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Query is one PromQL expression of a shipped file and where it is.
type Query struct {
	File, Where, Expr string
}

func (q Query) String() string { return q.File + ": " + q.Where }

// RuleFile is a Prometheus rules file.
type RuleFile struct {
	Groups []RuleGroup `yaml:"groups"`
}

// RuleGroup is one group of a rules file.
type RuleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval,omitempty"`
	Rules    []Rule `yaml:"rules"`
}

// Rule is an alerting or a recording rule.
type Rule struct {
	Alert       string            `yaml:"alert,omitempty"`
	Record      string            `yaml:"record,omitempty"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// strict decodes YAML refusing unknown fields, as Prometheus does.
func strict(b []byte, v any) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	return d.Decode(v)
}

// LoadRules parses a rules file.
func LoadRules(b []byte) (RuleFile, error) {
	var f RuleFile
	err := strict(b, &f)
	return f, err
}

// Alerts lists the alerting rules in file order.
func (f RuleFile) Alerts() []Rule {
	var out []Rule
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// Queries are the expressions of every rule.
func (f RuleFile) Queries(file string) []Query {
	var out []Query
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" {
				where = "record " + r.Record
			}
			out = append(out, Query{file, where, r.Expr})
		}
	}
	return out
}

// Recorded are the series the recording rules make, with the labels of
// their labels: blocks (any value).
func (f RuleFile) Recorded() Known {
	k := Known{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			if k[r.Record] == nil {
				k[r.Record] = Series{}
			}
			for l := range r.Labels {
				k[r.Record][l] = nil
			}
		}
	}
	return k
}

// RuleTestFile is a promtool test rules file.
type RuleTestFile struct {
	RuleFiles          []string   `yaml:"rule_files"`
	EvaluationInterval string     `yaml:"evaluation_interval"`
	Tests              []RuleTest `yaml:"tests"`
}

// RuleTest is one test group.
type RuleTest struct {
	Name        string `yaml:"name"`
	Interval    string `yaml:"interval"`
	InputSeries []struct {
		Series string `yaml:"series"`
		Values string `yaml:"values"`
	} `yaml:"input_series"`
	AlertRuleTests []AlertRuleTest `yaml:"alert_rule_test"`
	PromQLExprTest []struct {
		Expr       string `yaml:"expr"`
		EvalTime   string `yaml:"eval_time"`
		ExpSamples []struct {
			Labels string  `yaml:"labels"`
			Value  float64 `yaml:"value"`
		} `yaml:"exp_samples"`
	} `yaml:"promql_expr_test"`
}

// AlertRuleTest says which alerts fire at one time.
type AlertRuleTest struct {
	EvalTime  string `yaml:"eval_time"`
	Alertname string `yaml:"alertname"`
	ExpAlerts []struct {
		ExpLabels      map[string]string `yaml:"exp_labels"`
		ExpAnnotations map[string]string `yaml:"exp_annotations"`
	} `yaml:"exp_alerts"`
}

// LoadRuleTests parses a promtool test rules file.
func LoadRuleTests(b []byte) (RuleTestFile, error) {
	var f RuleTestFile
	err := strict(b, &f)
	return f, err
}

// Queries are the input series (each a selector) and the expressions of
// the promql_expr_test cases.
func (f RuleTestFile) Queries(file string) []Query {
	var out []Query
	for _, t := range f.Tests {
		for _, s := range t.InputSeries {
			out = append(out, Query{file, "test " + t.Name + ": input series", s.Series})
		}
		for _, e := range t.PromQLExprTest {
			out = append(out, Query{file, "test " + t.Name + ": promql_expr_test", e.Expr})
		}
	}
	return out
}

// Dashboard is what the checks read of a Grafana dashboard.
type Dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []Panel `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is a dashboard panel (a row holds its panels when collapsed).
type Panel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	GridPos     *GridPos        `json:"gridPos"`
	Datasource  json.RawMessage `json:"datasource"`
	Targets     []Target        `json:"targets"`
	Panels      []Panel         `json:"panels"`
}

// GridPos is a panel's place.
type GridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string          `json:"refId"`
	Expr       string          `json:"expr"`
	Datasource json.RawMessage `json:"datasource"`
}

// Variable is a template variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource json.RawMessage `json:"datasource"`
}

// QueryText is a query variable's query, written as a string or as
// {"query": "…"}.
func (v Variable) QueryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	json.Unmarshal(v.Query, &o)
	return o.Query
}

// LoadDashboard parses a dashboard's JSON.
func LoadDashboard(b []byte) (Dashboard, error) {
	var d Dashboard
	err := json.Unmarshal(b, &d)
	return d, err
}

// AllPanels lists the panels, those inside rows included.
func (d Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// grafanaVar matches Grafana's variable syntaxes: $name, ${name},
// ${name:format}, ${name.field} and [[name]].
var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?:[:.][^}]*)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]`)

// builtins are Grafana's global variables a query may use, with a value
// of the right kind for the expression to parse.
var builtins = map[string]string{
	"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
	"__interval_ms": "60000", "__range_s": "3600", "__range_ms": "3600000",
}

// Expand replaces Grafana's variables in expr: a built-in by a value of
// its kind, a dashboard variable by a marker that Check lets pass. $1 and
// the like (label_replace's references) stay as they are, as Grafana
// leaves them. An undefined variable is an error.
func (d Dashboard) Expand(expr string) (string, error) {
	defined := map[string]bool{}
	for _, v := range d.Templating.List {
		defined[v.Name] = true
	}
	var err error
	out := grafanaVar.ReplaceAllStringFunc(expr, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		switch {
		case strings.Trim(name, "0123456789") == "":
			return m
		case builtins[name] != "":
			return builtins[name]
		case defined[name]:
			return varMarker + name + "__"
		}
		err = fmt.Errorf("undefined variable $%s", name)
		return m
	})
	return out, err
}

// labelValues matches a variable query label_values(selector, label).
var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*(\w+)\s*\)\s*$`)

// Queries are the expressions of every panel target and of every query
// variable, Grafana's variables expanded. label_values(sel, label) is
// checked as group by (label) (sel); query_result(expr) as expr.
func (d Dashboard) Queries(file string) ([]Query, error) {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			e, err := d.Expand(t.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s: panel %d %q target %s: %v", file, p.ID, p.Title, t.RefID, err)
			}
			out = append(out, Query{file, fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, t.RefID), e})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := v.QueryText()
		var e string
		if m := labelValues.FindStringSubmatch(q); m != nil {
			e = "group by (" + m[2] + ") (" + m[1] + ")"
		} else if r, ok := strings.CutPrefix(strings.TrimSpace(q), "query_result("); ok && strings.HasSuffix(r, ")") {
			e = strings.TrimSuffix(r, ")")
		} else {
			return nil, fmt.Errorf("%s: variable %s: unsupported query %q (use label_values(selector, label) or query_result(expr))", file, v.Name, q)
		}
		e, err := d.Expand(e)
		if err != nil {
			return nil, fmt.Errorf("%s: variable %s: %v", file, v.Name, err)
		}
		out = append(out, Query{file, "variable " + v.Name, e})
	}
	return out, nil
}

// SyntaxRules is a rules file recording each query, for `promtool check
// rules` to parse them with Prometheus's own PromQL parser.
func SyntaxRules(qs []Query) ([]byte, error) {
	g := RuleGroup{Name: "syntax"}
	for i, q := range qs {
		g.Rules = append(g.Rules, Rule{Record: fmt.Sprintf("fleetcheck_query_%d", i+1), Expr: q.Expr})
	}
	return yaml.Marshal(RuleFile{Groups: []RuleGroup{g}})
}
