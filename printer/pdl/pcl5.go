package pdl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"kofu/protocol/pages"
)

// PCLWriter writes a PCL 5 raster job: one reset, then per page the A4
// portrait setup, a TIFF PackBits (mode 2) raster with blank rows skipped
// as vertical moves (ESC*b#Y), and a form feed; a reset at Close. PCL
// prints 1 bit per pixel: the rows are the page's bits as given.
//
// A duplex writer (SetDuplex) selects long-edge duplex (ESC&l1S) once
// after the reset, and names the side of every page (ESC&a1G front,
// ESC&a2G back). A back gets no page size or orientation command: in
// duplex mode those move the next page to the front of a new sheet.
type PCLWriter struct {
	w      *bufio.Writer
	pages  int
	closed bool
	duplex bool
	back   bool   // the last page written was a front: a back may follow
	row    []byte // packed row
	enc    []byte // PackBits output
	num    []byte // scratch for number formatting
}

// NewPCLWriter returns a writer of PCL 5 raster to w. Nothing is written
// until the first page.
func NewPCLWriter(w io.Writer) *PCLWriter {
	return &PCLWriter{w: bufio.NewWriterSize(w, 32<<10)}
}

// PCL escape sequences used by the writer.
const (
	esc      = 0x1b
	pclReset = "\x1bE"
	// A4, portrait, no top margin, the logical page moved a quarter inch
	// left (left offset registration, as Ghostscript's ljet4 does) so that
	// raster column 0 is the sheet's left edge, cursor at the origin,
	// raster following the orientation.
	pclA4Setup = "\x1b&l26A\x1b&l0O\x1b&l0E\x1b&l-180u0Z\x1b*p0x0Y\x1b*r0F"
	// Duplex: long-edge binding (ESC&l1S), then each page's side: the
	// front (ESC&a1G) with the full setup, or the back (ESC&a2G) with the
	// cursor and raster setup only.
	pclDuplexLong = "\x1b&l1S"
	pclFrontSide  = "\x1b&a1G"
	pclBackSide   = "\x1b&a2G"
	pclBackSetup  = "\x1b*p0x0Y\x1b*r0F"
	pclMode2      = "\x1b*b2M"
	pclStartHere  = "\x1b*r1A"
	pclEndRaster  = "\x1b*rB"
	formFeed      = 0x0c
)

// SetDuplex makes the job two-sided, long-edge binding; only before the
// first page.
func (p *PCLWriter) SetDuplex() error {
	if p.pages > 0 {
		return errors.New("pdl: PCL duplex set after the first page")
	}
	p.duplex = true
	return nil
}

// WritePage writes one bilevel page (a verified page, or any Raster) row
// by row. dpi must be 300 or 600, the resolutions PCL 5 printers take for
// raster. On a duplex writer the page is the front of a new sheet.
func (p *PCLWriter) WritePage(img pages.Raster, dpi int) error {
	return p.WriteFace(img, dpi, false)
}

// WriteFace writes one page as WritePage does; on a duplex writer, back
// puts it on the back of the sheet whose front was written last (a back
// must follow a front), and a front starts a new sheet. A one-sided
// writer takes no back.
func (p *PCLWriter) WriteFace(img pages.Raster, dpi int, back bool) error {
	if p.closed {
		return errors.New("pdl: PCL writer closed")
	}
	if back && (!p.duplex || !p.back) {
		return errors.New("pdl: PCL back face without its front on a duplex job")
	}
	if dpi != 300 && dpi != 600 {
		return fmt.Errorf("pdl: PCL raster at %d dpi: only 300 and 600", dpi)
	}
	w, h := img.Size()
	if w <= 0 || h <= 0 || w > 32767 || h > 32767 {
		return fmt.Errorf("pdl: page size %dx%d out of range", w, h)
	}
	if p.pages == 0 {
		p.w.WriteString(pclReset)
		if p.duplex {
			p.w.WriteString(pclDuplexLong)
		}
	}
	p.pages++
	switch {
	case back:
		p.w.WriteString(pclBackSide)
		p.w.WriteString(pclBackSetup)
	case p.duplex:
		p.w.WriteString(pclFrontSide)
		p.w.WriteString(pclA4Setup)
	default:
		p.w.WriteString(pclA4Setup)
	}
	p.back = p.duplex && !back
	p.cmd("*t", dpi, 'R')
	p.cmd("*r", w, 'S')
	p.cmd("*r", h, 'T')
	p.w.WriteString(pclMode2)
	p.w.WriteString(pclStartHere)

	stride := (w + 7) / 8
	if cap(p.row) < stride {
		p.row = make([]byte, stride)
		p.enc = make([]byte, 0, stride+stride/128+2)
	}
	row := p.row[:stride]
	blank := 0
	for y := range h {
		n := trimZeros(img.ReadRow(y, row))
		if n == 0 {
			blank++
			continue
		}
		if blank > 0 {
			p.cmd("*b", blank, 'Y')
			blank = 0
		}
		p.enc = PackBits(p.enc[:0], row[:n])
		p.cmd("*b", len(p.enc), 'W')
		p.w.Write(p.enc)
	}
	// Trailing blank rows need no command: the page ends here.
	p.w.WriteString(pclEndRaster)
	p.w.WriteByte(formFeed)
	return p.w.Flush()
}

// Close ends the job with a printer reset and flushes.
func (p *PCLWriter) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	p.w.WriteString(pclReset)
	return p.w.Flush()
}

// cmd writes ESC, the two-byte prefix, a decimal value and the terminator.
func (p *PCLWriter) cmd(prefix string, v int, term byte) {
	p.num = append(p.num[:0], esc)
	p.num = append(p.num, prefix...)
	p.num = strconv.AppendInt(p.num, int64(v), 10)
	p.num = append(p.num, term)
	p.w.Write(p.num)
}

// trimZeros returns the length of row without trailing zero bytes (PCL
// pads a short row with zeros, i.e. white).
func trimZeros(row []byte) int {
	n := len(row)
	for n >= 8 && string(row[n-8:n]) == "\x00\x00\x00\x00\x00\x00\x00\x00" {
		n -= 8
	}
	for n > 0 && row[n-1] == 0 {
		n--
	}
	return n
}

// PackBits appends the TIFF PackBits encoding of src to dst: a control
// byte n in 0..127 is followed by n+1 literal bytes; n in 129..255 (−127
// to −1 as a signed byte) by one byte repeated 257−n times. Runs of two
// are kept inside literals, where they cost nothing extra.
func PackBits(dst, src []byte) []byte {
	i, n := 0, len(src)
	for i < n {
		// A run of at least 3 equal bytes?
		j := i + 1
		for j < n && j-i < 128 && src[j] == src[i] {
			j++
		}
		if j-i >= 3 || (j-i == 2 && j == n) {
			dst = append(dst, byte(257-(j-i)), src[i])
			i = j
			continue
		}
		// Literal up to the next run of 3 or 128 bytes.
		start := i
		for i < n && i-start < 128 {
			if i+2 < n && src[i] == src[i+1] && src[i] == src[i+2] {
				break
			}
			i++
		}
		dst = append(dst, byte(i-start-1))
		dst = append(dst, src[start:i]...)
	}
	return dst
}
