package pdl

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"

	"kofu/protocol/pages"
)

// PWGType is the PWG Raster pixel format (pwg-raster-document-type).
type PWGType int

const (
	// Black1 is 1 bit per pixel, 1 = black (ColorSpace 3, "black_1").
	Black1 PWGType = iota
	// SGray8 is 8 bits per pixel, 0 = black (ColorSpace 18, "sgray_8").
	SGray8
)

// Keyword is the type's IPP keyword.
func (t PWGType) Keyword() string {
	if t == SGray8 {
		return "sgray_8"
	}
	return "black_1"
}

// PWG Raster header layout (PWG 5102.4 §4.3): byte offsets in the
// 1796-byte big-endian page header that follows the "RaS2" sync word.
const (
	pwgSync          = "RaS2"
	pwgHeaderLen     = 1796
	offMediaClass    = 0
	offDuplex        = 272
	offHWResolution  = 276
	offNumCopies     = 340
	offPageSize      = 352
	offTumble        = 368
	offWidth         = 372
	offHeight        = 376
	offBitsPerColor  = 384
	offBitsPerPixel  = 388
	offBytesPerLine  = 392
	offColorOrder    = 396
	offColorSpace    = 400
	offNumColors     = 420
	offTotalPages    = 452
	offCrossFeed     = 456
	offFeed          = 460
	offImageBoxRight = 472
	offImageBoxBotm  = 476
	offPageSizeName  = 1732
	csBlack          = 3
	csSGray          = 18
	csSRGB           = 19
	a4WidthPt        = 595
	a4HeightPt       = 842
)

// PWGWriter writes a PWG Raster stream: the sync word, then per page a
// header and the page's rows in PWG's run-length code (identical rows
// merged up to 256, runs and literals of up to 128 pixel units).
//
// A duplex writer (SetDuplex) sets Duplex (true) and Tumble (false: long
// edge) in every page header; the pages then alternate front and back,
// as PWG Raster has no side selection: a back must follow its front and
// a front must not follow a front.
type PWGWriter struct {
	w       *bufio.Writer
	typ     PWGType
	total   int
	pages   int
	duplex  bool
	back    bool // the last page was a front: the next must be its back
	hdr     [pwgHeaderLen]byte
	enc     []byte
	cur, nx []byte
	packed  []byte // one packed row, for SGray8
}

// NewPWGWriter returns a writer of PWG Raster of the given type. total is
// the page count written into each header (0 if unknown).
func NewPWGWriter(w io.Writer, typ PWGType, total int) *PWGWriter {
	return &PWGWriter{w: bufio.NewWriterSize(w, 32<<10), typ: typ, total: total}
}

// SetDuplex makes the job two-sided, long-edge binding; only before the
// first page.
func (p *PWGWriter) SetDuplex() error {
	if p.pages > 0 {
		return errors.New("pdl: PWG duplex set after the first page")
	}
	p.duplex = true
	return nil
}

// WriteFace writes one page as WritePage does, as the back of the sheet
// whose front was written last when back is set. On a duplex writer the
// faces must alternate front, back: PWG Raster puts page 2k on the back
// of page 2k−1. A one-sided writer takes no back.
func (p *PWGWriter) WriteFace(img pages.Raster, dpi int, back bool) error {
	switch {
	case back && (!p.duplex || !p.back):
		return errors.New("pdl: PWG back face without its front on a duplex job")
	case !back && p.back:
		return errors.New("pdl: PWG front face where the back of the last sheet goes")
	}
	if err := p.WritePage(img, dpi); err != nil {
		return err
	}
	p.back = p.duplex && !back
	return nil
}

// WritePage writes one A4 bilevel page (a verified page, or any Raster)
// of the given resolution. Black1 carries the bits as given; SGray8
// carries the same bits expanded to 0 (black) and 255 (white), never
// other gray levels: an 8-bit printer path prints exactly the bitmap the
// kiosk verified (docs/design-notes.md, "One bitmap").
func (p *PWGWriter) WritePage(img pages.Raster, dpi int) error {
	w, h := img.Size()
	if w <= 0 || h <= 0 || dpi <= 0 {
		return fmt.Errorf("pdl: page %dx%d at %d dpi", w, h, dpi)
	}
	if p.pages == 0 {
		p.w.WriteString(pwgSync)
	}
	p.pages++
	bpp, cs := 1, csBlack
	if p.typ == SGray8 {
		bpp, cs = 8, csSGray
	}
	bpl := (w*bpp + 7) / 8
	p.header(w, h, dpi, bpp, bpl, cs)
	p.w.Write(p.hdr[:])

	stride := (w + 7) / 8
	if cap(p.cur) < bpl || cap(p.packed) < stride {
		p.cur, p.nx = make([]byte, bpl), make([]byte, bpl)
		p.packed = make([]byte, stride)
		p.enc = make([]byte, 0, bpl+bpl/128+2)
	}
	cur, nx := p.cur[:bpl], p.nx[:bpl]
	rowAt := func(dst []byte, y int) []byte {
		if p.typ == SGray8 {
			pages.ExpandRow(dst, img.ReadRow(y, p.packed[:stride]))
			return dst
		}
		return img.ReadRow(y, dst)
	}
	row := rowAt(cur, 0)
	for y := 0; y < h; {
		// Merge identical following rows (up to 256 in one group).
		n := 1
		var next []byte
		for y+n < h && n < 256 {
			next = rowAt(nx, y+n)
			if string(next) != string(row) {
				break
			}
			n++
			next = nil
		}
		p.enc = append(p.enc[:0], byte(n-1))
		p.enc = pwgRow(p.enc, row)
		p.w.Write(p.enc)
		y += n
		if next != nil {
			// next holds row y (packed into nx); swap buffers.
			cur, nx = nx, cur
			row = next
		} else if y < h {
			row = rowAt(cur, y)
		}
	}
	return p.w.Flush()
}

// Flush flushes buffered output; PWG Raster has no trailer.
func (p *PWGWriter) Flush() error { return p.w.Flush() }

func (p *PWGWriter) header(w, h, dpi, bpp, bpl, cs int) {
	b := p.hdr[:]
	clear(b)
	copy(b[offMediaClass:], "PwgRaster")
	put := func(off, v int) { binary.BigEndian.PutUint32(b[off:], uint32(v)) }
	if p.duplex {
		put(offDuplex, 1)
		put(offTumble, 0) // long edge
	}
	put(offHWResolution, dpi)
	put(offHWResolution+4, dpi)
	put(offNumCopies, 1)
	put(offPageSize, a4WidthPt)
	put(offPageSize+4, a4HeightPt)
	put(offWidth, w)
	put(offHeight, h)
	put(offBitsPerColor, bpp)
	put(offBitsPerPixel, bpp)
	put(offBytesPerLine, bpl)
	put(offColorSpace, cs)
	put(offNumColors, 1)
	put(offTotalPages, p.total)
	put(offCrossFeed, 1)
	put(offFeed, 1)
	put(offImageBoxRight, w)
	put(offImageBoxBotm, h)
	copy(b[offPageSizeName:], "iso_a4_210x297mm")
}

// pwgRow appends one row in PWG's code: a byte n in 0..127 is followed by
// one unit repeated n+1 times; n in 129..255 by 257−n literal units. The
// unit is one byte for the formats kofu writes (eight 1-bit pixels, or
// one 8-bit pixel).
func pwgRow(dst, row []byte) []byte {
	n := len(row)
	for i := 0; i < n; {
		if i == n-1 {
			return append(dst, 0, row[i])
		}
		if row[i] == row[i+1] {
			j := i + 2
			for j < n && j-i < 128 && row[j] == row[i] {
				j++
			}
			dst = append(dst, byte(j-i-1), row[i])
			i = j
			continue
		}
		j := i + 1
		for j < n && j-i < 128 && (j == n-1 || row[j] != row[j+1]) {
			j++
		}
		dst = append(dst, byte(257-(j-i)))
		dst = append(dst, row[i:j]...)
		i = j
	}
	return dst
}

// PWGHeader is the part of a PWG page header decoders and tests look at.
type PWGHeader struct {
	MediaClass               string
	HWResolution             [2]int
	PageSize                 [2]int // points
	Width, Height            int
	BitsPerColor, BitsPerPix int
	BytesPerLine             int
	ColorSpace, NumColors    int
	TotalPageCount           int
	PageSizeName             string
	Duplex, Tumble           bool
}

func parsePWGHeader(b []byte) PWGHeader {
	get := func(off int) int { return int(binary.BigEndian.Uint32(b[off:])) }
	str := func(off int) string {
		s := b[off : off+64]
		for i, c := range s {
			if c == 0 {
				return string(s[:i])
			}
		}
		return string(s)
	}
	return PWGHeader{
		MediaClass:     str(offMediaClass),
		HWResolution:   [2]int{get(offHWResolution), get(offHWResolution + 4)},
		PageSize:       [2]int{get(offPageSize), get(offPageSize + 4)},
		Width:          get(offWidth),
		Height:         get(offHeight),
		BitsPerColor:   get(offBitsPerColor),
		BitsPerPix:     get(offBitsPerPixel),
		BytesPerLine:   get(offBytesPerLine),
		ColorSpace:     get(offColorSpace),
		NumColors:      get(offNumColors),
		TotalPageCount: get(offTotalPages),
		PageSizeName:   str(offPageSizeName),
		Duplex:         get(offDuplex) != 0,
		Tumble:         get(offTumble) != 0,
	}
}

// DecodePWG reads a PWG Raster stream and calls page for each page with
// its header; a page's Side follows the headers' Duplex, alternating
// front and back. It accepts black_1 and sgray_8 (native) and, for checking
// other writers' output, black_8 and srgb_8 (converted to gray).
func DecodePWG(r io.Reader, lim Limits, page func(PWGHeader, *Page) error) error {
	lim = lim.norm()
	br := bufio.NewReaderSize(r, 32<<10)
	var sync [4]byte
	if _, err := io.ReadFull(br, sync[:]); err != nil {
		return readErr(err, "no PWG sync word")
	}
	if string(sync[:]) != pwgSync {
		return formatErr("sync word %q, want %q", sync[:], pwgSync)
	}
	hdr := make([]byte, pwgHeaderLen)
	back := false // the next duplex page is a back
	for pages := 0; ; pages++ {
		if _, err := io.ReadFull(br, hdr); err != nil {
			if err == io.EOF {
				if pages == 0 {
					return formatErr("no pages")
				}
				return nil
			}
			return readErr(err, fmt.Sprintf("page %d header", pages+1))
		}
		if pages >= lim.MaxPages {
			return limitErr("more than %d pages", lim.MaxPages)
		}
		h := parsePWGHeader(hdr)
		pg, err := decodePWGPage(br, h, lim)
		if err != nil {
			return fmt.Errorf("page %d: %w", pages+1, err)
		}
		// A duplex page goes on the next side: the front of a sheet
		// after a back (or a one-sided page), else the back.
		switch {
		case !h.Duplex:
			pg.Side, back = SideSimplex, false
		case back:
			pg.Side, back = SideBack, false
		default:
			pg.Side, back = SideFront, true
		}
		if err := page(h, pg); err != nil {
			return err
		}
	}
}

func decodePWGPage(br *bufio.Reader, h PWGHeader, lim Limits) (*Page, error) {
	if h.Width <= 0 || h.Height <= 0 || h.Width > lim.MaxWidth || h.Height > lim.MaxHeight {
		return nil, limitErr("page %dx%d", h.Width, h.Height)
	}
	var unit int
	var white byte
	switch {
	case h.BitsPerPix == 1 && h.BitsPerColor == 1 && h.ColorSpace == csBlack:
		unit, white = 1, 0x00
	case h.BitsPerPix == 8 && h.BitsPerColor == 8 && h.ColorSpace == csSGray:
		unit, white = 1, 0xff
	case h.BitsPerPix == 8 && h.BitsPerColor == 8 && h.ColorSpace == csBlack:
		unit, white = 1, 0x00
	case h.BitsPerPix == 24 && h.BitsPerColor == 8 && h.ColorSpace == csSRGB:
		unit, white = 3, 0xff
	default:
		return nil, formatErr("pixel format: %d bits per pixel, %d per color, color space %d",
			h.BitsPerPix, h.BitsPerColor, h.ColorSpace)
	}
	if want := (h.Width*h.BitsPerPix + 7) / 8; h.BytesPerLine != want {
		return nil, formatErr("%d bytes per line, want %d", h.BytesPerLine, want)
	}
	bpl := h.BytesPerLine
	dpi := h.HWResolution[1]
	var pg Page
	pg.DPI = dpi
	var out func(y int) []byte
	var rowBuf []byte
	switch {
	case h.BitsPerPix == 1:
		pg.Bitmap = NewBitmap(h.Width, h.Height)
		out = func(y int) []byte { return pg.Bitmap.Row(y) }
	default:
		pg.Gray = image.NewGray(image.Rect(0, 0, h.Width, h.Height))
		rowBuf = make([]byte, bpl)
		out = func(int) []byte { return rowBuf }
	}
	for y := 0; y < h.Height; {
		rep, err := br.ReadByte()
		if err != nil {
			return nil, readErr(err, fmt.Sprintf("row %d", y))
		}
		row := out(y)
		if err := pwgDecodeRow(br, row, unit, white); err != nil {
			return nil, fmt.Errorf("row %d: %w", y, err)
		}
		for k := 0; k <= int(rep) && y < h.Height; k++ {
			if pg.Gray != nil {
				toGray(pg.Gray.Pix[y*pg.Gray.Stride:y*pg.Gray.Stride+h.Width], row, h)
			} else if k > 0 {
				copy(out(y), row)
			}
			y++
		}
	}
	if pg.Bitmap != nil && h.Width%8 != 0 {
		mask := byte(0xff << (8 - uint(h.Width%8)))
		for y := range h.Height {
			pg.Bitmap.Row(y)[pg.Bitmap.Stride-1] &= mask
		}
	}
	return &pg, nil
}

// toGray converts one decoded 8- or 24-bit row to 8-bit gray.
func toGray(dst, row []byte, h PWGHeader) {
	switch {
	case h.BitsPerPix == 24:
		for x := range dst {
			r, g, b := int(row[3*x]), int(row[3*x+1]), int(row[3*x+2])
			dst[x] = uint8((299*r + 587*g + 114*b + 500) / 1000)
		}
	case h.ColorSpace == csBlack:
		for x := range dst {
			dst[x] = 255 - row[x]
		}
	default:
		copy(dst, row)
	}
}

// pwgDecodeRow fills row from PWG's run-length code. A code of 128 clears
// to the end of the row (CUPS); runs past the end are clipped.
func pwgDecodeRow(br *bufio.Reader, row []byte, unit int, white byte) error {
	for pos := 0; pos < len(row); {
		c, err := br.ReadByte()
		if err != nil {
			return readErr(err, "run code")
		}
		switch {
		case c == 128:
			for i := pos; i < len(row); i++ {
				row[i] = white
			}
			pos = len(row)
		case c < 128:
			count := (int(c) + 1) * unit
			var u [3]byte
			if _, err := io.ReadFull(br, u[:unit]); err != nil {
				return readErr(err, "run")
			}
			for k := 0; k < count && pos < len(row); k++ {
				row[pos] = u[k%unit]
				pos++
			}
		default:
			count := (257 - int(c)) * unit
			n := min(count, len(row)-pos)
			if _, err := io.ReadFull(br, row[pos:pos+n]); err != nil {
				return readErr(err, "literal")
			}
			pos += n
			if _, err := br.Discard(count - n); err != nil {
				return readErr(err, "literal")
			}
		}
	}
	return nil
}

// readErr makes the input's end a format error and passes the reader's
// own errors through.
func readErr(err error, where string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr("%s: input ends early", where)
	}
	return fmt.Errorf("pdl: %s: %w", where, err)
}
