//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/cardreader/pcsctest"
	"kofu/internal/clock"
	"kofu/internal/emulator"
)

// storeConfig writes a store machine's configuration for the emulated
// center at url: the test PKI, the emulated printer, a journal in dir.
func storeConfig(t *testing.T, dir, url, tlsCA, reader string) string {
	t.Helper()
	pki, _ := filepath.Abs("../../testdata/pki")
	os.WriteFile(filepath.Join(dir, "journal.key"), bytes.Repeat([]byte{9}, 32), 0o600)
	deviceKey(t, pki, dir) // installed 0600, as the operator guide says
	src := fmt.Sprintf(`[center]
url = %q
tls_ca = "%s/ca/%s"
center_ca = "%s/ca/center-ca.crt.pem"
issuer_ca = "%s/ca/issuer-ca.crt.pem"
max_skew = "1m"
[terminal]
id = "T0001"
store = "S0001"
cert = "%s/terminal/T0001.crt.pem"
key = "terminal.key"
[card]
reader = %q
[printer]
spec = "emulator"
[journal]
path = "journal"
key = "journal.key"
[profile]
name = "laptop"
`, url, pki, tlsCA, pki, pki, pki, reader)
	path := filepath.Join(dir, fmt.Sprintf("kiosk-%d.toml", len(src)))
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSelftestStoreMachine runs `kiosk selftest --config` as on a store
// machine: a real pcscd with vsmartcard-vpcd and the emulated card, the
// emulated center over real mutual TLS on loopback, the emulated printer.
// Then it breaks the reader, the CA file and the center.
func TestSelftestStoreMachine(t *testing.T) {
	s := pcsctest.Start(t)
	ctx := context.Background()
	// A store machine's selftest judges the center's Date header against
	// its own wall clock, so this center runs on the wall clock too; no
	// calendar rule is involved (no document is asked for).
	env, err := emulator.Start(ctx, emulator.Options{Now: clock.Wall})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	dir := t.TempDir()
	journalWith(t, dir)
	run := func(t *testing.T, wantCode int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		code, err := runSelftest(ctx, args, &out, &errb)
		if err != nil || code != wantCode {
			t.Fatalf("exit %d (%v), want %d\n%s%s", code, err, wantCode, out.String(), errb.String())
		}
		return out.String()
	}
	good := storeConfig(t, dir, env.Center.URL, "operator-ca.crt.pem", "Virtual PCD")

	t.Run("no card inserted: passes, the applet check warns", func(t *testing.T) {
		out := run(t, 0, "--config", good)
		expectLines(t, out, map[string][2]string{
			"reader":  {"OK", "Virtual PCD 00 00, Virtual PCD 00 01"},
			"card":    {"WARN", "no card inserted: insert a test card"},
			"printer": {"OK", "ready"},
			"center":  {"OK", "reachable over mutual TLS (TLS 1.3)"},
			"journal": {"OK", "3 records, chain verified"},
			"disk":    {"OK", "free"},
		})
		if !strings.Contains(out, "(max 1m0s)") {
			t.Errorf("max_skew of the configuration not used:\n%s", out)
		}
	})
	t.Run("test card inserted: the applet answers", func(t *testing.T) {
		e, r := emuCard(t, "R0002")
		unplug := s.Insert(t, e, 1)
		defer unplug()
		out := run(t, 0, "--config", good)
		expectLines(t, out, map[string][2]string{
			"card": {"OK", "Virtual PCD 00 01: My Number card (JPKIAPICCTOKEN2), ATR 3B E0 00 FF 81 31 FE 45 14, certificate valid until 2035-12-31, PIN tries left 3"},
		})
		if tries, verified := e.PINState(); tries != r.PINTries || verified {
			t.Errorf("the check spent a PIN try: %d %v", tries, verified)
		}
	})
	t.Run("diag: the reader screen through pcscd", func(t *testing.T) {
		e, _ := emuCard(t, "R0003")
		unplug := s.Insert(t, e, 0)
		defer unplug()
		sim := tcell.NewSimulationScreen("UTF-8")
		d, closeParts, err := newDiag(ctx, diagFlags{partsFlags: partsFlags{config: good}}, partsHooks{}, sim)
		if err != nil {
			t.Fatal(err)
		}
		defer closeParts()
		sim.SetSize(110, 40)
		dctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(dctx) }()
		defer func() { cancel(); <-done }()
		sim.InjectKey(tcell.KeyRune, '2', tcell.ModNone)
		want := []string{"Virtual PCD 00 00", "Virtual PCD 00 01", "OK Virtual PCD 00 00: My Number card",
			"Virtual PCD 00 00 > 00 A4 04 0C", "Virtual PCD 00 00 < 9000"}
		deadline := time.Now().Add(20 * time.Second) // a deadline for polling: elapsed time only
		for {
			snap := norm(d.Snapshot())
			missing := ""
			for _, w := range want {
				if !strings.Contains(snap, norm(w)) {
					missing = w
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("reader screen lacks %q:\n%s", missing, d.Snapshot())
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("reader filter matches no reader", func(t *testing.T) {
		out := run(t, 1, "--config", storeConfig(t, dir, env.Center.URL, "operator-ca.crt.pem", "ACS ACR39U"))
		expectLines(t, out, map[string][2]string{
			"reader": {"FAIL", `no card reader matches card.reader "ACS ACR39U" (connected: Virtual PCD 00 00, Virtual PCD 00 01)`},
		})
	})
	t.Run("wrong CA file for the center's TLS", func(t *testing.T) {
		out := run(t, 1, "--config", storeConfig(t, dir, env.Center.URL, "center-ca.crt.pem", "Virtual PCD"))
		expectLines(t, out, map[string][2]string{
			"center": {"FAIL", "is not signed by the pinned operator CA (center.tls_ca)"},
			"reader": {"OK", "Virtual PCD"},
		})
	})
	t.Run("reader unplugged", func(t *testing.T) {
		s.Unplug(t)
		defer s.Plug(t)
		out := run(t, 1, "--config", good)
		expectLines(t, out, map[string][2]string{
			"reader": {"FAIL", "no card reader is connected: plug the reader in"},
		})
	})
	t.Run("center down", func(t *testing.T) {
		env.Center.Close()
		out := run(t, 1, "--config", good)
		expectLines(t, out, map[string][2]string{
			"center": {"FAIL", "(connection refused): the center is down or center.url has the wrong port"},
			"reader": {"OK", "Virtual PCD"},
		})
	})
}
