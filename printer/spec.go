package printer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Spec is a parsed printer SPEC (DESIGN §8).
type Spec struct {
	Kind     string // "usb", "emulator" or "file"
	USB      Selector
	Path     string         // file
	Emulator EmulatorConfig // emulator
}

// ParseSpec parses usb | usb:VID:PID | emulator[:OPTIONS] | file:PATH.
// VID and PID are hexadecimal. Emulator options are comma-separated:
// ipp (an IPP-over-USB printer, 7/1/4), unidir (7/1/1), and the scenario
// names of ParseScenario.
func ParseSpec(s string) (Spec, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "usb":
		if !hasArg {
			return Spec{Kind: "usb"}, nil
		}
		v, p, ok := strings.Cut(arg, ":")
		vid, err1 := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
		pid, err2 := strconv.ParseUint(strings.TrimPrefix(p, "0x"), 16, 16)
		if !ok || err1 != nil || err2 != nil || vid == 0 {
			return Spec{}, fmt.Errorf("printer spec %q: want usb:VID:PID in hexadecimal", s)
		}
		return Spec{Kind: "usb", USB: Selector{VID: uint16(vid), PID: uint16(pid)}}, nil
	case "emulator":
		var cfg EmulatorConfig
		var rest []string
		for _, o := range strings.Split(arg, ",") {
			switch strings.TrimSpace(o) {
			case "ipp":
				cfg.Protocol = protoIPPUSB
			case "unidir":
				cfg.Protocol = protoUnidir
			default:
				rest = append(rest, o)
			}
		}
		sc, err := ParseScenario(strings.Join(rest, ","))
		if err != nil {
			return Spec{}, fmt.Errorf("printer spec %q: %w", s, err)
		}
		cfg.Scenario = sc
		return Spec{Kind: "emulator", Emulator: cfg}, nil
	case "file":
		if arg == "" {
			return Spec{}, fmt.Errorf("printer spec %q: want file:PATH", s)
		}
		return Spec{Kind: "file", Path: arg}, nil
	}
	return Spec{}, fmt.Errorf("printer spec %q: want usb, usb:VID:PID, emulator or file:PATH", s)
}

// Open opens the printer a SPEC names and reads its device ID.
func Open(ctx context.Context, spec string, opts Options) (*Printer, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	switch sp.Kind {
	case "file":
		p, err := OpenFile(sp.Path)
		if err != nil {
			return nil, err
		}
		p.opts = opts
		return p, nil
	case "emulator":
		em := NewEmulator(sp.Emulator)
		p, err := NewPrinter(ctx, em, opts)
		if err != nil {
			em.Close()
		}
		return p, err
	}
	l, err := OpenUSB(ctx, sp.USB, opts.Quirks)
	if err != nil {
		return nil, err
	}
	p, err := NewPrinter(ctx, l, opts)
	if err != nil {
		l.Close()
		return nil, err
	}
	return p, nil
}
