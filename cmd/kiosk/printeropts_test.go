package main

import (
	"context"
	"strings"
	"testing"

	"kofu/internal/emulator"
	"kofu/printer"
	"kofu/terminal/config"
)

// TestOpenPrinterEmulatorOptions: `kiosk run --printer emulator:OPTIONS`
// takes every emulator option — ipp drives the emulated IPP-over-USB
// printer through kofu's IPP path — and a bad option is refused naming
// what is accepted.
func TestOpenPrinterEmulatorOptions(t *testing.T) {
	ctx := context.Background()
	for spec, want := range map[string]printer.Path{
		"emulator": printer.PathPJLPCL, "emulator:ipp": printer.PathIPP, "emulator:ipp,jam@2": printer.PathIPP,
		"emulator:unidir": printer.PathPJLPCL, "emulator:paper-out@1": printer.PathPJLPCL,
	} {
		sink, _, err := openPrinter(ctx, spec, t.TempDir(), printer.Options{})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if got := sink.(*emulator.Printer).Device().Plan().Path; got != want {
			t.Errorf("%s: path %s, want %s", spec, got, want)
		}
		sink.Close()
	}
	_, _, err := openPrinter(ctx, "emulator:ipp,explode", t.TempDir(), printer.Options{})
	if err == nil || !strings.Contains(err.Error(), `"emulator:ipp,explode"`) || !strings.Contains(err.Error(), "ipp (an IPP-over-USB printer)") {
		t.Fatalf("bad option: %v", err)
	}
}

// TestPrinterOptionsFromConfig: the configuration's quirks, status
// interval and ground pattern reach the printer; the store profiles
// require the pattern, the laptop profile takes it without requiring it,
// and ground_pattern = false leaves it out.
func TestPrinterOptionsFromConfig(t *testing.T) {
	off := false
	for _, c := range []struct {
		cfg               *config.Config
		pattern, required bool
	}{
		{nil, true, false},
		{&config.Config{Profile: config.Profile{Name: "laptop"}}, true, false},
		{&config.Config{Profile: config.Profile{Name: "store-multi"}}, true, true},
		{&config.Config{Profile: config.Profile{Name: "laptop"}, Printer: config.Printer{GroundPattern: &off}}, false, false},
	} {
		o, err := printerOptions(c.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if (o.GroundPattern != nil) != c.pattern || o.RequireGroundPattern != c.required {
			t.Errorf("%+v: pattern %v required %v", c.cfg, o.GroundPattern != nil, o.RequireGroundPattern)
		}
	}
	cfg := &config.Config{Printer: config.Printer{Quirks: []string{"0x04f9 0x0042 unidir"}}}
	cfg.Printer.StatusInterval.Duration = 2e9
	o, err := printerOptions(cfg, nil)
	if err != nil || len(o.Quirks) != 1 || o.Quirks[0].Flags != printer.QuirkUnidir || o.StatusInterval != 2e9 {
		t.Fatalf("%+v, %v", o, err)
	}
}
