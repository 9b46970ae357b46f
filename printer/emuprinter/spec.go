package emuprinter

import (
	"fmt"
	"strings"

	"kofu/printer"
)

// OptionsSyntax says which emulator SPEC options there are, for usage lines and
// errors.
const OptionsSyntax = "ipp (an IPP-over-USB printer), unidir (a unidirectional one), and the scenarios " +
	"paper-out@K, jam@K, no-end, result=VALUE, no-result, short=N, interleave, no-echo, no-ustatus, no-info, unplug@BYTES, truncate-id@N, page-time=DUR, " +
	"pages-sheets (PJL PAGES counts sheets; the site's pjl-pages-counts-sheets quirk with it), no-duplex (no duplex unit, which the printer says in " +
	"@PJL INFO CONFIG or IPP sides-supported; the site's no-duplex quirk with it where the printer cannot say it: unidir, no-info-config, bad-info-config), " +
	"ipp-sheets-as-impressions, no-info-config (the printer ignores @PJL INFO CONFIG), bad-info-config (its answer is malformed)"

// ParseConfig reads an emulator SPEC's options (what follows
// "emulator:"), comma-separated: ipp (an IPP-over-USB printer, 7/1/4),
// unidir (7/1/1), and the scenario names of ParseScenario. pages-sheets,
// and no-duplex on a printer that cannot say it has no duplex unit, also
// set the quirks a site would configure for such a printer
// (Config.Quirks); a Config built by hand can leave them out.
func ParseConfig(options string) (Config, error) {
	var cfg Config
	var rest []string
	for _, o := range strings.Split(options, ",") {
		switch strings.TrimSpace(o) {
		case "ipp":
			if cfg.Protocol == protoUnidir {
				return Config{}, fmt.Errorf("emulator options %q: ipp and unidir exclude each other", options)
			}
			cfg.Protocol = protoIPPUSB
		case "unidir":
			if cfg.Protocol == protoIPPUSB {
				return Config{}, fmt.Errorf("emulator options %q: ipp and unidir exclude each other", options)
			}
			cfg.Protocol = protoUnidir
		default:
			rest = append(rest, o)
		}
	}
	sc, err := ParseScenario(strings.Join(rest, ","))
	if err != nil {
		return Config{}, fmt.Errorf("emulator options %q: %w (options: %s)", options, err, OptionsSyntax)
	}
	cfg.Scenario = sc
	// A printer-class printer cannot say how its PJL counts: the site
	// says so in its quirks ([printer] quirks), which the emulated
	// printer reports as a USB link reports the rules that matched it.
	// That it has no duplex unit a bidirectional PJL printer says in its
	// @PJL INFO CONFIG answer; one that cannot be asked, or does not
	// answer, or answers garbage, needs the site's quirk.
	if sc.PagesCountSheets {
		cfg.Quirks |= printer.QuirkPagesCountSheets
	}
	if sc.NoDuplex && cfg.Protocol != protoIPPUSB && (cfg.Protocol == protoUnidir || sc.NoInfoConfig || sc.BadInfoConfig) {
		cfg.Quirks |= printer.QuirkNoDuplex
	}
	return cfg, nil
}

// Resolve makes an emulator target openable: for a printer.TargetEmulator
// it starts the emulated printer its options describe and returns the
// TargetLink target on it, with the device (for the caller's checks and
// to Close it if New is never called); any other target comes back as
// it is, with a nil device. printer.New closes the link on error.
func Resolve(t printer.Target) (printer.Target, *Printer, error) {
	if t.Kind != printer.TargetEmulator {
		return t, nil, nil
	}
	cfg, err := ParseConfig(t.Emulator)
	if err != nil {
		return printer.Target{}, nil, fmt.Errorf("printer spec %q: %w", t, err)
	}
	em := New(cfg)
	return printer.OnLink(em), em, nil
}

// ParseTarget is printer.ParseTarget followed by Resolve: the one call
// for a SPEC that may name the emulator.
func ParseTarget(spec string) (printer.Target, *Printer, error) {
	t, err := printer.ParseTarget(spec)
	if err != nil {
		return printer.Target{}, nil, err
	}
	return Resolve(t)
}
