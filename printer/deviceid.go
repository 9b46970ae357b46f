package printer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// DeviceID is a parsed IEEE 1284 device ID.
type DeviceID struct {
	Raw          string            // the ID text, as used for parsing
	Fields       map[string]string // every KEY:value, keys upper case
	Manufacturer string            // MFG or MANUFACTURER
	Model        string            // MDL or MODEL
	Commands     []string          // CMD or COMMAND SET, split on ',' and trimmed
	Class        string            // CLS or CLASS
	Description  string            // DES or DESCRIPTION
	Serial       string            // SN or SERN
}

// ErrDeviceID is wrapped by every device ID parsing error.
var ErrDeviceID = errors.New("invalid IEEE 1284 device ID")

// ParseDeviceID parses device ID text with CUPS's rules: a key runs to
// the first ':', its value to the next ';' (so values may hold ':'), keys
// are case-insensitive and trimmed, tabs and line breaks count as spaces,
// any other control character rejects the ID, and a later duplicate key
// wins. A last pair without its ';' is kept (CUPS drops it) because the
// Linux gadget and some printers cut the final ';' off. MFG, MDL and CMD
// must be present.
func ParseDeviceID(s string) (DeviceID, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // C string semantics: the ID ends at NUL
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '\t' || c == '\n' || c == '\r':
			b[i] = ' '
		case c < 0x20 || c == 0x7f:
			return DeviceID{}, fmt.Errorf("%w: control character 0x%02x at %d", ErrDeviceID, c, i)
		}
	}
	id := DeviceID{Raw: string(b), Fields: map[string]string{}}
	rest := id.Raw
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		k, after, ok := strings.Cut(rest, ":")
		if !ok {
			break // trailing text without a key: ignored, as CUPS does
		}
		v, tail, _ := strings.Cut(after, ";")
		rest = tail
		k = strings.ToUpper(strings.TrimSpace(k))
		if k == "" {
			continue
		}
		id.Fields[k] = strings.TrimSpace(v)
	}
	get := func(keys ...string) string {
		for _, k := range keys {
			if v, ok := id.Fields[k]; ok {
				return v
			}
		}
		return ""
	}
	id.Manufacturer = get("MFG", "MANUFACTURER")
	id.Model = get("MDL", "MODEL")
	id.Class = get("CLS", "CLASS")
	id.Description = get("DES", "DESCRIPTION")
	id.Serial = get("SN", "SERN")
	if cmd := get("CMD", "COMMAND SET"); cmd != "" {
		for _, c := range strings.Split(cmd, ",") {
			if c = strings.TrimSpace(c); c != "" {
				id.Commands = append(id.Commands, c)
			}
		}
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"MFG", id.Manufacturer}, {"MDL", id.Model}, {"CMD", cmdOrEmpty(id)}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return id, fmt.Errorf("%w: %s missing in %q", ErrDeviceID, strings.Join(missing, ", "), id.Raw)
	}
	return id, nil
}

func cmdOrEmpty(id DeviceID) string { return strings.Join(id.Commands, ",") }

// minDeviceIDLen is the shortest usable reply, prefix included:
// "<LENGTH>MFG:x;MDL:y;" (CUPS backend/ieee1284.c).
const minDeviceIDLen = 14

// decodeDeviceIDReply extracts the ID text from a GET_DEVICE_ID reply of n
// transferred bytes. The 2-byte length prefix is big-endian and counts
// itself; if it is absurd (over the buffer or under 14) the little-endian
// reading is tried, as CUPS does. The text ends at min(prefix, n): Linux's
// printer gadget (6.1) puts the text's length, not the reply's, in the
// prefix and transfers only that many bytes.
func decodeDeviceIDReply(buf []byte, n int) (string, error) {
	if n > len(buf) {
		n = len(buf)
	}
	if n < 2 {
		return "", fmt.Errorf("%w: reply of %d bytes", ErrDeviceID, n)
	}
	l := int(binary.BigEndian.Uint16(buf))
	if l > len(buf) || l < minDeviceIDLen {
		l = int(binary.LittleEndian.Uint16(buf))
	}
	if l > len(buf) {
		l = len(buf)
	}
	if l < minDeviceIDLen {
		return "", fmt.Errorf("%w: length %d (prefix % x)", ErrDeviceID, l, buf[:2])
	}
	end := min(l, n)
	if end < minDeviceIDLen {
		return "", fmt.Errorf("%w: only %d bytes transferred", ErrDeviceID, n)
	}
	return string(buf[2:end]), nil
}

// PDL is a page description language or job-control capability named in
// the device ID's CMD.
type PDL string

// Languages kofu recognises in CMD.
const (
	PDLPCL5       PDL = "PCL5"
	PDLPCLXL      PDL = "PCL-XL"
	PDLPostScript PDL = "PostScript"
	PDLPDF        PDL = "PDF"
	PDLPWG        PDL = "PWG"
	PDLURF        PDL = "URF"
	PDLPJL        PDL = "PJL"
)

// hostBased lists CMD tokens of printers that need a vendor driver on the
// host: kofu refuses them.
func hostBased() []string {
	return []string{"GDI", "HBPL", "UFR", "LIPS", "RPCS", "BJRASTER"}
}

// Capabilities is what the CMD tokens say a printer accepts.
type Capabilities struct {
	PDLs      map[PDL]bool
	HostBased []string // host-based languages offered (unusable)
	Other     []string // tokens not recognised
}

// Has reports whether p was offered.
func (c Capabilities) Has(p PDL) bool { return c.PDLs[p] }

// Capabilities maps the CMD tokens: PCL/PCL5/PCL5E/PCL5C → PCL5;
// PCLXL/PCL6/PCL-XL → PCL-XL; containing POSTSCRIPT, or exactly PS →
// PostScript; PDF, PWG, URF, PJL as such; GDI/HBPL/UFR/LIPS/RPCS/BJRaster
// (any version suffix) → host-based.
func (id DeviceID) Capabilities() Capabilities {
	c := Capabilities{PDLs: map[PDL]bool{}}
	for _, tok := range id.Commands {
		u := strings.ToUpper(strings.TrimSpace(tok))
		switch {
		case u == "PCL" || u == "PCL5" || u == "PCL5E" || u == "PCL5C":
			c.PDLs[PDLPCL5] = true
		case u == "PCLXL" || u == "PCL6" || u == "PCL-XL":
			c.PDLs[PDLPCLXL] = true
		case strings.Contains(u, "POSTSCRIPT") || u == "PS":
			c.PDLs[PDLPostScript] = true
		case u == "PDF":
			c.PDLs[PDLPDF] = true
		case u == "PWG" || u == "PWGRASTER" || u == "PWG-RASTER":
			c.PDLs[PDLPWG] = true
		case u == "URF":
			c.PDLs[PDLURF] = true
		case u == "PJL":
			c.PDLs[PDLPJL] = true
		case isHostBased(u):
			c.HostBased = append(c.HostBased, tok)
		default:
			c.Other = append(c.Other, tok)
		}
	}
	return c
}

func isHostBased(u string) bool {
	for _, h := range hostBased() {
		if strings.HasPrefix(u, h) {
			return true
		}
	}
	return false
}

// Offered lists the recognised languages, sorted, for messages.
func (c Capabilities) Offered() []string {
	var out []string
	for p := range c.PDLs {
		out = append(out, string(p))
	}
	sort.Strings(out)
	out = append(out, c.HostBased...)
	return append(out, c.Other...)
}
