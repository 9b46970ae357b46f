package printer

import (
	"fmt"
	"strconv"
	"strings"
)

// Quirks are per-model workarounds, kept as data (the form of CUPS's
// org.cups.usb-quirks and usblp's quirk table).
type Quirks uint32

// Quirk flags.
const (
	// QuirkUnidir: the device claims bidirectional but reads must not be
	// used; it is driven as protocol 1 and so can never confirm a job.
	QuirkUnidir Quirks = 1 << iota
	// QuirkNoReattach: do not reattach usblp on close.
	QuirkNoReattach
	// QuirkSoftReset: send SOFT_RESET after an aborted job.
	QuirkSoftReset
	// QuirkDelayClose: wait a second before closing after a job.
	QuirkDelayClose
	// QuirkNoAltSet: never SET_INTERFACE, even with several alternates.
	QuirkNoAltSet
	// QuirkBlacklist: never use this device.
	QuirkBlacklist
	// QuirkPagesCountSheets: the printer's PJL USTATUS PAGE and JOB END
	// PAGES count sheets, not faces (HP's reference counts faces: two per
	// duplex sheet). A two-sided job is confirmed only on the exact count
	// of the printer's semantics (pjl.Count).
	QuirkPagesCountSheets
	// QuirkNoDuplex: the printer cannot print both sides of a sheet (no
	// duplex unit); a two-sided document is refused before anything is
	// sent (KindNoDuplex). PJL and PCL cannot ask a printer that, so the
	// site says it; IPP printers say it in sides-supported.
	QuirkNoDuplex
)

func quirkNames() []struct {
	q    Quirks
	name string
} {
	return []struct {
		q    Quirks
		name string
	}{
		{QuirkUnidir, "unidir"}, {QuirkNoReattach, "no-reattach"}, {QuirkSoftReset, "soft-reset"},
		{QuirkDelayClose, "delay-close"}, {QuirkNoAltSet, "no-alt-set"}, {QuirkBlacklist, "blacklist"},
		{QuirkPagesCountSheets, "pjl-pages-counts-sheets"}, {QuirkNoDuplex, "no-duplex"},
	}
}

func (q Quirks) String() string {
	var names []string
	for _, n := range quirkNames() {
		if q&n.q != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ",")
}

// QuirkRule applies Flags to a vendor, and to one product of it if PID is
// not zero.
type QuirkRule struct {
	VID, PID uint16
	Flags    Quirks
	Note     string
}

// defaultQuirks is the built-in table: usblp's (Linux
// drivers/usb/class/usblp.c, quirk_printers[]; its BIDIR flag, "reports
// bidir but requires unidirectional mode", is QuirkUnidir here).
func defaultQuirks() []QuirkRule {
	return []QuirkRule{
		{0x03f0, 0x0004, QuirkUnidir, "HP DeskJet 895C"},
		{0x03f0, 0x0104, QuirkUnidir, "HP DeskJet 880C"},
		{0x03f0, 0x0204, QuirkUnidir, "HP DeskJet 815C"},
		{0x03f0, 0x0304, QuirkUnidir, "HP DeskJet 810C/812C"},
		{0x03f0, 0x0404, QuirkUnidir, "HP DeskJet 830C"},
		{0x03f0, 0x0504, QuirkUnidir, "HP DeskJet 885C"},
		{0x03f0, 0x0604, QuirkUnidir, "HP DeskJet 840C"},
		{0x03f0, 0x0804, QuirkUnidir, "HP DeskJet 816C"},
		{0x03f0, 0x1104, QuirkUnidir, "HP Deskjet 959C"},
		{0x0409, 0xefbe, QuirkUnidir, "NEC Picty900 (HP OEM)"},
		{0x0409, 0xbef4, QuirkUnidir, "NEC Picty760 (HP OEM)"},
		{0x0409, 0xf0be, QuirkUnidir, "NEC Picty920 (HP OEM)"},
		{0x0409, 0xf1be, QuirkUnidir, "NEC Picty800 (HP OEM)"},
		{0x0482, 0x0010, QuirkUnidir, "Kyocera Mita FS 820"},
		{0x04f9, 0x000d, QuirkUnidir, "Brother HL-1440"},
	}
}

// lookupQuirks returns the flags of every rule matching vid:pid: vendor
// rules (PID 0) and the product's own rule combined.
func lookupQuirks(rules []QuirkRule, vid, pid uint16) Quirks {
	var q Quirks
	for _, r := range rules {
		if r.VID == vid && (r.PID == 0 || r.PID == pid) {
			q |= r.Flags
		}
	}
	return q
}

// ParseQuirkRule parses one line of CUPS's usb-quirks syntax:
// "0xVVVV [0xPPPP] flag [flag…]".
func ParseQuirkRule(line string) (QuirkRule, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return QuirkRule{}, fmt.Errorf("quirk %q: want VID [PID] FLAG [FLAG]", line)
	}
	vid, err := strconv.ParseUint(f[0], 0, 16)
	if err != nil {
		return QuirkRule{}, fmt.Errorf("quirk %q: vendor: %w", line, err)
	}
	r := QuirkRule{VID: uint16(vid)}
	f = f[1:]
	if pid, err := strconv.ParseUint(f[0], 0, 16); err == nil {
		r.PID = uint16(pid)
		f = f[1:]
	}
	if len(f) == 0 {
		return QuirkRule{}, fmt.Errorf("quirk %q: no flags", line)
	}
next:
	for _, name := range f {
		for _, n := range quirkNames() {
			if strings.EqualFold(name, n.name) {
				r.Flags |= n.q
				continue next
			}
		}
		return QuirkRule{}, fmt.Errorf("quirk %q: unknown flag %q", line, name)
	}
	return r, nil
}

// String spells the rule as ParseQuirkRule reads it, canonically: the
// vendor and product in lower-case hexadecimal (no product for a vendor
// rule), then the flags in the table's order. Two rules that do the same
// spell the same (the configuration digest counts rules by it).
func (r QuirkRule) String() string {
	s := fmt.Sprintf("0x%04x", r.VID)
	if r.PID != 0 {
		s += fmt.Sprintf(" 0x%04x", r.PID)
	}
	return s + " " + strings.ReplaceAll(r.Flags.String(), ",", " ")
}
