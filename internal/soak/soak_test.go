package soak_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/internal/soak"
	"kofu/internal/testclock"
)

// TestMain lets this test binary double as the soak's center process.
func TestMain(m *testing.M) {
	if spec := os.Getenv(soak.CenterEnv); spec != "" {
		if err := soak.ServeCenter(spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "soak center:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSoak runs KOFU_SOAK transactions (default 100; `make soak` runs
// 10,000) in this one kiosk process against a center in another process,
// with center, printer and card faults mixed in, and checks that every
// fee follows a confirmed print, the journal accounts for every session,
// and heap, RSS and goroutines stay flat. The short default has looser
// bounds: its first samples are still close to warm-up.
func TestSoak(t *testing.T) {
	// The short default has every 20th session meet a full journal disk
	// and a failing coin unit, so each variant is met; a long run has
	// them at 1 % (issue 15).
	n, every, bookEvery, bounds := 100, 10, 20, soak.Bounds{Warmup: 2, HeapRatio: 1.5, RSSRatio: 1.5, Goroutines: 10}
	if v := os.Getenv("KOFU_SOAK"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("KOFU_SOAK=%q: want a number of transactions", v)
		}
		every = max(10, n/50)
		if n >= 1000 {
			bookEvery = 100
		}
		if n >= 2000 {
			bounds = soak.Bounds{Warmup: 5, HeapRatio: 1.2, RSSRatio: 1.25, Goroutines: 5}
		}
	} else if testing.Short() {
		t.Skip("soak: set KOFU_SOAK=N or run without -short")
	}
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Hour)
	defer cancel()
	at := testclock.Open(t) // center and kiosk start at one open instant
	c, err := soak.StartCenter(ctx, exe, soak.CenterFaults+";0.1;4s;"+at.Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rep, err := soak.Run(ctx, soak.Config{Fixtures: fx, CenterURL: c.URL, Transactions: n, Every: every, Dir: t.TempDir(),
		Now:               clock.Starting(at),
		PrinterFaultEvery: 40, CardFaultEvery: 40, NetFaultEvery: 40, JournalFaultEvery: bookEvery, PaymentFaultEvery: bookEvery,
		Profiles: os.Getenv("KOFU_SOAK_PROFILES"),
		Progress: func(s soak.Sample) {
			t.Logf("txn %6d  heap %6.1f MiB  rss %6.1f MiB  goroutines %3d  %s", s.Txn,
				float64(s.HeapBytes)/(1<<20), float64(s.RSSBytes)/(1<<20), s.Goroutines, s.Elapsed.Round(time.Second))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d transactions in %s (%d printer faults, %d card faults, %d connection resets, %d full disks, %d payment-unit faults)\n%s",
		rep.Transactions, rep.Wall.Round(time.Second), rep.PrinterFaults, rep.CardFaults, rep.NetFaults,
		rep.JournalFaults, rep.PaymentFaults, rep.Table())
	t.Logf("journal: %d ended, %d open (%d closed on reopen, %d still open), %d sessions with no record; %d holds recovered by the journal",
		rep.JournalEnded, rep.JournalOpen, rep.ReopenRecovered, rep.ReopenOpen, rep.Unjournaled, rep.HoldsRecovered)
	for _, l := range rep.OutcomeLines() {
		t.Log(l)
	}
	if tr, err := rep.Trend(bounds.Warmup); err == nil {
		t.Logf("trend: heap %.1f → %.1f MiB, RSS %.1f → %.1f MiB, goroutines %d → %d (max %d)",
			tr.HeapFirst/(1<<20), tr.HeapLast/(1<<20), tr.RSSFirst/(1<<20), tr.RSSLast/(1<<20),
			tr.GoroutinesFirst, tr.GoroutinesLast, tr.GoroutinesMax)
	}
	// Every session is in the journal (ended, or left open by a full
	// disk and closed by the next start) or has no record at all because
	// the disk was full from its first record — and then moved no money.
	if rep.Transactions != n || rep.JournalEnded+rep.JournalOpen+rep.Unjournaled != n || rep.ReopenOpen != 0 {
		t.Errorf("%d transactions, journal: %d ended + %d open + %d unjournaled, %d open after reopen; want %d in all, 0 open after reopen",
			rep.Transactions, rep.JournalEnded, rep.JournalOpen, rep.Unjournaled, rep.ReopenOpen, n)
	}
	if rep.JournalOpen != rep.ReopenRecovered {
		t.Errorf("reopening the journal closed %d of its %d open sessions", rep.ReopenRecovered, rep.JournalOpen)
	}
	if rep.UnjournaledMoney != 0 || rep.CoinsAdrift != 0 {
		t.Errorf("sessions with no record that moved money: %d; coin units whose books do not balance: %d", rep.UnjournaledMoney, rep.CoinsAdrift)
	}
	if rep.FeeWithoutPrint != 0 || rep.PrintedNoFee != 0 {
		t.Errorf("fee captured without a confirmed print: %d; printed without the fee: %d", rep.FeeWithoutPrint, rep.PrintedNoFee)
	}
	if rep.BillingMismatch != 0 || rep.Unreported != 0 {
		t.Errorf("center billed otherwise than the kiosk settled: %d; outcomes the center never answered: %d",
			rep.BillingMismatch, rep.Unreported)
	}
	if rep.Outcomes["printed/"] == 0 || rep.PrinterFaults == 0 || rep.CardFaults == 0 || rep.NetFaults == 0 ||
		rep.JournalFaults == 0 || rep.PaymentFaults == 0 || len(rep.Outcomes) < 4 {
		t.Errorf("the soak did not exercise both success and faults: %v", rep.Outcomes)
	}
	for o, n := range rep.Outcomes {
		if strings.Contains(o, "/internal-") {
			t.Errorf("%d sessions ended %s: a bug, not a fault", n, o)
		}
	}
	if err := rep.Flat(bounds); err != nil {
		t.Error(err)
	}
}
