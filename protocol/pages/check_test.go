package pages

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"image"
	"image/png"
	"runtime"
	"testing"
)

// realPage returns a real 300 dpi page, encoded, and its size.
func realPage(t testing.TB) (data []byte, w, h int) {
	t.Helper()
	img, err := renderer(t).Render(sampleSpec(300))
	if err != nil {
		t.Fatal(err)
	}
	data, err = EncodePNG(img, 300)
	if err != nil {
		t.Fatal(err)
	}
	w, h, _ = PageSize(300)
	return data, w, h
}

// edit splits a real PNG into chunks, lets f change them, and joins them
// again with correct CRCs.
func edit(t testing.TB, data []byte, f func([]chunk) []chunk) []byte {
	t.Helper()
	cs, ok := splitChunks(data)
	if !ok {
		t.Fatal("cannot split the base PNG")
	}
	// Deep-copy chunk data so edits never touch the base file.
	for i := range cs {
		cs[i].data = bytes.Clone(cs[i].data)
	}
	return joinChunks(f(cs))
}

func index(cs []chunk, typ string) int {
	for i, c := range cs {
		if c.typ == typ {
			return i
		}
	}
	return -1
}

func setIHDR(off int, v byte) func([]chunk) []chunk {
	return func(cs []chunk) []chunk {
		cs[0].data[off] = v
		return cs
	}
}

func kindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}

func TestDecodeRefuses(t *testing.T) {
	base, w, h := realPage(t)
	if _, err := Decode(base, w, h, 300, DefaultLimits()); err != nil {
		t.Fatalf("the base page itself is refused: %v", err)
	}
	firstIDAT := func() int {
		cs, _ := splitChunks(base)
		off := len(pngSignature)
		for _, c := range cs {
			if c.typ == "IDAT" {
				return off
			}
			off += chunkOverhead + len(c.data)
		}
		t.Fatal("no IDAT")
		return 0
	}()

	cases := []struct {
		name      string
		data      func() []byte
		w, h, dpi int
		lim       Limits
		want      Kind
	}{
		{name: "truncated file", data: func() []byte { return base[:len(base)/2] }, want: KindMalformed},
		{name: "truncated in the signature", data: func() []byte { return base[:5] }, want: KindMalformed},
		{name: "empty", data: func() []byte { return nil }, want: KindMalformed},
		{name: "not a PNG", data: func() []byte { return append([]byte("GIF89a.."), base[8:]...) }, want: KindMalformed},
		{name: "bad CRC", data: func() []byte {
			b := bytes.Clone(base)
			b[firstIDAT+8+100] ^= 0x01 // a data byte of the first IDAT; CRC left as it was
			return b
		}, want: KindCRC},
		{name: "bad CRC in IHDR", data: func() []byte {
			b := bytes.Clone(base)
			b[8+8+8] = 16 // bit depth; CRC left as it was
			return b
		}, want: KindCRC},
		{name: "wrong declared width", data: func() []byte { return base }, w: w - 1, want: KindDimensions},
		{name: "wrong declared height", data: func() []byte { return base }, h: h + 1, want: KindDimensions},
		{name: "declared size nonsense", data: func() []byte { return base }, w: -5, want: KindDimensions},
		{name: "wrong dpi", data: func() []byte { return base }, dpi: 600, want: KindDPI},
		{name: "missing pHYs", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				i := index(cs, "pHYs")
				return append(cs[:i], cs[i+1:]...)
			})
		}, want: KindDPI},
		{name: "pHYs unit unknown (aspect ratio only)", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk { cs[index(cs, "pHYs")].data[8] = 0; return cs })
		}, want: KindDPI},
		{name: "pHYs density off by 2 px/m", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				d := cs[index(cs, "pHYs")].data
				binary.BigEndian.PutUint32(d[4:], binary.BigEndian.Uint32(d[4:])+2)
				return cs
			})
		}, want: KindDPI},
		{name: "second pHYs", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				i := index(cs, "pHYs")
				return append(cs[:i+1], append([]chunk{cs[i]}, cs[i+1:]...)...)
			})
		}, want: KindMalformed},
		{name: "pHYs after IDAT", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				i := index(cs, "pHYs")
				p := cs[i]
				cs = append(cs[:i], cs[i+1:]...)
				return append(cs[:len(cs)-1], p, cs[len(cs)-1])
			})
		}, want: KindMalformed},
		{name: "RGB colour type", data: func() []byte { return edit(t, base, setIHDR(9, 2)) }, want: KindFormat},
		{name: "palette colour type", data: func() []byte { return edit(t, base, setIHDR(9, 3)) }, want: KindFormat},
		{name: "gray+alpha colour type", data: func() []byte { return edit(t, base, setIHDR(9, 4)) }, want: KindFormat},
		{name: "16-bit depth", data: func() []byte { return edit(t, base, setIHDR(8, 16)) }, want: KindFormat},
		{name: "interlaced", data: func() []byte { return edit(t, base, setIHDR(12, 1)) }, want: KindFormat},
		{name: "unknown filter method", data: func() []byte { return edit(t, base, setIHDR(11, 1)) }, want: KindFormat},
		{name: "tRNS", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return append(cs[:1], append([]chunk{{"tRNS", []byte{0, 255}}}, cs[1:]...)...)
			})
		}, want: KindFormat},
		{name: "PLTE in grayscale", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return append(cs[:1], append([]chunk{{"PLTE", []byte{0, 0, 0}}}, cs[1:]...)...)
			})
		}, want: KindMalformed},
		{name: "unknown critical chunk", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return append(cs[:1], append([]chunk{{"ZZZZ", nil}}, cs[1:]...)...)
			})
		}, want: KindMalformed},
		{name: "chunk type not letters", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return append(cs[:1], append([]chunk{{"a\x00bc", nil}}, cs[1:]...)...)
			})
		}, want: KindMalformed},
		{name: "too many ancillary chunks", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				extra := make([]chunk, maxAncillary+1)
				for i := range extra {
					extra[i] = chunk{"tEXt", []byte("k\x00v")}
				}
				return append(cs[:1], append(extra, cs[1:]...)...)
			})
		}, want: KindMalformed},
		{name: "oversized (bytes)", data: func() []byte {
			// A real page followed by 9 MiB of comment: bigger than the
			// default 8 MiB whatever the chunks say.
			return edit(t, base, func(cs []chunk) []chunk {
				big := chunk{"zTXt", make([]byte, 9<<20)}
				return append(cs[:1], append([]chunk{big}, cs[1:]...)...)
			})
		}, want: KindTooLarge},
		{name: "oversized (bytes, tight limit)", data: func() []byte { return base }, lim: Limits{MaxBytes: int64(len(base) - 1)}, want: KindTooLarge},
		{name: "declared size beyond MaxPixels", data: func() []byte { return base }, lim: Limits{MaxPixels: int64(w*h - 1)}, want: KindPixels},
		{name: "decompression bomb", data: func() []byte { return bomb(t, 100000, 100000) }, w: 100000, h: 100000, want: KindPixels},
		{name: "decompression bomb, page size declared", data: func() []byte { return bomb(t, 100000, 100000) }, want: KindPixels},
		{name: "IHDR smaller than declared", data: func() []byte { return bomb(t, 100, 100) }, want: KindDimensions},
		{name: "trailing data after IEND", data: func() []byte { return append(bytes.Clone(base), 0, 0, 0, 0) }, want: KindMalformed},
		{name: "chunk after IEND", data: func() []byte {
			return append(bytes.Clone(base), appendChunk(nil, "tEXt", []byte("k\x00v"))...)
		}, want: KindMalformed},
		{name: "second IHDR", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return append(cs[:1], append([]chunk{cs[0]}, cs[1:]...)...)
			})
		}, want: KindMalformed},
		{name: "IHDR not first", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				cs[0], cs[1] = cs[1], cs[0]
				return cs
			})
		}, want: KindMalformed},
		{name: "IHDR wrong length", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk { cs[0].data = append(cs[0].data, 0); return cs })
		}, want: KindMalformed},
		{name: "chunk length beyond file", data: func() []byte {
			b := bytes.Clone(base)
			binary.BigEndian.PutUint32(b[firstIDAT:], 0x7ffffff0)
			return b
		}, want: KindMalformed},
		{name: "chunk length beyond 2^31-1", data: func() []byte {
			b := bytes.Clone(base)
			binary.BigEndian.PutUint32(b[firstIDAT:], 0xfffffff0)
			return b
		}, want: KindMalformed},
		{name: "no IEND", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk { return cs[:len(cs)-1] })
		}, want: KindMalformed},
		{name: "IEND with data", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk { cs[len(cs)-1].data = []byte{1}; return cs })
		}, want: KindMalformed},
		{name: "no IDAT", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				return []chunk{cs[0], cs[index(cs, "pHYs")], cs[len(cs)-1]}
			})
		}, want: KindMalformed},
		{name: "IDAT not consecutive", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				i := index(cs, "IDAT")
				return append(cs[:i+1], append([]chunk{{"tEXt", []byte("k\x00v")}}, cs[i+1:]...)...)
			})
		}, want: KindMalformed},
		{name: "corrupt zlib stream (CRC fixed up)", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				d := cs[index(cs, "IDAT")].data
				for i := 2; i < 200; i++ {
					d[i] ^= 0x5a
				}
				return cs
			})
		}, want: KindDecode},
		{name: "too little pixel data", data: func() []byte {
			return edit(t, base, func(cs []chunk) []chunk {
				i := index(cs, "IDAT")
				z := zlibBytes(t, make([]byte, 1000))
				out := append([]chunk{}, cs[:i]...)
				out = append(out, chunk{"IDAT", z})
				return append(out, cs[len(cs)-1])
			})
		}, want: KindDecode},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cw, ch, dpi, lim := w, h, 300, DefaultLimits()
			if c.w != 0 {
				cw = c.w
			}
			if c.h != 0 {
				ch = c.h
			}
			if c.dpi != 0 {
				dpi = c.dpi
			}
			if c.lim != (Limits{}) {
				lim = c.lim
			}
			img, err := Decode(c.data(), cw, ch, dpi, lim)
			t.Log(err)
			if img != nil || kindOf(err) != c.want {
				t.Fatalf("Decode = %v, %v; want kind %v", img != nil, err, c.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Error() == "" {
				t.Fatal("error is not an *Error")
			}
		})
	}
}

// bomb returns a tiny well-formed PNG whose IHDR declares w×h 8-bit gray
// pixels, with a few hundred bytes of (zero) image data and a 300 dpi pHYs.
func bomb(t testing.TB, w, h uint32) []byte {
	var ihdr [ihdrLen]byte
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8
	var phys [physLen]byte
	binary.BigEndian.PutUint32(phys[0:], uint32(pxPerMetre(300)))
	binary.BigEndian.PutUint32(phys[4:], uint32(pxPerMetre(300)))
	phys[8] = 1
	return joinChunks([]chunk{
		{"IHDR", ihdr[:]}, {"pHYs", phys[:]},
		{"IDAT", zlibBytes(t, make([]byte, 1<<16))}, {"IEND", nil},
	})
}

func zlibBytes(t testing.TB, p []byte) []byte {
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeBombAllocatesNothing: a bomb must be refused before any pixel
// memory is allocated (10^10 pixels would be 10 GB).
func TestDecodeBombAllocatesNothing(t *testing.T) {
	data := bomb(t, 100000, 100000)
	for _, decl := range [][2]int{{100000, 100000}, {2480, 3508}} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Decode(data, decl[0], decl[1], 300, DefaultLimits())
		runtime.ReadMemStats(&after)
		if kindOf(err) != KindPixels {
			t.Fatalf("declared %v: err = %v, want KindPixels", decl, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 64<<10 {
			t.Fatalf("declared %v: %d bytes allocated before refusing", decl, d)
		}
	}
}

// TestDecodeAccepts: other valid encodings of a page pass, the decoded
// image is exact.
func TestDecodeAccepts(t *testing.T) {
	base, w, h := realPage(t)
	img, err := Decode(base, w, h, 300, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}

	// image/png's own encoder (adaptive filters, its own IDAT split), with
	// pHYs spliced in, and harmless ancillary chunks.
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	phys, _ := splitChunks(base)
	std := edit(t, buf.Bytes(), func(cs []chunk) []chunk {
		out := []chunk{cs[0], phys[index(phys, "pHYs")], {"tEXt", []byte("Software\x00kofu")}, {"gAMA", []byte{0, 0, 0xb1, 0x8f}}}
		return append(out, cs[1:]...)
	})

	// A 1-bit grayscale file of a small black and white image.
	const bw, bh = 37, 11
	bits := image.NewGray(image.Rect(0, 0, bw, bh))
	var raw []byte
	for y := 0; y < bh; y++ {
		row := make([]byte, 1+(bw+7)/8)
		for x := 0; x < bw; x++ {
			if (x*y+x)%3 == 0 {
				row[1+x/8] |= 0x80 >> (x % 8)
				bits.Pix[y*bw+x] = 255
			}
		}
		raw = append(raw, row...)
	}
	var ihdr [ihdrLen]byte
	binary.BigEndian.PutUint32(ihdr[0:], bw)
	binary.BigEndian.PutUint32(ihdr[4:], bh)
	ihdr[8] = 1
	oneBit := joinChunks([]chunk{{"IHDR", ihdr[:]}, phys[index(phys, "pHYs")], {"IDAT", zlibBytes(t, raw)}, {"IEND", nil}})

	// pHYs density off by one px/m (a writer rounding the other way).
	offByOne := edit(t, base, func(cs []chunk) []chunk {
		d := cs[index(cs, "pHYs")].data
		binary.BigEndian.PutUint32(d[0:], binary.BigEndian.Uint32(d[0:])+1)
		binary.BigEndian.PutUint32(d[4:], binary.BigEndian.Uint32(d[4:])-1)
		return cs
	})

	for _, c := range []struct {
		name string
		data []byte
		w, h int
		want *image.Gray
	}{
		{"EncodePNG", base, w, h, img},
		{"image/png encoder + pHYs + ancillary", std, w, h, img},
		{"1-bit", oneBit, bw, bh, bits},
		{"pHYs ±1 px/m", offByOne, w, h, img},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(c.data, c.w, c.h, 300, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if got.Rect != c.want.Rect || !bytes.Equal(got.Pix, c.want.Pix) {
				t.Fatal("decoded image differs")
			}
		})
	}
}

func TestErrorType(t *testing.T) {
	inner := errors.New("inner")
	var err error = wrapErr(KindCRC, inner, "chunk %d", 3)
	var pe *Error
	if !errors.As(err, &pe) || pe.Kind != KindCRC || !errors.Is(err, inner) {
		t.Fatalf("errors.As/Is do not see through %v", err)
	}
	if got, want := err.Error(), "pages: crc: chunk 3: inner"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for k := KindTooLarge; k <= KindPixels; k++ {
		if s := k.String(); s == "" || s[0] == 'k' {
			t.Errorf("Kind(%d) has no name: %q", int(k), s)
		}
	}
}
