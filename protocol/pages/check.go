package pages

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// Limits bounds what Decode accepts, and where the page's symbol may be.
type Limits struct {
	MaxBytes  int64 // max PNG file size (default 8 MiB)
	MaxPixels int64 // upper bound on w*h (default 4961*7016)
	// MarginMM is the printer's printable margin: the KOFU symbol and its
	// quiet zone must stay at least this far from every edge of the
	// sheet. A printer profile may raise it; below DefaultMarginMM (and
	// zero) it is DefaultMarginMM, the floor of DESIGN §3.4.
	MarginMM float64
}

// DefaultMarginMM is the least distance, in millimetres, between the KOFU
// symbol's quiet zone and any edge of the sheet (DESIGN §3.4 rule 3).
const DefaultMarginMM = 5

// DefaultLimits returns the limits for protocol v1 pages: 8 MiB files, at
// most an A4 page at 600 dpi, a 5 mm printable margin.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 8 << 20, MaxPixels: 4961 * 7016, MarginMM: DefaultMarginMM}
}

// Margin returns the printable margin in millimetres: MarginMM, but never
// less than DefaultMarginMM (nor NaN).
func (lim Limits) Margin() float64 {
	if !(lim.MarginMM >= DefaultMarginMM) {
		return DefaultMarginMM
	}
	return lim.MarginMM
}

// normalized returns lim with zero fields replaced by the defaults.
func (lim Limits) normalized() Limits {
	d := DefaultLimits()
	if lim.MaxBytes == 0 {
		lim.MaxBytes = d.MaxBytes
	}
	if lim.MaxPixels == 0 {
		lim.MaxPixels = d.MaxPixels
	}
	return lim
}

const (
	maxChunkLen     = 1<<31 - 1 // PNG's own bound on a chunk length
	maxAncillary    = 64        // ancillary chunks tolerated (tEXt, gAMA, …)
	maxAncillaryLen = 64 << 10  // bytes per ancillary chunk
	maxDPI          = 100000
)

// Decode checks a PNG against the declared w, h and dpi and returns the
// grayscale image.
//
// Before anything is inflated it walks the chunk structure itself: the
// signature; IHDR first, exactly once, 13 bytes; every chunk's length
// bounded by the file and its CRC correct; colour type 0 (grayscale) with
// bit depth 8 or 1, compression and filter method 0, no interlace; the
// IHDR size equal to the declared one and within MaxPixels; exactly one
// pHYs before the first IDAT, in metres, with both densities within ±1
// px/m of dpi; consecutive IDAT chunks; no PLTE, no tRNS (it would change
// the decoded image type), no unknown critical chunk, a bounded number of
// small ancillary chunks; IEND last, empty, and nothing after it. Only then
// does image/png decode the data (through an io.LimitReader), and the
// result must be an *image.Gray of exactly w×h.
//
// A zero field in lim means the default. Every refusal is an *Error.
func Decode(data []byte, w, h, dpi int, lim Limits) (*image.Gray, error) {
	if _, err := precheck(data, w, h, dpi, lim); err != nil {
		return nil, err
	}
	lim = lim.normalized()
	img, err := png.Decode(io.LimitReader(bytes.NewReader(data), lim.MaxBytes))
	if err != nil {
		return nil, wrapErr(KindDecode, err, "image/png")
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, errorf(KindDecode, "decoded image is %T, not *image.Gray", img)
	}
	if g.Rect != image.Rect(0, 0, w, h) || len(g.Pix) < w*h || g.Stride != w {
		return nil, errorf(KindDimensions, "decoded bounds %v, declared %d×%d", g.Rect, w, h)
	}
	return g, nil
}

// walkChunks validates the chunk structure without inflating anything.
func walkChunks(data []byte, w, h, dpi int, lim Limits) error {
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return errorf(KindMalformed, "not a PNG signature")
	}
	var (
		off       = len(pngSignature)
		index     = 0
		seenIHDR  bool
		seenPHYs  bool
		seenIEND  bool
		idatState = 0 // 0 none yet, 1 in the IDAT run, 2 after it
		ancillary = 0
	)
	for off < len(data) {
		if seenIEND {
			return errorf(KindMalformed, "%d bytes after IEND", len(data)-off)
		}
		if len(data)-off < chunkOverhead {
			return errorf(KindMalformed, "truncated chunk header at offset %d", off)
		}
		n := binary.BigEndian.Uint32(data[off:])
		typ := data[off+4 : off+8]
		if n > maxChunkLen || int64(n) > int64(len(data)-off-chunkOverhead) {
			return errorf(KindMalformed, "chunk %d length %d beyond the file (%d bytes left)", index, n, len(data)-off-chunkOverhead)
		}
		if !validChunkType(typ) {
			return errorf(KindMalformed, "chunk %d has an invalid type %q", index, typ)
		}
		body := data[off+8 : off+8+int(n)]
		want := binary.BigEndian.Uint32(data[off+8+int(n):])
		if got := crc32.Update(crc32.ChecksumIEEE(typ), crc32.IEEETable, body); got != want {
			return errorf(KindCRC, "chunk %d (%s) CRC %08x, stored %08x", index, typ, got, want)
		}
		name := string(typ)
		if index == 0 && name != "IHDR" {
			return errorf(KindMalformed, "first chunk is %q, not IHDR", name)
		}
		if idatState == 1 && name != "IDAT" {
			idatState = 2
		}
		switch name {
		case "IHDR":
			if seenIHDR {
				return errorf(KindMalformed, "second IHDR (chunk %d)", index)
			}
			seenIHDR = true
			if err := checkIHDR(body, w, h, lim); err != nil {
				return err
			}
		case "pHYs":
			if seenPHYs {
				return errorf(KindMalformed, "second pHYs")
			}
			if idatState != 0 {
				return errorf(KindMalformed, "pHYs after IDAT")
			}
			seenPHYs = true
			if err := checkPHYs(body, dpi); err != nil {
				return err
			}
		case "IDAT":
			if idatState == 2 {
				return errorf(KindMalformed, "IDAT chunks are not consecutive")
			}
			idatState = 1
		case "IEND":
			if n != 0 {
				return errorf(KindMalformed, "IEND with %d data bytes", n)
			}
			seenIEND = true
		case "PLTE":
			return errorf(KindMalformed, "PLTE in a grayscale image")
		case "tRNS":
			return errorf(KindFormat, "tRNS (transparency) not allowed")
		default:
			if typ[0]&0x20 == 0 { // uppercase first letter: critical
				return errorf(KindMalformed, "unknown critical chunk %q", name)
			}
			ancillary++
			if ancillary > maxAncillary || n > maxAncillaryLen {
				return errorf(KindMalformed, "too many or too large ancillary chunks")
			}
		}
		off += chunkOverhead + int(n)
		index++
	}
	switch {
	case !seenIEND:
		return errorf(KindMalformed, "truncated: no IEND")
	case idatState == 0:
		return errorf(KindMalformed, "no IDAT")
	case !seenPHYs:
		return errorf(KindDPI, "no pHYs chunk")
	}
	return nil
}

func validChunkType(t []byte) bool {
	for _, c := range t {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

func checkIHDR(b []byte, w, h int, lim Limits) error {
	if len(b) != ihdrLen {
		return errorf(KindMalformed, "IHDR is %d bytes", len(b))
	}
	iw, ih := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	depth, colour, comp, filter, interlace := b[8], b[9], b[10], b[11], b[12]
	if iw == 0 || ih == 0 || iw > maxChunkLen || ih > maxChunkLen {
		return errorf(KindMalformed, "IHDR size %d×%d", iw, ih)
	}
	// The bomb check comes first: a huge IHDR is refused as such whatever
	// was declared, and before any pixel memory exists.
	if int64(iw)*int64(ih) > lim.MaxPixels {
		return errorf(KindPixels, "IHDR size %d×%d exceeds %d pixels", iw, ih, lim.MaxPixels)
	}
	if int64(iw) != int64(w) || int64(ih) != int64(h) {
		return errorf(KindDimensions, "IHDR size %d×%d, declared %d×%d", iw, ih, w, h)
	}
	if colour != 0 {
		return errorf(KindFormat, "colour type %d, want 0 (grayscale)", colour)
	}
	if depth != 8 && depth != 1 {
		return errorf(KindFormat, "bit depth %d, want 8 or 1", depth)
	}
	if comp != 0 || filter != 0 {
		return errorf(KindFormat, "compression method %d, filter method %d", comp, filter)
	}
	if interlace != 0 {
		return errorf(KindFormat, "interlace method %d, want 0", interlace)
	}
	return nil
}

func checkPHYs(b []byte, dpi int) error {
	if len(b) != physLen {
		return errorf(KindMalformed, "pHYs is %d bytes", len(b))
	}
	x, y, unit := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8]), b[8]
	if unit != 1 {
		return errorf(KindDPI, "pHYs unit %d, want 1 (metre)", unit)
	}
	want := pxPerMetre(dpi)
	if d := int64(x) - want; d < -1 || d > 1 {
		return errorf(KindDPI, "pHYs x density %d px/m, want %d (%d dpi)", x, want, dpi)
	}
	if d := int64(y) - want; d < -1 || d > 1 {
		return errorf(KindDPI, "pHYs y density %d px/m, want %d (%d dpi)", y, want, dpi)
	}
	return nil
}

// precheck runs every check of Decode that comes before inflating: limits,
// declared geometry and the chunk walk. It returns the IHDR bit depth.
func precheck(data []byte, w, h, dpi int, lim Limits) (depth int, err error) {
	lim = lim.normalized()
	if lim.MaxBytes < 0 || lim.MaxPixels < 0 {
		return 0, errorf(KindTooLarge, "negative limits")
	}
	if int64(len(data)) > lim.MaxBytes {
		return 0, errorf(KindTooLarge, "file is %d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if w <= 0 || h <= 0 || w > maxChunkLen || h > maxChunkLen {
		return 0, errorf(KindDimensions, "declared size %d×%d", w, h)
	}
	if int64(w)*int64(h) > lim.MaxPixels {
		return 0, errorf(KindPixels, "declared size %d×%d exceeds %d pixels", w, h, lim.MaxPixels)
	}
	if dpi <= 0 || dpi > maxDPI {
		return 0, errorf(KindDPI, "declared dpi %d", dpi)
	}
	if err := walkChunks(data, w, h, dpi, lim); err != nil {
		return 0, err
	}
	// walkChunks checked that IHDR is the first chunk, 13 bytes long.
	return int(data[len(pngSignature)+8+8]), nil
}

// DecodeBitmap is Decode straight to the bilevel bitmap the printer
// receives: the same checks, in the same order, then the rows are
// inflated one at a time, unfiltered and thresholded (gray < Threshold is
// black; a 1-bit PNG's 0 is black) into the Bitmap. It gives exactly
// Binarize(Decode(...)) without the page-sized 8-bit buffer (35 MB at 600
// dpi) or a second pass over it. Like image/png it refuses a bad zlib
// header, truncated or excess pixel data and an unknown row filter, and
// ignores IDAT bytes after the stream.
//
// Unlike image/png it does not compute the zlib stream's Adler-32 (11 ms
// of a 600 dpi page, a third of the decode): the pixels are what the
// deflate stream says whatever the checksum, they are exactly what is
// checked and printed, and the file's integrity is the envelope's signed
// SHA-256, which the verifier checks first. A page whose only fault is a
// wrong Adler-32 is the one input Decode refuses and DecodeBitmap takes.
// Every refusal is an *Error.
func DecodeBitmap(data []byte, w, h, dpi int, lim Limits) (*Bitmap, error) {
	depth, err := precheck(data, w, h, dpi, lim)
	if err != nil {
		return nil, err
	}
	ir := &idatReader{data: data, off: len(pngSignature)}
	if err := zlibHeader(ir); err != nil {
		return nil, err
	}
	zr := flate.NewReader(ir)
	defer zr.Close()
	rowLen := w
	if depth == 1 {
		rowLen = (w + 7) / 8
	}
	cur, prev := make([]byte, 1+rowLen), make([]byte, 1+rowLen)
	b := NewBitmap(w, h)
	for y := range h {
		if _, err := io.ReadFull(zr, cur); err != nil {
			b.Wipe()
			return nil, wrapErr(KindDecode, err, "pixel data, row %d", y)
		}
		if err := unfilter(cur[0], cur[1:], prev[1:]); err != nil {
			b.Wipe()
			return nil, err
		}
		row := b.Row(y)
		if depth == 8 {
			PackRow(row, cur[1:])
		} else {
			for i, v := range cur[1:] {
				row[i] = ^v // PNG gray 1-bit: 0 is black; the bitmap's 1 is black
			}
			if r := w % 8; r != 0 {
				row[len(row)-1] &= 0xff << uint(8-r)
			}
		}
		prev, cur = cur, prev
	}
	clear(cur)
	clear(prev)
	// The deflate stream must end here. What follows it (the Adler-32,
	// and any IDAT bytes after it, which image/png ignores too) is not
	// read: see DecodeBitmap's comment.
	var one [1]byte
	n, err := zr.Read(one[:])
	for i := 0; n == 0 && err == nil; i++ {
		if i == 100 {
			err = io.ErrNoProgress
			break
		}
		n, err = zr.Read(one[:])
	}
	switch {
	case n != 0:
		b.Wipe()
		return nil, errorf(KindDecode, "too much pixel data")
	case err != io.EOF:
		b.Wipe()
		return nil, wrapErr(KindDecode, err, "end of pixel data")
	}
	return b, nil
}

// unfilter reverses a PNG row filter in place (bytes per pixel 1: gray at
// depth 8 or 1). prev is the previous row, unfiltered (zeros for the first).
func unfilter(ft byte, cur, prev []byte) error {
	switch ft {
	case 0:
	case 1: // Sub
		for i := 1; i < len(cur); i++ {
			cur[i] += cur[i-1]
		}
	case 2: // Up
		for i := range cur {
			cur[i] += prev[i]
		}
	case 3: // Average
		var left byte
		for i := range cur {
			cur[i] += byte((int(left) + int(prev[i])) / 2)
			left = cur[i]
		}
	case 4: // Paeth
		var a, c int
		for i := range cur {
			b := int(prev[i])
			p := a + b - c
			pa, pb, pc := abs(p-a), abs(p-b), abs(p-c)
			pred := c
			if pa <= pb && pa <= pc {
				pred = a
			} else if pb <= pc {
				pred = b
			}
			cur[i] += byte(pred)
			a, c = int(cur[i]), b
		}
	default:
		return errorf(KindDecode, "row filter type %d", ft)
	}
	return nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// idatReader reads the concatenated bodies of the IDAT chunks of a PNG
// whose structure walkChunks has checked, without copying them.
type idatReader struct {
	data []byte
	off  int    // next chunk header
	body []byte // rest of the current IDAT body
}

func (r *idatReader) Read(p []byte) (int, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.body)
	r.body = r.body[n:]
	return n, nil
}

// ReadByte makes idatReader an io.ByteReader, which compress/flate reads
// directly instead of through a buffer of its own.
func (r *idatReader) ReadByte() (byte, error) {
	if err := r.fill(); err != nil {
		return 0, err
	}
	c := r.body[0]
	r.body = r.body[1:]
	return c, nil
}

// zlibHeader reads and checks the two-byte zlib header (RFC 1950) as
// compress/zlib does: deflate, a window of at most 32 KiB, the check bits,
// no preset dictionary.
func zlibHeader(r io.Reader) error {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return wrapErr(KindDecode, err, "zlib header")
	}
	switch cmf, flg := h[0], h[1]; {
	case cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0:
		return errorf(KindDecode, "zlib header %02x%02x", cmf, flg)
	case flg&0x20 != 0:
		return errorf(KindDecode, "zlib preset dictionary")
	}
	return nil
}

// fill moves to the next IDAT body with data, or returns io.EOF.
func (r *idatReader) fill() error {
	for len(r.body) == 0 {
		if r.off+chunkOverhead > len(r.data) {
			return io.EOF
		}
		n := int(binary.BigEndian.Uint32(r.data[r.off:]))
		typ := string(r.data[r.off+4 : r.off+8])
		body := r.data[r.off+8 : r.off+8+n]
		r.off += chunkOverhead + n
		switch typ {
		case "IDAT":
			r.body = body
		case "IEND":
			return io.EOF
		}
	}
	return nil
}
