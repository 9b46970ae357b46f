package main

import (
	"context"
	"fmt"
	"log/slog"

	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/groundpattern"
	"kofu/terminal/config"
)

// printerOptions are kofu's printer options as the configuration sets
// them: the site's quirk rules, the status polling interval, and the
// copy-evident ground pattern (on unless printer.ground_pattern = false;
// the store profiles require it, and refuse a page it cannot be added to
// — a 300-dpi page — where other profiles print that page without it and
// log a warning), and duplex (printer.duplex: documents asked and printed
// two-sided; the profile's default when left out: on and required for
// the store profiles, off for laptop). cfg nil is the defaults (pattern
// on, not required; one-sided).
func printerOptions(cfg *config.Config, log *slog.Logger) (printer.Options, error) {
	o := printer.Options{Logger: log, Duplex: cfg != nil && cfg.DuplexOn()}
	on, required := true, false
	if cfg != nil {
		rules, err := cfg.Printer.QuirkRules()
		if err != nil {
			return printer.Options{}, err
		}
		o.Quirks, o.StatusInterval = rules, cfg.Printer.StatusInterval.Duration
		on = cfg.Printer.PatternOn()
		if spec, ok := config.LookupProfile(cfg.Profile.Name); ok {
			required = spec.GroundPattern
		}
	}
	if on {
		gp, err := newGroundPattern()
		if err != nil {
			return printer.Options{}, err
		}
		o.GroundPattern, o.RequireGroundPattern = gp, required
	}
	return o, nil
}

// newGroundPattern builds the ground pattern from the IPA Gothic font
// embedded in the binary (the word 「複写」 is set in it).
func newGroundPattern() (*groundpattern.Pattern, error) {
	fx, err := fixtures.Load()
	if err != nil {
		return nil, fmt.Errorf("ground pattern: %w", err)
	}
	ttf, err := fx.FontTTF()
	if err != nil {
		return nil, fmt.Errorf("ground pattern: font: %w", err)
	}
	gp, err := groundpattern.New(ttf, groundpattern.DPI)
	if err != nil {
		return nil, fmt.Errorf("ground pattern: %w", err)
	}
	return gp, nil
}

// openTarget opens the printer a SPEC names — an emulator SPEC starts an
// emulated printer (printer/emuprinter) — with opts.
func openTarget(ctx context.Context, spec string, opts printer.Options) (*printer.Printer, error) {
	t, _, err := emuprinter.ParseTarget(spec)
	if err != nil {
		return nil, err
	}
	return printer.New(ctx, t, opts)
}
