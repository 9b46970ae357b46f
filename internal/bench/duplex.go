package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"time"

	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/printer/groundpattern"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// duplexSheets is the size of the jobs the duplex figures compare: a
// 3-sheet certificate (R0004's 戸籍 is three sheets).
const duplexSheets = 3

// duplexFigures compare a two-sided job of duplexSheets sheets (each
// sheet the sample certificate's front and the back the center renders
// for it: the scrambled image of the front, the verification code, the
// anti-forgery mark, its own symbol) with the one-sided job of the same
// fronts, measured side by side in one run, alternating run by run:
//   - the copy-evident ground pattern's composite (and its bit-for-bit
//     check) per face at 600 dpi, the kiosk's work per face between
//     verification and encoding (target ≤ 10 ms a face);
//   - the bytes that go to the printer per sheet, ground pattern
//     included, as kofu's printer code writes the job (PJL + PCL 5, and
//     PWG Raster).
func duplexFigures(ctx context.Context, o Options, fx *fixtures.Set, p *samplePage) ([]Figure, error) {
	r, err := newRenderer(fx)
	if err != nil {
		return nil, err
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, err
	}
	q, err := protocol.ParseQRText(p.qr)
	if err != nil {
		return nil, err
	}
	q.N, q.Total, q.Sheet, q.Sheets, q.Face = 2, 2, 1, 1, protocol.FaceBack
	backImg, err := r.RenderBack(pages.BackSpec{DPI: p.dpi, Front: p.img, Seed: seed, Code: "1234-5678-9012-3456",
		Title: "住民票の写し", Serial: "141003-0123456789", AsOf: "2026年11月23日 09:00", Sheet: 1, Sheets: 1, QRText: q.String()})
	if err != nil {
		return nil, fmt.Errorf("back: %w", err)
	}
	ttf, err := fx.FontTTF()
	if err != nil {
		return nil, err
	}
	gp, err := groundpattern.New(ttf, groundpattern.DPI)
	if err != nil {
		return nil, err
	}
	front, back := p.bmp, pages.Binarize(backImg)
	keepOut := func(b *pages.Bitmap) ([]image.Rectangle, error) {
		syms, err := pages.FindSymbols(b)
		if err != nil || len(syms) != 1 {
			return nil, fmt.Errorf("sample face: %d symbols, %v", len(syms), err)
		}
		return groundpattern.KeepOut(b.W, b.H, p.dpi, syms[0].Quiet), nil
	}
	koFront, err := keepOut(front)
	if err != nil {
		return nil, err
	}
	koBack, err := keepOut(back)
	if err != nil {
		return nil, err
	}
	composite := func(faces int, duplex bool) (int, time.Duration, error) {
		for i := range faces {
			b, ko := front, koFront
			if duplex && i%2 == 1 {
				b, ko = back, koBack
			}
			out, err := gp.Composite(b, ko, p.dpi)
			if err != nil {
				return 0, 0, err
			}
			out.Wipe()
		}
		return faces, 0, nil
	}
	var one, two sample
	for range max(1, o.Runs) {
		s1, _, err := measure(ctx, 1, func() (int, time.Duration, error) { return composite(duplexSheets, false) })
		if err != nil {
			return nil, err
		}
		s2, _, err := measure(ctx, 1, func() (int, time.Duration, error) { return composite(2*duplexSheets, true) })
		if err != nil {
			return nil, err
		}
		one.cpu, two.cpu = one.cpu+s1.cpu, two.cpu+s2.cpu
		one.wall, two.wall = one.wall+s1.wall, two.wall+s2.wall
	}
	runs := time.Duration(max(1, o.Runs))
	perFace1 := ms(one.cpu / runs / duplexSheets)
	perFace2 := ms(two.cpu / runs / (2 * duplexSheets))
	f := newFigure("duplex", "ground pattern per face, A4 600 dpi, two-sided job: CPU time", perFace2, perFace1, "one-sided job", "ms",
		goal{op: "<=", value: 10}, goal{op: "<=", value: 1.5, ratio: true})
	f.Note = fmt.Sprintf("composite and bit-for-bit check per face, each into a fresh bitmap as the print path does; %d sheets, %d runs alternating the one-sided and the two-sided job; wall time per face %.2f ms two-sided, %.2f ms one-sided",
		duplexSheets, max(1, o.Runs), ms(two.wall/runs/(2*duplexSheets)), ms(one.wall/runs/duplexSheets))
	figs := []Figure{f}

	// Bytes on the wire: kofu's printer code writing each job to a
	// file target, the exact bytes a USB printer would get.
	dir, err := os.MkdirTemp("", "kofu-bench-duplex-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	frontGray, backGray := p.img, backImg
	for _, ext := range []string{"pcl", "pwg"} {
		size := func(name string, pgs []*protocol.VerifiedPage) (int, error) {
			path := filepath.Join(dir, name+"."+ext)
			pr, err := printer.New(ctx, printer.Target{Kind: printer.TargetFile, Path: path},
				printer.Options{GroundPattern: gp, RequireGroundPattern: true})
			if err != nil {
				return 0, err
			}
			defer pr.Close()
			if _, err := pr.Print(ctx, nil, pgs); err != nil {
				return 0, err
			}
			st, err := os.Stat(path)
			if err != nil {
				return 0, err
			}
			return int(st.Size()), nil
		}
		var simplex []*protocol.VerifiedPage
		for range duplexSheets {
			pg, err := protocol.TechnicianTestPage(frontGray, p.dpi)
			if err != nil {
				return nil, err
			}
			simplex = append(simplex, pg)
		}
		var faces []*image.Gray
		for range duplexSheets {
			faces = append(faces, frontGray, backGray)
		}
		duplex, err := protocol.TechnicianTestSheets(p.dpi, faces...)
		if err != nil {
			return nil, err
		}
		n1, err := size("one-sided", simplex)
		if err != nil {
			return nil, fmt.Errorf("%s one-sided: %w", ext, err)
		}
		n2, err := size("two-sided", duplex)
		if err != nil {
			return nil, fmt.Errorf("%s two-sided: %w", ext, err)
		}
		name := map[string]string{"pcl": "PJL + PCL 5", "pwg": "PWG Raster"}[ext]
		f := newFigure("duplex", name+" bytes per sheet, A4 600 dpi with ground pattern, two-sided job", float64(n2/duplexSheets),
			float64(n1/duplexSheets), "one-sided job", "bytes", goal{op: "<=", value: 3, ratio: true})
		f.Note = fmt.Sprintf("%d sheets: %d bytes two-sided (%d faces), %d bytes one-sided; the back's scrambled image compresses worse than the front", duplexSheets, n2, 2*duplexSheets, n1)
		figs = append(figs, f)
	}
	return figs, nil
}
