package pages

import (
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
)

// PNG layout constants shared by the encoder and the checker.
const (
	pngSignature  = "\x89PNG\r\n\x1a\n"
	ihdrLen       = 13
	physLen       = 9
	chunkOverhead = 12       // length, type, CRC
	idatChunkLen  = 64 << 10 // IDAT payload per chunk written by EncodePNG
)

// EncodePNG encodes img as an 8-bit grayscale, non-interlaced PNG with a
// pHYs chunk giving dpi in pixels per metre (unit 1), placed right after
// IHDR as the PNG specification wants (before the first IDAT).
//
// It writes the PNG itself rather than through image/png's Encoder: every
// row uses filter type None and the zlib stream is compress/zlib at
// BestSpeed. image/png's encoder chooses a filter per row (Sub, Average,
// Paeth on the background pattern), which costs 4× the encoding time and
// makes the kiosk's image/png decoding 2.7× slower (the unfiltering
// dominates), for no gain in size on these pages: see BenchmarkEncodePNG
// and BenchmarkDecode. The kiosk decodes with image/png, so this writer is
// still checked by an independent implementation.
func EncodePNG(img *image.Gray, dpi int) ([]byte, error) {
	if img == nil || img.Rect.Empty() {
		return nil, errorf(KindRender, "no image")
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if int64(w) > maxChunkLen || int64(h) > maxChunkLen || img.Stride < w || len(img.Pix) < (h-1)*img.Stride+w {
		return nil, errorf(KindRender, "inconsistent image %v stride %d", img.Rect, img.Stride)
	}
	if dpi <= 0 || dpi > maxDPI {
		return nil, errorf(KindRender, "dpi %d out of range", dpi)
	}

	// A rendered page deflates to about 2% of its pixels.
	out := appendPNGHead(make([]byte, 0, len(pngSignature)+3*chunkOverhead+ihdrLen+physLen+w*h/32), w, h, dpi)
	iw := &idatWriter{out: out}
	zw, err := zlib.NewWriterLevel(iw, zlib.BestSpeed)
	if err != nil {
		return nil, wrapErr(KindRender, err, "zlib")
	}
	row := make([]byte, 1+w) // row[0] = 0: filter type None
	for y := 0; y < h; y++ {
		off := y * img.Stride
		copy(row[1:], img.Pix[off:off+w])
		if _, err := zw.Write(row); err != nil {
			return nil, wrapErr(KindRender, err, "deflate")
		}
	}
	if err := zw.Close(); err != nil {
		return nil, wrapErr(KindRender, err, "deflate")
	}
	iw.flush()
	return appendChunk(iw.out, "IEND", nil), nil
}

// idatWriter cuts the zlib stream into IDAT chunks appended to out.
type idatWriter struct {
	out []byte
	buf []byte
}

func (iw *idatWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if iw.buf == nil {
			iw.buf = make([]byte, 0, idatChunkLen)
		}
		k := min(len(p), idatChunkLen-len(iw.buf))
		iw.buf = append(iw.buf, p[:k]...)
		p = p[k:]
		if len(iw.buf) == idatChunkLen {
			iw.flush()
		}
	}
	return n, nil
}

func (iw *idatWriter) flush() {
	if len(iw.buf) > 0 {
		iw.out = appendChunk(iw.out, "IDAT", iw.buf)
		iw.buf = iw.buf[:0]
	}
}

// appendChunk appends a PNG chunk (length, type, data, CRC over type+data).
func appendChunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	start := len(dst)
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// appendPNGHead appends the signature, IHDR (8-bit grayscale, no
// interlace) and pHYs (dpi in pixels per metre) of a w×h page.
func appendPNGHead(out []byte, w, h, dpi int) []byte {
	out = append(out, pngSignature...)
	var ihdr [ihdrLen]byte
	binary.BigEndian.PutUint32(ihdr[0:4], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:8], uint32(h))
	ihdr[8] = 8 // bit depth; colour type 0, compression 0, filter 0, interlace 0
	out = appendChunk(out, "IHDR", ihdr[:])
	var phys [physLen]byte
	ppm := uint32(pxPerMetre(dpi))
	binary.BigEndian.PutUint32(phys[0:4], ppm)
	binary.BigEndian.PutUint32(phys[4:8], ppm)
	phys[8] = 1 // unit: metre
	return appendChunk(out, "pHYs", phys[:])
}

// assemblePNG wraps a complete zlib stream of w×h 8-bit grayscale
// scanlines into a PNG: head, IDAT chunks of idatChunkLen, IEND.
func assemblePNG(w, h, dpi int, zlibStream []byte) []byte {
	n := (len(zlibStream) + idatChunkLen - 1) / idatChunkLen
	out := appendPNGHead(make([]byte, 0, len(pngSignature)+(3+n)*chunkOverhead+ihdrLen+physLen+len(zlibStream)), w, h, dpi)
	for len(zlibStream) > 0 {
		k := min(len(zlibStream), idatChunkLen)
		out = appendChunk(out, "IDAT", zlibStream[:k])
		zlibStream = zlibStream[k:]
	}
	return appendChunk(out, "IEND", nil)
}
