package printer

import (
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
		text, err := DecodeDeviceIDReply(buf, n)
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
