//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// writeMunicipalities writes the fixtures' municipality list in the
// format ui.municipalities names.
func writeMunicipalities(t *testing.T, fx *fixtures.Set, path string) {
	t.Helper()
	var b strings.Builder
	for _, m := range fx.Municipalities {
		fmt.Fprintf(&b, "[[municipality]]\ncode = %q\nname = %q\nkoseki_weekdays_only = %v\n[municipality.fees]\n", m.Code, m.Name, m.KosekiWeekdaysOnly)
		for doc, fee := range m.Fees {
			fmt.Fprintf(&b, "%q = %d\n", doc, fee)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStoreMachineAutopilot runs `kiosk run --config FILE --autopilot` as
// on a store machine: the emulated center as a separate server over real
// mutual TLS on loopback, the card through a real pcscd with the emulated
// card on vsmartcard-vpcd, found by the host loop in the configured
// reader. One session prints; in the next the card is pulled as it signs
// the request, and the session ends cancelled/card-removed with nothing
// printed and no fee; the journal holds both.
func TestStoreMachineAutopilot(t *testing.T) {
	s := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := center.Start(center.Config{Fixtures: fx}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	res, _ := fx.Resident("R0004")
	card, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Insert(t, card, 0)

	dir := t.TempDir()
	cfgPath := storeConfig(t, dir, srv.URL, "operator-ca.crt.pem", s.Reader(0))
	writeMunicipalities(t, fx, filepath.Join(dir, "municipalities.toml"))
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "[ui]\nmunicipalities = \"municipalities.toml\"")
	f.Close()

	run := func(t *testing.T) (int, terminal.Result, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		code, err := runWith(ctx, []string{"--config", cfgPath, "--autopilot", "--doc", "juminhyo", "--muni", res.Muni,
			"--pin", res.PIN, "--log-format", "text"}, &out, &errb, runHooks{})
		if err != nil {
			t.Fatalf("kiosk run: %v\n%s", err, errb.String())
		}
		var r terminal.Result
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("JSON line %q: %v\n%s", out.String(), err, errb.String())
		}
		return code, r, errb.String()
	}

	code, r, logs := run(t)
	if code != 0 || r.Outcome != protocol.ResultPrinted || r.Pages != 1 || r.Payment != "captured" || r.Billing != "captured" {
		t.Fatalf("exit %d, result %+v\n%s", code, r, logs)
	}
	if strings.Contains(logs, res.PIN) || strings.Contains(logs, res.Name) {
		t.Fatal("the log holds the PIN or the name")
	}

	// Pulled while the card signs the request: the host's watch and the
	// card's own error both say removal.
	card.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x2A, N: 1}})
	code, r2, logs := run(t)
	if code != 1 || r2.Outcome != protocol.ResultCancelled || r2.Reason != "card-removed" || r2.Pages != 0 ||
		r2.Payment != "none" || r2.TID != "" {
		t.Fatalf("exit %d, result %+v\n%s", code, r2, logs)
	}

	var ends []string
	if err := journal.Each(filepath.Join(dir, "journal"), func(rec journal.Record) error {
		if rec.Kind == journal.KindEnd {
			ends = append(ends, rec.State+"/"+rec.Reason)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ends, " "); got != "printed/ cancelled/card-removed" {
		t.Fatalf("journal ends: %s", got)
	}
}
