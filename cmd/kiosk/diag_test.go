package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"
)

// TestDiagEmulator runs `kiosk diag --emulator` on a simulation screen:
// the overview of every check, the reader screen's trace, a test page
// printed through kofu's printer code, the center, the journal, Q.
func TestDiagEmulator(t *testing.T) {
	ctx := context.Background()
	sim := tcell.NewSimulationScreen("UTF-8")
	f := partsFlags{emulator: true, journal: journalWith(t, t.TempDir()), resident: "R0001", printer: "emulator"}
	d, closeParts, err := newDiag(ctx, f, partsHooks{}, sim)
	if err != nil {
		t.Fatal(err)
	}
	defer closeParts()
	sim.SetSize(110, 40)
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	press := func(r rune) { sim.InjectKey(tcell.KeyRune, r, tcell.ModNone); time.Sleep(10 * time.Millisecond) }
	steps := []struct {
		key  rune
		want []string
	}{
		{'1', []string{"kofu technician diagnostics", "emulator", "OK reader blocking " + inProcessReader, "OK printer blocking",
			"OK center blocking", "OK journal blocking", "OK disk blocking", "READY: no blocking check fails"}},
		{'2', []string{"My Number card", "PIN tries left 3", inProcessReader + " > 00 A4 04 0C"}},
		{'3', []string{"state ready", "<T> print a test page"}},
		{'T', []string{"OK test page printed and confirmed by emulator (1 page"}},
		{'4', []string{"answer HTTP 404 unknown-ticket", "version TLS 1.3"}},
		{'5', []string{"OK chain verified: 3 records", "printed fee 300 (captured) pages 1"}},
	}
	for _, st := range steps {
		press(st.key)
		deadline := time.Now().Add(20 * time.Second) // a deadline for polling: elapsed time only
		for {
			s := norm(d.Snapshot())
			missing := ""
			for _, w := range st.want {
				if !strings.Contains(s, norm(w)) {
					missing = w
					break
				}
			}
			if missing == "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %q the screen never showed %q:\n%s", st.key, missing, d.Snapshot())
			}
			time.Sleep(30 * time.Millisecond)
		}
	}
	press('Q')
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Q did not quit")
	}
}

func TestDiagUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--emulator", "--config", "x"}, {"--emulator", "more"}} {
		if code, err := runDiag(context.Background(), args, &strings.Builder{}, &strings.Builder{}); code != 2 || err == nil {
			t.Errorf("%v: exit %d %v", args, code, err)
		}
	}
}
