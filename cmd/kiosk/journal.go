package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"kofu/terminal"
	"kofu/terminal/config"
	"kofu/terminal/journal"
)

// runJournal is `kiosk journal show|verify [--journal PATH | --config FILE]
// [--ref REFERENCE]`.
func runJournal(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || (args[0] != "show" && args[0] != "verify") {
		return 2, errors.New("usage: kiosk journal show|verify [--journal PATH | --config FILE] [--ref REFERENCE]")
	}
	fs := flag.NewFlagSet("journal "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("journal", "kofu-out/journal", "journal file")
	cfgPath := fs.String("config", "", "take the journal path from this configuration")
	ref := fs.String("ref", "", "show: only the sessions with this お問い合わせ番号 (the resident's reference number; digits, spaces and dashes as read out, 4 digits or more)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return 1, err
		}
		*path = c.Journal.Path
	}
	if args[0] == "show" {
		if *ref != "" && len(strings.TrimSpace(*ref)) < 4 {
			return 2, fmt.Errorf("--ref %q: want the reference number (at least 4 digits)", *ref)
		}
		found := 0
		err := journal.Each(*path, func(r journal.Record) error {
			if *ref != "" {
				if r.Session == "" || !terminal.MatchReference(r.Session, *ref) {
					return ctx.Err()
				}
				found++
			}
			fmt.Fprintf(stdout, "%6d %s %-9s %-31s %-9s tid=%s reason=%s fee=%d payment=%s pages=%d\n",
				r.Seq, r.Time, r.Kind, r.Session, r.State, r.TID, r.Reason, r.Fee, r.Billing, r.Pages)
			return ctx.Err()
		})
		if err != nil {
			return 1, err
		}
		if *ref != "" && found == 0 {
			fmt.Fprintf(stdout, "no session with reference %s in %s\n", *ref, *path)
			return 1, nil
		}
		return 0, nil
	}
	rep, err := journal.Verify(*path)
	if err != nil {
		fmt.Fprintf(stdout, "%s: CHAIN BROKEN: %v\n", *path, err)
		return 1, nil
	}
	fmt.Fprintf(stdout, "%s: chain verified, %d records, last hash %s\n", *path, rep.Records, rep.Last[:16])
	for _, k := range slices.Sorted(maps.Keys(rep.Outcomes)) {
		fmt.Fprintf(stdout, "  %-10s %d\n", k, rep.Outcomes[k])
	}
	if rep.Torn {
		fmt.Fprintln(stdout, "  an uncommitted partial record ends the file (cut at the kiosk's next start)")
	}
	for _, sid := range rep.Open {
		fmt.Fprintf(stdout, "  session %s has no end (recorded unknown at the kiosk's next start)\n", sid)
	}
	return 0, nil
}
