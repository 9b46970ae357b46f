package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/printer"
	"kofu/terminal/health"
)

// TestDiagEmulator runs `kiosk diag --emulator` on a simulation screen:
// the overview of every check, the reader screen's trace, a test page
// printed through kofu's printer code and saved in --out, the center,
// the journal, Q and Y.
func TestDiagEmulator(t *testing.T) {
	ctx := context.Background()
	sim := tcell.NewSimulationScreen("UTF-8")
	out := t.TempDir()
	f := diagFlags{partsFlags: partsFlags{emulator: true, journal: journalWith(t, t.TempDir()), resident: "R0001", printer: "emulator"}, out: out}
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
		{'T', []string{"OK test page printed and confirmed by emulator (1 page", "saved in " + out + ": testpage-", ".prn, testpage-", "-p1.png"}},
		{'4', []string{"answer HTTP 404 unknown-ticket", "version TLS 1.3"}},
		// 3 records, and 2 of diag's: the journal opened for writing, the test page.
		{'5', []string{"OK chain verified: 5 records", "s1 printed - 300 1"}},
	}
	for _, st := range steps {
		press(st.key)
		waitScreen(t, d.Snapshot, 20*time.Second, st.want...)
	}
	prn, _ := filepath.Glob(filepath.Join(out, "testpage-*.prn"))
	png, _ := filepath.Glob(filepath.Join(out, "testpage-*-p1.png"))
	if len(prn) != 1 || len(png) != 1 {
		t.Fatalf("--out holds %v %v", prn, png)
	}
	if fi, err := os.Stat(png[0]); err != nil || fi.Size() < 1000 {
		t.Fatalf("decoded page %v %v", fi, err)
	}
	press('Q')
	press('Y')
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Q Y did not quit")
	}
}

// TestTestPageResult: a fault the printer reports is a FAIL that names
// it, even once job data reached the printer; only a job taken without a
// confirmation is a WARN.
func TestTestPageResult(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status health.Status
		want   string
	}{
		{nil, health.OK, "test page printed and confirmed by emulator (1 page, 5ms)"},
		{&printer.Error{Kind: printer.KindPaperOut, Sent: true, Detail: "status 41101"}, health.Fail,
			"test page NOT printed on emulator: paper out after 5ms: load A4 paper and close the tray (status 41101); cancel the job on the printer's panel"},
		{&printer.Error{Kind: printer.KindJam}, health.Fail, "paper jam after 5ms: open the cover, remove the jammed sheet"},
		{&printer.Error{Kind: printer.KindCoverOpen}, health.Fail, "cover open after 5ms: close it"},
		{&printer.Error{Kind: printer.KindOffline}, health.Fail, "offline after 5ms: check the printer's power, panel and USB cable"},
		{&printer.Error{Kind: printer.KindUnconfirmed, Sent: true}, health.Warn, "NOT confirmed after 5ms"},
		{fmt.Errorf("wrapped: %w", context.Canceled), health.Fail, "test page cancelled after 5ms"},
		{errors.New("boom"), health.Fail, "test page NOT printed on emulator: boom"},
	} {
		r := testPageResult("emulator", 1, tc.err, 5*time.Millisecond, "")
		if r.Status != tc.status || !strings.Contains(r.Detail, tc.want) {
			t.Errorf("%v: %v %q", tc.err, r.Status, r.Detail)
		}
	}
}

func TestDiagUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"--emulator", "--config", "x"}, {"--emulator", "more"}} {
		if code, err := runDiag(context.Background(), args, &strings.Builder{}, &strings.Builder{}); code != 2 || err == nil {
			t.Errorf("%v: exit %d %v", args, code, err)
		}
	}
}
