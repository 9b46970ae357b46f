package printer

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzDeviceID: any GET_DEVICE_ID reply decodes and parses without panic;
// a parsed ID has no control characters, the required fields, parses to
// the same fields again, and yields a plan or a clear refusal.
func FuzzDeviceID(f *testing.F) {
	for _, s := range []string{
		"\x00\x4bMFG:Hewlett-Packard;CMD:PJL,MLC,PCL,PCLXL,POSTSCRIPT;MDL:HP LaserJet 4050;CLS:PRINTER;",
		"\x00\x26MFG:kofu;MDL:Emulated;CMD:PJL,PCL;  ",
		"\x26\x00MFG:kofu;MDL:Emulated;CMD:PJL,PCL;",
		"\x00\x30manufacturer:Canon;model:LBP;command set:LIPS4,UFR2;",
		"\x00\x10MFG:a;MDL:b;CMD:GDI;\x00\x01",
		"\xff\xffMFG:x\x07;MDL:y;CMD:PCL;",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		buf := make([]byte, deviceIDBufLen)
		n := copy(buf, reply)
		text, err := decodeDeviceIDReply(buf, n)
		if err != nil {
			return
		}
		if len(text) > deviceIDBufLen-2 {
			t.Fatalf("ID of %d bytes from a %d-byte buffer", len(text), deviceIDBufLen)
		}
		id, err := ParseDeviceID(text)
		plan := choosePlan(Info{Protocol: 2, HasIn: true}, id, err)
		if err != nil {
			if plan.Err == nil {
				t.Fatal("unparsable ID but a plan")
			}
			return
		}
		if strings.ContainsFunc(id.Raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("control character kept in %q", id.Raw)
		}
		if id.Manufacturer == "" || id.Model == "" || len(id.Commands) == 0 {
			t.Fatalf("parsed without required fields: %+v", id)
		}
		again, err := ParseDeviceID(id.Raw)
		if err != nil || !reflect.DeepEqual(again.Fields, id.Fields) {
			t.Fatalf("re-parse differs: %v", err)
		}
		if plan.Err == nil && plan.Path == "" {
			t.Fatal("plan without a path or an error")
		}
		_ = id.Capabilities().Offered()
	})
}

// FuzzParseQuirkRule: a usb-quirks line parses to a rule with at least
// one flag or to an error, never both; what parses prints back to a line
// that parses to the same rule, and the rule applies to its own device.
func FuzzParseQuirkRule(f *testing.F) {
	for _, r := range defaultQuirks() {
		f.Add(quirkLine(r))
	}
	f.Add("0x04f9 blacklist")
	f.Add("0x03f0 0x0004 unidir NO-REATTACH")
	f.Add("0x03f0 0x0004")
	f.Add("0x10000 unidir")
	f.Add("")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseQuirkRule(line)
		if err != nil {
			if r != (QuirkRule{}) {
				t.Fatalf("rule %+v with error %v", r, err)
			}
			return
		}
		if r.Flags == 0 {
			t.Fatalf("%q: a rule without flags", line)
		}
		back, err := ParseQuirkRule(quirkLine(r))
		if err != nil || back != r {
			t.Fatalf("%q → %+v → %q → %+v, %v", line, r, quirkLine(r), back, err)
		}
		pid := r.PID
		if pid == 0 {
			pid = 0x1234
		}
		if lookupQuirks([]QuirkRule{r}, r.VID, pid)&r.Flags != r.Flags {
			t.Fatalf("rule %+v does not apply to %04x:%04x", r, r.VID, pid)
		}
	})
}

// quirkLine prints r in usb-quirks syntax.
func quirkLine(r QuirkRule) string { return r.String() }

// FuzzParseTarget: a printer SPEC parses to one of the three kinds or to
// an error, the same way twice; it spells back to itself (String), a USB
// selector prints back to itself and a file path is the text after
// "file:".
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"usb", "usb:04f9:0042", "usb:0x03F0:0x0004", "usb:0:1", "emulator",
		"emulator:ipp", "emulator:unidir,paper-out@1", "emulator:jam@2,result=HOST_CANCELED,page-time=10ms",
		"emulator:truncate-id@10", "file:/tmp/out.pcl", "file:", "lpt1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !reflect.DeepEqual(tg, Target{}) {
				t.Fatalf("target %+v with error %v", tg, err)
			}
			return
		}
		again, err := ParseTarget(s)
		if err != nil || !reflect.DeepEqual(again, tg) {
			t.Fatalf("%q parses differently the second time", s)
		}
		if back, err := ParseTarget(tg.String()); err != nil || !reflect.DeepEqual(back, tg) {
			t.Fatalf("%q spells back as %q, which parses to %+v (%v)", s, tg.String(), back, err)
		}
		switch tg.Kind {
		case TargetUSB:
			if tg.USB.VID != 0 {
				back, err := ParseTarget(fmt.Sprintf("usb:%04x:%04x", tg.USB.VID, tg.USB.PID))
				if err != nil || back.USB != tg.USB {
					t.Fatalf("%q: selector %+v does not print back", s, tg.USB)
				}
			}
		case TargetFile:
			if tg.Path == "" || "file:"+tg.Path != s {
				t.Fatalf("%q: path %q", s, tg.Path)
			}
		case TargetEmulator:
			if "emulator:"+tg.Emulator != s && (tg.Emulator != "" || s != "emulator") {
				t.Fatalf("%q: emulator options %q", s, tg.Emulator)
			}
		default:
			t.Fatalf("%q: kind %q", s, tg.Kind)
		}
	})
}

// TestPortStatusEveryByte checks the port status parsing for all 256
// bytes a GET_PORT_STATUS can answer (too few values to fuzz). The USB
// printer class (1.1, §4.2.2) fixes Not Error 0x08, Select 0x10 and Paper
// Empty 0x20; bits 0–2 are reserved and change nothing; "not selected"
// alone is no problem; with Not Error set and no fault bit the printer
// takes data; paper-empty wins over every other fault; and the text names
// the byte.
func TestPortStatusEveryByte(t *testing.T) {
	if StatusNotError != 0x08 || StatusSelected != 0x10 || StatusPaperEmpty != 0x20 {
		t.Fatal("port status bits differ from the USB printer class")
	}
	faults := StatusPaperEmpty | StatusJam | StatusCoverOpen
	for b := range 256 {
		s := PortStatus(b)
		p := s.Problem()
		if s&^0x07 != s && (s&^0x07).Problem() != p {
			t.Errorf("%s: reserved bits change the problem", s)
		}
		if (s ^ StatusSelected).Problem() != p {
			t.Errorf("%s: the Select bit changes the problem", s)
		}
		if s&faults == 0 && s&StatusNotError != 0 && p != 0 {
			t.Errorf("%s: problem %v with Not Error set and no fault", s, p)
		}
		if s&faults == 0 && s&StatusNotError == 0 && p != KindOffline {
			t.Errorf("%s: problem %v, want offline", s, p)
		}
		if s&StatusPaperEmpty != 0 && p != KindPaperOut {
			t.Errorf("%s: problem %v, want paper out", s, p)
		}
		if s&faults != 0 && p == 0 {
			t.Errorf("%s: a fault bit but no problem", s)
		}
		if !strings.HasPrefix(s.String(), fmt.Sprintf("0x%02x (", b)) {
			t.Errorf("%#x reads %q", b, s.String())
		}
	}
}
