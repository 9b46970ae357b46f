package printer_test

import (
	"errors"
	"os"
	"testing"

	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/groundpattern"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// groundPattern builds the 600-dpi pattern from the project's font.
func groundPattern(t testing.TB) *groundpattern.Pattern {
	t.Helper()
	ttf, err := os.ReadFile("../testdata/fonts/ipag.ttf")
	if err != nil {
		t.Fatal(err)
	}
	gp, err := groundpattern.New(ttf, groundpattern.DPI)
	if err != nil {
		t.Fatal(err)
	}
	return gp
}

// TestGroundPatternPrinted: with a pattern configured, what the printer
// decodes at 600 dpi is the verified page plus pattern dots — every
// verified black pixel and the whole bottom band bit-identical, only
// pattern pixels added — on both raw paths and IPP; at 300 dpi the page
// prints as verified unless the pattern is required, in which case
// Prepare and Print refuse it with nothing sent.
func TestGroundPatternPrinted(t *testing.T) {
	gp := groundPattern(t)
	for _, c := range []struct {
		name string
		cfg  emuprinter.Config
	}{{"pjl+pcl5", emuprinter.Config{}}, {"ipp-usb", emuprinter.Config{Protocol: 4}}} {
		t.Run(c.name, func(t *testing.T) {
			opts := fastOptions(21)
			opts.GroundPattern = gp
			p, em := openEmulated(t, c.cfg, opts)
			vps := testPages(t, 2, 600)
			if err := p.Prepare(testCtx(t), vps); err != nil {
				t.Fatal(err)
			}
			if n, err := p.Print(testCtx(t), nil, vps); err != nil || n != 2 {
				t.Fatalf("Print = %d, %v", n, err)
			}
			got := em.Pages()
			if len(got) != 2 {
				t.Fatalf("%d pages printed", len(got))
			}
			for i, pg := range got {
				want := vps[i].Bitmap()
				w, h := want.Size()
				keep := groundpattern.KeepOut(w, h, 600, vps[i].QRZone())
				out := pg.Bitmap
				if out == nil { // sgray_8 over IPP: 0 and 255 only
					out = pages.Binarize(pg.Gray)
				}
				if err := gp.Verify(want, out, keep); err != nil {
					t.Fatalf("page %d: %v", i+1, err)
				}
				if out.Equal(want) {
					t.Fatalf("page %d printed without the pattern", i+1)
				}
			}
		})
	}
	t.Run("300 dpi, not required", func(t *testing.T) {
		opts := fastOptions(22)
		opts.GroundPattern = gp
		p, em := openEmulated(t, emuprinter.Config{}, opts)
		pages := testPages(t, 1, 300)
		if err := p.Prepare(testCtx(t), pages); err != nil {
			t.Fatal(err)
		}
		if n, err := p.Print(testCtx(t), nil, pages); err != nil || n != 1 {
			t.Fatalf("Print = %d, %v", n, err)
		}
		samePage(t, em.Pages()[0], pages[0])
	})
	t.Run("300 dpi, required", func(t *testing.T) {
		opts := fastOptions(23)
		opts.GroundPattern, opts.RequireGroundPattern = gp, true
		p, em := openEmulated(t, emuprinter.Config{}, opts)
		pages := testPages(t, 1, 300)
		for name, err := range map[string]error{"Prepare": p.Prepare(testCtx(t), pages), "Print": printErr(p, t, pages)} {
			var pe *printer.Error
			if !errors.Is(err, printer.ErrGroundPattern) || !errors.Is(err, groundpattern.ErrResolution) ||
				!errors.As(err, &pe) || pe.Sent || pe.ReasonCode() != "ground-pattern" {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if n, _ := em.Received(); n != 0 {
			t.Fatalf("%d bytes reached the printer", n)
		}
	})
}

func printErr(p *printer.Printer, t *testing.T, pages []*protocol.VerifiedPage) error {
	_, err := p.Print(testCtx(t), nil, pages)
	return err
}
