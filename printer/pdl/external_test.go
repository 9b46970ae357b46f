package pdl

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kofu/internal/graypdf"
)

// needTools skips when an external decoder is missing on a developer
// machine and fails in CI (CI=true).
func needTools(t testing.TB, pkgs string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found: install %s", tool, pkgs)
			}
			t.Skipf("%s not found: install %s (CI unset: skipped)", tool, pkgs)
		}
	}
}

const rastertopdf = "/usr/lib/cups/filter/rastertopdf"

// readPGM reads a binary 8-bit PGM (pdftoppm -gray output).
func readPGM(t testing.TB, path string) *image.Gray {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(bytes.NewReader(data))
	var fields []string
	for len(fields) < 4 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: header: %v", path, err)
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields = append(fields, strings.Fields(line)...)
	}
	w, _ := strconv.Atoi(fields[1])
	h, _ := strconv.Atoi(fields[2])
	if fields[0] != "P5" || fields[3] != "255" || w <= 0 || h <= 0 {
		t.Fatalf("%s: not an 8-bit PGM: %q", path, fields)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := r.Read(img.Pix[:0]); err != nil {
		t.Fatal(err)
	}
	rest := data[len(data)-w*h:]
	copy(img.Pix, rest)
	return img
}

// pixelDiff measures how far got is from want: mean absolute difference,
// and the share of pixels off by more than a quarter of the range.
func pixelDiff(got, want *image.Gray) (mean, far float64) {
	var sum, n int
	for i := range want.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		if d > 64 {
			n++
		}
	}
	return float64(sum) / float64(len(want.Pix)), float64(n) / float64(len(want.Pix))
}

// render rasterises a PDF's pages with pdftoppm (-gray at dpi), or with
// Ghostscript's pgmraw device if gs is true.
func render(t testing.TB, dir, pdf string, dpi int, gs bool) []*image.Gray {
	t.Helper()
	out := filepath.Join(dir, "r")
	var cmd *exec.Cmd
	if gs {
		cmd = exec.Command("gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pgmraw", "-r"+strconv.Itoa(dpi),
			"-sOutputFile="+out+"-%d.pgm", pdf)
	} else {
		cmd = exec.Command("pdftoppm", "-r", strconv.Itoa(dpi), "-gray", pdf, out)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, b)
	}
	var pages []*image.Gray
	for i := 1; ; i++ {
		p := fmt.Sprintf("%s-%d.pgm", out, i)
		if _, err := os.Stat(p); err != nil {
			break
		}
		pages = append(pages, readPGM(t, p))
		os.Remove(p)
	}
	return pages
}

// TestRastertopdf: kofu's PWG Raster, read by CUPS's rastertopdf (an
// independent decoder) and rendered by pdftoppm -r 300 -gray, gives back
// the source page's pixels. pdftoppm resamples images even at 1:1 (and
// applies the CalGray gamma rastertopdf tags sgray pages with), so the
// measure is compared with a control: the source page itself, wrapped
// losslessly in a DeviceGray PDF and rendered by the same pdftoppm.
// Ghostscript, if present, renders rastertopdf's PDF to the source's
// exact pixels and is held to near zero.
func TestRastertopdf(t *testing.T) {
	needTools(t, "cups-filters-core-drivers poppler-utils", rastertopdf, "pdftoppm")
	_, gsErr := exec.LookPath("gs")
	img := sample.Page(t, 300)
	for _, c := range []struct {
		typ  PWGType
		want *image.Gray
	}{
		{Black1, ToBitmap(img).Gray()},
		{SGray8, ToBitmap(img).Gray()}, // an 8-bit path carries the verified bits as 0/255
	} {
		t.Run(c.typ.Keyword(), func(t *testing.T) {
			dir := t.TempDir()
			pwg := filepath.Join(dir, "job.pwg")
			if err := os.WriteFile(pwg, encodePWG(t, c.typ, 300, img, img), 0o600); err != nil {
				t.Fatal(err)
			}
			// A CUPS filter: argv job user title copies options [file];
			// with no PPD and no printer it converts the raster as is.
			cmd := exec.Command(rastertopdf, "1", "kofu", "kofu test", "1", "", pwg)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			var pdf, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &pdf, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("rastertopdf: %v\n%s", err, stderr.String())
			}
			pdfPath := filepath.Join(dir, "job.pdf")
			os.WriteFile(pdfPath, pdf.Bytes(), 0o600)
			control := filepath.Join(dir, "control.pdf")
			os.WriteFile(control, graypdf.Page(c.want, 300), 0o600)
			base := render(t, dir, control, 300, false)[0]
			baseMean, baseFar := pixelDiff(base, c.want)

			pages := render(t, dir, pdfPath, 300, false)
			if len(pages) != 2 {
				t.Fatalf("rastertopdf made %d pages, want 2", len(pages))
			}
			for i, got := range pages {
				if got.Bounds() != c.want.Bounds() {
					t.Fatalf("page %d: %v, want %v", i+1, got.Bounds(), c.want.Bounds())
				}
				mean, far := pixelDiff(got, c.want)
				t.Logf("%s page %d, rastertopdf + pdftoppm: mean |Δ| %.3f, %.3f%% of pixels off by >64; control (source PDF + pdftoppm): %.3f, %.3f%%",
					c.typ.Keyword(), i+1, mean, 100*far, baseMean, 100*baseFar)
				// rastertopdf tags sgray_8 pages CalGray: pdftoppm applies the
				// gamma to the grey it interpolates along every edge of the
				// 0/255 page, which moves the mean but not the pixels that
				// flip (far); Ghostscript below holds sgray_8 to exact.
				meanOff := mean > 2*baseMean+0.5 && c.typ != SGray8
				if meanOff || far > 2*baseFar+0.001 {
					t.Errorf("page %d is further from the source than pdftoppm's own resampling explains", i+1)
				}
			}
			if gsErr == nil {
				for i, got := range render(t, dir, pdfPath, 300, true) {
					mean, far := pixelDiff(got, c.want)
					t.Logf("%s page %d, rastertopdf + Ghostscript: mean |Δ| %.4f, %.4f%% off by >64", c.typ.Keyword(), i+1, mean, 100*far)
					if mean > 0.1 || far > 0 {
						t.Errorf("page %d: Ghostscript renders rastertopdf's page away from the source", i+1)
					}
				}
			}
		})
	}
}

// gsDevices are Ghostscript's writers of the formats kofu writes.
func gsDevices() []struct {
	name, kofu string
	args       []string
} {
	return []struct {
		name, kofu string
		args       []string
	}{
		{"gs-ljet4", "kofu-pcl5", []string{"-sDEVICE=ljet4"}},
		{"gs-pwgraster-black1", "kofu-pwg-black1", []string{"-sDEVICE=pwgraster", "-dcupsColorSpace=3", "-dcupsBitsPerColor=1"}},
		{"gs-pwgraster-sgray8", "kofu-pwg-sgray8", []string{"-sDEVICE=pwgraster", "-dcupsColorSpace=18", "-dcupsBitsPerColor=8"}},
	}
}

// runGS converts pdf with Ghostscript at dpi and returns the output.
func runGS(t testing.TB, dir, pdf string, dpi int, args []string) []byte {
	t.Helper()
	out := filepath.Join(dir, "gs.out")
	cmd := exec.Command("gs", append([]string{"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-r" + strconv.Itoa(dpi),
		"-sOutputFile=" + out}, append(args, pdf)...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gs %v: %v\n%s", args, err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestGhostscriptOutputDecodes: the decoders read an independent writer's
// output — Ghostscript's PWG Raster (sgray_8, black_1) and ljet4 PCL 5
// (compression mode 3, printable-area offsets) — and Ghostscript's
// sgray_8 page is the source page.
func TestGhostscriptOutputDecodes(t *testing.T) {
	needTools(t, "ghostscript", "gs")
	img := sample.Page(t, 300)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "page.pdf")
	os.WriteFile(pdf, graypdf.Page(img, 300), 0o600)
	for _, d := range gsDevices() {
		t.Run(d.name, func(t *testing.T) {
			data := runGS(t, dir, pdf, 300, d.args)
			var pages []*Page
			var err error
			if strings.Contains(d.name, "ljet4") {
				err = DecodePCL(bytes.NewReader(data), Limits{}, func(p *Page) error { pages = append(pages, p); return nil })
			} else {
				err = DecodePWG(bytes.NewReader(data), Limits{}, func(_ PWGHeader, p *Page) error { pages = append(pages, p); return nil })
			}
			if err != nil || len(pages) == 0 {
				t.Fatalf("decoded %d pages: %v", len(pages), err)
			}
			g := pages[0].Image()
			t.Logf("%s: %d bytes, %v at %d dpi", d.name, len(data), g.Bounds(), pages[0].DPI)
			if pages[0].DPI != 300 {
				t.Errorf("dpi %d", pages[0].DPI)
			}
			if d.name == "gs-pwgraster-sgray8" {
				if g.Bounds() != img.Bounds() {
					t.Fatalf("size %v", g.Bounds())
				}
				mean, far := pixelDiff(g, img)
				t.Logf("Ghostscript's sgray_8 vs the source: mean |Δ| %.3f, %.3f%% off by >64", mean, 100*far)
				if mean > 5 || far > 0.02 {
					t.Errorf("Ghostscript's page decodes far from the source")
				}
			}
		})
	}
}

// TestRastertopdfDuplex: CUPS's rastertopdf accepts kofu's two-sided
// PWG Raster job (Duplex true, Tumble false in every header: 3 sheets,
// 6 faces) and makes six pages, each the face kofu sent, in order.
func TestRastertopdfDuplex(t *testing.T) {
	needTools(t, "cups-filters-core-drivers poppler-utils", rastertopdf, "pdftoppm")
	faces := duplexFaces(t, 300, 3)
	var buf bytes.Buffer
	w := NewPWGWriter(&buf, Black1, len(faces))
	if err := w.SetDuplex(); err != nil {
		t.Fatal(err)
	}
	for i, f := range faces {
		if err := w.WriteFace(f, 300, i%2 == 1); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	pwg := filepath.Join(dir, "duplex.pwg")
	if err := os.WriteFile(pwg, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(rastertopdf, "1", "kofu", "kofu duplex test", "1", "sides=two-sided-long-edge", pwg)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var pdf, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &pdf, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("rastertopdf: %v\n%s", err, stderr.String())
	}
	pdfPath := filepath.Join(dir, "duplex.pdf")
	if err := os.WriteFile(pdfPath, pdf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got := render(t, dir, pdfPath, 300, false)
	if len(got) != 6 {
		t.Fatalf("rastertopdf made %d pages of the two-sided job, want 6", len(got))
	}
	for i, g := range got {
		// Each page is nearest the face sent in its place: the faces
		// differ only by a bar whose row says which face it is.
		best, bestMean := -1, 0.0
		for j, f := range faces {
			if m, _ := pixelDiff(g, f.Gray()); best < 0 || m < bestMean {
				best, bestMean = j, m
			}
		}
		if best != i {
			t.Errorf("page %d looks like face %d", i+1, best+1)
		}
	}
}
