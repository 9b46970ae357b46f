package pages

import (
	"encoding/binary"
	"hash/adler32"
	"math/bits"
)

// rowDeflate compresses PNG scanlines whose structure is known — long
// runs of one grey, rows repeating the row above, a background repeating
// every period pixels — as raw deflate with the fixed Huffman codes. It
// only looks for matches at three distances (1, the period, one row
// up), so it needs no hash table and runs at memory speed on the
// per-issue rows of a page (the bottom band is mostly white and its QR
// module rows repeat), where compress/flate spends milliseconds. The
// output is plain deflate (RFC 1951) that any inflater reads; tests check
// it against compress/flate.
type rowDeflate struct {
	out   []byte
	bits  uint64 // pending bits, LSB first
	nbits uint
}

// appendRowDeflate appends data compressed as one fixed-Huffman block to
// dst. stride is the scanline length (filter byte included) and period
// the background's horizontal period in bytes (0: none). Unless final,
// the block is followed by an empty stored block, which byte-aligns the
// stream so another segment can follow (a sync flush).
func appendRowDeflate(dst, data []byte, stride, period int, final bool) []byte {
	e := &rowDeflate{out: dst}
	if final {
		e.put(1, 1)
	} else {
		e.put(0, 1)
	}
	e.put(1, 2) // BTYPE 01: fixed Huffman codes
	dists := [3]int{1, period, stride}
	for i := 0; i < len(data); {
		best, bestDist := 0, 0
		for _, d := range dists {
			if d <= 0 || d > i || d > maxDistance {
				continue
			}
			if n := matchLen(data[i:], data[i-d:], maxMatch); n > best {
				best, bestDist = n, d
				if n == maxMatch {
					break
				}
			}
		}
		if best >= minMatch {
			e.match(best, bestDist)
			i += best
			continue
		}
		e.literal(data[i])
		i++
	}
	e.symbol(256) // end of block
	if !final {
		e.put(0, 3) // BFINAL 0, BTYPE 00: stored
		e.align()
		e.out = append(e.out, 0x00, 0x00, 0xff, 0xff) // LEN 0, NLEN
	} else {
		e.align()
	}
	return e.out
}

const (
	minMatch    = 3
	maxMatch    = 258
	maxDistance = 32768
)

// matchLen returns how many leading bytes a and b share, up to limit;
// b may overlap a from behind (distance < length), as deflate allows.
func matchLen(a, b []byte, limit int) int {
	limit = min(limit, len(a))
	n := 0
	for n+8 <= limit && n+8 <= len(b) {
		x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < limit && a[n] == b[n] {
		n++
	}
	return n
}

// put appends the low n bits of v, LSB first.
func (e *rowDeflate) put(v uint64, n uint) {
	e.bits |= v << e.nbits
	e.nbits += n
	for e.nbits >= 8 {
		e.out = append(e.out, byte(e.bits))
		e.bits >>= 8
		e.nbits -= 8
	}
}

// align pads with zero bits to a byte boundary.
func (e *rowDeflate) align() {
	if e.nbits > 0 {
		e.out = append(e.out, byte(e.bits))
		e.bits, e.nbits = 0, 0
	}
}

// code appends a Huffman code of n bits, which deflate stores MSB first.
func (e *rowDeflate) code(c uint64, n uint) {
	e.put(uint64(bits.Reverse16(uint16(c)))>>(16-n), n)
}

// symbol appends literal/length symbol s (0–287) in the fixed code.
func (e *rowDeflate) symbol(s int) {
	switch {
	case s < 144:
		e.code(uint64(0x30+s), 8)
	case s < 256:
		e.code(uint64(0x190+s-144), 9)
	case s < 280:
		e.code(uint64(s-256), 7)
	default:
		e.code(uint64(0xc0+s-280), 8)
	}
}

func (e *rowDeflate) literal(b byte) { e.symbol(int(b)) }

// Length and distance bases and extra bits (RFC 1951 §3.2.5).
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// match appends a length/distance pair (3 ≤ length ≤ 258, distance ≤ 32768).
func (e *rowDeflate) match(length, dist int) {
	l := 28
	for lengthBase[l] > length {
		l--
	}
	e.symbol(257 + l)
	e.put(uint64(length-lengthBase[l]), lengthExtra[l])
	d := 29
	for distBase[d] > dist {
		d--
	}
	e.code(uint64(d), 5)
	e.put(uint64(dist-distBase[d]), distExtra[d])
}

// rowsAdler32 is the Adler-32 of scanlines of stride bytes; a row equal
// to the one above costs a comparison and a combination, not a pass.
func rowsAdler32(data []byte, stride int) uint32 {
	sum := uint32(1)
	var rowSum uint32
	for off := 0; off < len(data); off += stride {
		row := data[off:min(off+stride, len(data))]
		if off == 0 || len(row) != stride || string(row) != string(data[off-stride:off]) {
			rowSum = adler32.Checksum(row)
		}
		sum = adler32Combine(sum, rowSum, len(row))
	}
	return sum
}
