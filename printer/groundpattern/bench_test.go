package groundpattern

import (
	"image"
	"testing"

	"kofu/printer/pdl"
	"kofu/protocol/pages"
)

// Benchmarks for docs/groundpattern.md: the pattern's cost against what
// the print path already does to an A4 page at 600 dpi (copy its rows,
// encode it as PCL). Compare them as ratios, on one machine, in one run:
//
//	go test -run XXX -bench . -benchtime 20x ./printer/groundpattern

// BenchmarkNew is building the pattern: parsing the font, setting the
// word and drawing the tile (once per kiosk start).
func BenchmarkNew(b *testing.B) {
	ttf := readFont(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(ttf, DPI); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposite is compositing one A4 certificate page at 600 dpi,
// Verify included.
func BenchmarkComposite(b *testing.B) {
	p := standardPattern(b)
	face := certificate(b)
	keep := []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Composite(face, keep, DPI); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposite600 is the print path's cost per face (issue 19:
// ≤ 10 ms per A4 face at 600 dpi): one A4 certificate page composited
// with the keep-out the printer passes (the bottom band and the symbol's
// quiet zone), Verify included, and the result wiped as the printer wipes
// it once the page is encoded.
//
//	go test -run XXX -bench Composite600 -benchtime 50x ./printer/groundpattern
func BenchmarkComposite600(b *testing.B) {
	p := standardPattern(b)
	face := certificate(b)
	syms, err := pages.FindSymbols(face)
	if err != nil || len(syms) == 0 {
		b.Fatalf("the sample page's symbol: %v (%d found)", err, len(syms))
	}
	keep := KeepOut(face.W, face.H, DPI, syms[0].Quiet)
	b.ReportAllocs()
	for b.Loop() {
		out, err := p.Composite(face, keep, DPI)
		if err != nil {
			b.Fatal(err)
		}
		out.Wipe()
	}
}

// BenchmarkVerify is the check alone, the part of Composite that runs on
// every page.
func BenchmarkVerify(b *testing.B) {
	p := standardPattern(b)
	face := certificate(b)
	keep := []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}
	out, err := p.Composite(face, keep, DPI)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.Verify(face, out, keep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopyPage is the baseline: reading the face's rows into a new
// bitmap, which any compositor must do.
func BenchmarkCopyPage(b *testing.B) {
	face := certificate(b)
	b.ReportAllocs()
	for b.Loop() {
		out := pages.NewBitmap(face.W, face.H)
		for y := range face.H {
			face.ReadRow(y, out.Row(y))
		}
	}
}

// BenchmarkEncodePCL is the other baseline: encoding the page for the
// printer (PCL 5, PackBits), without and with the pattern; bytes/page is
// what goes on the wire.
func BenchmarkEncodePCL(b *testing.B) {
	p := standardPattern(b)
	face := certificate(b)
	keep := []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}
	out, err := p.Composite(face, keep, DPI)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		page *pages.Bitmap
	}{{"face", face}, {"composited", out}} {
		b.Run(tc.name, func(b *testing.B) {
			var w countWriter
			for b.Loop() {
				w.n = 0
				pw := pdl.NewPCLWriter(&w)
				if err := pw.WritePage(tc.page, DPI); err != nil {
					b.Fatal(err)
				}
				if err := pw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.n), "bytes/page")
		})
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
