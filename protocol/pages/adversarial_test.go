package pages

import (
	"image"
	"testing"
)

// TestPaintSymbol: the hostile-page primitives paint exactly the grays
// they are asked for, where they are asked, and refuse a symbol that does
// not fit the page.
func TestPaintSymbol(t *testing.T) {
	const text = "KOFU1|test|symbol|paint|1/1"
	n, err := SymbolModules(text)
	if err != nil {
		t.Fatal(err)
	}
	const m = 4
	cases := []struct {
		name       string
		ink        SymbolInk
		at         image.Point
		wantErr    bool
		quiet      uint8 // gray of the quiet zone
		minD, maxD uint8 // grays of the top-left finder's dark ring
	}{
		{"black on white", SymbolInk{Light: 255}, image.Pt(40, 40), false, 255, 0, 0},
		{"gray only", SymbolInk{Dark: 128, DarkMax: 180, Light: 255}, image.Pt(40, 40), false, 255, 128, 180},
		{"faint on patch", SymbolInk{Dark: 120, Light: 136}, image.Pt(40, 40), false, 136, 120, 120},
		{"inverted", SymbolInk{Dark: 0, Light: 255, Inverted: true}, image.Pt(40, 40), false, 0, 255, 255},
		{"quiet zone clipped at the edge", SymbolInk{Light: 255}, image.Pt(2, 2), false, 255, 0, 0},
		{"symbol off the page", SymbolInk{Light: 255}, image.Pt(-1, 40), true, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewGray(image.Rect(0, 0, 2*(n+8)*m, 2*(n+8)*m))
			PaintRect(img, img.Rect, 77)
			p := SymbolPlacement{X: tc.at.X, Y: tc.at.Y, Module: m, Modules: n}
			err := PaintSymbol(img, text, p, tc.ink)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			box := p.Box().Intersect(img.Rect)
			seen := map[uint8]bool{}
			for y := box.Min.Y; y < box.Max.Y; y++ {
				for x := box.Min.X; x < box.Max.X; x++ {
					v := img.GrayAt(x, y).Y
					inSym := image.Pt(x, y).In(image.Rect(p.X, p.Y, p.X+p.Side(), p.Y+p.Side()))
					if !inSym && v != tc.quiet {
						t.Fatalf("quiet zone pixel (%d,%d) = %d, want %d", x, y, v, tc.quiet)
					}
					seen[v] = true
				}
			}
			// The finder's outer ring (module row 0) is all dark modules.
			for mx := range 7 {
				v := img.GrayAt(p.X+mx*m, p.Y).Y
				if v < tc.minD || v > tc.maxD {
					t.Errorf("finder module %d = %d, want %d..%d", mx, v, tc.minD, tc.maxD)
				}
			}
			if tc.ink.DarkMax > tc.ink.Dark && (!seen[tc.ink.Dark] || !seen[tc.ink.DarkMax]) {
				t.Errorf("spread ink did not use both ends of %d..%d", tc.ink.Dark, tc.ink.DarkMax)
			}
			if out := img.GrayAt(box.Max.X, box.Max.Y).Y; box.Max.X < img.Rect.Max.X && box.Max.Y < img.Rect.Max.Y && out != 77 {
				t.Errorf("pixel outside the box changed to %d", out)
			}
		})
	}
}

// TestPageSymbolIsRenderers: PageSymbol says where Render draws a page's
// symbol, so a fault can paint over it exactly: on a rendered page the
// finder's corner modules are black at the placement and the quiet zone
// just outside is white.
func TestPageSymbolIsRenderers(t *testing.T) {
	r := renderer(t)
	for _, dpi := range []int{300, 600} {
		s := sampleSpec(dpi)
		img, err := r.Render(s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := PageSymbol(dpi, s.QRText)
		if err != nil {
			t.Fatal(err)
		}
		last := p.Side() - 1
		for _, c := range []struct {
			x, y int
			want uint8
		}{
			{p.X, p.Y, 0}, {p.X + last, p.Y, 0}, {p.X, p.Y + last, 0}, // three finder corners
			{p.X - 1, p.Y, 255}, {p.X, p.Y - 1, 255}, {p.X + last + 1, p.Y, 255}, {p.X, p.Y + last + 1, 255},
		} {
			if v := img.GrayAt(c.x, c.y).Y; v != c.want {
				t.Errorf("%d dpi: pixel (%d,%d) = %d, want %d (placement %+v)", dpi, c.x, c.y, v, c.want, p)
			}
		}
		_, h, _ := PageSize(dpi)
		if p.Box().Max.Y > h || p.Box().Min.Y < h-BandHeight(dpi) {
			t.Errorf("%d dpi: symbol box %v not in the band", dpi, p.Box())
		}
	}
}
