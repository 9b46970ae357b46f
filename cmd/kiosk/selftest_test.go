package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/printer"
	"kofu/protocol"
	"kofu/terminal/health"
	"kofu/terminal/journal"
)

// reportLine returns the report's line for check name.
func reportLine(t *testing.T, out, name string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && strings.TrimSuffix(f[1], "*") == name {
			return l
		}
	}
	t.Fatalf("no line for %s in:\n%s", name, out)
	return ""
}

// expectLines checks that each named check's line starts with its status
// and holds the text given.
func expectLines(t *testing.T, out string, want map[string][2]string) {
	t.Helper()
	for name, w := range want {
		l := reportLine(t, out, name)
		if !strings.HasPrefix(l, w[0]+" ") || !strings.Contains(l, w[1]) {
			t.Errorf("%s: got %q, want %s … %q", name, l, w[0], w[1])
		}
	}
}

// journalWith records one printed session at dir/journal.
func journalWith(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "journal")
	j, _, err := journal.Open(path, bytes.Repeat([]byte{5}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []journal.Record{
		{Kind: journal.KindState, Session: "s1", State: "card"},
		{Kind: journal.KindEnd, Session: "s1", State: "printed", Fee: 300, Billing: "captured", Pages: 1},
	} {
		if err := j.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	return path
}

// paperOut is the emulated printer playing paper-out@1, after a test
// page that ran it out of paper: the state a technician finds.
func paperOut(t *testing.T) func(string) health.PrinterOpener {
	t.Helper()
	ctx := context.Background()
	p, err := openTarget(ctx, "emulator:paper-out@1", printer.Options{ConfirmTimeout: 400 * time.Millisecond, PerPage: time.Millisecond,
		StallTimeout: 30 * time.Millisecond, WriteTimeout: 2 * time.Second, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	img, err := renderTestPage(300, "emulator:paper-out@1")
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	page, err := protocol.TechnicianTestPage(img, 300)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := p.Print(pctx, nil, []*protocol.VerifiedPage{page}); err == nil || n != 0 {
		t.Fatalf("paper-out@1 printed: %d %v", n, err)
	}
	return func(string) health.PrinterOpener { return health.Held(p) }
}

// TestSelftestEmulator runs `kiosk selftest --emulator` against the
// emulated center (real mutual TLS on loopback), the emulated printer
// through kofu's printer code and the emulated card APDU by APDU; then
// breaks one part at a time.
func TestSelftestEmulator(t *testing.T) {
	tampered := journalWith(t, t.TempDir())
	data, _ := os.ReadFile(tampered)
	os.WriteFile(tampered, bytes.Replace(data, []byte(`"fee":300`), []byte(`"fee":0`), 1), 0o600)
	roDir := t.TempDir()
	roJournal := journalWith(t, roDir)
	absentWant := "no USB printer matches dead:beef; check that the printer is switched on and its USB cable is plugged in"
	if _, err := openTarget(context.Background(), "usb:dead:beef", printer.Options{}); errors.Is(err, printer.ErrNoBackend) {
		absentWant = "built without USB (no cgo)"
	}

	cases := []struct {
		name  string
		args  []string
		hooks func(t *testing.T) partsHooks
		setup func(t *testing.T)
		code  int
		want  map[string][2]string
	}{
		{name: "everything passes", code: 0, want: map[string][2]string{
			"reader":  {"OK", inProcessReader},
			"card":    {"OK", "My Number card (JPKIAPICCTOKEN2), ATR 3B E0 00 FF 81 31 FE 45 14"},
			"printer": {"OK", "kofu Emulated Laser 5 (SN EMU0001): ready; PJL + PCL 5 raster, confirmed by PJL USTATUS JOB"},
			"center":  {"OK", "reachable over mutual TLS (TLS 1.3)"},
			"journal": {"OK", "3 records, chain verified"},
			"disk":    {"OK", "(minimum 256 MiB)"},
		}},
		{name: "printer absent", args: []string{"--printer", "usb:dead:beef"}, code: 1, want: map[string][2]string{
			"printer": {"FAIL", absentWant},
			"center":  {"OK", "reachable"},
		}},
		{name: "paper out", hooks: func(t *testing.T) partsHooks { return partsHooks{printer: paperOut(t)} }, code: 1, want: map[string][2]string{
			"printer": {"FAIL", "kofu Emulated Laser 5 (SN EMU0001): paper out: load A4 paper and close the tray"},
		}},
		{name: "host-based printer", args: []string{"--printer", "emulator:unidir"}, code: 0, want: map[string][2]string{
			"printer": {"WARN", "printing cannot be confirmed"},
		}},
		{name: "kiosk clock ten minutes fast", hooks: func(*testing.T) partsHooks {
			// Relative to now, as the center's Date header (net/http's wall
			// clock) is: only the 10-minute offset counts, not the date.
			return partsHooks{now: func() time.Time { return time.Now().Add(10 * time.Minute) }}
		}, code: 1, want: map[string][2]string{
			"center": {"FAIL", "the kiosk clock is 10m0s ahead of the center's (center.max_skew 2m0s): set the clock"},
		}},
		{name: "journal tampered with", args: []string{"--journal", tampered}, code: 1, want: map[string][2]string{
			"journal": {"FAIL", "chain broken at line 3 (hash does not match the record)"},
			"disk":    {"OK", "free"},
		}},
		{name: "journal directory read-only", args: []string{"--journal", roJournal}, setup: func(t *testing.T) { readOnlyDir(t, roDir) },
			code: 1, want: map[string][2]string{
				"journal": {"FAIL", "cannot write in " + roDir},
			}},
		{name: "disk below the threshold", args: []string{"--min-free", "1000TiB"}, code: 1, want: map[string][2]string{
			"disk": {"FAIL", "(minimum 1000 TiB)"},
		}},
		{name: "no card in the reader", args: []string{"--resident", "R0007"}, code: 0, want: map[string][2]string{
			"card": {"WARN", "PIN is blocked"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup(t)
			}
			var h partsHooks
			if tc.hooks != nil {
				h = tc.hooks(t)
			}
			args := []string{"--emulator"}
			if !strings.Contains(strings.Join(tc.args, " "), "--journal") {
				args = append(args, "--journal", journalWith(t, t.TempDir()))
			}
			var out, errb bytes.Buffer
			code, err := selftest(context.Background(), append(args, tc.args...), &out, &errb, h)
			if err != nil || code != tc.code {
				t.Fatalf("exit %d (%v), want %d\n%s%s", code, err, tc.code, out.String(), errb.String())
			}
			expectLines(t, out.String(), tc.want)
			last := strings.TrimSpace(out.String())
			last = last[strings.LastIndex(last, "\n")+1:]
			if (tc.code == 0) != strings.HasPrefix(last, "selftest passed") {
				t.Errorf("verdict: %q", last)
			}
		})
	}
}

// readOnlyDir makes dir unwritable, also for root (chattr +i).
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
}

func TestSelftestJSONAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	code, err := runSelftest(context.Background(), []string{"--emulator", "--json", "--journal", journalWith(t, t.TempDir())}, &out, &errb)
	if err != nil || code != 0 {
		t.Fatalf("exit %d %v %s", code, err, errb.String())
	}
	var rep struct {
		OK     bool
		Mode   string
		Checks []struct {
			Name, Status, Detail string
			Blocking             bool
			MS                   int64
		}
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name+"="+c.Status)
	}
	if !rep.OK || rep.Mode != "emulator" || strings.Join(names, " ") != "reader=OK card=OK printer=OK center=OK journal=OK disk=OK" ||
		rep.Checks[1].Blocking || !rep.Checks[0].Blocking {
		t.Errorf("%+v", rep)
	}
	for _, args := range [][]string{nil, {"--emulator", "--config", "x.toml"}, {"--emulator", "extra"}, {"--emulator", "--min-free", "lots"}} {
		if code, _ := runSelftest(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
