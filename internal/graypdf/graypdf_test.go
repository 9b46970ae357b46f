package graypdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"io"
	"regexp"
	"strconv"
	"testing"
)

// TestPage: the xref points at each object, and the image stream inflates
// to the page's rows (of a sub-image too). Ghostscript reading these PDFs
// is tested in printer/pdl.
func TestPage(t *testing.T) {
	full := image.NewGray(image.Rect(0, 0, 6, 4))
	for i := range full.Pix {
		full.Pix[i] = byte(i)
	}
	sub := full.SubImage(image.Rect(1, 1, 5, 3)).(*image.Gray)
	for _, c := range []struct {
		name string
		img  *image.Gray
		want []byte
	}{
		{"full", full, full.Pix},
		{"sub-image", sub, []byte{7, 8, 9, 10, 13, 14, 15, 16}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pdf := Page(c.img, 300)
			if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Fatal("not framed as a PDF")
			}
			offs := regexp.MustCompile(`(?m)^(\d{10}) 00000 n $`).FindAllSubmatch(pdf, -1)
			if len(offs) != 5 {
				t.Fatalf("%d xref entries", len(offs))
			}
			for i, o := range offs {
				n, _ := strconv.Atoi(string(o[1]))
				if !bytes.HasPrefix(pdf[n:], []byte(fmt.Sprintf("%d 0 obj", i+1))) {
					t.Fatalf("xref entry %d points at %q", i+1, pdf[n:n+10])
				}
			}
			w, h := c.img.Bounds().Dx(), c.img.Bounds().Dy()
			if !bytes.Contains(pdf, []byte(fmt.Sprintf("/Width %d/Height %d/", w, h))) {
				t.Fatal("image size")
			}
			start := bytes.Index(pdf, []byte("stream\n\x78")) + len("stream\n")
			zr, err := zlib.NewReader(bytes.NewReader(pdf[start:]))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(zr)
			if !bytes.Equal(got, c.want) {
				t.Fatalf("pixels %v, want %v", got, c.want)
			}
		})
	}
}
