package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol/center"
)

// runCenter is `kofu-emu center --listen ADDR [--fault NAME,...] [--fault-rate P]`.
func runCenter(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("center", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on (HTTPS, mutual TLS)")
	faults := fs.String("fault", "", "fault modes to inject: NAME[,NAME...], slow:DUR, or all")
	rate := fs.Float64("fault-rate", 0, "probability that a ticket gets one of the faults (default 1 when --fault is set)")
	dpi := fs.Int("dpi", 300, "page resolution: 300 or 600")
	hours := fs.String("hours", "", "service hours in JST, e.g. 06:30-23:00 (default: always open)")
	renderDelay := fs.Duration("render-delay", 0, "extra issuer latency per document")
	verbose := fs.Bool("v", false, "log every problem and incident (JSON on stderr)")
	v1Only := fs.Bool("v1-only", false, "serve DESIGN §3's routes alone, as a center built from the contract would: no 世帯の一部 (POST /v1/household answers 404)")
	var at clock.Flag
	fs.Var(&at, "clock", "start the center's clock (calendar, tickets, OCSP) at this instant, RFC 3339 with a zone, e.g. 2026-12-07T09:00+09:00 (default: the wall clock; kiosks check tickets against their own clocks)")
	var builds stringList
	fs.Var(&builds, "accept-build", "a kiosk build and configuration this deployment attested: the exact request \"sw\", \"kofu-kiosk/<version>+<rev> cfg=<digest>\" as `kiosk config check` prints it; repeatable (default: any)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fl, err := center.ParseFaults(*faults)
	if err != nil {
		return 2, err
	}
	fx, err := fixtures.Load()
	if err != nil {
		return 1, err
	}
	cfg := center.Config{Fixtures: fx, Faults: fl, FaultRate: *rate, DPI: *dpi, RenderDelay: *renderDelay, Builds: builds,
		V1Only: *v1Only, Now: at.Clock()}
	if *hours != "" {
		if cfg.Hours, err = center.ParseHours(*hours); err != nil {
			return 2, err
		}
	}
	if *verbose {
		cfg.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	}
	srv, err := center.Start(cfg, *listen)
	if err != nil {
		return 1, err
	}
	line, _ := json.Marshal(map[string]any{"event": "listening", "url": srv.URL, "ocsp": srv.OCSPURL,
		"faults": *faults, "fault_rate": srv.Center.FaultRate(), "dpi": cfg.DPI})
	fmt.Fprintln(stdout, string(line))
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return 0, srv.Shutdown(sctx)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
