// Package graypdf wraps a grayscale page losslessly in a one-page PDF: the
// input Ghostscript gets when kofu's printer formats are compared with
// its own from the same page (the pdl tests, kofu-emu bench).
package graypdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
)

// Page returns a PDF whose one page, of img's size at dpi, is filled by
// img as a DeviceGray image.
func Page(img *image.Gray, dpi int) []byte {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	for y := range h { // row by row: img may be a sub-image
		off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		_, _ = zw.Write(img.Pix[off : off+w])
	}
	_ = zw.Close()
	pw, ph := float64(w)*72/float64(dpi), float64(h)*72/float64(dpi)
	var b bytes.Buffer
	var offs []int
	obj := func(s string) { offs = append(offs, b.Len()); b.WriteString(s) }
	b.WriteString("%PDF-1.4\n")
	obj("1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n")
	obj("2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n")
	obj(fmt.Sprintf("3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 %.3f %.3f]/Resources<</XObject<</Im0 5 0 R>>>>/Contents 4 0 R>> endobj\n", pw, ph))
	content := fmt.Sprintf("q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q", pw, ph)
	obj(fmt.Sprintf("4 0 obj <</Length %d>> stream\n%s\nendstream endobj\n", len(content), content))
	obj(fmt.Sprintf("5 0 obj <</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/FlateDecode/Length %d>> stream\n", w, h, z.Len()))
	b.Write(z.Bytes())
	b.WriteString("\nendstream endobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer <</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}
