package pdl

import (
	"bytes"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"kofu/internal/graypdf"
)

// kofuEncoders are kofu's writers, by name.
func kofuEncoders() []struct {
	name string
	enc  func(w io.Writer, img *image.Gray, dpi int) error
} {
	return []struct {
		name string
		enc  func(w io.Writer, img *image.Gray, dpi int) error
	}{
		{"kofu-pcl5", func(w io.Writer, img *image.Gray, dpi int) error {
			pw := NewPCLWriter(w)
			if err := pw.WritePage(ToBitmap(img), dpi); err != nil {
				return err
			}
			return pw.Close()
		}},
		{"kofu-pwg-black1", func(w io.Writer, img *image.Gray, dpi int) error {
			return NewPWGWriter(w, Black1, 1).WritePage(ToBitmap(img), dpi)
		}},
		{"kofu-pwg-sgray8", func(w io.Writer, img *image.Gray, dpi int) error {
			return NewPWGWriter(w, SGray8, 1).WritePage(ToBitmap(img), dpi)
		}},
	}
}

// countWriter counts bytes on the wire.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkEncodeA4: one A4 certificate page at 600 dpi, kofu's encoders
// and Ghostscript producing the same formats from the same page (a
// lossless PDF of it; gs runs as a process, so its time includes start-up
// and PDF decoding). Metrics: ms per page and bytes on the wire.
func BenchmarkEncodeA4(b *testing.B) {
	img := sample.Page(b, 600)
	for _, e := range kofuEncoders() {
		b.Run(e.name+"/600dpi", func(b *testing.B) {
			var c countWriter
			b.ReportAllocs()
			for b.Loop() {
				c.n = 0
				if err := e.enc(&c, img, 600); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.n), "wire-bytes")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
		})
	}
	if _, err := exec.LookPath("gs"); err != nil {
		b.Log("gs not found: Ghostscript comparison skipped (install ghostscript)")
		return
	}
	dir := b.TempDir()
	pdf := filepath.Join(dir, "page.pdf")
	os.WriteFile(pdf, graypdf.Page(img, 600), 0o600)
	for _, d := range gsDevices() {
		b.Run(d.name+"/600dpi", func(b *testing.B) {
			var n int
			for b.Loop() {
				n = len(runGS(b, dir, pdf, 600, d.args))
			}
			b.ReportMetric(float64(n), "wire-bytes")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
		})
	}
}

// TestEncodersVersusGhostscript logs, for an A4 page at 600 dpi, kofu's
// encoders beside Ghostscript's writers of the same formats: median time
// of 3 runs and bytes on the wire, and their ratios. (Not a pass/fail
// check of speed; go test -bench EncodeA4 gives the precise numbers.)
func TestEncodersVersusGhostscript(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	needTools(t, "ghostscript", "gs")
	img := sample.Page(t, 600)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "page.pdf")
	os.WriteFile(pdf, graypdf.Page(img, 600), 0o600)
	median := func(f func() int) (time.Duration, int) {
		var ds []time.Duration
		n := 0
		for range 3 {
			start := time.Now() // measures elapsed time only
			n = f()
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[1], n
	}
	gs := map[string]string{}
	for _, d := range gsDevices() {
		gs[d.kofu] = d.name
	}
	for i, e := range kofuEncoders() {
		kt, kn := median(func() int {
			var buf bytes.Buffer
			if err := e.enc(&buf, img, 600); err != nil {
				t.Fatal(err)
			}
			return buf.Len()
		})
		d := gsDevices()[i]
		gt, gn := median(func() int { return len(runGS(t, dir, pdf, 600, d.args)) })
		t.Logf("%-16s %7.1f ms %9d bytes | %-20s %7.1f ms %9d bytes | time ×%.1f, bytes ×%.2f",
			e.name, ms(kt), kn, gs[e.name], ms(gt), gn, ms(gt)/ms(kt), float64(gn)/float64(kn))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
