package pages

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// Limits bounds what Decode accepts.
type Limits struct {
	MaxBytes  int64 // max PNG file size (default 8 MiB)
	MaxPixels int64 // upper bound on w*h (default 4961*7016)
}

// DefaultLimits returns the limits for protocol v1 pages: 8 MiB files and
// at most an A4 page at 600 dpi.
func DefaultLimits() Limits {
	return Limits{MaxBytes: 8 << 20, MaxPixels: 4961 * 7016}
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
	lim = lim.normalized()
	if lim.MaxBytes < 0 || lim.MaxPixels < 0 {
		return nil, errorf(KindTooLarge, "negative limits")
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, errorf(KindTooLarge, "file is %d bytes, limit %d", len(data), lim.MaxBytes)
	}
	if w <= 0 || h <= 0 || w > maxChunkLen || h > maxChunkLen {
		return nil, errorf(KindDimensions, "declared size %d×%d", w, h)
	}
	if int64(w)*int64(h) > lim.MaxPixels {
		return nil, errorf(KindTooLarge, "declared size %d×%d exceeds %d pixels", w, h, lim.MaxPixels)
	}
	if dpi <= 0 || dpi > maxDPI {
		return nil, errorf(KindDPI, "declared dpi %d", dpi)
	}
	if err := walkChunks(data, w, h, dpi, lim); err != nil {
		return nil, err
	}

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
		return errorf(KindTooLarge, "IHDR size %d×%d exceeds %d pixels", iw, ih, lim.MaxPixels)
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
