// Command kofu-emu runs kofu's emulators for laptops and tests (DESIGN §8):
// the issuance center, the card bridge into pcscd, the fleet, and the
// side-by-side performance report (bench, with bench-worker the kiosk and
// center processes it measures).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"kofu/internal/bench"
	"kofu/internal/cli"
)

func commands() []cli.Command {
	return []cli.Command{
		{Name: "center", Summary: "run the emulated issuance center over HTTPS with mutual TLS", Run: runCenter},
		{Name: "card", Summary: "an emulated My Number card plugged into pcscd through vsmartcard-vpcd", Run: runCard},
		{Name: "fleet", Summary: "N kiosks against one center: load and the fault matrix, judged from outside", Run: runFleet},
		{Name: "bench", Summary: "side-by-side performance report: Markdown or JSON, PNG charts with --out", Run: runBench},
		{Name: "bench-worker", Summary: "(used by bench) a kiosk or center process whose own cost bench measures", Run: bench.WorkerMain,
			Usage: "usage: kofu-emu bench-worker kiosk|center [flags] (started by kofu-emu bench)"},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, "kofu-emu", commands(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
