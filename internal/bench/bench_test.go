package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/clock"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal/journal"
)

// TestMain lets the test binary be its own kiosk worker process, as
// kofu-emu is for `kofu-emu bench`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "bench-worker" {
		code, err := WorkerMain(context.Background(), os.Args[2:], os.Stdout, os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench-worker:", err)
			if code == 0 {
				code = 1
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func loadFixtures(tb testing.TB) *fixtures.Set {
	tb.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		tb.Fatal(err)
	}
	return fx
}

// needTool skips when a peer tool is missing, naming it and its package.
func needTool(t *testing.T, tool, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (apt-get install %s); CI is set, so this is a failure", tool, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s)", tool, pkg)
	}
}

// TestTinyRun runs the smallest version of every figure group and checks
// the report's shape: the JSON fields of each figure, the ratio computed
// from the values, the verdict consistent with the target, and values
// that are real measurements (positive, finite).
func TestTinyRun(t *testing.T) {
	for _, c := range []struct {
		group string
		n     int // figures the group reports
		need  func(t *testing.T)
	}{
		{"card", 2, func(t *testing.T) {
			needTool(t, "pkcs15-tool", "opensc")
			needTool(t, "pkcs11-tool", "opensc")
			pcsctest.Require(t)
		}},
		{"encode", 4, func(t *testing.T) { needTool(t, "gs", "ghostscript") }},
		{"verify", 4, nil}, // 600 and 300 dpi beside the old check, 600 dpi as a 1-bit PNG, JWS
		{"duplex", 3, nil}, // ground pattern per face, PCL and PWG bytes per sheet: two-sided against one-sided
		{"kiosk", 3, nil},
		{"memory", 3, nil}, // 12 pages at 600 dpi: peak RSS with and without the deployed limit, live heap at print
		{"center", 4, nil},
	} {
		t.Run(c.group, func(t *testing.T) {
			if c.need != nil {
				c.need(t)
			}
			o := Tiny()
			o.Only = []string{c.group}
			o.Worker = []string{os.Args[0], "bench-worker"}
			figs, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(figs) != c.n {
				t.Fatalf("%d figures, want %d: %+v", len(figs), c.n, figs)
			}
			for _, f := range figs {
				checkFigure(t, f)
			}
			var md bytes.Buffer
			if err := WriteMarkdown(&md, figs); err != nil {
				t.Fatal(err)
			}
			for _, f := range figs {
				if !strings.Contains(md.String(), "| "+f.Name+" |") {
					t.Errorf("Markdown table lacks %q", f.Name)
				}
			}
			files, err := WriteCharts(t.TempDir(), figs)
			if err != nil || len(files) != 1 {
				t.Fatalf("charts %v, %v", files, err)
			}
			checkPNG(t, files[0])
			t.Logf("\n%s", md.String())
		})
	}
}

// checkFigure checks one figure through its JSON form.
func checkFigure(t *testing.T, f Figure) {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "ours", "peer", "peer_name", "unit", "ratio"} {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: JSON lacks %q: %s", f.Name, k, b)
		}
	}
	ours, peer, r := m["ours"].(float64), m["peer"].(float64), m["ratio"].(float64)
	if ours <= 0 || peer <= 0 || math.IsInf(ours, 0) {
		t.Errorf("%s: ours %v, peer %v: not a measurement", f.Name, ours, peer)
	}
	if math.Abs(r-ours/peer) > 1e-4*math.Max(1, ours/peer) {
		t.Errorf("%s: ratio %v, ours/peer %v", f.Name, r, ours/peer)
	}
	if m["peer_name"] == "" || m["unit"] == "" || f.Target == "" {
		t.Errorf("%s: empty peer name, unit or target: %s", f.Name, b)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	if img.Bounds().Dx() != chartW || img.Bounds().Dy() < 100 {
		t.Errorf("%s: %v", filepath.Base(path), img.Bounds())
	}
}

// TestVerdicts: ratios and verdicts against ratio and absolute goals.
func TestVerdicts(t *testing.T) {
	for _, c := range []struct {
		name        string
		ours, peer  float64
		goals       []goal
		ratio       float64
		met         bool
		targetTextt string
	}{
		{"faster than half", 9, 240, []goal{{op: "<=", value: 0.5, ratio: true}, {op: "<=", value: 20}}, 0.0375, true, "≤ 0.5× peer, ≤ 20"},
		{"fast but over the budget", 25, 240, []goal{{op: "<=", value: 0.5, ratio: true}, {op: "<=", value: 20}}, 0.1042, false, ""},
		{"more bytes than the peer", 120, 100, []goal{{op: "<=", value: 1, ratio: true}}, 1.2, false, ""},
		{"throughput reached", 310, 300, []goal{{op: ">=", value: 300}}, 1.0333, true, "≥ 300"},
		{"throughput short", 60, 300, []goal{{op: ">=", value: 300}}, 0.2, false, ""},
		{"no peer value", 5, 0, []goal{{op: "<=", value: 10}}, 0, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFigure("g", c.name, c.ours, c.peer, "peer", "ms", c.goals...)
			if f.Ratio != c.ratio || f.Met != c.met {
				t.Errorf("ratio %v met %v; want %v %v", f.Ratio, f.Met, c.ratio, c.met)
			}
			if c.targetTextt != "" && f.Target != c.targetTextt {
				t.Errorf("target %q, want %q", f.Target, c.targetTextt)
			}
			if _, err := json.Marshal(f); err != nil {
				t.Errorf("JSON: %v", err)
			}
		})
	}
	f := againstTarget("g", "x", 12, "ms", "<=", 30)
	if f.PeerName != PeerTarget || f.Peer != 30 || f.Ratio != 0.4 || !f.Met {
		t.Errorf("againstTarget = %+v", f)
	}
}

// BenchmarkCenterTransactions backs the center figure: b.N one-page
// transactions through a fresh center (in this process) with 8 clients.
func BenchmarkCenterTransactions(b *testing.B) {
	fx := loadFixtures(b)
	for _, dpi := range []int{300, 600} {
		b.Run(fmt.Sprint(dpi), func(b *testing.B) {
			// The load generator stamps requests with the wall clock and
			// asks only for 住民票 (no calendar rule): the center's clock is
			// the wall clock too, so the replay window holds on any day.
			srv, err := center.Start(center.Config{Fixtures: fx, DPI: dpi, Now: clock.Wall}, "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			tps, err := centerTPS(context.Background(), fx, srv.URL, b.N, 8, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(tps, "tx/s")
		})
	}
}

// BenchmarkPageCheck backs the verification figure: the kiosk's full
// check of one page (hash, decode, the bitmap, every symbol on the face),
// beside the check before issue 14 (hash, decode, adaptive search of the
// gray bottom band) on the same page in the same run.
func BenchmarkPageCheck(b *testing.B) {
	fx := loadFixtures(b)
	r, err := newRenderer(fx)
	if err != nil {
		b.Fatal(err)
	}
	for _, dpi := range []int{300, 600} {
		p, err := newSamplePage(fx, r, dpi)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			check func(*samplePage) error
		}{{"old", checkPageOld}, {"new", checkPage}} {
			b.Run(fmt.Sprintf("%d/%s", dpi, c.name), func(b *testing.B) {
				for b.Loop() {
					if err := c.check(p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkJWSChecks backs the JWS figure: ticket and envelope checks of
// one document.
func BenchmarkJWSChecks(b *testing.B) {
	check, err := newJWSCheck(loadFixtures(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := check(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCardSession backs the card figures: kofu's read certificate +
// verify PIN + sign through a private pcscd and vsmartcard-vpcd, with the
// APDUs the card saw per session.
func BenchmarkCardSession(b *testing.B) {
	fx := loadFixtures(b)
	res, _ := fx.Resident("R0001")
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := pcsctest.Start(b)
	s.Insert(b, card, 0)
	pc, err := cardreader.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	digest := sha256.Sum256([]byte("bench"))
	card.ResetStats()
	for b.Loop() {
		if err := kofuCardSession(context.Background(), pc, s.Reader(0), res.PIN, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(card.Stats().APDUs)/float64(b.N), "APDUs/op")
}

// BenchmarkKioskTransaction backs the kiosk figures in one process: a
// whole autopilot session (emulated card through the cardreader code,
// kofu's printer code on the emulated printer) against an in-process
// center, so its CPU includes the center's.
func BenchmarkKioskTransaction(b *testing.B) {
	ctx := context.Background()
	env, err := emulator.Start(ctx, emulator.Options{Now: testclock.Now(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	res, _ := env.Fixtures.Resident("R0001")
	slot, err := emulator.NewCardSlot(env.Fixtures, res)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	p, err := emulator.NewPrinter(ctx, filepath.Join(dir, "out"), "")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	key, err := journal.KeyFile(filepath.Join(dir, "journal.key"))
	if err != nil {
		b.Fatal(err)
	}
	j, _, err := journal.Open(filepath.Join(dir, "journal"), key, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	for b.Loop() {
		card, err := slot.Open(ctx)
		if err != nil {
			b.Fatal(err)
		}
		r, _ := env.Autopilot(ctx, j, p, card, emulator.OrderFor(res, doc), []byte(res.PIN))
		card.Close()
		if r.Outcome != protocol.ResultPrinted {
			b.Fatalf("%s %s", r.Outcome, r.Reason)
		}
	}
}
