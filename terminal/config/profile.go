package config

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ProfileSpec is one deployment profile: what the kiosk must find on the
// machine at start. Profiles are data (the table in Profiles) so that a
// machine set up for one deployment and started under another — a
// single-server build on a multi-server center (Takamatsu 2024), a laptop
// configuration on a store machine — refuses to start instead of issuing.
type ProfileSpec struct {
	Name  string
	About string
	// PrinterKinds lists the printer selector kinds allowed: "usb",
	// "file", "emulator" (the part of printer.spec before any colon).
	PrinterKinds []string
	// PrinterMFG and PrinterMDL, when set, are patterns the printer's
	// IEEE 1284 device ID (MFG, MDL) must match.
	PrinterMFG, PrinterMDL string
	// Reader, when set, is a pattern at least one card reader name must match.
	Reader string
	// MinEndpoints and MaxEndpoints bound the center's endpoints: the
	// addresses center.url's host resolves to, counted per address family
	// (the larger of the IPv4 and IPv6 counts, so a dual-stack server is
	// one endpoint). MaxEndpoints 0: no upper bound.
	MinEndpoints, MaxEndpoints int
	// GroundPattern: the profile prints the copy-evident ground pattern
	// (printer.ground_pattern may not be false), and a page it cannot be
	// added to (300 dpi: printer/groundpattern refuses) is refused
	// before the move to print rather than printed without it.
	GroundPattern bool
	// Duplex: the profile prints documents on both sides, as the real
	// service does (printer.duplex may not be false, and is on when left
	// out; other profiles default to one-sided).
	Duplex bool
}

// Profiles is the table of deployment profiles.
func Profiles() []ProfileSpec {
	return []ProfileSpec{
		{Name: "laptop", About: "a development machine: emulator mode, any printer",
			PrinterKinds: []string{"emulator", "file", "usb"}, MinEndpoints: 1},
		{Name: "store-single", About: "a store machine against a single-server center",
			PrinterKinds: []string{"usb"}, PrinterMFG: `\S`, PrinterMDL: `\S`, Reader: `\S`,
			MinEndpoints: 1, MaxEndpoints: 1, GroundPattern: true, Duplex: true},
		{Name: "store-multi", About: "a store machine against a multi-server center (DNS names ≥2 servers)",
			PrinterKinds: []string{"usb"}, PrinterMFG: `\S`, PrinterMDL: `\S`, Reader: `\S`,
			MinEndpoints: 2, GroundPattern: true, Duplex: true},
	}
}

// LookupProfile returns the profile called name.
func LookupProfile(name string) (ProfileSpec, bool) {
	i := slices.IndexFunc(Profiles(), func(p ProfileSpec) bool { return p.Name == name })
	if i < 0 {
		return ProfileSpec{}, false
	}
	return Profiles()[i], true
}

// ProfileNames lists the profile names, quoted, for messages.
func ProfileNames() string {
	var q []string
	for _, p := range Profiles() {
		q = append(q, strconv.Quote(p.Name))
	}
	return strings.Join(q, ", ")
}

// Detected is what the kiosk found on the machine at start.
type Detected struct {
	PrinterKind            string   // "usb", "file", "emulator"
	PrinterMFG, PrinterMDL string   // from the printer's device ID
	Readers                []string // card reader names
	CenterHost             string
	CenterAddrs            []string // what CenterHost resolved to
}

// PrinterKind is the selector kind of a printer spec: "usb", "file" or
// "emulator".
func PrinterKind(spec string) string {
	kind, _, _ := strings.Cut(spec, ":")
	return kind
}

// Endpoints counts the center's endpoints among addrs: the larger of the
// number of distinct IPv4 and of IPv6 addresses.
func Endpoints(addrs []string) int {
	v4, v6 := map[string]bool{}, map[string]bool{}
	for _, a := range addrs {
		ip := net.ParseIP(a)
		switch {
		case ip == nil:
		case ip.To4() != nil:
			v4[ip.String()] = true
		default:
			v6[ip.String()] = true
		}
	}
	return max(len(v4), len(v6))
}

// ProfileMismatch is the refusal to start: each way the machine does not
// fit the configured profile.
type ProfileMismatch struct {
	Profile    string
	Mismatches []string
}

func (e *ProfileMismatch) Error() string {
	return fmt.Sprintf("profile %q does not match this machine: %s", e.Profile, strings.Join(e.Mismatches, "; "))
}

// Check compares what was detected with the profile; nil when it fits,
// else a *ProfileMismatch naming every difference.
func (p ProfileSpec) Check(d Detected) error {
	var m []string
	if !slices.Contains(p.PrinterKinds, d.PrinterKind) {
		m = append(m, fmt.Sprintf("printer: found %q, the profile requires %s", d.PrinterKind, strings.Join(p.PrinterKinds, " or ")))
	}
	for _, f := range []struct{ field, pattern, got string }{
		{"MFG", p.PrinterMFG, d.PrinterMFG}, {"MDL", p.PrinterMDL, d.PrinterMDL},
	} {
		if f.pattern != "" && !regexp.MustCompile(f.pattern).MatchString(f.got) {
			m = append(m, fmt.Sprintf("printer device ID %s: found %q, the profile requires /%s/", f.field, f.got, f.pattern))
		}
	}
	if p.Reader != "" {
		re := regexp.MustCompile(p.Reader)
		if !slices.ContainsFunc(d.Readers, re.MatchString) {
			m = append(m, fmt.Sprintf("card reader: found %q, the profile requires one named /%s/", d.Readers, p.Reader))
		}
	}
	n := Endpoints(d.CenterAddrs)
	switch {
	case n < p.MinEndpoints || (p.MaxEndpoints > 0 && n > p.MaxEndpoints):
		want := fmt.Sprintf("at least %d", p.MinEndpoints)
		if p.MaxEndpoints == p.MinEndpoints {
			want = fmt.Sprintf("exactly %d", p.MinEndpoints)
		} else if p.MaxEndpoints > 0 {
			want = fmt.Sprintf("%d to %d", p.MinEndpoints, p.MaxEndpoints)
		}
		m = append(m, fmt.Sprintf("center: %s resolves to %d endpoint(s) %v, the profile requires %s", d.CenterHost, n, d.CenterAddrs, want))
	}
	if len(m) > 0 {
		return &ProfileMismatch{Profile: p.Name, Mismatches: m}
	}
	return nil
}
