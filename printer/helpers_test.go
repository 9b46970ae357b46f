package printer

import (
	"context"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"kofu/printer/internal/testpage"
	"kofu/printer/pdl"
	"kofu/protocol"
)

var sample = testpage.New()

// testPages returns n printable pages of the sample certificate at dpi.
// The printer package cannot verify a resident's document (only the
// verifier makes those), so they are technician test pages: the printer
// treats every VerifiedPage alike.
func testPages(t testing.TB, n, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	return testPagesOf(t, sample.Page(t, dpi), dpi, n)
}

// testPagesOf returns n technician test pages of img at dpi.
func testPagesOf(t testing.TB, img *image.Gray, dpi, n int) []*protocol.VerifiedPage {
	t.Helper()
	out := make([]*protocol.VerifiedPage, n)
	for i := range out {
		p, err := protocol.TechnicianTestPage(img, dpi)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = p
	}
	return out
}

// fastOptions are short timeouts for tests, and job names from a seed.
func fastOptions(seed uint64) Options {
	var s [32]byte
	s[0] = byte(seed)
	return Options{ConfirmTimeout: 400 * time.Millisecond, PerPage: time.Millisecond, StallTimeout: 30 * time.Millisecond,
		WriteTimeout: 2 * time.Second, PollInterval: 10 * time.Millisecond, Rand: rand.NewChaCha8(s)}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// openEmulated opens a Printer on a fresh emulator.
func openEmulated(t testing.TB, cfg EmulatorConfig, opts Options) (*Printer, *Emulator) {
	t.Helper()
	em := NewEmulator(cfg)
	p, err := NewPrinter(testCtx(t), em, opts)
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
