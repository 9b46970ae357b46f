package pdl

import (
	"bufio"
	"errors"
	"io"
)

// DecodePCL reads a PCL 5 stream and calls page for every page it ejects
// (form feed, or a reset after marks). It interprets what raster needs —
// resolution (ESC*t#R), raster width and height (ESC*r#S, ESC*r#T),
// compression modes 0 to 3 (ESC*b#M), rows (ESC*b#W), vertical moves
// (ESC*b#Y), start and end of raster, duplex (ESC&l#S) and page side
// selection (ESC&a#G), which set each Page's Side — and skips every other command,
// including the data of other binary-data commands. Text is ignored.
// Without ESC*r#S the page is as wide as its widest row.
func DecodePCL(r io.Reader, lim Limits, page func(*Page) error) error {
	d := &pclDecoder{r: bufio.NewReaderSize(r, 32<<10), lim: lim.norm(), page: page}
	d.reset()
	return d.run()
}

type pclDecoder struct {
	r     *bufio.Reader
	lim   Limits
	page  func(*Page) error
	pages int

	dpi, width, height int // raster settings (width/height 0: unset)
	mode               int // compression
	y                  int
	rows               [][]byte // decoded rows of the current page, nil = blank
	seed               []byte   // delta-row seed
	marked             bool
	maxRow             int
	buf                []byte
	// duplex: ESC&l1S or 2S is in force; nextBack: in duplex, the next
	// page goes on the back of the current sheet.
	duplex, nextBack bool
}

func (d *pclDecoder) reset() {
	d.dpi, d.width, d.height, d.mode, d.y = 75, 0, 0, 0, 0
	d.rows, d.seed, d.marked, d.maxRow = d.rows[:0], d.seed[:0], false, 0
}

func (d *pclDecoder) run() error {
	for {
		c, err := d.r.ReadByte()
		if err == io.EOF {
			if d.marked {
				return d.eject()
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case esc:
			if err := d.escape(); err != nil {
				return err
			}
		case formFeed:
			if err := d.eject(); err != nil {
				return err
			}
		}
	}
}

// eject emits the current page and starts a new one.
func (d *pclDecoder) eject() error {
	d.pages++
	if d.pages > d.lim.MaxPages {
		return limitErr("more than %d pages", d.lim.MaxPages)
	}
	w := d.width
	if w == 0 {
		w = d.maxRow * 8
	}
	h := d.height
	if h == 0 {
		h = len(d.rows)
	}
	if w > d.lim.MaxWidth {
		w = d.lim.MaxWidth
	}
	b := NewBitmap(w, h)
	for y := 0; y < h && y < len(d.rows); y++ {
		if src := d.rows[y]; src != nil {
			n := copy(b.Row(y), src)
			if w%8 != 0 && n == b.Stride {
				b.Row(y)[n-1] &= byte(0xff << (8 - uint(w%8)))
			}
		}
	}
	side := SideSimplex
	if d.duplex {
		side = SideFront
		if d.nextBack {
			side = SideBack
		}
		d.nextBack = !d.nextBack
	}
	err := d.page(&Page{DPI: d.dpi, Bitmap: b, Side: side})
	dpi, width, height, mode := d.dpi, d.width, d.height, d.mode
	d.reset()
	// Resolution, size and compression survive a form feed.
	d.dpi, d.width, d.height, d.mode = dpi, width, height, mode
	return err
}

// escape parses one escape sequence after ESC.
func (d *pclDecoder) escape() error {
	c, err := d.r.ReadByte()
	if err != nil {
		return eofOK(err)
	}
	if c == esc {
		return d.r.UnreadByte()
	}
	if c < 0x21 || c > 0x2f {
		// Two-character sequence.
		if c == 'E' {
			if d.marked {
				if err := d.eject(); err != nil {
					return err
				}
			}
			d.reset()
			d.duplex, d.nextBack = false, false
		}
		return nil
	}
	param := c
	var group byte
	if g, err := d.r.ReadByte(); err != nil {
		return eofOK(err)
	} else if g >= 0x60 && g <= 0x7e {
		group = g
	} else if err := d.r.UnreadByte(); err != nil {
		return err
	}
	for {
		v, frac, err := d.value()
		if err != nil {
			return eofOK(err)
		}
		t, err := d.r.ReadByte()
		if err != nil {
			return eofOK(err)
		}
		final := t >= 0x40 && t <= 0x5e
		if !final && (t < 0x60 || t > 0x7e) {
			// Not a parameter character: the sequence was malformed;
			// resume parsing at this byte.
			return d.r.UnreadByte()
		}
		if err := d.command(param, group, t&^0x20, v, frac); err != nil {
			return err
		}
		if final {
			return nil
		}
	}
}

// value reads an optional sign, digits and fraction. Missing means 0.
func (d *pclDecoder) value() (v int, frac bool, err error) {
	neg := false
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	if c == '+' || c == '-' {
		neg = c == '-'
		if c, err = d.r.ReadByte(); err != nil {
			return 0, false, err
		}
	}
	for c >= '0' && c <= '9' {
		if v < 1<<40 {
			v = v*10 + int(c-'0')
		}
		if c, err = d.r.ReadByte(); err != nil {
			return 0, false, err
		}
	}
	if c == '.' {
		frac = true
		for {
			if c, err = d.r.ReadByte(); err != nil {
				return 0, false, err
			}
			if c < '0' || c > '9' {
				break
			}
		}
	}
	if neg {
		v = -v
	}
	return v, frac, d.r.UnreadByte()
}

// command acts on one parameterized command (t upper-cased).
func (d *pclDecoder) command(param, group, t byte, v int, _ bool) error {
	switch {
	case param == '*' && group == 't' && t == 'R':
		if v == 75 || v == 100 || v == 150 || v == 200 || v == 300 || v == 600 || v == 1200 {
			d.dpi = v
		}
	case param == '*' && group == 'r' && t == 'S':
		if v < 0 || v > d.lim.MaxWidth {
			return limitErr("raster width %d", v)
		}
		d.width = v
	case param == '*' && group == 'r' && t == 'T':
		if v < 0 || v > d.lim.MaxHeight {
			return limitErr("raster height %d", v)
		}
		d.height = v
	case param == '*' && group == 'r' && t == 'A':
		d.seed = d.seed[:0]
	case param == '*' && group == 'r' && (t == 'B' || t == 'C'):
		d.seed = d.seed[:0]
	case param == '*' && group == 'b' && t == 'M':
		d.mode = v
	case param == '*' && group == 'b' && t == 'Y':
		if v < 0 {
			v = 0
		}
		if d.y+v > d.lim.MaxHeight {
			return limitErr("raster y offset beyond %d rows", d.lim.MaxHeight)
		}
		d.y += v
		d.seed = d.seed[:0]
		d.marked = true
	case param == '*' && group == 'b' && t == 'W':
		return d.rasterRow(v)
	case param == '&' && group == 'l' && t == 'S':
		// Simplex/duplex: 0 simplex, 1 long edge, 2 short edge; the next
		// page starts a sheet.
		if v >= 0 && v <= 2 {
			d.duplex, d.nextBack = v != 0, false
		}
	case param == '&' && group == 'a' && t == 'G':
		// Page side: 1 front, 2 back (0, the next side, changes nothing).
		switch v {
		case 1:
			d.nextBack = false
		case 2:
			d.nextBack = d.duplex
		}
	case t == 'W' || (param == '&' && group == 'p' && t == 'X'):
		// Binary data of another command: skip it.
		if v > 0 {
			if _, err := d.r.Discard(v); err != nil {
				return eofOK(err)
			}
		}
	}
	return nil
}

// rasterRow reads n bytes of row data and decompresses them.
func (d *pclDecoder) rasterRow(n int) error {
	if n < 0 || n > 65535 {
		return formatErr("raster row of %d bytes", n)
	}
	if cap(d.buf) < n {
		d.buf = make([]byte, n)
	}
	data := d.buf[:n]
	if _, err := io.ReadFull(d.r, data); err != nil {
		return eofOK(err)
	}
	maxBytes := (d.lim.MaxWidth + 7) / 8
	if d.width > 0 {
		maxBytes = (d.width + 7) / 8
	}
	var row []byte
	var err error
	switch d.mode {
	case 0:
		row = append([]byte(nil), data[:min(n, maxBytes)]...)
	case 1:
		row, err = unRLE(data, maxBytes)
	case 2:
		row, err = UnpackBits(nil, data, maxBytes)
	case 3:
		row, err = unDelta(d.seed, data, maxBytes)
	default:
		return formatErr("raster compression mode %d not supported", d.mode)
	}
	if err != nil {
		return err
	}
	d.seed = append(d.seed[:0], row...)
	if d.y >= d.lim.MaxHeight {
		return limitErr("more than %d raster rows", d.lim.MaxHeight)
	}
	for len(d.rows) <= d.y {
		d.rows = append(d.rows, nil)
	}
	d.rows[d.y] = row
	d.maxRow = max(d.maxRow, len(row))
	d.y++
	d.marked = true
	return nil
}

// UnpackBits appends the decoding of TIFF PackBits data to dst, stopping
// at max bytes of output (longer output is clipped, as printers clip rows
// to the raster width).
func UnpackBits(dst, src []byte, max int) ([]byte, error) {
	for i := 0; i < len(src); {
		n := int(int8(src[i]))
		i++
		switch {
		case n >= 0:
			if i+n+1 > len(src) {
				return dst, formatErr("PackBits literal past end of data")
			}
			dst = append(dst, src[i:i+n+1]...)
			i += n + 1
		case n == -128:
			// no-op
		default:
			if i >= len(src) {
				return dst, formatErr("PackBits run past end of data")
			}
			for range 1 - n {
				dst = append(dst, src[i])
			}
			i++
		}
		if len(dst) >= max {
			return dst[:max], nil
		}
	}
	return dst, nil
}

// unRLE decodes PCL mode 1: (count−1, byte) pairs.
func unRLE(src []byte, max int) ([]byte, error) {
	var dst []byte
	for i := 0; i+1 < len(src) && len(dst) < max; i += 2 {
		for range int(src[i]) + 1 {
			dst = append(dst, src[i+1])
		}
	}
	if len(dst) > max {
		dst = dst[:max]
	}
	return dst, nil
}

// unDelta decodes PCL mode 3 (delta row) against the seed row.
func unDelta(seed, src []byte, max int) ([]byte, error) {
	row := append([]byte(nil), seed...)
	pos := 0
	for i := 0; i < len(src); {
		cmd := src[i]
		i++
		count := int(cmd>>5) + 1
		off := int(cmd & 0x1f)
		if off == 31 {
			for {
				if i >= len(src) {
					return row, formatErr("delta row offset past end of data")
				}
				b := src[i]
				i++
				off += int(b)
				if b != 255 {
					break
				}
			}
		}
		pos += off
		if i+count > len(src) {
			return row, formatErr("delta row replacement past end of data")
		}
		for k := range count {
			if pos >= max {
				break
			}
			for len(row) <= pos {
				row = append(row, 0)
			}
			row[pos] = src[i+k]
			pos++
		}
		i += count
	}
	return row, nil
}

// eofOK turns an end of input inside a command into a format error.
func eofOK(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr("input ends inside a command")
	}
	return err
}
