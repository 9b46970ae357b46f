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
	// The fixed code, bit-reversed for the LSB-first stream, per
	// literal/length symbol, and the symbol of each match length. Built
	// per call (a few microseconds) rather than kept in package state.
	code    [288]uint16
	codeLen [288]uint8
	lenSym  [maxMatch + 1]uint8 // length → index into lengthBase
}

func (e *rowDeflate) init() {
	for s := range 288 {
		var c, n int
		switch {
		case s < 144:
			c, n = 0x30+s, 8
		case s < 256:
			c, n = 0x190+s-144, 9
		case s < 280:
			c, n = s-256, 7
		default:
			c, n = 0xc0+s-280, 8
		}
		e.code[s], e.codeLen[s] = bits.Reverse16(uint16(c))>>(16-n), uint8(n)
	}
	l := 0
	for length := minMatch; length <= maxMatch; length++ {
		for l+1 < len(lengthBase) && lengthBase[l+1] <= length {
			l++
		}
		e.lenSym[length] = uint8(l)
	}
}

// distCode is a distance's code and extra bits, found once per distance.
type distCode struct {
	dist  int
	code  uint16 // reversed 5-bit code
	extra uint64
	nx    uint
}

func newDistCode(dist int) distCode {
	d := len(distBase) - 1
	for distBase[d] > dist {
		d--
	}
	return distCode{dist: dist, code: bits.Reverse16(uint16(d)) >> 11, extra: uint64(dist - distBase[d]), nx: distExtra[d]}
}

// appendRowDeflate appends data compressed as one fixed-Huffman block to
// dst. stride is the scanline length (filter byte included) and period
// the background's horizontal period in bytes (0: none). Unless final,
// the block is followed by an empty stored block, which byte-aligns the
// stream so another segment can follow (a sync flush).
func appendRowDeflate(dst, data []byte, stride, period int, final bool) []byte {
	e := &rowDeflate{out: dst}
	e.init()
	if final {
		e.put(1, 1)
	} else {
		e.put(0, 1)
	}
	e.put(1, 2) // BTYPE 01: fixed Huffman codes
	var dists []distCode
	for _, d := range [3]int{1, period, stride} {
		if d > 0 && d <= maxDistance {
			dists = append(dists, newDistCode(d))
		}
	}
	for i := 0; i < len(data); {
		// A scanline equal to the one above: whole-length matches one row up.
		if stride >= minMatch && stride <= maxDistance && i%stride == 0 && i >= stride && i+stride <= len(data) &&
			string(data[i:i+stride]) == string(data[i-stride:i]) {
			up := newDistCode(stride)
			for left := stride; left > 0; {
				n := min(left, maxMatch)
				if left-n > 0 && left-n < minMatch {
					n = left - minMatch // leave a tail a match can carry
				}
				e.match(n, up)
				left -= n
			}
			i += stride
			continue
		}
		best, bi := 0, -1
		for k := range dists {
			d := dists[k].dist
			if d > i {
				continue
			}
			if n := matchLen(data[i:], data[i-d:], maxMatch); n > best {
				best, bi = n, k
				if n == maxMatch {
					break
				}
			}
		}
		if best >= minMatch {
			e.match(best, dists[bi])
			i += best
			continue
		}
		e.symbol(int(data[i]))
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

// symbol appends literal/length symbol s (0–287) in the fixed code.
func (e *rowDeflate) symbol(s int) { e.put(uint64(e.code[s]), uint(e.codeLen[s])) }

// Length and distance bases and extra bits (RFC 1951 §3.2.5).
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// match appends a length/distance pair (3 ≤ length ≤ 258).
func (e *rowDeflate) match(length int, d distCode) {
	l := int(e.lenSym[length])
	e.symbol(257 + l)
	e.put(uint64(length-lengthBase[l]), lengthExtra[l])
	e.put(uint64(d.code), 5)
	e.put(d.extra, d.nx)
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
