package printer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDeviceID(t *testing.T) {
	for _, c := range []struct {
		name              string
		in                string
		mfg, mdl, sn, cls string
		cmd               []string
		err               bool
	}{
		{"HP", "MFG:Hewlett-Packard;CMD:PJL,MLC,PCL,PCLXL,POSTSCRIPT;MDL:HP LaserJet 4050 Series ;CLS:PRINTER;DES:Hewlett-Packard LaserJet 4050 Series ;",
			"Hewlett-Packard", "HP LaserJet 4050 Series", "", "PRINTER", []string{"PJL", "MLC", "PCL", "PCLXL", "POSTSCRIPT"}, false},
		{"long keys, lower case", "manufacturer:Xerox;model:Phaser 3250;command set:Adobe PostScript 3, PCL, PJL;sern:X123;",
			"Xerox", "Phaser 3250", "X123", "", []string{"Adobe PostScript 3", "PCL", "PJL"}, false},
		{"value with colon", "MFG:Acme;MDL:Model:9;CMD:PCL;SN:a:b;", "Acme", "Model:9", "a:b", "", []string{"PCL"}, false},
		{"tabs and newlines are spaces", "MFG:Acme\tInc;\r\nMDL:X\n1;CMD:PCL5E,PCL6;", "Acme Inc", "X 1", "", "", []string{"PCL5E", "PCL6"}, false},
		{"last pair without ;", "MFG:kofu;MDL:Emulated;CMD:PJL,PCL;SN:EMU0", "kofu", "Emulated", "EMU0", "", []string{"PJL", "PCL"}, false},
		{"later duplicate wins", "MFG:A;MFG:B;MDL:m;CMD:PCL;", "B", "m", "", "", []string{"PCL"}, false},
		{"ends at NUL", "MFG:A;MDL:m;CMD:PCL;\x00\x01junk", "A", "m", "", "", []string{"PCL"}, false},
		{"spaces around keys", "  MFG : A ; MDL:m;CMD: PCL , PJL ;", "A", "m", "", "", []string{"PCL", "PJL"}, false},
		{"control character", "MFG:A;MDL:m\x07;CMD:PCL;", "", "", "", "", nil, true},
		{"DEL", "MFG:A;MDL:m;CMD:PCL\x7f;", "", "", "", "", nil, true},
		{"no CMD", "MFG:A;MDL:m;", "", "", "", "", nil, true},
		{"no MFG", "MDL:m;CMD:PCL;", "", "", "", "", nil, true},
		{"empty", "", "", "", "", "", nil, true},
		{"garbage", "\xff\xfe\xfd", "", "", "", "", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, err := ParseDeviceID(c.in)
			if c.err {
				if !errors.Is(err, ErrDeviceID) {
					t.Fatalf("err = %v, want ErrDeviceID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Manufacturer != c.mfg || id.Model != c.mdl || id.Serial != c.sn || id.Class != c.cls || !reflect.DeepEqual(id.Commands, c.cmd) {
				t.Fatalf("got %q %q %q %q %q", id.Manufacturer, id.Model, id.Serial, id.Class, id.Commands)
			}
		})
	}
}

func reply(prefix []byte, text string) []byte { return append(append([]byte{}, prefix...), text...) }

func TestDecodeDeviceIDReply(t *testing.T) {
	text := "MFG:kofu;MDL:Emulated;CMD:PJL,PCL;  "
	n := len(text)
	be := []byte{byte((n + 2) >> 8), byte(n + 2)}
	le := []byte{byte(n + 2), byte((n + 2) >> 8)}
	gadget := []byte{byte(n >> 8), byte(n)}
	for _, c := range []struct {
		name string
		buf  []byte
		n    int
		want string
		err  bool
	}{
		{"big-endian, counts itself", reply(be, text), n + 2, text, false},
		{"little-endian retry", reply(le, text), n + 2, text, false},
		{"Linux 6.1 gadget: prefix leaves itself out, reply loses 2 chars", reply(gadget, text), n, text[:n-2], false},
		{"fewer bytes transferred than the prefix says", reply(be, text), 20, text[:18], false},
		{"transferred past the prefix", reply(be, text+"garbage"), n + 9, text, false},
		{"prefix under 14 both ways", reply([]byte{13, 0}, text), n + 2, "", true},
		{"prefix under 14 big-endian, clamped little-endian", reply([]byte{0, 13}, text), n + 2, text, false},
		{"absurd both ways", reply([]byte{0xff, 0xfe}, text), n + 2, text, false}, // clamped to the buffer
		{"one byte", []byte{0}, 1, "", true},
		{"13 transferred", reply(be, text), 13, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			buf := make([]byte, 1023)
			copy(buf, c.buf)
			if c.name == "absurd both ways" {
				buf = c.buf
			}
			got, err := decodeDeviceIDReply(buf, c.n)
			if c.err {
				if !errors.Is(err, ErrDeviceID) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestCapabilities(t *testing.T) {
	for _, c := range []struct {
		cmd       string
		pdls      []PDL
		hostBased []string
		plan      Path
	}{
		{"PJL,MLC,PCL,PCLXL,POSTSCRIPT", []PDL{PDLPJL, PDLPCL5, PDLPCLXL, PDLPostScript}, nil, PathPJLPCL},
		{"Adobe PostScript 3, PCL, PJL", []PDL{PDLPostScript, PDLPCL5, PDLPJL}, nil, PathPJLPCL},
		{"PCL5E,PCL6", []PDL{PDLPCL5, PDLPCLXL}, nil, PathPCL},
		{"PJL,RCS,PCL,PCLXL,POSTSCRIPT", []PDL{PDLPJL, PDLPCL5, PDLPCLXL, PDLPostScript}, nil, PathPJLPCL},
		{"pcl5c,pjl", []PDL{PDLPCL5, PDLPJL}, nil, PathPJLPCL},
		{"PS,PDF", []PDL{PDLPostScript, PDLPDF}, nil, ""},
		{"PWG,URF", []PDL{PDLPWG, PDLURF}, nil, PathPWG},
		{"GDI", nil, []string{"GDI"}, ""},
		{"HBPL", nil, []string{"HBPL"}, ""},
		{"BJRaster3,BSCCe", nil, []string{"BJRaster3"}, ""},
		{"LIPS4,UFR2,PJL", []PDL{PDLPJL}, []string{"LIPS4", "UFR2"}, ""},
		{"RPCS", nil, []string{"RPCS"}, ""},
	} {
		t.Run(c.cmd, func(t *testing.T) {
			id, err := ParseDeviceID("MFG:Acme;MDL:X;CMD:" + c.cmd + ";")
			if err != nil {
				t.Fatal(err)
			}
			caps := id.Capabilities()
			if len(caps.PDLs) != len(c.pdls) {
				t.Errorf("PDLs %v, want %v", caps.PDLs, c.pdls)
			}
			for _, p := range c.pdls {
				if !caps.Has(p) {
					t.Errorf("%s missing from %v", p, caps.PDLs)
				}
			}
			if !reflect.DeepEqual(caps.HostBased, c.hostBased) {
				t.Errorf("host-based %v, want %v", caps.HostBased, c.hostBased)
			}
			plan := choosePlan(Info{Protocol: 2, HasIn: true}, id, nil)
			if plan.Path != c.plan {
				t.Errorf("plan %q, want %q", plan.Path, c.plan)
			}
			if c.plan == "" {
				if !errors.Is(plan.Err, ErrUnsupported) || !strings.Contains(plan.Err.Error(), "offers") {
					t.Errorf("plan error %v", plan.Err)
				}
				for _, h := range c.hostBased {
					if !strings.Contains(plan.Err.Error(), h) {
						t.Errorf("refusal %q does not name %s", plan.Err, h)
					}
				}
			}
		})
	}
}

func TestChoosePlan(t *testing.T) {
	id, _ := ParseDeviceID("MFG:A;MDL:B;CMD:PJL,PCL;")
	for _, c := range []struct {
		name    string
		info    Info
		path    Path
		confirm bool
	}{
		{"bidirectional", Info{Protocol: 2, HasIn: true}, PathPJLPCL, true},
		{"unidirectional", Info{Protocol: 1}, PathPJLPCL, false},
		{"bidirectional with unidir quirk", Info{Protocol: 2, HasIn: true, Quirks: QuirkUnidir}, PathPJLPCL, false},
		{"IPP-over-USB", Info{Protocol: 4, HasIn: true}, PathIPP, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := choosePlan(c.info, id, nil)
			if p.Path != c.path || p.Confirm != c.confirm || p.Err != nil {
				t.Fatalf("plan %+v", p)
			}
		})
	}
	if p := choosePlan(Info{Protocol: 2}, DeviceID{}, ErrDeviceID); !errors.Is(p.Err, ErrUnsupported) {
		t.Fatalf("unreadable ID: %+v", p)
	}
}

func TestQuirks(t *testing.T) {
	rules := append(defaultQuirks(), QuirkRule{VID: 0x04e8, Flags: QuirkSoftReset}, QuirkRule{VID: 0x04e8, PID: 0x330f, Flags: QuirkUnidir})
	for _, c := range []struct {
		vid, pid uint16
		want     Quirks
	}{
		{0x03f0, 0x0004, QuirkUnidir},
		{0x03f0, 0x0005, 0},
		{0x04f9, 0x000d, QuirkUnidir},
		{0x04e8, 0x1234, QuirkSoftReset},
		{0x04e8, 0x330f, QuirkSoftReset | QuirkUnidir},
	} {
		if got := lookupQuirks(rules, c.vid, c.pid); got != c.want {
			t.Errorf("%04x:%04x = %v, want %v", c.vid, c.pid, got, c.want)
		}
	}
	for _, c := range []struct {
		line string
		want QuirkRule
		err  bool
	}{
		{"0x04e8 0x330f unidir", QuirkRule{VID: 0x04e8, PID: 0x330f, Flags: QuirkUnidir}, false},
		{"0x0482 no-reattach soft-reset", QuirkRule{VID: 0x0482, Flags: QuirkNoReattach | QuirkSoftReset}, false},
		{"0x04a9 0x304a blacklist delay-close", QuirkRule{VID: 0x04a9, PID: 0x304a, Flags: QuirkBlacklist | QuirkDelayClose}, false},
		{"0x04a9", QuirkRule{}, true},
		{"0x04a9 0x304a", QuirkRule{}, true},
		{"0x04a9 teleport", QuirkRule{}, true},
		{"vendor unidir", QuirkRule{}, true},
	} {
		got, err := ParseQuirkRule(c.line)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("ParseQuirkRule(%q) = %+v, %v", c.line, got, err)
		}
	}
	if s := (QuirkUnidir | QuirkSoftReset).String(); s != "unidir,soft-reset" {
		t.Errorf("String = %q", s)
	}
}

func TestPortStatus(t *testing.T) {
	for _, c := range []struct {
		s    PortStatus
		want Kind
	}{
		{0x18, 0}, {0x08, 0}, {0x38, KindPaperOut}, {0x30, KindPaperOut}, {0x58, KindJam},
		{0x98, KindCoverOpen}, {0x10, KindOffline}, {0x00, KindOffline},
	} {
		if got := c.s.Problem(); got != c.want {
			t.Errorf("%v.Problem() = %v, want %v", c.s, got, c.want)
		}
	}
}
