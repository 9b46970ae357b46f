package bench

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"math"

	"kofu/protocol/pages"
)

// bilevelPNG encodes bm as a 1-bit grayscale PNG (colour type 0, depth 1:
// 0 black, 1 white), the form protocol v1 allows a center to send when
// its page is already what prints. The bench uses it to measure the
// kiosk's check of a page that needs no threshold: an eighth of the
// bytes to inflate at 600 dpi.
func bilevelPNG(bm *pages.Bitmap, dpi int) ([]byte, error) {
	var raw bytes.Buffer
	row := make([]byte, 1+bm.Stride)
	for y := range bm.H {
		row[0] = 0 // filter: none
		src := bm.Bits[y*bm.Stride : (y+1)*bm.Stride]
		for i, b := range src {
			row[1+i] = ^b // the bitmap's 1 is black, the PNG's 0 is
		}
		if pad := bm.Stride*8 - bm.W; pad > 0 {
			row[len(row)-1] &^= byte(1<<pad - 1) // padding bits stay 0
		}
		raw.Write(row)
	}
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(bm.W))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(bm.H))
	ihdr[8], ihdr[9] = 1, 0 // depth 1, grayscale
	out = chunk(out, "IHDR", ihdr)
	phys := make([]byte, 9)
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	binary.BigEndian.PutUint32(phys[0:], ppm)
	binary.BigEndian.PutUint32(phys[4:], ppm)
	phys[8] = 1 // metre
	out = chunk(out, "pHYs", phys)
	out = chunk(out, "IDAT", z.Bytes())
	return chunk(out, "IEND", nil), nil
}

// chunk appends one PNG chunk.
func chunk(dst []byte, typ string, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	dst = append(dst, typ...)
	dst = append(dst, data...)
	return binary.BigEndian.AppendUint32(dst, crc32.Update(crc32.ChecksumIEEE([]byte(typ)), crc32.IEEETable, data))
}
