// Command kiosk is the kofu product binary: the kiosk on a store machine,
// its technician tools, and emulator mode on a laptop (DESIGN §8).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"kofu/internal/cli"
)

func commands() []cli.Command {
	return []cli.Command{
		{Name: "run", Summary: "run the kiosk (--emulator: card, center and printer emulated in one process)", Run: runKiosk},
		{Name: "diag", Summary: "technician UI: checks, reader and card, printer, center, journal, counters", Run: runDiag},
		{Name: "selftest", Summary: "preflight checks: reader, card, printer, center, journal, disk; exit 1 if a blocking one fails", Run: runSelftest},
		{Name: "card", Summary: "PC/SC card checks: info, sign (--pin, --in, --out)", Run: runCard,
			Usage: "usage: kiosk card info [--reader FILTER] [--pem] [--trace]\n       kiosk card sign --pin PIN|- --in FILE --out SIG [--reader FILTER] [--trace]\n\n`kiosk card SUBCOMMAND --help` lists a subcommand's flags."},
		{Name: "printer", Summary: "printer checks: list, status, testpage (--printer SPEC)", Run: runPrinter,
			Usage: "usage: kiosk printer list|status|testpage [--printer SPEC]\n  SPEC: usb | usb:VID:PID | emulator | file:PATH (.pwg: PWG Raster, .pcl: PJL + PCL 5)\n\n`kiosk printer SUBCOMMAND --help` lists a subcommand's flags."},
		{Name: "journal", Summary: "show or verify the hash-chained journal", Run: runJournal,
			Usage: "usage: kiosk journal show|verify [--journal PATH | --config FILE]\n\n`kiosk journal SUBCOMMAND --help` lists a subcommand's flags."},
		{Name: "config", Summary: "check a configuration file: every key, value and file it names", Run: runConfig,
			Usage: "usage: kiosk config check --config FILE\n\n`kiosk config check --help` lists its flags."},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, "kiosk", commands(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
