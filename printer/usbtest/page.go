package usbtest

import (
	"image"
	"math/rand/v2"
)

// Page draws a deterministic A4 test page at dpi without fonts: frames,
// bars, a gray wedge, circles and, if noisy, a block of random pixels
// that PackBits cannot compress (to make a job bigger than every buffer
// between host and printer).
func Page(dpi int, seed uint64, noisy bool) *image.Gray {
	w, h := 2480, 3508
	if dpi == 600 {
		w, h = 4961, 7016
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	fill := func(x0, y0, x1, y1 int, v uint8) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			row := img.Pix[y*img.Stride:]
			for x := max(x0, 0); x < min(x1, w); x++ {
				row[x] = v
			}
		}
	}
	u := dpi / 100 // 3 or 6 pixels
	// Frame and title bar.
	fill(50*u, 50*u, w-50*u, 53*u, 0)
	fill(50*u, h-53*u, w-50*u, h-50*u, 0)
	fill(50*u, 50*u, 53*u, h-50*u, 0)
	fill(w-53*u, 50*u, w-50*u, h-50*u, 0)
	fill(80*u, 80*u, w-80*u, 120*u, 0)
	// Bars of varying width, and a gray wedge.
	for i := range 40 {
		x := 80*u + i*18*u
		fill(x, 150*u, x+(i%7+1)*u, 300*u, 0)
	}
	for i := range 16 {
		fill(80*u+i*40*u, 320*u, 80*u+(i+1)*40*u, 360*u, uint8(i*17))
	}
	// Circles.
	cx, cy := w/2, 600*u
	for y := cy - 200*u; y < cy+200*u; y++ {
		for x := cx - 200*u; x < cx+200*u; x++ {
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			if r := 200 * u; d < r*r && (d/(20*u*20*u))%2 == 0 {
				img.Pix[y*img.Stride+x] = 0
			}
		}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	// Small random marks everywhere ("text").
	for range 3000 {
		x, y := 60*u+rng.IntN(w-130*u), 850*u+rng.IntN(h-950*u)
		fill(x, y, x+u+rng.IntN(6*u), y+u+rng.IntN(3*u), uint8(rng.IntN(2)*90))
	}
	if noisy {
		for y := 900 * u; y < h-100*u; y++ {
			row := img.Pix[y*img.Stride:]
			for x := 100 * u; x < w-100*u; x += 8 {
				v := rng.Uint64()
				for k := 0; k < 8 && x+k < w; k++ {
					row[x+k] = uint8(v >> (8 * k))
				}
			}
		}
	}
	return img
}
