package printer_test

import (
	"bytes"
	"context"
	"image"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"kofu/internal/fuzzcorpus"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/internal/testpage"
	"kofu/printer/pdl"
	"kofu/protocol"
)

// The helpers of the tests that drive kofu's printer code on the emulated
// printer (printer/emuprinter).

var sample = testpage.New()

// testPages returns n printable pages of the sample certificate at dpi:
// technician test pages, which the printer treats as every VerifiedPage.
func testPages(t testing.TB, n, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	return testPagesOf(t, sample.Page(t, dpi), dpi, n)
}

// testPagesOf returns n technician test pages of img at dpi.
func testPagesOf(t testing.TB, img *image.Gray, dpi, n int) []*protocol.VerifiedPage {
	t.Helper()
	return testpage.Pages(t, img, dpi, n)
}

// fastOptions are short timeouts for tests, and job names from a seed.
func fastOptions(seed uint64) printer.Options {
	var s [32]byte
	s[0] = byte(seed)
	return printer.Options{ConfirmTimeout: 400 * time.Millisecond, PerPage: time.Millisecond, StallTimeout: 30 * time.Millisecond,
		WriteTimeout: 2 * time.Second, PollInterval: 10 * time.Millisecond, Rand: rand.NewChaCha8(s)}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openEmulated opens a Printer on a fresh emulated printer.
func openEmulated(t testing.TB, cfg emuprinter.Config, opts printer.Options) (*printer.Printer, *emuprinter.Printer) {
	t.Helper()
	em := emuprinter.New(cfg)
	p, err := printer.New(testCtx(t), printer.OnLink(em), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, em
}

// samePage checks that a decoded page is bit for bit the verified
// bitmap: 1-bit pages equal it, 8-bit pages are it expanded to 0/255.
func samePage(t testing.TB, got *pdl.Page, src *protocol.VerifiedPage) {
	t.Helper()
	want := src.Bitmap()
	if got.Bitmap != nil {
		if !got.Bitmap.Equal(want) {
			d, err := got.Bitmap.Diff(want)
			t.Fatalf("printed page differs from the verified bitmap in %d pixels (%v)", d, err)
		}
		return
	}
	if string(got.Gray.Pix) != string(want.Gray().Pix) {
		t.Fatal("printed gray page differs from the verified bitmap expanded to 0/255")
	}
}

// TestEmulatorIDsInCorpus: the device IDs the fuzz corpus is written from
// are the emulated printers' own.
func TestEmulatorIDsInCorpus(t *testing.T) {
	if got := printer.CorpusEmulatorIDs; got != [2]string{emuprinter.DefaultID, emuprinter.DefaultIPPID} {
		t.Fatalf("corpus IDs %q, emulator's %q %q", got, emuprinter.DefaultID, emuprinter.DefaultIPPID)
	}
}

// wireRecorder is a Link that keeps what goes over the bulk pipes.
type wireRecorder struct {
	printer.Link
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
		_, em, err := emuprinter.ParseTarget(spec)
		if err != nil {
			t.Fatal(err)
		}
		rec := &wireRecorder{Link: em}
		p, err := printer.New(testCtx(t), printer.OnLink(rec), fastOptions(7))
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
