package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"kofu/internal/clock"
	"kofu/internal/fleet"
	"kofu/protocol/center"
)

// runFleet is `kofu-emu fleet --kiosks N --transactions M [--fault ...]`.
func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kiosks := fs.Int("kiosks", 10, "kiosks in the fleet, each with its own identity, card, journal and printer")
	tx := fs.Int("transactions", 100, "transactions in total")
	faults := fs.String("fault", "", "center fault modes NAME[,NAME...] or all")
	rate := fs.Float64("fault-rate", 0, "probability a ticket gets a fault (default 1 with --fault)")
	dpi := fs.Int("dpi", 300, "page resolution (300 or 600)")
	docTimeout := fs.Duration("document-timeout", 60*time.Second, "kiosk deadline for the document")
	asJSON := fs.Bool("json", false, "print one JSON object")
	journalEvery := fs.Int("journal-fault-every", 0, "every N transactions the serving kiosk's journal disk fills part-way through (for real: RLIMIT_FSIZE) and has room again after; 100 is 1 % (0: never)")
	paymentEvery := fs.Int("payment-fault-every", 0, "every N transactions the kiosk's coin unit fails a hold, capture, release or return (0: never)")
	dir := fs.String("dir", "", "keep the kiosks' journals here (default: a temporary directory)")
	gen2 := fs.Float64("gen2-share", fleet.DefaultGen2Share, "share of sessions whose resident holds a generation-2 card (ECDSA P-384, ES384 requests; its APDUs are kofu's assumption, cardreader.ProfileGen2Assumed); 0: generation 1 only")
	var at clock.Flag
	fs.Var(&at, "clock", "start the fleet's clock (center calendar: 戸籍 on weekdays only) at this instant, RFC 3339 with a zone (default: the wall clock)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	fl, err := center.ParseFaults(*faults)
	if err != nil {
		return 2, err
	}
	if *gen2 < 0 || *gen2 > 1 {
		return 2, fmt.Errorf("--gen2-share %v: want a share from 0 to 1", *gen2)
	}
	if *gen2 == 0 {
		*gen2 = -1 // none (Config's zero is the default share)
	}
	rep, err := fleet.Run(ctx, fleet.Config{Kiosks: *kiosks, Transactions: *tx, Faults: fl, FaultRate: *rate,
		DPI: *dpi, DocTimeout: *docTimeout, Dir: *dir, Now: at.Clock(), Gen2Share: *gen2,
		JournalFaultEvery: *journalEvery, PaymentFaultEvery: *paymentEvery})
	if err != nil {
		return 1, err
	}
	if *asJSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "transactions %d, printed %d, wall %.1fs, p50 %.0f ms, p99 %.0f ms\n",
			rep.Transactions, rep.Printed, rep.WallSeconds, rep.P50ms, rep.P99ms)
		fmt.Fprintf(stdout, "cards: generation 1 (RSA-2048, RS256) %d, generation 2 (P-384, ES384) %d, of them printed %d\n",
			rep.Transactions-rep.Gen2Transactions, rep.Gen2Transactions, rep.Gen2Printed)
		fmt.Fprintf(stdout, "faults injected %d (mix-ups %d: refused %d; not received — the kiosk's deadline came first or the fee could not be held: %d)\n",
			rep.FaultsInjected, rep.MixupsInjected, rep.MixupsRefused, rep.MixupsUnreceived)
		for _, k := range slices.Sorted(maps.Keys(rep.FaultsByMode)) {
			fmt.Fprintf(stdout, "  %-24s %d\n", k, rep.FaultsByMode[k])
		}
		for _, o := range []struct {
			name string
			m    map[string]int
		}{{"refused", rep.Refused}, {"failed", rep.Failed}, {"cancelled", rep.Cancelled}, {"unknown", rep.Unknown}} {
			for _, k := range slices.Sorted(maps.Keys(o.m)) {
				fmt.Fprintf(stdout, "%-9s %-28s %d\n", o.name, k, o.m[k])
			}
		}
		if rep.JournalFaults+rep.PaymentFaults > 0 {
			fmt.Fprintf(stdout, "journal disk full %d times (unhealed %d; sessions left open %d, open after restart %d; with no record %d, of them moving money %d)\n",
				rep.JournalFaults, rep.JournalUnhealed, rep.JournalOpen, rep.ReopenOpen, rep.Unjournaled, rep.UnjournaledMoney)
			fmt.Fprintf(stdout, "coin unit failed %d times (holds resolved by the journal %d; coin units adrift %d)\n",
				rep.PaymentFaults, rep.HoldsRecovered, rep.CoinsAdrift)
		}
		fmt.Fprintf(stdout, "printed without the fee %d, foreign pages printed %d, fee captured without confirmed print %d, lost journal records %d, unaccounted faults %d\n",
			rep.PrintedNoFee, rep.ForeignPagesPrinted, rep.FeeWithoutPrint, rep.LostJournalRecords, len(rep.UnaccountedFaults))
	}
	if !rep.Held() {
		return 1, fmt.Errorf("the fleet found a broken promise: %v", rep.UnaccountedFaults)
	}
	return 0, nil
}
