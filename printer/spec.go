package printer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Target kinds.
const (
	TargetUSB      = "usb"      // a USB printer (Target.USB selects it)
	TargetFile     = "file"     // a file receiving the bytes a USB printer would (Target.Path)
	TargetEmulator = "emulator" // an emulated printer: printer/emuprinter makes its Link
	TargetLink     = "link"     // a Link already opened (OnLink)
)

// Target is the printer New opens: a printer SPEC (DESIGN §8) as
// ParseTarget reads it, or an opened Link (OnLink).
type Target struct {
	Kind string   // TargetUSB, TargetFile, TargetEmulator or TargetLink
	USB  Selector // usb: which device; zero fields match anything
	Path string   // file: where the job bytes go (.pcl or .pwg)
	// Emulator holds an emulator SPEC's options, as written after
	// "emulator:" (ipp, unidir, scenario names). The printer package
	// cannot make an emulated printer — printer/emuprinter can, and its
	// Resolve turns such a Target into a TargetLink one.
	Emulator string
	// Link is the opened link of a TargetLink target.
	Link Link
}

// OnLink is the Target of an opened link: an emulated printer, a link
// wrapped to record its traffic, a test double.
func OnLink(l Link) Target { return Target{Kind: TargetLink, Link: l} }

// String spells the target as a SPEC.
func (t Target) String() string {
	switch t.Kind {
	case TargetUSB:
		if t.USB.VID != 0 && t.USB.Bus == 0 {
			return fmt.Sprintf("usb:%04x:%04x", t.USB.VID, t.USB.PID)
		}
		return "usb"
	case TargetFile:
		return "file:" + t.Path
	case TargetEmulator:
		if t.Emulator != "" {
			return "emulator:" + t.Emulator
		}
		return "emulator"
	case TargetLink:
		return "link"
	}
	return "unknown target " + strconv.Quote(t.Kind)
}

// SpecSyntax says which printer SPECs there are, for usage lines and
// errors.
const SpecSyntax = "usb | usb:VID:PID | emulator[:OPTIONS] | file:PATH.pcl|.pwg"

// ParseTarget parses a printer SPEC: usb | usb:VID:PID | emulator[:OPTIONS]
// | file:PATH. VID and PID are hexadecimal. An emulator's OPTIONS are
// kept as written for printer/emuprinter, which reads them (ipp, unidir,
// and its scenario names).
func ParseTarget(s string) (Target, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case TargetUSB:
		if !hasArg {
			return Target{Kind: TargetUSB}, nil
		}
		v, p, ok := strings.Cut(arg, ":")
		vid, err1 := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
		pid, err2 := strconv.ParseUint(strings.TrimPrefix(p, "0x"), 16, 16)
		if !ok || err1 != nil || err2 != nil || vid == 0 {
			return Target{}, fmt.Errorf("printer spec %q: want usb:VID:PID in hexadecimal", s)
		}
		return Target{Kind: TargetUSB, USB: Selector{VID: uint16(vid), PID: uint16(pid)}}, nil
	case TargetEmulator:
		return Target{Kind: TargetEmulator, Emulator: arg}, nil
	case TargetFile:
		if arg == "" {
			return Target{}, fmt.Errorf("printer spec %q: want file:PATH", s)
		}
		return Target{Kind: TargetFile, Path: arg}, nil
	}
	return Target{}, fmt.Errorf("printer spec %q: want %s", s, SpecSyntax)
}

// ErrEmulatorTarget is New given an emulator target: printer/emuprinter
// makes emulated printers (emuprinter.Resolve), the printer package
// does not know them.
var ErrEmulatorTarget = errors.New("printer: an emulator SPEC is opened through printer/emuprinter (emuprinter.Resolve)")

// New opens the printer t names, reads its IEEE 1284 device ID and
// chooses how jobs will be sent. It is the package's one constructor.
//
// It fails only if the printer cannot be reached (no such device, the
// link unusable, a file that cannot be created); a printer kofu cannot
// drive is returned with Plan().Err set, so that it can still be listed.
// Options.Quirks add to defaultQuirks when a USB interface is chosen. On
// error, a TargetLink's link is closed.
func New(ctx context.Context, t Target, opts Options) (*Printer, error) {
	switch t.Kind {
	case TargetFile:
		p, err := openFile(t.Path)
		if err != nil {
			return nil, err
		}
		p.opts = opts
		return p, nil
	case TargetEmulator:
		return nil, ErrEmulatorTarget
	case TargetLink:
		if t.Link == nil {
			return nil, errors.New("printer: link target without a link")
		}
		p, err := onLink(ctx, t.Link, opts)
		if err != nil {
			t.Link.Close()
		}
		return p, err
	case TargetUSB:
		l, err := openUSB(ctx, t.USB, opts.Quirks)
		if err != nil {
			return nil, err
		}
		p, err := onLink(ctx, l, opts)
		if err != nil {
			l.Close()
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("printer: %s", t)
}
