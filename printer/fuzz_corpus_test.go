package printer

import (
	"encoding/binary"
	"testing"

	"kofu/internal/fuzzcorpus"
)

// realDeviceIDs are IEEE 1284 device IDs of the kinds a store machine
// meets: PJL/PCL lasers, an IPP-over-USB device, host-based printers kofu
// must refuse, and the emulators' own.
var realDeviceIDs = map[string]string{
	"hp-laserjet":     "MFG:Hewlett-Packard;CMD:PJL,PML,PCLXL,POSTSCRIPT,PCL;MDL:HP LaserJet P2055dn;CLS:PRINTER;DES:Hewlett-Packard LaserJet P2055dn;MEM:MEM=55MB;COMMENT:RES=1200x1;",
	"brother-laser":   "MFG:Brother;CMD:PJL,PCL,PCLXL,URF;MDL:HL-L2350DW series;CLS:PRINTER;CID:Brother Laser Type1;URF:W8,CP1,IS4-1,MT1-3-4-5-8,OB10,PQ4,RS300-600-1200,V1.4,DM1;",
	"kyocera":         "MFG:KYOCERA;CMD:PCLXL,PJL,PCL,POSTSCRIPT,PDF;MDL:ECOSYS P2040dw;CLS:PRINTER;DES:Kyocera ECOSYS P2040dw;",
	"ipp-everywhere":  "MFG:Generic;MDL:IPP Everywhere;CMD:PWG,URF,PDF;CLS:PRINTER;",
	"canon-hostbased": "MFG:Canon;CMD:LIPSLX,CPCA;MDL:LBP6030;CLS:PRINTER;DES:Canon LBP6030;",
	"epson-inkjet":    "MFG:EPSON;CMD:ESCPL2,BDC,D4,D4PX,ESCPR7,END4,GENEP,URF;MDL:EP-880A Series;CLS:PRINTER;DES:EPSON EP-880A Series;CID:EpsonRGB;",
	"long-keys":       "MANUFACTURER:Acme;COMMAND SET:PJL,PCL;MODEL:Laser 1;CLASS:PRINTER;",
	"emulator":        emulatorID,
	"emulator-ipp":    emulatorIPPID,
}

// The emulated printers' device IDs, as printer/emuprinter sets them
// (DefaultID, DefaultIPPID; TestEmulatorIDsInCorpus keeps them equal).
const (
	emulatorID    = "MFG:kofu;MDL:Emulated Laser 5;CMD:PJL,PCL,PCL5E,PWG;CLS:PRINTER;DES:kofu emulated printer;SN:EMU0001;  "
	emulatorIPPID = "MFG:kofu;MDL:Emulated IPP Laser;CMD:PWG,URF,PDF;CLS:PRINTER;SN:EMU0004;  "
)

// frame is a GET_DEVICE_ID reply as the class specification has it: a
// big-endian length that counts itself, then the ID.
func frame(id string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(id)+2))
	return append(b, id...)
}

// TestWriteFuzzCorpus writes the committed corpora of the printer
// package's fuzz targets: GET_DEVICE_ID replies as devices and the
// emulated printer (with the 6.1 gadget's length quirk) send them, quirk
// lines of the built-in table, and printer specs.
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	ids := fuzzcorpus.New("FuzzDeviceID")
	for name, id := range realDeviceIDs {
		r := frame(id)
		ids.Add(name, r)
		ids.Add(name+"-little-endian-length", append(binary.LittleEndian.AppendUint16(nil, uint16(len(id)+2)), id...))
		ids.Add(name+"-cut", r[:len(r)/2])
		ids.Add(name+"-length-past-reply", append(binary.BigEndian.AppendUint16(nil, 1023), id...))
	}
	for _, pnp := range []string{emulatorID, emulatorIPPID} {
		// As the Linux 6.1 printer gadget answers (and the emulated
		// printer, printer/emuprinter): the length prefix leaves out its
		// own two bytes, so the text loses its last two characters; and
		// the same reply cut to 12 bytes (the truncate-id scenario).
		reply := append(binary.BigEndian.AppendUint16(nil, uint16(len(pnp))), pnp[:len(pnp)-2]...)
		ids.Add("emulator-gadget-reply", reply)
		ids.Add("emulator-gadget-reply", reply[:12])
	}
	ids.Add("nul-inside", frame("MFG:A;MDL:m;CMD:PCL;\x00\x01junk"))
	ids.Add("control-char", frame("MFG:A;MDL:m\x07;CMD:PCL;"))
	ids.Add("empty", []byte{})

	quirks := fuzzcorpus.New("FuzzParseQuirkRule")
	for _, r := range defaultQuirks() {
		quirks.Add(r.Note, quirkLine(r))
	}
	quirks.Add("cups-vendor-rule", "0x04f9 blacklist")
	quirks.Add("cups-two-flags", "0x0482 0x0010 unidir no-reattach")
	quirks.Add("pid-without-flag", "0x03f0 0x0004")
	quirks.Add("decimal-vid", "1008 4 unidir")
	quirks.Add("vid-too-large", "0x10000 unidir")
	quirks.Add("unknown-flag", "0x03f0 0x0004 bidir")

	specs := fuzzcorpus.New("FuzzParseTarget")
	for _, s := range []string{"usb", "usb:04f9:0042", "emulator", "emulator:ipp", "emulator:unidir",
		"emulator:paper-out@1", "emulator:jam@2,no-end", "emulator:result=HOST_CANCELED,short=1",
		"emulator:interleave,no-echo", "emulator:unplug@4096", "emulator:truncate-id@10,page-time=50ms",
		"file:/var/spool/kofu/out.pcl", "file:out.pwg", "usb:0000:0001", "usb:04f9", "emulator:jam@-1", "file:"} {
		specs.Add(s, s)
	}
	for _, c := range []*fuzzcorpus.Corpus{ids, quirks, specs} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
