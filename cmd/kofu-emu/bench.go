package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"kofu/internal/bench"
)

// runBench is `kofu-emu bench [--json] [--out DIR]`: every figure of the
// side-by-side performance report, as a Markdown table (or one JSON
// object per figure), with PNG charts written to DIR.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per figure instead of the Markdown table")
	out := fs.String("out", "", "write PNG charts to this directory")
	only := fs.String("only", "", "measure only these groups: card,encode,verify,duplex,kiosk,memory,center")
	tiny := fs.Bool("tiny", false, "the smallest run that measures every figure (a smoke test, not a report)")
	kioskTx := fs.Int("kiosk-transactions", 0, "transactions of the kiosk process (default 1000)")
	centerTx := fs.Int("center-transactions", 0, "transactions per center figure at 300 dpi (default 1500)")
	skip := fs.Bool("skip-missing", false, "leave out the peers and figures whose tools are not installed instead of failing")
	verbose := fs.Bool("v", false, "log progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	self, err := os.Executable()
	if err != nil {
		return 1, err
	}
	o := bench.Options{}
	if *tiny {
		o = bench.Tiny()
	}
	o.Worker = []string{self, "bench-worker"}
	o.SkipMissing = *skip
	if *kioskTx > 0 {
		o.KioskTx = *kioskTx
	}
	if *centerTx > 0 {
		o.CenterTx = *centerTx
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if *verbose {
		o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	before := bench.Machine()
	figs, err := bench.Run(ctx, o)
	if err != nil {
		return 1, err
	}
	if wantsGroup(o.Only, "card") {
		// kofu's card session with one extended-length READ BINARY and
		// with short APDUs only, side by side.
		paths, err := bench.CardPaths(ctx, o)
		if err != nil {
			return 1, fmt.Errorf("card paths: %w", err)
		}
		figs = append(figs, paths...)
	}
	after := bench.Machine()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, f := range figs {
			if err := enc.Encode(f); err != nil {
				return 1, err
			}
		}
	} else {
		fmt.Fprintf(stdout, "Machine at start: %s; at end: %s.\n\n", before, after)
		if err := bench.WriteMarkdown(stdout, figs); err != nil {
			return 1, err
		}
	}
	if *out != "" {
		files, err := bench.WriteCharts(*out, figs)
		if err != nil {
			return 1, err
		}
		for _, f := range files {
			fmt.Fprintln(stderr, "chart:", f)
		}
	}
	return 0, nil
}

// wantsGroup reports whether only (empty: every group) includes group.
func wantsGroup(only []string, group string) bool {
	return len(only) == 0 || slices.Contains(only, group)
}
