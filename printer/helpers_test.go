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

// testPages returns n verified pages of the sample certificate at dpi.
func testPages(t testing.TB, n, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	img := sample.Page(t, dpi)
	out := make([]*protocol.VerifiedPage, n)
	for i := range out {
		out[i] = &protocol.VerifiedPage{N: i + 1, DPI: dpi, Image: img}
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

// samePage compares a decoded page with the source raster as the PDL
// carries it (thresholded for 1-bit pages).
func samePage(t testing.TB, got *pdl.Page, src *image.Gray) {
	t.Helper()
	if got.Bitmap != nil {
		if !got.Bitmap.Equal(pdl.ToBitmap(src)) {
			d, err := got.Bitmap.Diff(pdl.ToBitmap(src))
			t.Fatalf("printed page differs from the source in %d pixels (%v)", d, err)
		}
		return
	}
	if string(got.Gray.Pix) != string(src.Pix) {
		t.Fatal("printed gray page differs from the source")
	}
}
