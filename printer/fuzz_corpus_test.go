package printer

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"regexp"
	"strings"
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
	"emulator":        DefaultEmulatorID,
	"emulator-ipp":    DefaultIPPEmulatorID,
}

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
	for _, pnp := range []string{DefaultEmulatorID, DefaultIPPEmulatorID} {
		for _, sc := range []Scenario{{}, {TruncateID: 12}} {
			em := NewEmulator(EmulatorConfig{PNP: pnp, Scenario: sc})
			buf := make([]byte, deviceIDBufLen)
			n, err := em.Control(context.Background(), 0xA1, 0, 0, 0, buf)
			em.Close()
			if err != nil {
				t.Fatal(err)
			}
			ids.Add("emulator-gadget-reply", buf[:n])
		}
	}
	ids.Add("nul-inside", frame("MFG:A;MDL:m;CMD:PCL;\x00\x01junk"))
	ids.Add("control-char", frame("MFG:A;MDL:m\x07;CMD:PCL;"))
	ids.Add("empty", []byte{})

	quirks := fuzzcorpus.New("FuzzParseQuirkRule")
	for _, r := range DefaultQuirks() {
		quirks.Add(r.Note, quirkLine(r))
	}
	quirks.Add("cups-vendor-rule", "0x04f9 blacklist")
	quirks.Add("cups-two-flags", "0x0482 0x0010 unidir no-reattach")
	quirks.Add("pid-without-flag", "0x03f0 0x0004")
	quirks.Add("decimal-vid", "1008 4 unidir")
	quirks.Add("vid-too-large", "0x10000 unidir")
	quirks.Add("unknown-flag", "0x03f0 0x0004 bidir")

	specs := fuzzcorpus.New("FuzzParseSpec")
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

// wireRecorder is a Link that keeps what goes over the bulk pipes.
type wireRecorder struct {
	Link
	out, in []byte
}

func (w *wireRecorder) BulkOut(ctx context.Context, p []byte) (int, error) {
	n, err := w.Link.BulkOut(ctx, p)
	w.out = append(w.out, p[:n]...)
	return n, err
}

func (w *wireRecorder) BulkIn(ctx context.Context, p []byte) (int, error) {
	n, err := w.Link.BulkIn(ctx, p)
	w.in = append(w.in, p[:n]...)
	return n, err
}

// TestWritePJLCorpus writes the committed corpora of pjl.FuzzReadback and
// of pdl's decoders from real jobs: kofu's printer code prints small
// pages on the emulated printer in each scenario, and the PJL readback it
// reads back and the bytes it sends are kept. In the readback the job's
// name and echo token are those FuzzReadback's tracker waits for.
func TestWritePJLCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	img := image.NewGray(image.Rect(0, 0, 64, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(255 * ((i / 7) % 2))
	}
	name := regexp.MustCompile(`kofu-[0-9a-f]{24}\b`)
	echo := regexp.MustCompile(`kofu-sync-[0-9a-f]+`)
	readback, pcl, pwg := fuzzcorpus.New("FuzzReadback"), fuzzcorpus.New("FuzzDecodePCL"), fuzzcorpus.New("FuzzDecodePWG")
	for _, spec := range []string{"emulator", "emulator:paper-out@1", "emulator:paper-out@2", "emulator:jam@1",
		"emulator:no-end", "emulator:result=HOST_CANCELED", "emulator:short=1", "emulator:interleave",
		"emulator:no-echo", "emulator:ipp", "emulator:ipp,jam@1"} {
		sp, err := ParseSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		rec := &wireRecorder{Link: NewEmulator(sp.Emulator)}
		p, err := NewPrinter(testCtx(t), rec, fastOptions(7))
		if err != nil {
			t.Fatal(err)
		}
		pages := testPagesOf(t, img, 300, 2)
		_, perr := p.Print(testCtx(t), nil, pages)
		p.Close()
		t.Logf("%s: %v (%d bytes out, %d back)", spec, perr, len(rec.out), len(rec.in))
		if len(rec.in) > 0 && !strings.Contains(spec, "ipp") {
			in := name.ReplaceAll(rec.in, []byte("kofu-0123456789abcdef01234567"))
			in = echo.ReplaceAll(in, []byte("kofu-sync-89abcdef0123456789abcdef"))
			readback.Add(spec, in, uint16(len(in)/2))
		}
		switch {
		case len(rec.out) == 0:
		case strings.Contains(spec, "ipp"):
			if i := bytes.Index(rec.out, []byte("RaS2")); i >= 0 {
				pwg.Add(spec, rec.out[i:])
			}
		default:
			pcl.Add(spec, rec.out)
		}
	}
	readback.Add("device-status-codes", []byte("@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"JAM\"\r\n\f@PJL USTATUS DEVICE\r\nCODE=41101\r\n\f"), uint16(5))
	readback.Add("no-form-feed", []byte("@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\nPAGES=2"), uint16(0))
	for _, c := range []*fuzzcorpus.Corpus{readback} {
		if err := c.Write("pjl"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*fuzzcorpus.Corpus{pcl, pwg} {
		if err := c.Write("pdl"); err != nil {
			t.Fatal(err)
		}
	}
}
