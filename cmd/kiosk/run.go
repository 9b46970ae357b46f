package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"kofu/internal/emulator"
	"kofu/printer"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// runKiosk is `kiosk run` (DESIGN §8).
func runKiosk(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "configuration file (store machine)")
	emu := fs.Bool("emulator", false, "emulated card, center and printer in one process")
	faults := fs.String("fault", "", "emulator: center fault modes NAME[,NAME...] (see kofu-emu center)")
	resident := fs.String("resident", "R0001", "emulator: the test resident whose card is inserted")
	autopilot := fs.Bool("autopilot", false, "no UI: run one transaction and print one JSON line")
	docType := fs.String("doc", "juminhyo", "autopilot: document type")
	pin := fs.String("pin", "", "autopilot: the card's PIN (emulator default: the resident's)")
	printerSpec := fs.String("printer", "emulator", "printer: emulator[:SCENARIO] (bytes and decoded PNG pages to --out), usb, usb:VID:PID, file:PATH.pcl|.pwg")
	out := fs.String("out", "kofu-out", "emulator output directory for printed pages")
	journalPath := fs.String("journal", "", "journal file (emulator default: OUT/journal)")
	crashAt := fs.String("crash-at", "", "emulator, for crash tests: SIGKILL this process on entering STATE")
	dpi := fs.Int("dpi", 300, "emulator: center page resolution (300 or 600)")
	lang := fs.String("lang", "ja", "customer UI: the language a session starts in (ja or en)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	switch {
	case *config != "":
		return 2, errors.New("--config (store machine mode) is not available in this build yet; use --emulator")
	case !*emu:
		return 2, errors.New("only --emulator mode is available in this build")
	}
	fl, err := center.ParseFaults(*faults)
	if err != nil {
		return 2, err
	}
	doc, err := protocol.NewDocSpec(protocol.DocType(*docType))
	if err != nil {
		return 2, err
	}
	env, err := emulator.Start(ctx, emulator.Options{Faults: fl, DPI: *dpi,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 1, err
	}
	defer env.Close()
	res, ok := env.Fixtures.Resident(*resident)
	if !ok {
		return 2, fmt.Errorf("no test resident %q", *resident)
	}
	p := []byte(*pin)
	if len(p) == 0 {
		p = []byte(res.PIN)
	}
	defer clear(p)
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return 1, err
	}
	if *journalPath == "" {
		*journalPath = filepath.Join(*out, "journal")
	}
	key, err := journal.KeyFile(*journalPath + ".key")
	if err != nil {
		return 1, err
	}
	j, rep, err := journal.Open(*journalPath, key, nil)
	if err != nil {
		return 1, fmt.Errorf("journal: %w", err)
	}
	defer j.Close()
	for _, sid := range rep.Recovered {
		fmt.Fprintf(stderr, "kiosk: session %s was left unfinished by an earlier run; recorded as unknown, not reprinted\n", sid)
	}
	sink, files, err := openPrinter(ctx, *printerSpec, *out)
	if err != nil {
		return 1, fmt.Errorf("printer: %w", err)
	}
	defer sink.Close()
	if !*autopilot {
		// The customer UI: sessions until the resident quits (Q when idle).
		if err := runUI(ctx, env, res, j, sink, *lang); err != nil {
			return 1, err
		}
		return 0, nil
	}
	coins := payment.NewCoins()
	k := env.Kiosk(sink, coins, j)
	if *crashAt != "" {
		k.OnState = func(st terminal.State) {
			if string(st) == *crashAt {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	}
	slot, err := emulator.NewCardSlot(env.Fixtures, res)
	if err != nil {
		return 1, err
	}
	card, err := slot.Open(ctx)
	if err != nil {
		return 1, fmt.Errorf("card: %w", err)
	}
	defer card.Close()
	result := k.Serve(ctx, card, terminal.NewAutopilot(emulator.OrderFor(res, doc), p, coins))
	result.Files = append([]string{}, files()...)
	line, _ := json.Marshal(result)
	fmt.Fprintln(stdout, string(line))
	if result.Outcome != protocol.ResultPrinted {
		return 1, nil
	}
	return 0, nil
}

// closingSink is a printer the kiosk closes when it stops.
type closingSink interface {
	terminal.Sink
	Close() error
}

// openPrinter opens the printer a spec names. The emulated printer also
// reports the page files it wrote to out; a real printer writes none.
func openPrinter(ctx context.Context, spec, out string) (closingSink, func() []string, error) {
	if spec == "emulator" || strings.HasPrefix(spec, "emulator:") {
		ep, err := emulator.NewPrinter(ctx, out, strings.TrimPrefix(strings.TrimPrefix(spec, "emulator"), ":"))
		if err != nil {
			return nil, nil, err
		}
		return ep, func() []string { return ep.Files }, nil
	}
	p, err := printer.Open(ctx, spec, printer.Options{})
	if err != nil {
		return nil, nil, err
	}
	return p, func() []string { return nil }, nil
}
