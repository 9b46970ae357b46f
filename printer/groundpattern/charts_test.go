package groundpattern

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"kofu/protocol/pages"
)

// docsEnv names the directory TestWriteDocs writes the charts and images
// of docs/groundpattern.md into:
//
//	KOFU_GROUNDPATTERN_DOCS=$PWD/docs/groundpattern go test -run TestWriteDocs ./printer/groundpattern
//
// It takes a minute or two (some 600 simulated copies of the tile).
const docsEnv = "KOFU_GROUNDPATTERN_DOCS"

// Chart colours, as internal/bench/chart.go draws them.
var (
	colBlue   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colOrange = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colGreen  = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	colRed    = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	colGrey   = color.RGBA{0x99, 0x99, 0x99, 0xff}
	colInk    = color.RGBA{0x20, 0x20, 0x20, 0xff}
)

func TestWriteDocs(t *testing.T) {
	dir := os.Getenv(docsEnv)
	if dir == "" {
		t.Skipf("set %s to a directory to write the charts and images", docsEnv)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, img image.Image) {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", filepath.Join(dir, name))
	}
	p := standardPattern(t)
	p300, err := newPattern(parseFont(t), 300, standardDesign())
	if err != nil {
		t.Fatal(err)
	}

	// 1. Copy contrast against the copier's blur, at the nominal
	// threshold, for 300- and 600-dpi copiers: mean and least over phase.
	var c300m, c300l, c600m, c600l []pt
	for s := 0.015; s <= 0.0601; s += 0.0025 {
		for _, dpi := range []int{300, 600} {
			mean, least, bg := overPhases(p.t, DPI, copier{dpi: dpi, sigmaMM: s, threshold: nominalThreshold})
			if bg < copyBackgroundMin { // background kept: no word to see
				mean, least = 0, 0
			}
			if dpi == 300 {
				c300m, c300l = append(c300m, pt{s, mean}), append(c300l, pt{s, least})
			} else {
				c600m, c600l = append(c600m, pt{s, mean}), append(c600l, pt{s, least})
			}
		}
	}
	write("copy-contrast-vs-blur.png", lineChart(chart{
		title:  "Latent word on the copy: Weber contrast vs the copier's blur (threshold 50 %)",
		xlabel: "copier optics, Gaussian sigma (mm)", ylabel: "contrast",
		xmin: 0.015, xmax: 0.06, ymin: 0, ymax: 0.35,
		series: []series{
			{"600-dpi copier, mean over phase", colBlue, c600m, false},
			{"600-dpi copier, worst phase", colBlue, c600l, true},
			{"300-dpi copier, mean over phase", colOrange, c300m, false},
			{"300-dpi copier, worst phase", colOrange, c300l, true},
		},
		hlines: []hline{{copyMinNominal, "nominal bound 0.10", colGreen}, {copyMinEnvelope, "envelope bound 0.05", colRed}},
		vlines: []hline{{nominalSigmaMM, "nominal", colGrey}, {0.02, "", colGrey}, {0.045, "envelope", colGrey}},
	}))

	// 2. The original against the reader's blur: tone and texture.
	var tone, tex, edge, tex300 []pt
	for s := 0.04; s <= 0.2001; s += 0.01 {
		m := originalContrast(p.t, p.d, DPI, s)
		m3 := originalContrast(p300.t, p300.d, 300, s)
		tone = append(tone, pt{s, math.Abs(m.tone)})
		tex = append(tex, pt{s, math.Abs(m.texture)})
		edge = append(edge, pt{s, m.edge})
		tex300 = append(tex300, pt{s, math.Abs(m3.texture)})
	}
	write("original-contrast-vs-reading-blur.png", lineChart(chart{
		title:  "Latent word on the original: contrast vs the reader's blur",
		xlabel: "reading blur, Gaussian sigma (mm)", ylabel: "contrast",
		xmin: 0.04, xmax: 0.2, ymin: 0, ymax: 0.1,
		series: []series{
			{"600-dpi pattern: tone", colBlue, tone, false},
			{"600-dpi pattern: texture", colBlue, tex, true},
			{"600-dpi pattern: edge", colGreen, edge, false},
			{"300-dpi pattern: texture", colOrange, tex300, true},
		},
		hlines: []hline{{originalMaxTexture, "texture, edge bound 0.02", colRed}, {originalMaxTone, "tone bound 0.01", colGreen}},
		vlines: []hline{{readingSigmaMM, "reading (0.1 mm)", colGrey}},
	}))

	// 3. Copy against original at 300 and 600 dpi, nominal copier.
	orig := originalContrast(p.t, p.d, DPI, readingSigmaMM)
	orig300 := originalContrast(p300.t, p300.d, 300, readingSigmaMM)
	nominal := func(dpi int) copier { return copier{dpi: dpi, sigmaMM: nominalSigmaMM, threshold: nominalThreshold} }
	m600, l600, _ := overPhases(p.t, DPI, nominal(600))
	m300, l300, _ := overPhases(p.t, DPI, nominal(300))
	sharp := copier{dpi: 600, sigmaMM: 0.02, threshold: nominalThreshold}
	_, lsharp300, _ := overPhases(p300.t, 300, sharp)
	write("copy-vs-original.png", barChart("Copy vs original (nominal copier: sigma 0.035 mm, threshold 50 %)", []bar{
		{"600-dpi pattern, copy at 600 dpi: mean", m600, colBlue, copyMinNominal},
		{"600-dpi pattern, copy at 600 dpi: worst phase", l600, colBlue, copyMinEnvelope},
		{"600-dpi pattern, copy at 300 dpi: mean", m300, colBlue, copyMinNominal},
		{"600-dpi pattern, copy at 300 dpi: worst phase", l300, colBlue, copyMinEnvelope},
		{"600-dpi pattern, original: tone", math.Abs(orig.tone), colGreen, -originalMaxTone},
		{"600-dpi pattern, original: texture", math.Abs(orig.texture), colGreen, -originalMaxTexture},
		{"600-dpi pattern, original: edge", orig.edge, colGreen, -originalMaxEdge},
		{"300-dpi pattern, original: texture", math.Abs(orig300.texture), colOrange, -originalMaxTexture},
		{"300-dpi pattern, sharp copier (0.02 mm): worst", lsharp300, colOrange, copyMinEnvelope},
	}))

	// 4. The envelope: worst-phase contrast over blur × threshold.
	write("envelope.png", envelopeChart(p.t))

	// 5. What a reader sees: one repetition of the word, original and
	// copies, at reading blur, 150 dpi.
	crop := image.Rect(0, 0, p.t.ink.W, p.t.ink.H/2)
	tileOrig := fromBitmap(p.t.ink, DPI)
	panels := []panel{
		{"original, as read", asSeen(tileOrig, readingSigmaMM, true, crop, 150)},
		{"copy, 600-dpi copier", asSeen(nominal(600).copyOf(tileOrig, true), readingSigmaMM, true, crop, 150)},
		{"copy, 300-dpi copier", asSeen(nominal(300).copyOf(tileOrig, true), readingSigmaMM, true, crop, 150)},
	}
	write("seen-original-vs-copy.png", panelsImage(panels))
	write("seen-original-closer.png", panelsImage([]panel{
		{"original, reader's blur only, at 300 dpi (a closer look)", asSeen(tileOrig, readingSigmaMM, true, crop, 300)},
	}))
	tile300 := fromBitmap(p300.t.ink, 300)
	write("seen-300dpi.png", panelsImage([]panel{
		{"300-dpi pattern: original, as read", asSeen(tile300, readingSigmaMM, true, crop, 150)},
		{"300-dpi pattern: copy, sharp copier", asSeen(sharp.copyOf(tile300, true), readingSigmaMM, true, crop, 150)},
	}))

	// 6. The printer's pixels across a word edge, magnified, and the copy.
	detail := image.Rect(0, 0, 96, 64).Add(wordEdge(p.t.latent))
	write("detail-pixels.png", panelsImage([]panel{
		{"original, 600-dpi pixels x6", magnify(tileOrig, detail, 6)},
		{"copy at 600 dpi, pixels x6", magnify(nominal(600).copyOf(tileOrig, true), detail, 6)},
	}))

	// 7. The real certificate, composited, and its copy.
	face := certificate(t)
	out, err := p.Composite(face, []image.Rectangle{BandKeepOut(face.W, face.H, DPI)}, DPI)
	if err != nil {
		t.Fatal(err)
	}
	region := image.Rect(0, 0, 2400, 1800).Add(image.Pt(300, 200))
	page := fromBitmap(cropBitmap(out, region), DPI)
	whole := image.Rect(0, 0, page.w, page.h)
	write("certificate-original-vs-copy.png", panelsImage([]panel{
		{"certificate with the pattern, as read", asSeen(page, readingSigmaMM, false, whole, 150)},
		{"its copy, 600-dpi copier", asSeen(nominal(600).copyOf(page, false), readingSigmaMM, false, whole, 150)},
	}))
	bandRegion := image.Rect(0, face.H-pages.BandHeight(DPI)-300, face.W, face.H)
	bandPage := fromBitmap(cropBitmap(out, bandRegion), DPI)
	bandWhole := image.Rect(0, 0, bandPage.w, bandPage.h)
	write("certificate-band.png", panelsImage([]panel{
		{"the bottom of the page: pattern above, the QR band (keep-out) untouched, as read", asSeen(bandPage, readingSigmaMM, false, bandWhole, 100)},
	}))
	write("certificate-band-copy.png", panelsImage([]panel{
		{"its copy, 600-dpi copier", asSeen(nominal(600).copyOf(bandPage, false), readingSigmaMM, false, bandWhole, 100)},
	}))

	alternatives(t)
	t.Logf("original: tone %.4f texture %.4f edge %.4f; copy 600 mean %.3f least %.3f; copy 300 mean %.3f least %.3f; 300-dpi pattern: original texture %.3f, sharp copier least %.3f",
		orig.tone, orig.texture, orig.edge, m600, l600, m300, l300, orig300.texture, lsharp300)
}

// wordEdge finds a point where a word cell meets the background, for a
// detail crop centred on it.
func wordEdge(latent *pages.Bitmap) image.Point {
	for y := latent.H / 8; y < latent.H/2; y++ {
		for x := 48; x < latent.W-48; x++ {
			if latent.Black(x, y) && !latent.Black(x-1, y) {
				return image.Pt(x-48, y-32)
			}
		}
	}
	return image.Point{}
}

func cropBitmap(b *pages.Bitmap, r image.Rectangle) *pages.Bitmap {
	o := pages.NewBitmap(r.Dx(), r.Dy())
	for y := range o.H {
		for x := range o.W {
			if b.Black(r.Min.X+x, r.Min.Y+y) {
				o.Row(y)[x>>3] |= 0x80 >> uint(x&7)
			}
		}
	}
	return o
}

// asSeen blurs f as a reader does and shows region r of it (in 600-dpi
// pixels) at outDPI. So that the image shows no texture the page does
// not have, the reader's blur is widened by an anti-aliasing Gaussian of
// half an output pixel before the n×n average (at 150 dpi: 0.085 mm,
// 0.13 mm in all).
func asSeen(f field, sigmaMM float64, wrap bool, r image.Rectangle, outDPI int) *image.Gray {
	aa := 0.5 * 25.4 / float64(outDPI)
	s := seen(f, math.Hypot(sigmaMM, aa), wrap)
	n := f.dpi / outDPI
	scale := paperDPI / f.dpi
	r = image.Rect(r.Min.X/scale, r.Min.Y/scale, r.Max.X/scale, r.Max.Y/scale).Intersect(image.Rect(0, 0, f.w, f.h))
	img := image.NewGray(image.Rect(0, 0, r.Dx()/n, r.Dy()/n))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			v := 0.0
			for j := range n {
				for i := range n {
					v += s.at(r.Min.X+x*n+i, r.Min.Y+y*n+j)
				}
			}
			img.Pix[y*img.Stride+x] = uint8(math.Round(255 * v / float64(n*n)))
		}
	}
	return img
}

// magnify shows region r of f (600-dpi coordinates) with each pixel k×k.
func magnify(f field, r image.Rectangle, k int) *image.Gray {
	scale := paperDPI / f.dpi
	img := image.NewGray(image.Rect(0, 0, r.Dx()*k, r.Dy()*k))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			v := f.at((r.Min.X+x/k)/scale, (r.Min.Y+y/k)/scale)
			img.Pix[y*img.Stride+x] = uint8(math.Round(255 * v))
		}
	}
	return img
}

type panel struct {
	label string
	img   *image.Gray
}

// panelsImage sets panels side by side, each under its label.
func panelsImage(ps []panel) *image.RGBA {
	const pad, labelH = 12, 20
	w, h := pad, 0
	for _, p := range ps {
		w += p.img.Rect.Dx() + pad
		h = max(h, p.img.Rect.Dy())
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h+labelH+2*pad))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	x := pad
	for _, p := range ps {
		text(img, x, pad+12, p.label, colInk)
		r := p.img.Rect.Add(image.Pt(x, pad+labelH))
		draw.Draw(img, r.Inset(-1), image.NewUniform(colGrey), image.Point{}, draw.Src)
		draw.Draw(img, r, p.img, image.Point{}, draw.Src)
		x += p.img.Rect.Dx() + pad
	}
	return img
}

func text(img draw.Image, x, y int, s string, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

type pt struct{ x, y float64 }

type series struct {
	name   string
	c      color.Color
	pts    []pt
	dashed bool
}

type hline struct {
	v     float64
	label string
	c     color.Color
}

type chart struct {
	title, xlabel, ylabel  string
	xmin, xmax, ymin, ymax float64
	series                 []series
	hlines, vlines         []hline
}

// lineChart draws series against x with horizontal bound lines and
// vertical markers, in the style of internal/bench/chart.go.
func lineChart(c chart) *image.RGBA {
	const W, H = 900, 520
	const left, right, top, bottom = 70, 260, 40, 60
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	pw, ph := W-left-right, H-top-bottom
	px := func(x float64) int { return left + int(math.Round(float64(pw)*(x-c.xmin)/(c.xmax-c.xmin))) }
	py := func(y float64) int { return top + ph - int(math.Round(float64(ph)*(y-c.ymin)/(c.ymax-c.ymin))) }
	text(img, 14, 20, c.title, colInk)
	// Axes and ticks.
	line(img, left, top+ph, left+pw, top+ph, colInk, false)
	line(img, left, top, left, top+ph, colInk, false)
	for i := 0; i <= 5; i++ {
		y := c.ymin + (c.ymax-c.ymin)*float64(i)/5
		line(img, left-4, py(y), left, py(y), colInk, false)
		line(img, left+1, py(y), left+pw, py(y), color.RGBA{0xee, 0xee, 0xee, 0xff}, false)
		text(img, 20, py(y)+4, fmt.Sprintf("%.2f", y), colInk)
	}
	for i := 0; i <= 5; i++ {
		x := c.xmin + (c.xmax-c.xmin)*float64(i)/5
		line(img, px(x), top+ph, px(x), top+ph+4, colInk, false)
		text(img, px(x)-14, top+ph+18, fmt.Sprintf("%.3f", x), colInk)
	}
	text(img, left+pw/2-len(c.xlabel)*7/2, H-18, c.xlabel, colInk)
	text(img, 14, top-8, c.ylabel, colInk)
	for _, v := range c.vlines {
		line(img, px(v.v), top, px(v.v), top+ph, v.c, true)
		if v.label != "" {
			text(img, px(v.v)+3, top+12, v.label, v.c)
		}
	}
	for _, h := range c.hlines {
		line(img, left, py(h.v), left+pw, py(h.v), h.c, true)
		text(img, left+pw+8, py(h.v)+4, h.label, h.c)
	}
	ly := top + ph/2
	for _, s := range c.series {
		for i := 1; i < len(s.pts); i++ {
			a, b := s.pts[i-1], s.pts[i]
			line(img, px(a.x), py(a.y), px(b.x), py(b.y), s.c, s.dashed)
			line(img, px(a.x), py(a.y)+1, px(b.x), py(b.y)+1, s.c, s.dashed)
		}
		for _, p := range s.pts {
			draw.Draw(img, image.Rect(px(p.x)-2, py(p.y)-2, px(p.x)+3, py(p.y)+3), image.NewUniform(s.c), image.Point{}, draw.Src)
		}
		line(img, left+pw+8, ly, left+pw+30, ly, s.c, s.dashed)
		text(img, left+pw+34, ly+4, shorten(s.name, 31), colInk)
		ly += 18
	}
	return img
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "~"
}

// line draws a 1-px line (dashed: 6 on, 4 off).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color, dashed bool) {
	n := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= n; i++ {
		if dashed && i%10 >= 6 {
			continue
		}
		x := x0 + (x1-x0)*i/n
		y := y0 + (y1-y0)*i/n
		img.Set(x, y, c)
	}
}

type bar struct {
	name  string
	v     float64
	c     color.Color
	bound float64 // > 0: at least; < 0: below −bound
}

// barChart draws one bar per figure with its bound as a red tick.
func barChart(title string, bars []bar) *image.RGBA {
	const W, labelW, barH, gap, pad = 900, 380, 18, 10, 14
	maxV := 0.0
	for _, b := range bars {
		maxV = max(maxV, b.v, math.Abs(b.bound))
	}
	maxLen := float64(W - labelW - 2*pad - 170)
	h := 40 + len(bars)*(barH+gap) + pad
	img := image.NewRGBA(image.Rect(0, 0, W, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	text(img, pad, 20, title, colInk)
	y := 40
	for _, b := range bars {
		text(img, pad, y+13, b.name, colInk)
		l := int(math.Round(maxLen * b.v / maxV))
		draw.Draw(img, image.Rect(labelW, y, labelW+max(1, l), y+barH), image.NewUniform(b.c), image.Point{}, draw.Src)
		bx := labelW + int(math.Round(maxLen*math.Abs(b.bound)/maxV))
		draw.Draw(img, image.Rect(bx-1, y-3, bx+1, y+barH+3), image.NewUniform(colRed), image.Point{}, draw.Src)
		cmp := ">="
		if b.bound < 0 {
			cmp = "<"
		}
		ok := (b.bound > 0 && b.v >= b.bound) || (b.bound < 0 && b.v < -b.bound)
		verdict := "meets"
		if !ok {
			verdict = "MISSES"
		}
		text(img, labelW+max(l, bx-labelW)+8, y+13, fmt.Sprintf("%.3f (%s %s %.2f)", b.v, verdict, cmp, math.Abs(b.bound)), colInk)
		y += barH + gap
	}
	return img
}

// envelopeChart tabulates the worst-phase copy contrast over the
// copier's blur and threshold, for 300- and 600-dpi copiers; green where
// it meets copyMinEnvelope with the background dropped, red where not.
func envelopeChart(t tile) *image.RGBA {
	sigmas := []float64{0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05, 0.055}
	ths := []float64{0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65}
	const cw, ch, pad, head = 56, 22, 14, 64
	gridW := 70 + len(ths)*cw
	W := 2*gridW + 3*pad
	H := head + len(sigmas)*ch + 50
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	text(img, pad, 20, "Worst-phase copy contrast: rows copier blur sigma (mm), columns text-mode threshold", colInk)
	for k, dpi := range []int{300, 600} {
		x0 := pad + k*(gridW+pad)
		text(img, x0, 40, fmt.Sprintf("%d-dpi copier", dpi), colInk)
		for j, th := range ths {
			text(img, x0+70+j*cw+10, head-6, fmt.Sprintf("%.2f", th), colInk)
		}
		for i, s := range sigmas {
			y := head + i*ch
			text(img, x0, y+15, fmt.Sprintf("%.3f", s), colInk)
			for j, th := range ths {
				_, least, bg := overPhases(t, DPI, copier{dpi: dpi, sigmaMM: s, threshold: th})
				c := color.RGBA{0xc7, 0xe9, 0xc0, 0xff}
				label := fmt.Sprintf("%.3f", least)
				switch {
				case bg < copyBackgroundMin:
					c, label = color.RGBA{0xfc, 0xbb, 0xa1, 0xff}, "bg"
				case least < copyMinEnvelope:
					c = color.RGBA{0xfc, 0xbb, 0xa1, 0xff}
				}
				r := image.Rect(x0+70+j*cw, y, x0+70+(j+1)*cw-2, y+ch-2)
				draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
				if s == nominalSigmaMM && th == nominalThreshold {
					draw.Draw(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+2), image.NewUniform(colInk), image.Point{}, draw.Src)
					draw.Draw(img, image.Rect(r.Min.X, r.Max.Y-2, r.Max.X, r.Max.Y), image.NewUniform(colInk), image.Point{}, draw.Src)
				}
				text(img, r.Min.X+6, y+15, label, colInk)
			}
		}
	}
	text(img, pad, H-18, fmt.Sprintf("green: >= %.2f at every phase, background dropped; red: below, or 'bg' = background copied; framed: nominal", copyMinEnvelope), colInk)
	return img
}

// alternatives logs, as a Markdown table, the designs weighed against the
// standard one (docs/groundpattern.md, "Why this design").
func alternatives(t *testing.T) {
	f := parseFont(t)
	std := standardDesign()
	onDots := standardDesign()
	onDots.split = [2]int{0, 0}
	fifth := standardDesign()
	fifth.u, fifth.v, fifth.cu, fifth.cv, fifth.split = [2]int{2, 1}, [2]int{-1, 2}, [2]int{6, 3}, [2]int{-3, 6}, [2]int{0, 0}
	eight := standardDesign()
	eight.cu, eight.cv, eight.dot, eight.split = [2]int{4, 4}, [2]int{-4, 4}, squareDot(3)[:8], [2]int{0, 0}
	hex := standardDesign()
	hex.cu, hex.cv, hex.split = [2]int{5, -2}, [2]int{4, 4}, [2]int{0, 0}
	hex.dot = [][2]int{{-1, -1}, {0, -1}, {-1, 0}, {0, 0}, {1, 0}, {0, 1}, {1, 1}}
	t.Log("| design | tint | original tone | texture | edge | copy 600 mean / worst | copy 300 mean / worst | copy 300 at σ 0.045, worst |")
	t.Log("|---|---|---|---|---|---|---|---|")
	for _, a := range []struct {
		name string
		d    design
	}{
		{"standard: 3×3 dots on (6,0),(3,6), cells off the dots", std},
		{"the same, cells centred on the dots", onDots},
		{"tint 1/5: fine (2,1),(−1,2), 3×3 dots on (6,3),(−3,6)", fifth},
		{"8-px dots on (4,4),(−4,4)", eight},
		{"7-px dots on (5,−2),(4,4)", hex},
	} {
		tl, err := buildTile(f, DPI, a.d)
		if err != nil {
			t.Fatal(a.name, err)
		}
		o := originalContrast(tl, a.d, DPI, readingSigmaMM)
		nominal := func(dpi int) copier { return copier{dpi: dpi, sigmaMM: nominalSigmaMM, threshold: nominalThreshold} }
		m6, l6, _ := overPhases(tl, DPI, nominal(600))
		m3, l3, _ := overPhases(tl, DPI, nominal(300))
		_, s3, _ := overPhases(tl, DPI, copier{dpi: 300, sigmaMM: 0.045, threshold: nominalThreshold})
		t.Logf("| %s | 1/%d | %.4f | %.4f | %.4f | %.3f / %.3f | %.3f / %.3f | %.3f |",
			a.name, det(a.d.u, a.d.v), math.Abs(o.tone), math.Abs(o.texture), o.edge, m6, l6, m3, l3, s3)
	}
}
