package pages

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// filteredPNG encodes a w×h gray page at depth 8 or 1 (1: pix are 0 or
// 255), each row with the filter filters[y%len(filters)], the pixel data
// followed by extra bytes in the zlib stream.
func filteredPNG(t testing.TB, pix []byte, w, h, depth int, filters []byte, extra int) []byte {
	t.Helper()
	rowLen := w
	if depth == 1 {
		rowLen = (w + 7) / 8
	}
	raw := make([]byte, 0, (1+rowLen)*h)
	prev := make([]byte, rowLen)
	for y := range h {
		row := make([]byte, rowLen)
		if depth == 8 {
			copy(row, pix[y*w:(y+1)*w])
		} else {
			for x := range w {
				if pix[y*w+x] >= 128 {
					row[x/8] |= 0x80 >> uint(x%8) // PNG 1-bit gray: 1 is white
				}
			}
		}
		ft := filters[y%len(filters)]
		out := make([]byte, rowLen)
		for i := range row {
			var a, b, c int
			if i > 0 {
				a, c = int(row[i-1]), int(prev[i-1])
			}
			b = int(prev[i])
			switch ft {
			case 0:
				out[i] = row[i]
			case 1:
				out[i] = row[i] - byte(a)
			case 2:
				out[i] = row[i] - byte(b)
			case 3:
				out[i] = row[i] - byte((a+b)/2)
			case 4:
				p := a + b - c
				pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
				pred := c
				if pa <= pb && pa <= pc {
					pred = a
				} else if pb <= pc {
					pred = b
				}
				out[i] = row[i] - byte(pred)
			default:
				out[i] = row[i]
			}
		}
		raw = append(append(raw, ft), out...)
		prev = row
	}
	raw = append(raw, make([]byte, extra)...)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(raw)
	zw.Close()
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = byte(depth)
	out := appendChunk([]byte(pngSignature), "IHDR", ihdr[:])
	var phys [9]byte
	binary.BigEndian.PutUint32(phys[0:], uint32(pxPerMetre(300)))
	binary.BigEndian.PutUint32(phys[4:], uint32(pxPerMetre(300)))
	phys[8] = 1
	out = appendChunk(out, "pHYs", phys[:])
	zb := z.Bytes()
	out = appendChunk(out, "IDAT", zb[:len(zb)/2])
	out = appendChunk(out, "IDAT", zb[len(zb)/2:])
	return appendChunk(out, "IEND", nil)
}

// TestDecodeBitmap: DecodeBitmap gives exactly Binarize(Decode(...)) for
// every row filter, both bit depths, odd widths, and the renderer's pages;
// and refuses what Decode refuses, with the same kind.
func TestDecodeBitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	random := func(w, h int, levels []byte) []byte {
		p := make([]byte, w*h)
		for i := range p {
			p[i] = levels[rng.IntN(len(levels))]
		}
		return p
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	type tc struct {
		name string
		data []byte
		w, h int
		want Kind // 0: accepted
	}
	var cases []tc
	for _, depth := range []int{8, 1} {
		for _, w := range []int{1, 7, 8, 9, 33, 101} {
			levels := all
			if depth == 1 {
				levels = []byte{0, 255}
			}
			pix := random(w, 13, levels)
			for _, f := range [][]byte{{0}, {1}, {2}, {3}, {4}, {0, 1, 2, 3, 4}} {
				cases = append(cases, tc{fmt.Sprintf("depth %d, %d wide, filters %v", depth, w, f),
					filteredPNG(t, pix, w, 13, depth, f, 0), w, 13, 0})
			}
		}
	}
	pix := random(40, 10, all)
	cases = append(cases,
		tc{"too much pixel data", filteredPNG(t, pix, 40, 10, 8, []byte{0}, 3), 40, 10, KindDecode},
		tc{"unknown row filter", filteredPNG(t, pix, 40, 10, 8, []byte{0, 5}, 0), 40, 10, KindDecode},
		tc{"nine of ten rows", filteredPNG(t, pix, 40, 9, 8, []byte{0}, 0), 40, 9, 0})
	short := filteredPNG(t, pix, 40, 10, 8, []byte{0}, 0)
	cs, _ := splitChunks(short)
	binary.BigEndian.PutUint32(cs[0].data[4:], 11) // IHDR says 11 rows, the data has 10
	cases = append(cases, tc{"truncated pixel data", joinChunks(cs), 40, 11, KindDecode})
	// IDAT bytes after the stream, in a chunk of their own or in the
	// stream's last chunk: ignored, as image/png does.
	cs, _ = splitChunks(filteredPNG(t, pix, 40, 10, 8, []byte{0}, 0))
	end := len(cs) - 1
	trailing := append(append(cs[:end:end], chunk{"IDAT", []byte{1, 2, 3}}), cs[end])
	cases = append(cases, tc{"a whole IDAT chunk after the stream", joinChunks(trailing), 40, 10, 0})
	cs, _ = splitChunks(filteredPNG(t, pix, 40, 10, 8, []byte{0}, 0))
	cs[end-1].data = append(bytes.Clone(cs[end-1].data), 9, 9)
	cases = append(cases, tc{"bytes after the stream in its chunk", joinChunks(cs), 40, 10, 0})
	// A wrong Adler-32: Decode (image/png) refuses it; DecodeBitmap does
	// not read it and gives the pixels the deflate stream holds.
	cs, _ = splitChunks(filteredPNG(t, pix, 40, 10, 8, []byte{0}, 0))
	last := cs[end-1].data
	cs[end-1].data = append(bytes.Clone(last[:len(last)-1]), last[len(last)-1]^1)
	badAdler := joinChunks(cs)
	if _, err := Decode(badAdler, 40, 10, 300, DefaultLimits()); kindOf(err) != KindDecode {
		t.Fatalf("Decode of a wrong Adler-32: %v", err)
	}
	if bm, err := DecodeBitmap(badAdler, 40, 10, 300, DefaultLimits()); err != nil || !bm.Equal(Binarize(&image.Gray{Pix: pix, Stride: 40, Rect: image.Rect(0, 0, 40, 10)})) {
		t.Fatalf("DecodeBitmap of a wrong Adler-32: %v", err)
	}
	var std bytes.Buffer
	g := image.NewGray(image.Rect(0, 0, 64, 48))
	copy(g.Pix, random(64, 48, all))
	png.Encode(&std, g) // image/png: adaptive filters, but no pHYs
	cs, _ = splitChunks(std.Bytes())
	var phys [9]byte
	binary.BigEndian.PutUint32(phys[0:], uint32(pxPerMetre(300)))
	binary.BigEndian.PutUint32(phys[4:], uint32(pxPerMetre(300)))
	phys[8] = 1
	cases = append(cases, tc{"image/png's own encoding", joinChunks(append(cs[:1], append([]chunk{{"pHYs", phys[:]}}, cs[1:]...)...)), 64, 48, 0})
	for _, dpi := range []int{300, 600} {
		img, err := renderer(t).Render(sampleSpec(dpi))
		if err != nil {
			t.Fatal(err)
		}
		data, err := EncodePNG(img, dpi)
		if err != nil {
			t.Fatal(err)
		}
		w, h, _ := PageSize(dpi)
		d := bytes.Clone(data)
		d = d[:len(d)-12-4] // cut IEND and the end of the last IDAT
		cases = append(cases, tc{fmt.Sprintf("rendered page, %d dpi", dpi), data, w, h, 0},
			tc{fmt.Sprintf("cut rendered page, %d dpi", dpi), d, w, h, KindMalformed})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dpi := 300
			if c.w > 3000 {
				dpi = 600
			}
			img, err := Decode(c.data, c.w, c.h, dpi, DefaultLimits())
			bm, berr := DecodeBitmap(c.data, c.w, c.h, dpi, DefaultLimits())
			if kindOf(err) != kindOf(berr) {
				t.Fatalf("Decode: %v; DecodeBitmap: %v", err, berr)
			}
			if c.want != 0 && kindOf(berr) != c.want {
				t.Fatalf("DecodeBitmap: %v, want kind %v", berr, c.want)
			}
			if c.want != 0 || err != nil {
				if bm != nil {
					t.Fatal("bitmap returned with an error")
				}
				return
			}
			if !bm.Equal(Binarize(img)) {
				n, _ := bm.Diff(Binarize(img))
				t.Fatalf("%d pixels differ from Binarize(Decode)", n)
			}
		})
	}
}
