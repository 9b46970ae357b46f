package bench

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

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Chart colours: kofu, a peer tool, a target, and the ink of the text.
var (
	colOurs   = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	colPeer   = color.RGBA{0x99, 0x99, 0x99, 0xff}
	colTarget = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	colMiss   = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	colInk    = color.RGBA{0x20, 0x20, 0x20, 0xff}
)

// Chart geometry in pixels.
const (
	chartW    = 900
	labelW    = 330
	barH      = 16
	rowGap    = 10
	chartPad  = 14
	titleH    = 30
	maxBarLen = chartW - labelW - 2*chartPad - 150
)

// WriteCharts writes one PNG bar chart per group of figures into dir and
// returns the files in order.
func WriteCharts(dir string, figs []Figure) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var groups []string
	byGroup := map[string][]Figure{}
	for _, f := range figs {
		if _, ok := byGroup[f.group]; !ok {
			groups = append(groups, f.group)
		}
		byGroup[f.group] = append(byGroup[f.group], f)
	}
	var files []string
	for _, g := range groups {
		data, err := chartPNG(g, byGroup[g])
		if err != nil {
			return files, err
		}
		path := filepath.Join(dir, g+".png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

// chartPNG draws a group: per figure, its name, a bar for kofu and one for
// the peer (grey) or the target (red). Each pair is scaled to its larger
// value; a pair spanning more than 20× is drawn on a log scale (marked).
func chartPNG(title string, figs []Figure) ([]byte, error) {
	rowH := 13 + 2*barH + rowGap + 6
	h := titleH + chartPad + len(figs)*rowH + chartPad
	img := image.NewRGBA(image.Rect(0, 0, chartW, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(colInk), Face: basicfont.Face7x13}
	text := func(x, y int, s string) {
		d.Dot = fixed.P(x, y)
		d.DrawString(s)
	}
	text(chartPad, 20, "kofu-emu bench: "+title+" (kofu in blue; orange where the target is missed)")
	y := titleH + chartPad
	for _, f := range figs {
		lo, hi := math.Min(f.Ours, f.Peer), math.Max(f.Ours, f.Peer)
		logScale := lo > 0 && hi/lo > 20
		scale := func(v float64) int {
			switch {
			case hi <= 0 || v <= 0:
				return 0
			case logScale:
				floor := lo / 10
				return int(math.Round(float64(maxBarLen) * math.Log10(v/floor) / math.Log10(hi/floor)))
			default:
				return int(math.Round(float64(maxBarLen) * v / hi))
			}
		}
		name := f.Name
		if logScale {
			name += " [log]"
		}
		text(chartPad, y+11, name)
		ours := colOurs
		if !f.Met {
			ours = colMiss
		}
		peerCol, peerName := colPeer, f.PeerName
		if f.PeerName == PeerTarget {
			peerCol = colTarget
		}
		for i, bar := range []struct {
			label string
			v     float64
			c     color.Color
		}{{"kofu", f.Ours, ours}, {peerName, f.Peer, peerCol}} {
			by := y + 14 + i*(barH+2)
			text(chartPad+10, by+12, bar.label)
			draw.Draw(img, image.Rect(labelW, by, labelW+max(1, scale(bar.v)), by+barH), image.NewUniform(bar.c), image.Point{}, draw.Src)
			text(labelW+scale(bar.v)+6, by+12, fmt.Sprintf("%s %s", trimFloat(bar.v), f.Unit))
		}
		y += rowH
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
