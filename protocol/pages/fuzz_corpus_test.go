package pages

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"testing"

	"kofu/internal/fuzzcorpus"
)

// crop copies r out of img into a new image at the origin.
func crop(img *image.Gray, r image.Rectangle) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// half averages 2×2 blocks: the page at half the resolution.
func half(img *image.Gray) *image.Gray {
	w, h := img.Rect.Dx()/2, img.Rect.Dy()/2
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			s := int(img.GrayAt(2*x, 2*y).Y) + int(img.GrayAt(2*x+1, 2*y).Y) + int(img.GrayAt(2*x, 2*y+1).Y) + int(img.GrayAt(2*x+1, 2*y+1).Y)
			out.Pix[y*out.Stride+x] = uint8(s / 4)
		}
	}
	return out
}

// TestWriteFuzzCorpus writes the committed corpora of FuzzDecode and
// FuzzFindQR from a real page rendered by the center's renderer at 300
// dpi: pieces of it small enough for the fuzz limits (text, the QR
// symbol with its quiet zone at half resolution), PNG files kofu and
// Go's encoder make of them, and the hostile files the checks refuse.
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	spec := sampleSpec(300)
	page, err := renderer(t).Render(spec)
	if err != nil {
		t.Fatal(err)
	}
	w, h := page.Rect.Dx(), page.Rect.Dy()
	sym := mustQR(t, spec.QRText)
	qx, qy, m, err := qrPlacement(300, w, h, sym.size)
	if err != nil {
		t.Fatal(err)
	}
	q := qrQuiet * m
	symbol := half(crop(page, image.Rect(qx-q, qy-q, qx+sym.size*m+q, qy+sym.size*m+q)))

	dec := fuzzcorpus.New("FuzzDecode")
	add := func(name string, data []byte, w, h, dpi int, fix bool) {
		dec.Add(name, data, uint16(w), uint16(h), uint16(dpi), fix)
	}
	// Real pixels within the fuzz limits (64×64): a piece of the title, of
	// a row of text, and of the QR symbol.
	for name, r := range map[string]image.Rectangle{
		"title":     image.Rect(w/2-32, 300, w/2+32, 364),
		"text-row":  image.Rect(300, 700, 364, 740),
		"qr-corner": image.Rect(qx, qy, qx+48, qy+48),
	} {
		piece := crop(page, r)
		b, err := EncodePNG(piece, 300)
		if err != nil {
			t.Fatal(err)
		}
		add(name, b, r.Dx(), r.Dy(), 300, false)
		add(name+"-declared-600dpi", b, r.Dx(), r.Dy(), 600, false)
		add(name+"-declared-wider", b, r.Dx()+1, r.Dy(), 300, false)
		add(name+"-cut", b[:len(b)*2/3], r.Dx(), r.Dy(), 300, false)
		var std bytes.Buffer
		png.Encode(&std, piece) // Go's encoder: no pHYs, its own filters
		add(name+"-go-encoder-no-dpi", std.Bytes(), r.Dx(), r.Dy(), 300, false)
		add(name+"-text-chunk", edit(t, b, func(cs []chunk) []chunk {
			return append(cs[:1], append([]chunk{{"tEXt", []byte("Comment\x00kofu")}}, cs[1:]...)...)
		}), r.Dx(), r.Dy(), 300, true)
		add(name+"-idat-split", edit(t, b, func(cs []chunk) []chunk {
			i := index(cs, "IDAT")
			d := cs[i].data
			return append(cs[:i], append([]chunk{{"IDAT", d[:len(d)/2]}, {"IDAT", d[len(d)/2:]}}, cs[i+1:]...)...)
		}), r.Dx(), r.Dy(), 300, true)
		add(name+"-bit-depth-16", edit(t, b, setIHDR(8, 16)), r.Dx(), r.Dy(), 300, true)
		add(name+"-colour-rgb", edit(t, b, setIHDR(9, 2)), r.Dx(), r.Dy(), 300, true)
		add(name+"-interlaced", edit(t, b, setIHDR(12, 1)), r.Dx(), r.Dy(), 300, true)
	}
	add("bomb-64x64-declared", bomb(t, 64, 64), 64, 64, 300, true)
	add("bomb-a4-300dpi", bomb(t, uint32(w), uint32(h)), 0xffff, 0xffff, 300, true)
	add("empty", nil, 1, 1, 300, false)

	qr := fuzzcorpus.New("FuzzFindQR")
	qr.Add("page-symbol-at-half-resolution", uint8(symbol.Rect.Dx()), uint8(symbol.Rect.Dy()), uint16(150), symbol.Pix)
	if texts, err := FindQR(symbol, 150); err != nil || len(texts) != 1 || texts[0] != spec.QRText {
		t.Fatalf("the page's symbol at half resolution reads %q, %v", texts, err)
	}
	top := crop(symbol, image.Rect(0, 0, symbol.Rect.Dx(), symbol.Rect.Dy()/2))
	qr.Add("page-symbol-top-half", uint8(top.Rect.Dx()), uint8(top.Rect.Dy()), uint16(150), top.Pix)
	smudged := crop(symbol, symbol.Rect)
	for i := range smudged.Pix {
		if i%97 < 9 {
			smudged.Pix[i] = 255 - smudged.Pix[i]
		}
	}
	qr.Add("page-symbol-smudged", uint8(smudged.Rect.Dx()), uint8(smudged.Rect.Dy()), uint16(150), smudged.Pix)
	for _, c := range []*fuzzcorpus.Corpus{dec, qr} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("page %d×%d, symbol %d modules of %d px, piece %v", w, h, sym.size, m, symbol.Rect)
}
