// Command kofu-emu runs kofu's emulators for laptops and tests: the
// issuance center now; the card bridge, the fleet and the benchmark join it
// as they are built (DESIGN §8).
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
		{Name: "center", Summary: "run the emulated issuance center over HTTPS with mutual TLS", Run: runCenter},
		{Name: "card", Summary: "an emulated My Number card plugged into pcscd through vsmartcard-vpcd", Run: runCard},
		{Name: "fleet", Summary: "N kiosks against one center: load and the fault matrix, judged from outside", Run: runFleet},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, "kofu-emu", commands(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
