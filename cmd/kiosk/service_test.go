package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"kofu/internal/emulator"
	"kofu/internal/sdnotify"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/journal"
	"kofu/terminal/metrics"
	"kofu/terminal/payment"
)

// deviceKey copies the test terminal T0001's device key into dir as
// terminal.key with mode 0600: the checkout's 0644 copy is one a key-mode
// check rightly refuses.
func deviceKey(t *testing.T, pki, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pki, "terminal", "T0001.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terminal.key"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// testConfig is a valid configuration naming the test PKI, with profile
// and extra lines substituted.
func testConfig(t *testing.T, profile, extra string) string {
	t.Helper()
	dir := t.TempDir()
	pki, _ := filepath.Abs("../../testdata/pki")
	os.WriteFile(filepath.Join(dir, "journal.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	deviceKey(t, pki, dir) // installed 0600, as the operator guide says
	src := `[center]
url = "https://127.0.0.1:8443"
tls_ca = "` + pki + `/ca/operator-ca.crt.pem"
center_ca = "` + pki + `/ca/center-ca.crt.pem"
issuer_ca = "` + pki + `/ca/issuer-ca.crt.pem"
[terminal]
id = "T0001"
store = "S0001"
cert = "` + pki + `/terminal/T0001.crt.pem"
key = "terminal.key"
[journal]
path = "journal"
key = "journal.key"
[profile]
name = "` + profile + `"
` + extra
	if !strings.Contains(extra, "[printer]") {
		src += "[printer]\nspec = \"emulator\"\n"
	}
	path := filepath.Join(dir, "kiosk.toml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCmd runs `kiosk run ARGS` in process.
func runCmd(t *testing.T, hooks runHooks, args ...string) (int, string, string) {
	t.Helper()
	var so, se bytes.Buffer
	if len(args) > 0 && args[0] == "--emulator" {
		args = append([]string{"--emulator", testclock.Flag(t)}, args[1:]...) // an open service day
	}
	code, err := runWith(context.Background(), args, &so, &se, hooks)
	if err != nil {
		fmt.Fprintf(&se, "kiosk: %v\n", err)
	}
	return code, so.String(), se.String()
}

// logLines parses the JSON log on stderr.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// TestProfileAtStart: a kiosk whose machine does not fit the configured
// profile refuses to start — exit 1, no result line, nothing printed,
// the mismatch named — and one that fits runs.
func TestProfileAtStart(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		profile string
		code    int
		want    string
	}{
		{"emulator under store-single", []string{"--emulator", "--autopilot"}, "store-single", 1,
			`refusing to start: profile "store-single" does not match this machine: printer: found "emulator", the profile requires usb`},
		{"emulator under store-multi", []string{"--emulator", "--autopilot"}, "store-multi", 1,
			`center: 127.0.0.1 resolves to 1 endpoint(s) [127.0.0.1], the profile requires at least 2`},
		{"store machine with a file printer", nil, "store-single", 1,
			`refusing to start: profile "store-single" does not match this machine: printer: found "file", the profile requires usb`},
		{"emulator under laptop", []string{"--emulator", "--autopilot"}, "laptop", 0, `"msg":"kiosk ready"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			extra := ""
			if tc.args == nil {
				extra = "[printer]\nspec = \"file:" + filepath.Join(t.TempDir(), "job.pcl") + "\"\n"
			}
			args := append([]string{"--config", testConfig(t, tc.profile, extra), "--out", out, "--log-format", "json"}, tc.args...)
			code, so, se := runCmd(t, runHooks{}, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr %s", code, tc.code, se)
			}
			if !strings.Contains(se, tc.want) {
				t.Fatalf("stderr lacks %q:\n%s", tc.want, se)
			}
			pages, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if tc.code != 0 && (so != "" || len(pages) != 0) {
				t.Fatalf("a refused start printed: stdout %q, pages %v", so, pages)
			}
			if tc.code == 0 && len(pages) != 1 {
				t.Fatalf("pages %v", pages)
			}
		})
	}
}

var swRe = regexp.MustCompile(`^kofu-kiosk/\S+\+\S+ cfg=[0-9a-f]{16}$`)

// kioskSW runs one transaction and returns the "sw" the kiosk logged.
func kioskSW(t *testing.T, args ...string) (string, int, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	code, so, se := runCmd(t, runHooks{}, append([]string{"--emulator", "--autopilot", "--out", out, "--log-format", "json"}, args...)...)
	for _, l := range logLines(t, se) {
		if l["msg"] == "kiosk ready" {
			sw, _ := l["sw"].(string)
			return sw, code, so
		}
	}
	t.Fatalf("no 'kiosk ready' log line:\n%s", se)
	return "", 0, ""
}

// TestBuildDigest: the kiosk sends its build and configuration digest; an
// emulated center that attested another digest refuses it with a problem
// document (the session fails center-terminal-refused, no fee), and
// accepts the exact one. A behaviour-relevant configuration change is a
// new digest, refused under the old attestation.
func TestBuildDigest(t *testing.T) {
	sw, code, _ := kioskSW(t)
	if !swRe.MatchString(sw) || len(sw) > protocol.MaxSWString || code != 0 {
		t.Fatalf("sw %q (exit %d)", sw, code)
	}
	if again, _, _ := kioskSW(t); again != sw {
		t.Fatalf("digest not stable across runs: %q then %q", sw, again)
	}
	other := strings.Split(sw, " cfg=")[0] + " cfg=0000000000000000"
	_, code, so := kioskSW(t, "--accept-build", other)
	var line terminal.Result
	json.Unmarshal([]byte(so), &line)
	if code != 1 || line.Outcome != protocol.ResultFailed || line.Reason != "center-terminal-refused" || line.Payment != "none" {
		t.Fatalf("unknown digest: exit %d, %+v", code, line)
	}
	if _, code, so := kioskSW(t, "--accept-build", other, "--accept-build", sw); code != 0 {
		t.Fatalf("attested digest refused: %s", so)
	}
	cfg := testConfig(t, "laptop", "[session]\npin = \"2m\"\n")
	changed, code, so := kioskSW(t, "--config", cfg, "--accept-build", sw)
	if changed == sw || !swRe.MatchString(changed) || code != 1 || !strings.Contains(so, "center-terminal-refused") {
		t.Fatalf("changed configuration: sw %q, exit %d, %s", changed, code, so)
	}
	// Keys that do not change issuance leave the digest alone.
	same, _, _ := kioskSW(t, "--config", testConfig(t, "laptop", "[metrics]\nlisten = \"127.0.0.1:0\"\n[log]\nlevel = \"debug\"\n"))
	if same != sw {
		t.Fatalf("metrics/log keys changed the digest: %q vs %q", same, sw)
	}
}

// scrape fetches and parses /metrics.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// sample is the value of the series of family name with labels.
func sample(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// TestMetricsScrape runs three transactions on real emulated parts — two
// printed, one refused because the center served another resident's
// document — through kiosks instrumented as `kiosk run` instruments them,
// then scrapes the endpoint over HTTP and checks the series.
func TestMetricsScrape(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	jpath := filepath.Join(dir, "journal")
	m := metrics.New(metrics.Options{SW: "kofu-kiosk/test+0 cfg=0123456789abcdef", Profile: "laptop", JournalPath: jpath})
	mctx, stop := context.WithCancel(ctx)
	defer stop()
	addr, _, err := m.Serve(mctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	svc := newService(log, m, notNotified(t), terminal.DefaultTimeouts())

	good, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	faults, _ := center.ParseFaults("wrong-record")
	bad, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(t), Faults: faults, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	key, _ := journal.KeyFile(jpath + ".key")
	j, _, err := journal.Open(jpath, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	sink, err := emulator.NewPrinter(ctx, filepath.Join(dir, "out"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	// Before any session: the printer probed ready, no reader found.
	noReader := health.Reader(health.StaticReaders{}, "")
	svc.probeDevices(ctx, health.Held(sink.Device()), &noReader)
	before := scrape(t, addr.String())
	if v, _ := sample(before, "kofu_kiosk_printer_status", "status", "ready"); v != 1 {
		t.Error("printer not probed ready")
	}
	if v, _ := sample(before, "kofu_kiosk_reader_status", "status", "offline"); v != 1 {
		t.Error("missing reader not reported offline")
	}
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	for i, env := range []*emulator.Env{good, good, bad} {
		res, _ := env.Fixtures.Resident("R0001")
		slot, _ := emulator.NewCardSlot(env.Fixtures, res)
		card, err := slot.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		coins := payment.NewCoins()
		k := env.Kiosk(sink, coins, j)
		svc.instrument(k)
		r := k.Serve(ctx, card, terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(res.PIN), coins))
		card.Close()
		want := protocol.ResultPrinted
		if env == bad {
			want = protocol.ResultRefused
		}
		if r.Outcome != want {
			t.Fatalf("transaction %d: %+v", i, r)
		}
	}
	mfs := scrape(t, addr.String())
	fi, _ := os.Stat(jpath)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kofu_kiosk_sessions_total", []string{"outcome", "printed"}, 2},
		{"kofu_kiosk_sessions_total", []string{"outcome", "refused"}, 1},
		{"kofu_kiosk_sessions_total", []string{"outcome", "failed"}, 0},
		{"kofu_kiosk_refusals_total", []string{"reason", "envelope-subject"}, 1},
		{"kofu_kiosk_payments_total", []string{"result", "captured"}, 2},
		{"kofu_kiosk_payments_total", []string{"result", "released"}, 1},
		{"kofu_kiosk_stage_seconds", []string{"state", "fetch"}, 3},
		{"kofu_kiosk_stage_seconds", []string{"state", "print"}, 2},
		{"kofu_kiosk_stage_seconds", []string{"state", "submit"}, 3},
		{"kofu_kiosk_sessions_active", nil, 0},
		{"kofu_kiosk_printer_status", []string{"status", "ready"}, 1},
		{"kofu_kiosk_printer_status", []string{"status", "unknown"}, 0},
		{"kofu_kiosk_reader_status", []string{"status", "ready"}, 1},
		{"kofu_kiosk_journal_bytes", nil, float64(fi.Size())},
		{"kofu_kiosk_build_info", []string{"sw", "kofu-kiosk/test+0 cfg=0123456789abcdef", "profile", "laptop"}, 1},
	} {
		got, ok := sample(mfs, c.name, c.labels...)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := sample(mfs, "kofu_kiosk_stage_seconds", "state", "idle"); ok {
		t.Error("idle counted as a stage")
	}
	if fi.Size() == 0 {
		t.Error("empty journal")
	}
	// The log has one line per session end, with codes only.
	ends := 0
	for _, l := range logLines(t, logs.String()) {
		if l["msg"] == "session ended" {
			ends++
		}
	}
	if ends != 3 {
		t.Errorf("%d 'session ended' log lines, want 3:\n%s", ends, logs.String())
	}
}

// TestRunServesMetrics: `kiosk run --metrics` serves the kiosk's own
// registry while it runs (scraped from the hook, before the session):
// the build's identity, every outcome at zero, and the devices ready.
func TestRunServesMetrics(t *testing.T) {
	var mfs map[string]*dto.MetricFamily
	hooks := runHooks{metricsAddr: func(a net.Addr) { mfs = scrape(t, a.String()) }}
	out := filepath.Join(t.TempDir(), "out")
	code, so, se := runCmd(t, hooks, "--emulator", "--autopilot", "--out", out, "--metrics", "127.0.0.1:0", "--log-format", "json")
	if code != 0 || mfs == nil {
		t.Fatalf("exit %d, scraped %v\n%s\n%s", code, mfs != nil, so, se)
	}
	sw := ""
	for _, l := range logLines(t, se) {
		if l["msg"] == "kiosk ready" {
			sw, _ = l["sw"].(string)
		}
	}
	if v, ok := sample(mfs, "kofu_kiosk_build_info", "sw", sw, "profile", "laptop"); !ok || v != 1 {
		t.Errorf("build_info for %q missing", sw)
	}
	if v, ok := sample(mfs, "kofu_kiosk_sessions_total", "outcome", "printed"); !ok || v != 0 {
		t.Errorf("sessions_total{printed} = %v %v before any session", v, ok)
	}
	if v, ok := sample(mfs, "kofu_kiosk_journal_writable"); !ok || v != 1 {
		t.Errorf("journal_writable = %v %v, want 1 for the open journal", v, ok)
	}
	if code, _, se := runCmd(t, runHooks{}, "--emulator", "--autopilot", "--out", out, "--metrics", "0.0.0.0:9464"); code != 2 ||
		!strings.Contains(se, "must be a loopback address") {
		t.Fatalf("a non-loopback --metrics was accepted: %d %s", code, se)
	}
}

// TestLogHygiene: the kiosk's log, at debug level, carries no PIN, name,
// address or birth date of the resident whatever the outcome.
func TestLogHygiene(t *testing.T) {
	for _, tc := range []struct{ resident, fault string }{{"R0001", ""}, {"R0002", "wrong-record"}, {"R0003", "page-swap"}} {
		t.Run(tc.resident, func(t *testing.T) {
			cfg := testConfig(t, "laptop", "[log]\nlevel = \"debug\"\nformat = \"json\"\n")
			args := []string{"--emulator", "--autopilot", "--config", cfg, "--resident", tc.resident, "--out", filepath.Join(t.TempDir(), "out")}
			if tc.fault != "" {
				args = append(args, "--fault", tc.fault, "--doc", "koseki-zenbu")
			}
			_, so, se := runCmd(t, runHooks{}, args...)
			env, err := emulator.Start(context.Background(), emulator.Options{Now: testclock.Now(t), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			res, _ := env.Fixtures.Resident(tc.resident)
			env.Close()
			lines := logLines(t, se)
			if len(lines) < 3 {
				t.Fatalf("expected a debug log, got %q", se)
			}
			for what, s := range map[string]string{"PIN": res.PIN, "name": res.Name, "kana": res.Kana, "address": res.Address, "birth": res.Birth} {
				if s != "" && (strings.Contains(se, s) || strings.Contains(so, s)) {
					t.Errorf("the resident's %s is in the output", what)
				}
			}
		})
	}
}

// TestNotifyAndStop: under systemd (a fake $NOTIFY_SOCKET with a
// watchdog) `kiosk run` says READY=1 after its preflight, pings the
// watchdog while the session runs, and on stop says STOPPING=1 and
// aborts the session waiting for its document: cancelled, reason
// shutdown, the fee released.
func TestNotifyAndStop(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 512)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	t.Setenv("NOTIFY_SOCKET", sock) // read by go-systemd's daemon package
	t.Setenv("WATCHDOG_USEC", "100000")
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := t.TempDir()
	type result struct {
		code   int
		so, se string
	}
	done := make(chan result, 1)
	go func() {
		var so, se bytes.Buffer
		code, _ := runWith(ctx, []string{"--emulator", testclock.Flag(t), "--autopilot", "--out", out, "--fault", "slow:60s", "--log-format", "json"},
			&so, &se, runHooks{})
		done <- result{code, so.String(), se.String()}
	}()
	wait := func(want string) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case m := <-msgs:
				if m == want {
					return
				}
			case r := <-done:
				done <- r // for the caller
				// The run may end right after its last datagram: look at
				// what is already in.
				for {
					select {
					case m := <-msgs:
						if m == want {
							return
						}
						continue
					case <-time.After(time.Second):
					}
					break
				}
				t.Fatalf("run ended before %s: %+v", want, r)
			case <-deadline:
				t.Fatalf("no %s", want)
			}
		}
	}
	wait("READY=1")
	wait("WATCHDOG=1")
	for start := time.Now(); ; { // until the session waits for its document; a polling deadline, elapsed time only
		b, _ := os.ReadFile(filepath.Join(out, "journal"))
		if bytes.Contains(b, []byte(`"state":"fetch"`)) {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the session never reached fetch")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel() // what SIGTERM does to main's context
	wait("STOPPING=1")
	r := <-done
	var line terminal.Result
	if json.Unmarshal([]byte(r.so), &line) != nil || r.code != 1 || line.Outcome != protocol.ResultCancelled ||
		line.Reason != "shutdown" || line.Payment != "released" {
		t.Fatalf("exit %d, %q\n%s", r.code, r.so, r.se)
	}
}

// TestWithResults: the kiosks the customer UI builds get the service's
// observers, so a UI session's end reaches the log and the counters.
func TestWithResults(t *testing.T) {
	m := metrics.New(metrics.Options{SW: "x", Profile: "laptop"})
	var logs bytes.Buffer
	svc := newService(slog.New(slog.NewJSONHandler(&logs, nil)), m, notNotified(t), terminal.DefaultTimeouts())
	u := &ui{}
	withResults(svc)(u)
	if u.instrument == nil {
		t.Fatal("no instrument hook")
	}
	var k terminal.Kiosk
	u.instrument(&k)
	if len(k.Observers) == 0 || k.Admit == nil {
		t.Fatalf("kiosk not instrumented: %d observers, admit %v", len(k.Observers), k.Admit != nil)
	}
	for _, o := range k.Observers {
		o.End("s1", terminal.StateFetch, time.Second, terminal.Result{Outcome: protocol.ResultRefused, Reason: "page-qr-mismatch", Session: "s1", Payment: "released"})
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	if v, _ := sample(byName, "kofu_kiosk_refusals_total", "reason", "page-qr-mismatch"); v != 1 {
		t.Fatalf("refusals %v", v)
	}
	if !strings.Contains(logs.String(), `"msg":"session ended","session":"s1","outcome":"refused"`) {
		t.Fatalf("log: %s", logs.String())
	}
}

// TestStopGate: a stop and a session entering print cannot cross — either
// the session was admitted to print first and the stop sees it printing
// (and lets it finish), or the stop came first and print is refused.
func TestStopGate(t *testing.T) {
	var first tracker
	if err := first.admit(terminal.StateFetch); err != nil {
		t.Fatal(err)
	}
	if err := first.admit(terminal.StatePrint); err != nil {
		t.Fatal(err)
	}
	if st, active := first.stop(); st != terminal.StatePrint || !active {
		t.Fatalf("stop after print admitted saw %s %v", st, active)
	}
	var second tracker
	second.admit(terminal.StateFetch)
	if st, _ := second.stop(); st != terminal.StateFetch {
		t.Fatalf("stop saw %s", st)
	}
	if err := second.admit(terminal.StatePrint); !errors.Is(err, terminal.ErrShutdown) {
		t.Fatalf("print admitted after the stop: %v", err)
	}
	if err := second.admit(terminal.StateSettle); err != nil {
		t.Fatalf("only print is refused: %v", err)
	}
}

// notNotified is a notifier outside systemd.
func notNotified(t *testing.T) *sdnotify.Notifier {
	t.Helper()
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	n, err := sdnotify.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
