package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"kofu/internal/fleetcheck"
)

// The fleet view's files. Their queries are checked against a real
// /metrics page by cmd/kiosk TestFleetViewMatchesMetrics.
const (
	promDir   = "prometheus"
	rulesFile = "kofu-rules.yml"
	attested  = "kofu-attested.yml"
	ruleTests = "kofu-rules-test.yml"
	dashboard = "grafana/kofu-fleet.json"
	guide     = "../docs/operator.md"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadRules(t *testing.T, name string) fleetcheck.RuleFile {
	t.Helper()
	f, err := fleetcheck.LoadRules(read(t, filepath.Join(promDir, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func loadRuleTests(t *testing.T) fleetcheck.RuleTestFile {
	t.Helper()
	f, err := fleetcheck.LoadRuleTests(read(t, filepath.Join(promDir, ruleTests)))
	if err != nil {
		t.Fatalf("%s: %v", ruleTests, err)
	}
	return f
}

// TestPrometheusFiles: deploy/prometheus holds the rules, the attested
// list and their tests, and the tests load both rules files.
func TestPrometheusFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(promDir, "*"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := []string{attested, ruleTests, rulesFile}; !slices.Equal(names, want) { // sorted
		t.Errorf("deploy/prometheus holds %v, want %v", names, want)
	}
	if got := loadRuleTests(t).RuleFiles; !slices.Equal(got, []string{rulesFile, attested}) {
		t.Errorf("%s loads %v", ruleTests, got)
	}
	if n := len(loadRules(t, attested).Recorded()["kofu_attested_builds"]); n != 1 {
		t.Errorf("%s does not record kofu_attested_builds{sw}", attested)
	}
}

// TestPromtoolCheckRules: each rules file passes `promtool check rules`
// with the number of rules the file has.
func TestPromtoolCheckRules(t *testing.T) {
	promtool := fleetcheck.Promtool(t)
	for _, name := range []string{rulesFile, attested} {
		n := 0
		for _, g := range loadRules(t, name).Groups {
			n += len(g.Rules)
		}
		out, err := exec.Command(promtool, "check", "rules", filepath.Join(promDir, name)).CombinedOutput()
		if want := "SUCCESS: " + strconv.Itoa(n) + " rules found"; err != nil || !bytes.Contains(out, []byte(want)) {
			t.Errorf("promtool check rules %s: %v, want %q\n%s", name, err, want, out)
		}
	}
}

// testRules runs `promtool test rules` in dir.
func testRules(t *testing.T, promtool, dir string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(promtool, "test", "rules", ruleTests)
	cmd.Dir = dir
	return cmd.CombinedOutput()
}

// TestPromtoolTestRules: `promtool test rules` passes: every alert fires
// from its sample series and none fires on the healthy fleet.
func TestPromtoolTestRules(t *testing.T) {
	promtool := fleetcheck.Promtool(t)
	out, err := testRules(t, promtool, promDir)
	if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestRuleTestsCatchMistakes: the rule tests are not blind. Each change
// of a threshold, a duration, a matcher or a join in kofu-rules.yml makes
// `promtool test rules` fail on that alert.
func TestRuleTestsCatchMistakes(t *testing.T) {
	promtool := fleetcheck.Promtool(t)
	rules := read(t, filepath.Join(promDir, rulesFile))
	for _, tc := range []struct{ alert, from, to string }{
		{"KofuDocumentRefused", " or (kofu_kiosk_refusals_total unless kofu_kiosk_refusals_total offset 5m)", ""},
		{"KofuDocumentRefused", "refusals_total offset 5m)", "refusals_total offset 1m)"},
		{"KofuDocumentRefused", "refusals_total[5m]) > 0", "refusals_total[5m]) > 1"},
		{"KofuUnknownOutcome", `outcome="unknown"}[5m]) > 0`, `outcome="unknown"}[5m]) > 1`},
		{"KofuPaymentSettlementFailed", `result=~".*-failed"`, `result=~"capture-failed"`},
		{"KofuPrinterNotReady", "for: 10m", "for: 15m"},
		{"KofuPrinterNotReady", `status="ready"} == 0`, `status="ready"} == 1`},
		{"KofuKioskDown", "for: 5m", "for: 1m"},
		{"KofuKioskDown", `up{job="kofu-kiosk"}`, `up`},
		{"KofuBuildNotAttested", "unless on(sw)", "unless on(profile)"},
		{"KofuJournalLarge", "> 1e9", "> 1e10"},
		{"KofuJournalLarge", "> 1e9", "!= 1e9"},
		{"KofuJournalFailed", "for: 2m", "for: 3m"},
		{"KofuFetchSlow", ") > 30", ") > 100"},
		{"KofuFetchSlow", `{state="fetch"}`, ""},
	} {
		t.Run(tc.alert+": "+tc.from+" → "+tc.to, func(t *testing.T) {
			if bytes.Count(rules, []byte(tc.from)) != 1 {
				t.Fatalf("%q is not once in %s", tc.from, rulesFile)
			}
			dir := t.TempDir()
			for _, f := range []string{attested, ruleTests} {
				os.WriteFile(filepath.Join(dir, f), read(t, filepath.Join(promDir, f)), 0o644)
			}
			os.WriteFile(filepath.Join(dir, rulesFile), bytes.Replace(rules, []byte(tc.from), []byte(tc.to), 1), 0o644)
			out, err := testRules(t, promtool, dir)
			if err == nil || !bytes.Contains(out, []byte("alertname: "+tc.alert)) {
				t.Fatalf("not caught: %v\n%s", err, out)
			}
		})
	}
}

// TestRuleTestsCoverEveryAlert: for every alert, kofu-rules-test.yml has
// a case where it fires and one where it does not, and every alert it
// tests exists.
func TestRuleTestsCoverEveryAlert(t *testing.T) {
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tg := range loadRuleTests(t).Tests {
		for _, a := range tg.AlertRuleTests {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname]++
			} else {
				quiet[a.Alertname]++
			}
		}
	}
	alerts := map[string]bool{}
	for _, a := range loadRules(t, rulesFile).Alerts() {
		alerts[a.Alert] = true
		if fires[a.Alert] == 0 {
			t.Errorf("%s: no test where it fires", a.Alert)
		}
		if quiet[a.Alert] == 0 {
			t.Errorf("%s: no test where it stays quiet", a.Alert)
		}
		if a.Labels["severity"] != "page" && a.Labels["severity"] != "ticket" {
			t.Errorf("%s: severity %q, want page or ticket", a.Alert, a.Labels["severity"])
		}
		if a.Annotations["summary"] == "" {
			t.Errorf("%s: no summary", a.Alert)
		}
	}
	for name := range fires {
		if !alerts[name] {
			t.Errorf("the tests name %s, which is not an alert", name)
		}
	}
	if len(alerts) != 9 {
		t.Errorf("%d alerts, want the operator guide's 9", len(alerts))
	}
}

// monitorSection is §5 "Monitor" of the operator guide.
func monitorSection(t *testing.T) string {
	t.Helper()
	doc := string(read(t, guide))
	start := strings.Index(doc, "\n## 5. Monitor\n")
	if start < 0 {
		t.Fatal("no §5 Monitor in the operator guide")
	}
	end := strings.Index(doc[start+1:], "\n## ")
	if end < 0 {
		t.Fatal("§5 Monitor does not end")
	}
	return doc[start : start+1+end]
}

// TestOperatorGuideAlerts: the alerts the operator guide shows are the
// shipped rules — same names, in the same order, same expressions and
// durations — and the guide names the shipped files.
func TestOperatorGuideAlerts(t *testing.T) {
	sec := monitorSection(t)
	m := regexp.MustCompile("(?s)```yaml\n(- alert:.*?)```").FindStringSubmatch(sec)
	if m == nil {
		t.Fatal("§5 Monitor shows no alert list (a ```yaml block of - alert: items)")
	}
	var shown []fleetcheck.Rule
	if err := yaml.Unmarshal([]byte(m[1]), &shown); err != nil {
		t.Fatalf("the guide's alert list: %v", err)
	}
	shipped := loadRules(t, rulesFile).Alerts()
	if len(shown) != len(shipped) {
		t.Errorf("the guide shows %d alerts, %s has %d", len(shown), rulesFile, len(shipped))
	}
	space := regexp.MustCompile(`\s+`)
	for i := 0; i < len(shown) && i < len(shipped); i++ {
		g, s := shown[i], shipped[i]
		if g.Alert != s.Alert || space.ReplaceAllString(g.Expr, " ") != space.ReplaceAllString(s.Expr, " ") || g.For != s.For {
			t.Errorf("alert %d: the guide has\n\t%s: %s (for %q)\n%s has\n\t%s: %s (for %q)", i+1, g.Alert, g.Expr, g.For, rulesFile, s.Alert, s.Expr, s.For)
		}
	}
	for _, want := range []string{"deploy/prometheus/" + rulesFile, "deploy/prometheus/" + attested,
		"deploy/prometheus/" + ruleTests, "deploy/" + dashboard, "rule_files", "promtool check rules", "Import"} {
		if !strings.Contains(sec, want) {
			t.Errorf("§5 Monitor does not mention %s", want)
		}
	}
}

// TestDashboard: the Grafana dashboard is well formed — an uid and a
// title, unique panel ids, panels inside the 24-column grid and not
// overlapping, every query on the dashboard's Prometheus data source
// variable, no undefined variable — and it shows what a fleet operator
// watches.
func TestDashboard(t *testing.T) {
	d, err := fleetcheck.LoadDashboard(read(t, dashboard))
	if err != nil {
		t.Fatal(err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("uid %q, title %q, schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]fleetcheck.Variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if vars["datasource"].Type != "datasource" || !bytes.Contains(vars["datasource"].Query, []byte(`"prometheus"`)) {
		t.Errorf("no Prometheus data source variable: %+v", vars["datasource"])
	}
	const ds = `"uid":"${datasource}"`
	onDS := func(raw []byte) bool { return bytes.Contains(bytes.ReplaceAll(raw, []byte(" "), nil), []byte(ds)) }
	ids := map[int]bool{}
	type cell struct{ x, y int }
	taken := map[cell]int{}
	for _, p := range d.AllPanels() {
		if ids[p.ID] || p.ID <= 0 {
			t.Errorf("panel %q: id %d repeated or not positive", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Title == "" || p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X < 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %d %q: no title or a place off the grid: %+v", p.ID, p.Title, p.GridPos)
			continue
		}
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Fatalf("panels %d and %d overlap at %d,%d", other, p.ID, x, y)
				}
				taken[cell{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 || !onDS(p.Datasource) || p.Description == "" {
			t.Errorf("panel %d %q: %d targets, data source %s, description %q", p.ID, p.Title, len(p.Targets), p.Datasource, p.Description)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refs[tg.RefID] || !onDS(tg.Datasource) {
				t.Errorf("panel %d %q: target %+v", p.ID, p.Title, tg)
			}
			refs[tg.RefID] = true
		}
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && !onDS(v.Datasource) {
			t.Errorf("variable %s: data source %s", v.Name, v.Datasource)
		}
	}
	qs, err := d.Queries(filepath.Base(dashboard))
	if err != nil {
		t.Fatal(err)
	}

	// What a fleet operator watches (issue 18), each by the query that shows it.
	var all []string
	for _, q := range qs {
		all = append(all, q.Expr)
	}
	for _, tc := range []struct{ what, pattern string }{
		{"sessions by outcome", `sum by \(outcome\) \(increase\(kofu_kiosk_sessions_total\{`},
		{"refusals by reason", `sum by \(reason\) \(increase\(kofu_kiosk_refusals_total\{`},
		{"unknown outcomes", `kofu_kiosk_sessions_total\{[^}]*outcome="unknown"`},
		{"printer status", `kofu_kiosk_printer_status\{`},
		{"card reader status", `kofu_kiosk_reader_status\{`},
		{"kiosks off the attested list", `kofu_kiosk_build_info\{[^}]*\} unless on\(sw\) kofu_attested_builds`},
		{"build drift", `count by \(build\) \(label_replace\(kofu_kiosk_build_info`},
		{"configuration drift", `count by \(cfg\) \(label_replace\(kofu_kiosk_build_info`},
		{"kiosks down", `up\{`},
		{"firing alerts", `ALERTS\{alertname=~"Kofu\.\*"`},
	} {
		re := regexp.MustCompile(tc.pattern)
		if !slices.ContainsFunc(all, re.MatchString) {
			t.Errorf("the dashboard does not show %s (no query matches %s)", tc.what, tc.pattern)
		}
	}

}

// TestDashboardQueriesParse: every query of the dashboard, Grafana's
// variables expanded, parses with Prometheus's own PromQL parser
// (promtool check rules on a file recording each).
func TestDashboardQueriesParse(t *testing.T) {
	promtool := fleetcheck.Promtool(t)
	d, err := fleetcheck.LoadDashboard(read(t, dashboard))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := d.Queries(filepath.Base(dashboard))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := fleetcheck.SyntaxRules(qs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	os.WriteFile(path, rules, 0o644)
	out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput()
	if want := "SUCCESS: " + strconv.Itoa(len(qs)) + " rules found"; err != nil || !bytes.Contains(out, []byte(want)) {
		t.Errorf("the dashboard's queries do not all parse: %v\n%s", err, out)
	}
	// The syntax check is not blind.
	bad, _ := fleetcheck.SyntaxRules([]fleetcheck.Query{{Expr: "sum by (outcome) (kofu_kiosk_sessions_total"}})
	os.WriteFile(path, bad, 0o644)
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err == nil {
		t.Errorf("promtool accepted an unclosed parenthesis:\n%s", out)
	}
}
