package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"kofu/internal/graypdf"
	"kofu/printer/pdl"
)

// pdlCase is one printer format: kofu's writer and Ghostscript's device
// for the same format.
type pdlCase struct {
	name   string
	gsName string
	gsArgs []string
	enc    func(w io.Writer, p *samplePage) error
}

func pdlCases() []pdlCase {
	return []pdlCase{
		{"PCL 5", "gs ljet4", []string{"-sDEVICE=ljet4"}, func(w io.Writer, p *samplePage) error {
			pw := pdl.NewPCLWriter(w)
			if err := pw.WritePage(p.bmp, p.dpi); err != nil {
				return err
			}
			return pw.Close()
		}},
		{"PWG Raster", "gs pwgraster", []string{"-sDEVICE=pwgraster", "-dcupsColorSpace=3", "-dcupsBitsPerColor=1"}, func(w io.Writer, p *samplePage) error {
			pw := pdl.NewPWGWriter(w, pdl.Black1, 1)
			if err := pw.WritePage(p.bmp, p.dpi); err != nil {
				return err
			}
			return pw.Flush()
		}},
	}
}

// encodeFigures: an A4 page at 600 dpi, 1-bit, in PCL 5 and PWG Raster,
// by kofu's writers and by Ghostscript from the same page (wrapped
// losslessly in a PDF; gs runs as the process a user would run, so its
// time includes start-up and reading the PDF).
func encodeFigures(ctx context.Context, o Options, p *samplePage) ([]Figure, error) {
	_, gsErr := exec.LookPath("gs")
	if gsErr != nil && !o.SkipMissing {
		return nil, fmt.Errorf("gs not found (apt-get install ghostscript): %w", gsErr)
	}
	dir, err := os.MkdirTemp("", "kofu-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	pdf := filepath.Join(dir, "page.pdf")
	if gsErr == nil {
		if err := os.WriteFile(pdf, graypdf.Page(p.img, p.dpi), 0o600); err != nil {
			return nil, err
		}
	}
	var figs []Figure
	for _, c := range pdlCases() {
		ours, n, err := measure(ctx, o.Runs, func() (int, time.Duration, error) {
			var cw countWriter
			err := c.enc(&cw, p)
			return cw.n, 0, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		var gs sample
		var gn int
		note := fmt.Sprintf("wall time: kofu %.1f ms", ms(ours.wall))
		if gsErr == nil {
			out := filepath.Join(dir, "gs.out")
			gs, gn, err = measure(ctx, o.PeerRuns, func() (int, time.Duration, error) {
				cmd := exec.CommandContext(ctx, "gs", append([]string{"-q", "-dNOPAUSE", "-dBATCH", "-dSAFER",
					"-r" + strconv.Itoa(p.dpi), "-sOutputFile=" + out}, append(c.gsArgs, pdf)...)...)
				if b, err := cmd.CombinedOutput(); err != nil {
					return 0, 0, fmt.Errorf("%v: %w\n%s", cmd.Args, err, b)
				}
				st, err := os.Stat(out)
				if err != nil {
					return 0, 0, err
				}
				return int(st.Size()), childCPU(cmd), nil
			})
			if err != nil {
				return nil, err
			}
			note += fmt.Sprintf(", gs %.1f ms; gs runs as the process a user would run, so its figures include its start-up and reading the page from a lossless PDF", ms(gs.wall))
		}
		peer := c.gsName
		if gsErr != nil {
			peer, note = "gs (not installed)", note+"; Ghostscript missing: no peer"
		}
		f := newFigure("encode", c.name+" page, A4 600 dpi 1-bit: CPU time", ms(ours.cpu), ms(gs.cpu), peer, "ms",
			goal{op: "<=", value: 0.5, ratio: true}, goal{op: "<=", value: 20})
		f.Note = note
		figs = append(figs, f)
		figs = append(figs, newFigure("encode", c.name+" page, A4 600 dpi 1-bit: bytes", float64(n), float64(gn), peer, "bytes",
			goal{op: "<=", value: 1, ratio: true}))
	}
	return figs, nil
}

// countWriter counts the bytes that would go to the printer.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
