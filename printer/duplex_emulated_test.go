package printer_test

import (
	"errors"
	"image"
	"strings"
	"testing"

	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/pdl"
	"kofu/protocol"
)

// duplexPages returns a two-sided technician test print of sheets sheets
// at dpi: the sample certificate on each front, and on each back the
// sample with a black band across its top, so that a face decoded on
// the wrong side is caught.
func duplexPages(t testing.TB, sheets, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	front := sample.Page(t, dpi)
	back := image.NewGray(front.Rect)
	copy(back.Pix, front.Pix)
	for y := dpi / 3; y < dpi/3+dpi/10; y++ {
		for x := dpi / 3; x < back.Rect.Dx()-dpi/3; x++ {
			back.Pix[y*back.Stride+x] = 0
		}
	}
	var faces []*image.Gray
	for range sheets {
		faces = append(faces, front, back)
	}
	pgs, err := protocol.TechnicianTestSheets(dpi, faces...)
	if err != nil {
		t.Fatal(err)
	}
	return pgs
}

// checkDuplexOut checks that the emulated printer put the faces on paper
// in order, each on its side, bit for bit.
func checkDuplexOut(t *testing.T, em *emuprinter.Printer, pgs []*protocol.VerifiedPage) {
	t.Helper()
	got := em.Pages()
	if len(got) != len(pgs) {
		t.Fatalf("the printer decoded %d faces, want %d", len(got), len(pgs))
	}
	for i, g := range got {
		want := pdl.SideFront
		if pgs[i].Back() {
			want = pdl.SideBack
		}
		if g.Side != want {
			t.Errorf("face %d printed on the %v, want %v", i+1, g.Side, want)
		}
		samePage(t, g, pgs[i])
	}
}

// TestDuplexPrinted: a 3-sheet two-sided job goes out duplex on every
// confirming path and is confirmed by the count the printer's semantics
// expects: PJL PAGES as faces (HP) or sheets (quirk), IPP impressions
// and media sheets.
func TestDuplexPrinted(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  emuprinter.Config
		path printer.Path
	}{
		{"PJL+PCL, PAGES counts faces", emuprinter.Config{}, printer.PathPJLPCL},
		{"PJL+PCL, PAGES counts sheets (quirk)", emuprinter.Config{Scenario: emuprinter.Scenario{PagesCountSheets: true}, Quirks: printer.QuirkPagesCountSheets}, printer.PathPJLPCL},
		{"IPP-over-USB", emuprinter.Config{Protocol: 4}, printer.PathIPP},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, em := openEmulated(t, c.cfg, fastOptions(1))
			if p.Plan().Path != c.path {
				t.Fatalf("path %v, want %v", p.Plan().Path, c.path)
			}
			pgs := duplexPages(t, 3, 300)
			var out []int
			n, err := p.PrintReporting(testCtx(t), nil, pgs, func(k int) { out = append(out, k) })
			if err != nil || n != 6 {
				t.Fatalf("Print = %d, %v; want 6 faces confirmed", n, err)
			}
			checkDuplexOut(t, em, pgs)
			for _, k := range out {
				if k < 0 || k > 6 {
					t.Errorf("progress %d faces: outside 0..6", k)
				}
			}
			if c.path == printer.PathPJLPCL {
				j := em.Jobs()
				if len(j) != 1 || !j[0].Duplex || j[0].Sheets != 3 || j[0].Pages != 6 {
					t.Errorf("jobs %+v: want one duplex job of 3 sheets, 6 faces", j)
				}
			}
		})
	}
}

// TestDuplexCountNotAmbiguous: a count that could mean half the faces,
// or every face on a sheet of its own, is never a confirmation.
func TestDuplexCountNotAmbiguous(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  emuprinter.Config
		why  string
	}{
		{"PJL counts sheets, the site did not say (PAGES=3 of 6 faces)",
			emuprinter.Config{Scenario: emuprinter.Scenario{PagesCountSheets: true}}, "half the faces"},
		{"PJL counts faces, the quirk says sheets (PAGES=6 for 3 sheets)",
			emuprinter.Config{Quirks: printer.QuirkPagesCountSheets}, "a sheet of its own"},
		{"IPP reports sheets as impressions",
			emuprinter.Config{Protocol: 4, Scenario: emuprinter.Scenario{SheetsAsImpressions: true}}, "3 impressions and 3 sheets"},
		{"a printer without a duplex unit the site did not declare (IPP: 6 sheets)",
			emuprinter.Config{Protocol: 4, Scenario: emuprinter.Scenario{NoDuplex: true}}, "offers one-sided"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, _ := openEmulated(t, c.cfg, fastOptions(2))
			n, err := p.Print(testCtx(t), nil, duplexPages(t, 3, 300))
			if err == nil {
				t.Fatalf("Print = %d, %v; want an error", n, err)
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Fatalf("error %q does not say %q", err, c.why)
			}
		})
	}
}

// TestNoDuplexRefusedBeforeSending: a printer that cannot print both
// sides — IPP sides-supported, or a PJL printer's @PJL INFO CONFIG
// (DUPLEX=NOTINSTALLED; the site's no-duplex quirk where the printer
// cannot say it, TestPJLDuplexFromInfoConfig) — is refused by Prepare,
// Print and DuplexReady with KindNoDuplex, and not a byte of the job is
// sent. A one-sided job prints on it as before.
func TestNoDuplexRefusedBeforeSending(t *testing.T) {
	for _, spec := range []string{"no-duplex", "ipp,no-duplex"} {
		t.Run(spec, func(t *testing.T) {
			cfg, err := emuprinter.ParseConfig(spec)
			if err != nil {
				t.Fatal(err)
			}
			opts := fastOptions(3)
			opts.Duplex = true
			p, em := openEmulated(t, cfg, opts)
			if p.Sides() != protocol.SidesTwoSided {
				t.Errorf("Sides %q with Options.Duplex", p.Sides())
			}
			pgs := duplexPages(t, 2, 300)
			for name, err := range map[string]error{
				"DuplexReady": p.DuplexReady(testCtx(t)),
				"Prepare":     p.Prepare(testCtx(t), pgs),
			} {
				var pe *printer.Error
				if !errors.As(err, &pe) || pe.Kind != printer.KindNoDuplex || pe.Sent || pe.ReasonCode() != "no-duplex" {
					t.Errorf("%s = %v; want KindNoDuplex, nothing sent", name, err)
				}
			}
			before, _ := em.Received()
			if _, err := p.Print(testCtx(t), nil, pgs); !errors.Is(err, printer.ErrNoDuplex) || errors.Is(err, printer.ErrUnconfirmed) {
				t.Errorf("Print = %v; want ErrNoDuplex, not sent", err)
			}
			// Print sends nothing more to a PJL printer (DuplexReady
			// asked its INFO CONFIG, once); an IPP printer only the
			// Get-Printer-Attributes that asked it (a few hundred bytes).
			if n, _ := em.Received(); (cfg.Protocol != 4 && n != before) || n-before > 1024 || len(em.Pages()) != 0 {
				t.Errorf("%d bytes, %d pages reached the printer", n-before, len(em.Pages()))
			}
			if n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300)); err != nil || n != 1 {
				t.Errorf("one-sided Print = %d, %v", n, err)
			}
		})
	}
	// Without Options.Duplex the site prints one-sided: nothing to check.
	cfg, _ := emuprinter.ParseConfig("no-duplex")
	p, _ := openEmulated(t, cfg, fastOptions(4))
	if err := p.DuplexReady(testCtx(t)); err != nil || p.Sides() != "" {
		t.Errorf("one-sided site: DuplexReady %v, Sides %q", err, p.Sides())
	}
}
