package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kofu/internal/emulator"
	"kofu/internal/fleetcheck"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/journal"
	"kofu/terminal/metrics"
	"kofu/terminal/payment"
)

// The operator's fleet view (issue 18): the Prometheus rules and the
// Grafana dashboard under deploy/.
const (
	promDir    = "../../deploy/prometheus"
	grafanaDir = "../../deploy/grafana"
	ruleTests  = "kofu-rules-test.yml"
)

// fleetScrape runs sessions that end each way a fleet sees most —
// printed, refused (the center served another resident's record),
// cancelled (wrong PIN), unknown (paper out on the first page) — on real
// emulated parts, through a kiosk instrumented as `kiosk run` instruments
// it (metrics options as in runContext.start, service.instrument, the
// device probe), and returns the /metrics page scraped over HTTP.
func fleetScrape(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	jpath := filepath.Join(dir, "journal")
	key, _ := journal.KeyFile(jpath + ".key")
	j, _, err := journal.Open(jpath, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	m := metrics.New(metrics.Options{SW: "kofu-kiosk/test+0 cfg=0123456789abcdef", Profile: "laptop", JournalPath: jpath, Journal: j})
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	addr, _, err := m.Serve(mctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(slog.New(slog.DiscardHandler), m, notNotified(t), terminal.DefaultTimeouts())
	start := func(fault string) *emulator.Env {
		fs, err := center.ParseFaults(fault)
		if err != nil {
			t.Fatal(err)
		}
		env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t), Faults: fs, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { env.Close() })
		return env
	}
	printerFor := func(scenario string) *emulator.Printer {
		p, err := emulator.NewPrinter(ctx, filepath.Join(dir, "out-"+scenario), scenario)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	good, bad := start(""), start("wrong-record")
	sink, paperOut := printerFor(""), printerFor("paper-out@1")
	noReader := health.Reader(health.StaticReaders{}, "")
	svc.probeDevices(ctx, health.Held(sink.Device()), &noReader)
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	for _, tc := range []struct {
		env  *emulator.Env
		sink *emulator.Printer
		pin  string // "" for the resident's own
		want protocol.Result
	}{
		{good, sink, "", protocol.ResultPrinted},
		{bad, sink, "", protocol.ResultRefused},
		{good, sink, "0000", protocol.ResultCancelled},
		{good, paperOut, "", protocol.ResultUnknown},
	} {
		res, _ := tc.env.Fixtures.Resident("R0001")
		pin := tc.pin
		if pin == "" {
			pin = res.PIN
		}
		slot, _ := emulator.NewCardSlot(tc.env.Fixtures, res)
		card, err := slot.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		coins := payment.NewCoins()
		k := tc.env.Kiosk(tc.sink, coins, j)
		svc.instrument(k)
		r := k.Serve(ctx, card, terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(pin), coins))
		card.Close()
		if r.Outcome != tc.want {
			t.Fatalf("session %+v, want outcome %s", r, tc.want)
		}
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s %v", resp.Status, err)
	}
	return page
}

// fleetQueries loads every PromQL expression the fleet view ships: the
// rules files that the rule tests load (with the series they record),
// the rule tests' input series, and every query of every dashboard.
func fleetQueries(t *testing.T) (rules, tests, dashboards []fleetcheck.Query, recorded fleetcheck.Known) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promDir, ruleTests))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := fleetcheck.LoadRuleTests(b)
	if err != nil {
		t.Fatalf("%s: %v", ruleTests, err)
	}
	tests = tf.Queries(ruleTests)
	recorded = fleetcheck.Known{}
	for _, name := range tf.RuleFiles {
		b, err := os.ReadFile(filepath.Join(promDir, name))
		if err != nil {
			t.Fatal(err)
		}
		rf, err := fleetcheck.LoadRules(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rules = append(rules, rf.Queries(name)...)
		recorded.Merge(rf.Recorded())
	}
	files, _ := filepath.Glob(filepath.Join(grafanaDir, "*.json"))
	if len(files) == 0 {
		t.Fatalf("no dashboard in %s", grafanaDir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := fleetcheck.LoadDashboard(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		qs, err := d.Queries(filepath.Base(f))
		if err != nil {
			t.Fatal(err)
		}
		dashboards = append(dashboards, qs...)
	}
	return rules, tests, dashboards, recorded
}

// known is what a query may name: the kiosk's scraped series with the
// target labels Prometheus adds (job, instance); labels whose values are
// free text or an open set — sw and profile (per deployment), reason
// (stage-reason codes, operator guide §6) — take any value. Besides the
// kiosk's own series: up and ALERTS, which Prometheus makes, and what
// the shipped rules record (kofu_attested_builds).
func known(t *testing.T, page []byte, recorded fleetcheck.Known) fleetcheck.Known {
	t.Helper()
	k, err := fleetcheck.FromExposition(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	k.AddLabels("job", "instance")
	k.Open("sw", "profile", "reason")
	k.Merge(fleetcheck.Known{
		"up":     {"job": nil, "instance": nil},
		"ALERTS": {"alertname": nil, "alertstate": nil, "severity": nil, "job": nil, "instance": nil},
	})
	k.Merge(recorded)
	return k
}

// TestFleetViewMatchesMetrics checks the fleet view against the kiosk's
// real /metrics page, scraped after a printed, a refused, a cancelled and
// an unknown session: every metric, label and label value that a rule, a
// rule test's input series (names, labels, le bounds) or a dashboard
// query uses is one the kiosk exports (or one Prometheus or the shipped
// rules make), and the dashboard shows every metric the kiosk exports.
// Where promtool is installed (always in CI), the page also passes
// `promtool check metrics`.
func TestFleetViewMatchesMetrics(t *testing.T) {
	page := fleetScrape(t)
	rules, tests, dashboards, recorded := fleetQueries(t)
	k := known(t, page, recorded)
	if len(rules) < 10 || len(tests) < 10 || len(dashboards) < 20 {
		t.Fatalf("%d rule, %d test and %d dashboard queries: files not read?", len(rules), len(tests), len(dashboards))
	}
	for _, q := range slices.Concat(rules, tests, dashboards) {
		for _, p := range fleetcheck.Check(q, k) {
			t.Error(p)
		}
	}

	// Every family the kiosk exports is on the dashboard.
	used := map[string]bool{}
	for _, q := range dashboards {
		u, _ := fleetcheck.Parse(q.Expr)
		for _, s := range u.Selectors {
			used[s.Name] = true
		}
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "kofu_") {
			continue // the client library's own (promhttp_*)
		}
		if mf.GetType().String() == "HISTOGRAM" {
			name += "_bucket"
		}
		if !used[name] {
			t.Errorf("the kiosk exports %s but no dashboard panel shows it", name)
		}
	}

	// The check is not blind: the same queries, misspelt, are caught.
	for _, tc := range []struct{ from, to string }{
		{"kofu_kiosk_refusals_total", "kofu_kiosk_refusal_total"},
		{`outcome="unknown"`, `outcome="unkown"`},
		{`sum by (reason)`, `sum by (reasons)`},
		{`result=~".*-failed"`, `result=~".*-fail"`},
		{`state=~"submit|fetch|print"`, `state=~"submit|fetch|printing"`},
		{`status!="ready"`, `state!="ready"`},
	} {
		caught, applied := false, false
		for _, q := range slices.Concat(rules, dashboards) {
			if !strings.Contains(q.Expr, tc.from) {
				continue
			}
			applied = true
			q.Expr = strings.Replace(q.Expr, tc.from, tc.to, 1)
			caught = caught || len(fleetcheck.Check(q, k)) > 0
		}
		if !applied || !caught {
			t.Errorf("%s → %s: applied %v, caught %v", tc.from, tc.to, applied, caught)
		}
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		cmd := exec.Command(fleetcheck.Promtool(t), "check", "metrics")
		cmd.Stdin = bytes.NewReader(page)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})
}
