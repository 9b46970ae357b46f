package pages

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"hash/adler32"
	"image"
	"io"
	"math"
	"slices"
	"sync"
)

// Template is one page of a document rendered once, without its per-issue
// parts, and kept only in compressed form: the rows above the serial/as-of
// lines and the rows between them and the bottom band, each as an
// independent deflate segment. Stamp draws the per-issue rows of one issue
// (serial and as-of, the band with the QR symbol, the issuance notice and
// "n / total") and splices the PNG together, compressing only those rows
// with appendRowDeflate, which knows their structure: a page then costs a
// small fraction of Render plus EncodePNG (BenchmarkStamp).
//
// The PNG Stamp returns decodes to exactly the pixels of Render for the
// same Spec (TestTemplateMatchesRender). A Template holds no pixels and is
// safe for concurrent use.
type Template struct {
	r       *Renderer
	dpi     int
	w, h    int
	lay     layout
	content Spec       // the fields a stamped Spec must repeat
	segs    [2]segment // rows [0, hdrTop) and [hdrBot, bandTop)
	// bufs recycles the per-issue scanline buffers (*stampBufs): at the
	// rates the center serves, a fresh 1–5 MB per page is mostly GC work.
	// They hold the serial, as-of, page number and QR symbol of an issue,
	// no record content, and are overwritten whole by the next stamp.
	bufs sync.Pool
}

// stampBufs are one stamp's scanlines: the serial/as-of rows and the band.
type stampBufs struct{ hdr, band []byte }

// segment is a run of PNG scanlines (filter byte None, then the row)
// compressed as a raw deflate stream that ends byte-aligned after a
// non-final block, so that segments concatenate into one zlib stream.
type segment struct {
	z     []byte
	adler uint32 // Adler-32 of the uncompressed scanlines
	n     int    // their length
}

// NewTemplate renders the content of s (DPI, Title, Issuer, Rows, Notes)
// once. The per-issue fields of s (Serial, AsOf, QRText, N, Total) are
// ignored; Stamp supplies them.
func (r *Renderer) NewTemplate(s Spec) (*Template, error) {
	probe := s
	probe.Serial, probe.AsOf, probe.QRText, probe.N, probe.Total = "", "", "KOFU1", 1, 1
	if err := probe.validate(); err != nil {
		return nil, err
	}
	w, h, _ := PageSize(s.DPI)
	img := &image.Gray{Pix: make([]uint8, w*h), Stride: w, Rect: image.Rect(0, 0, w, h)}
	defer clear(img.Pix)
	c := newCanvas(img, s.DPI)
	lay, err := r.body(c, r.faces(s.DPI), &probe)
	if err != nil {
		return nil, err
	}
	t := &Template{r: r, dpi: s.DPI, w: w, h: h, lay: lay, content: contentOf(s)}
	for i, rows := range [2][2]int{{0, lay.hdrTop}, {lay.hdrBot, lay.bandTop}} {
		seg, err := r.deflateRows(img, rows[0], rows[1])
		if err != nil {
			return nil, err
		}
		t.segs[i] = seg
	}
	return t, nil
}

// contentOf keeps the fields of s that a template fixes.
func contentOf(s Spec) Spec {
	return Spec{DPI: s.DPI, Title: s.Title, Issuer: s.Issuer, Rows: slices.Clone(s.Rows), Notes: slices.Clone(s.Notes)}
}

// ContentKey is a digest of the fields of s that a Template fixes (DPI,
// Title, Issuer, Rows, Notes): pages with equal keys share a template.
func (s *Spec) ContentKey() [32]byte {
	h := sha256.New()
	var n [8]byte
	put := func(f string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	binary.BigEndian.PutUint64(n[:], uint64(s.DPI))
	h.Write(n[:])
	put(s.Title)
	put(s.Issuer)
	binary.BigEndian.PutUint64(n[:], uint64(len(s.Rows)))
	h.Write(n[:])
	for _, r := range s.Rows {
		put(r.Label)
		put(r.Value)
	}
	binary.BigEndian.PutUint64(n[:], uint64(len(s.Notes)))
	h.Write(n[:])
	for _, note := range s.Notes {
		put(note)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// Stamp returns the PNG of the page s: the template's content with the
// per-issue fields of s. The content fields of s must be the template's.
func (t *Template) Stamp(s Spec) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if c := t.content; s.DPI != c.DPI || s.Title != c.Title || s.Issuer != c.Issuer ||
		!slices.Equal(s.Rows, c.Rows) || !slices.Equal(s.Notes, c.Notes) {
		return nil, errorf(KindRender, "spec content differs from the template's")
	}
	sym, err := encodeQRWith(s.QRText, &t.r.plans)
	if err != nil {
		return nil, wrapErr(KindRender, err, "QR")
	}
	r, w, lay := t.r, t.w, t.lay
	fs := r.faces(s.DPI)

	// The per-issue rows, drawn as PNG scanlines: each row is preceded by
	// its filter byte (0, None), which the canvas never touches because it
	// sits just past the previous row's last pixel.
	// These rows carry no record content (serial, as-of, notices, page
	// number and the QR symbol of ids), so they are reused, not wiped;
	// every pixel is drawn anew below and the filter bytes stay 0.
	bufs, _ := t.bufs.Get().(*stampBufs)
	if bufs == nil {
		bufs = &stampBufs{hdr: make([]byte, (lay.hdrBot-lay.hdrTop)*(w+1)), band: make([]byte, (t.h-lay.bandTop)*(w+1))}
	}
	defer t.bufs.Put(bufs)
	hdr, band := bufs.hdr, bufs.band
	hc := &canvas{pix: hdr[1:], stride: w + 1, w: w, h: t.h, y0: lay.hdrTop, y1: lay.hdrBot, dpi: s.DPI}
	tile := r.tiles[dpiIndex(s.DPI)]
	hc.pattern(0, lay.hdrTop, w, lay.hdrBot, tile.pix, tile.size, tile.size)
	r.headerLines(hc, fs, &s, lay.right, lay.hdrTop)

	bc := &canvas{pix: band[1:], stride: w + 1, w: w, h: t.h, y0: lay.bandTop, y1: t.h, dpi: s.DPI}
	bc.fill(0, lay.bandTop, w, t.h, 255)
	if err := r.band(bc, fs, &s, sym, lay.left, lay.bandTop); err != nil {
		return nil, err
	}

	// One zlib stream: header, the four deflate segments in page order,
	// and the Adler-32 of all scanlines combined from the segments'.
	var z bytes.Buffer
	z.Grow(len(t.segs[0].z) + len(t.segs[1].z) + len(hdr)/4 + len(band)/8)
	z.Write([]byte{0x78, 0x01}) // deflate, 32 KiB window, fastest; FCHECK makes 0x7801 a multiple of 31
	zs := z.Bytes()
	zs = append(zs, t.segs[0].z...)
	zs = appendRowDeflate(zs, hdr, w+1, tile.size, false)
	zs = append(zs, t.segs[1].z...)
	zs = appendRowDeflate(zs, band, w+1, 0, true)
	sum := adler32Combine(t.segs[0].adler, rowsAdler32(hdr, w+1), len(hdr))
	sum = adler32Combine(sum, t.segs[1].adler, t.segs[1].n)
	sum = adler32Combine(sum, rowsAdler32(band, w+1), len(band))
	zs = binary.BigEndian.AppendUint32(zs, sum)
	return assemblePNG(w, t.h, t.dpi, zs), nil
}

// deflateRows compresses the rows [y0, y1) of img as PNG scanlines
// (filter byte None, then the row) into a segment: raw deflate at
// BestSpeed with no history from other segments, ending with a sync flush
// (a non-final empty stored block, byte-aligned) so more segments can
// follow. Rows are fed one by one, with no copy of the page.
func (r *Renderer) deflateRows(img *image.Gray, y0, y1 int) (segment, error) {
	var z bytes.Buffer
	fw, _ := r.zw.Get().(*flate.Writer)
	if fw == nil {
		var err error
		if fw, err = flate.NewWriter(&z, flate.BestSpeed); err != nil {
			return segment{}, wrapErr(KindRender, err, "deflate")
		}
	} else {
		fw.Reset(&z)
	}
	defer func() {
		fw.Reset(io.Discard) // let go of this segment's buffer
		r.zw.Put(fw)
	}()
	sum := adler32.New()
	w := img.Rect.Dx()
	filter := []byte{0}
	for y := y0; y < y1; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for _, part := range [2][]byte{filter, row} {
			if _, err := fw.Write(part); err != nil {
				return segment{}, wrapErr(KindRender, err, "deflate")
			}
			sum.Write(part)
		}
	}
	if err := fw.Flush(); err != nil {
		return segment{}, wrapErr(KindRender, err, "deflate")
	}
	return segment{z: bytes.Clone(z.Bytes()), adler: sum.Sum32(), n: (y1 - y0) * (w + 1)}, nil
}

// adler32Combine returns the Adler-32 of the concatenation of two byte
// strings from their checksums a1, a2 and the length n2 of the second
// (the arithmetic of zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, n2 int) uint32 {
	const base = 65521
	rem := uint32(n2 % base)
	s1 := a1 & 0xffff
	s2 := (rem * s1) % base
	s1 += (a2 & 0xffff) + base - 1
	s2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if s1 >= base {
		s1 -= base
	}
	if s1 >= base {
		s1 -= base
	}
	if s2 >= base<<1 {
		s2 -= base << 1
	}
	if s2 >= base {
		s2 -= base
	}
	return s1 | s2<<16
}

// maxTemplates bounds the templates a Renderer keeps for EncodePage: the
// distinct page contents (document type, record, page of the document)
// recently issued. At 600 dpi a template is about 0.7 MB.
const maxTemplates = 32

// templateCache is a Renderer's bounded, least-recently-used set of
// templates by content key.
type templateCache struct {
	mu   sync.Mutex
	tick uint64
	m    map[[32]byte]*cachedTemplate
}

type cachedTemplate struct {
	t    *Template
	used uint64
}

func (tc *templateCache) get(k [32]byte) *Template {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e, ok := tc.m[k]
	if !ok {
		return nil
	}
	tc.tick++
	e.used = tc.tick
	return e.t
}

func (tc *templateCache) put(k [32]byte, t *Template) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.m == nil {
		tc.m = make(map[[32]byte]*cachedTemplate)
	}
	if _, ok := tc.m[k]; !ok && len(tc.m) >= maxTemplates {
		var oldest [32]byte
		min := uint64(math.MaxUint64)
		for key, e := range tc.m {
			if e.used < min {
				oldest, min = key, e.used
			}
		}
		delete(tc.m, oldest)
	}
	tc.tick++
	tc.m[k] = &cachedTemplate{t: t, used: tc.tick}
}

// EncodePage returns the PNG of the page s, as Render and EncodePNG would
// give it, through a template for its content: the first page with a
// given content renders it (NewTemplate), later ones only stamp their
// per-issue rows. The Renderer keeps the templates of the last
// maxTemplates distinct contents, compressed.
func (r *Renderer) EncodePage(s Spec) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	k := s.ContentKey()
	t := r.templates.get(k)
	if t == nil {
		var err error
		if t, err = r.NewTemplate(s); err != nil {
			return nil, err
		}
		r.templates.put(k, t)
	}
	return t.Stamp(s)
}
