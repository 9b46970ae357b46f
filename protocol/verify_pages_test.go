package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"image"
	"os"
	"sync"
	"testing"

	"kofu/protocol/pages"
)

var (
	rendererOnce sync.Once
	rendererVal  *pages.Renderer
	rendererErr  error
)

// testRenderer is the center's page renderer with the IPA font, built once.
func testRenderer(tb testing.TB) *pages.Renderer {
	tb.Helper()
	rendererOnce.Do(func() {
		ttf, err := os.ReadFile("../testdata/fonts/ipag.ttf")
		if err != nil {
			rendererErr = err
			return
		}
		rendererVal, rendererErr = pages.NewRenderer(ttf)
	})
	if rendererErr != nil {
		tb.Fatal(rendererErr)
	}
	return rendererVal
}

// qrFor is the symbol text page n of total must carry for the flow.
func (f *flow) qrFor(n, total int) QRText {
	return QRText{TID: f.tk.TID, Binding: f.sent.Binding(), Subject: f.sent.Subject(), N: n, Total: total}
}

func renderPage(tb testing.TB, dpi int, qr string, n, total int) *image.Gray {
	tb.Helper()
	img, err := testRenderer(tb).Render(pages.Spec{
		DPI: dpi, Title: "住民票の写し", Issuer: "神奈川県横浜市長　横浜　太郎", Serial: "YK-2026-000123",
		AsOf: "2026-04-01T09:30:00+09:00",
		Rows: []pages.Row{{Label: "氏名", Value: "交付　花子"}, {Label: "生年月日", Value: "昭和６０年４月１日"},
			{Label: "住所", Value: "神奈川県横浜市中区港町一丁目１番地の１"}},
		Notes: []string{"この写しは、住民票の原本と相違ないことを証明する。"},
		N:     n, Total: total, QRText: qr,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func encodePage(tb testing.TB, img *image.Gray, dpi int) []byte {
	tb.Helper()
	b, err := pages.EncodePNG(img, dpi)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func cloneGray(g *image.Gray) *image.Gray {
	return &image.Gray{Pix: bytes.Clone(g.Pix), Stride: g.Stride, Rect: g.Rect}
}

// qrBox finds the renderer's symbol: the black pixels of the bottom band
// right of the page's centre line (the centred "n / total" stays left of
// it, the notice text is grey).
func qrBox(tb testing.TB, g *image.Gray, dpi int) image.Rectangle {
	tb.Helper()
	w, h := g.Rect.Dx(), g.Rect.Dy()
	top := h - pages.BandHeight(dpi)
	box := image.Rectangle{}
	for y := top; y < h; y++ {
		for x := w * 3 / 5; x < w; x++ {
			if g.Pix[y*g.Stride+x] == 0 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if box.Empty() {
		tb.Fatal("no symbol found in the band")
	}
	return box
}

func fillRect(g *image.Gray, r image.Rectangle, v uint8) {
	r = r.Intersect(g.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g.Pix[y*g.Stride+x] = v
		}
	}
}

// copyRect copies src's r (grown by margin, which must be quiet zone) to
// dst with its top-left at at.
func copyRect(dst, src *image.Gray, r image.Rectangle, margin int, at image.Point) {
	r = r.Inset(-margin)
	for y := 0; y < r.Dy(); y++ {
		so := (r.Min.Y+y)*src.Stride + r.Min.X
		do := (at.Y+y)*dst.Stride + at.X
		copy(dst.Pix[do:do+r.Dx()], src.Pix[so:so+r.Dx()])
	}
}

// chunk is one PNG chunk, for surgery on encoded pages.
type chunk struct {
	typ  string
	data []byte
}

func pngChunks(tb testing.TB, b []byte) []chunk {
	tb.Helper()
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(b, []byte(sig)) {
		tb.Fatal("not a PNG")
	}
	var out []chunk
	for off := len(sig); off < len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		out = append(out, chunk{string(b[off+4 : off+8]), bytes.Clone(b[off+8 : off+8+n])})
		off += 12 + n
	}
	return out
}

func buildPNG(cs []chunk) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	for _, c := range cs {
		out = binary.BigEndian.AppendUint32(out, uint32(len(c.data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(c.typ))
		crc.Write(c.data)
		out = append(out, c.typ...)
		out = append(out, c.data...)
		out = binary.BigEndian.AppendUint32(out, crc.Sum32())
	}
	return out
}

// patchPNG rewrites chunks with edit (return nil to drop one).
func patchPNG(tb testing.TB, b []byte, edit func(c chunk) *chunk) []byte {
	tb.Helper()
	var out []chunk
	for _, c := range pngChunks(tb, b) {
		if e := edit(c); e != nil {
			out = append(out, *e)
		}
	}
	return buildPNG(out)
}

func physFor(dpi int) []byte {
	ppm := uint32((int64(dpi)*10000 + 127) / 254)
	b := binary.BigEndian.AppendUint32(nil, ppm)
	b = binary.BigEndian.AppendUint32(b, ppm)
	return append(b, 1)
}

// pageSet is a correct two-page document for a flow, at 300 dpi.
type pageSet struct {
	f    *flow
	img  [2]*image.Gray
	png  [2][]byte
	box  image.Rectangle // the symbol of page 1
	band int             // top of the bottom band
}

var (
	pageSetOnce sync.Once
	pageSetVal  *pageSet
)

// getPageSet renders the shared two-page document once per test binary.
func getPageSet(t *testing.T) *pageSet {
	t.Helper()
	pageSetOnce.Do(func() {
		f := newFlow(t)
		ps := &pageSet{f: f}
		for i := range 2 {
			ps.img[i] = renderPage(t, 300, f.qrFor(i+1, 2).String(), i+1, 2)
			ps.png[i] = encodePage(t, ps.img[i], 300)
		}
		ps.box = qrBox(t, ps.img[0], 300)
		ps.band = ps.img[0].Rect.Dy() - pages.BandHeight(300)
		pageSetVal = ps
	})
	if pageSetVal == nil {
		t.Fatal("page set could not be built")
	}
	return pageSetVal
}

// refsFor declares data as A4 pages at dpi, hashing the declared bytes.
func refsFor(declared [][]byte, dpi int) []PageRef {
	w, h, _ := pages.PageSize(dpi)
	refs := make([]PageRef, len(declared))
	for i, d := range declared {
		s := sha256.Sum256(d)
		refs[i] = PageRef{N: i + 1, SHA256: s[:], W: w, H: h, DPI: dpi}
	}
	return refs
}

func TestVerifierPages(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	margin := 4 * 6 // quiet zone of 4 modules of 6 px at 300 dpi
	edited := func(i int, edit func(g *image.Gray)) []byte {
		g := cloneGray(ps.img[i])
		edit(g)
		return encodePage(t, g, 300)
	}
	// rendered renders page 1 of 2 of this flow with another symbol text.
	rendered := func(q string) []byte { return encodePage(t, renderPage(t, 300, q, 1, 2), 300) }
	qrWith := func(mut func(q *QRText)) string {
		q := f.qrFor(1, 2)
		mut(&q)
		return q.String()
	}
	type pageCase struct {
		name     string
		declared func() [][]byte // what the envelope hashes
		supplied func() [][]byte // what the kiosk fetched (default: declared)
		v        func(v *Verifier)
		want     string
		page     int
	}
	two := func(p1 []byte) func() [][]byte { return func() [][]byte { return [][]byte{p1, ps.png[1]} } }
	cases := []pageCase{
		{name: "control: both pages correct", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} }},
		{name: "hash: a byte changed after signing", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			supplied: func() [][]byte {
				p := bytes.Clone(ps.png[1])
				p[len(p)/2] ^= 0x10
				return [][]byte{ps.png[0], p}
			}, want: "page-hash", page: 2},
		{name: "hash: pages supplied in the wrong order", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			supplied: func() [][]byte { return [][]byte{ps.png[1], ps.png[0]} }, want: "page-hash", page: 1},
		{name: "image: truncated PNG whose hash is declared", declared: two(ps.png[0][:len(ps.png[0])/2]), want: "page-image", page: 1},
		{name: "image: broken CRC", declared: two(func() []byte {
			p := bytes.Clone(ps.png[0])
			p[8+8+13] ^= 0xff // IHDR's CRC
			return p
		}()), want: "page-image", page: 1},
		{name: "image: colour type 2 (RGB)", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "IHDR" {
				c.data[9] = 2
			}
			return &c
		})), want: "page-image", page: 1},
		{name: "image: IHDR bomb (20000×20000)", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "IHDR" {
				binary.BigEndian.PutUint32(c.data[0:], 20000)
				binary.BigEndian.PutUint32(c.data[4:], 20000)
			}
			return &c
		})), want: "page-image", page: 1},
		{name: "image: data after IEND", declared: two(append(bytes.Clone(ps.png[0]), 0, 0, 0, 0)), want: "page-image", page: 1},
		{name: "image: not a PNG", declared: two([]byte("GIF89a not a page")), want: "page-image", page: 1},
		{name: "image: empty", declared: two([]byte{}), want: "page-image", page: 1},
		{name: "image: over the verifier's byte limit", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			v: func(v *Verifier) { v.PageLimits = pages.Limits{MaxBytes: 1000} }, want: "page-image", page: 1},
		{name: "dimensions: 2480×3500 declared as A4", declared: two(func() []byte {
			g := ps.img[0].SubImage(image.Rect(0, 0, 2480, 3500)).(*image.Gray)
			c := &image.Gray{Pix: make([]uint8, 2480*3500), Stride: 2480, Rect: image.Rect(0, 0, 2480, 3500)}
			for y := range 3500 {
				copy(c.Pix[y*2480:(y+1)*2480], g.Pix[y*g.Stride:y*g.Stride+2480])
			}
			return encodePage(t, c, 300)
		}()), want: "page-dimensions", page: 1},
		{name: "dimensions: IHDR patched to 2481 wide", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "IHDR" {
				binary.BigEndian.PutUint32(c.data[0:], 2481)
			}
			return &c
		})), want: "page-dimensions", page: 1},
		{name: "dpi: pHYs says 600 for a 300 dpi page", declared: two(encodePage(t, ps.img[0], 600)), want: "page-dpi", page: 1},
		{name: "dpi: pHYs missing", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "pHYs" {
				return nil
			}
			return &c
		})), want: "page-dpi", page: 1},
		{name: "dpi: pHYs in inches", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "pHYs" {
				c.data = physFor(300)
				c.data[8] = 0
			}
			return &c
		})), want: "page-dpi", page: 1},
		{name: "qr-missing: the page has no symbol", declared: two(edited(0, func(g *image.Gray) {
			fillRect(g, ps.box.Inset(-margin), 255)
		})), want: "page-qr-missing", page: 1},
		{name: "qr-missing: the only symbol is not a KOFU symbol", declared: two(rendered("https://example.jp/kofu")),
			want: "page-qr-missing", page: 1},
		{name: "qr-missing: KOFU2 prefix", declared: two(rendered("KOFU2" + f.qrFor(1, 2).String()[5:])),
			want: "page-qr-missing", page: 1},
		{name: "qr-missing: the symbol is above the bottom band", declared: two(edited(0, func(g *image.Gray) {
			copyRect(g, ps.img[0], ps.box, margin, image.Pt(ps.box.Min.X-margin, ps.band-ps.box.Dy()-3*margin))
			fillRect(g, ps.box.Inset(-margin), 255)
		})), want: "page-qr-missing", page: 1},
		{name: "qr-multiple: the page's own symbol twice in the band", declared: two(edited(0, func(g *image.Gray) {
			at := image.Pt(300, ps.box.Min.Y-margin)
			fillRect(g, image.Rectangle{at, at.Add(ps.box.Inset(-margin).Size())}, 255)
			copyRect(g, ps.img[0], ps.box, margin, at)
		})), want: "page-qr-multiple", page: 1},
		{name: "qr-multiple: this page's and the next page's symbols", declared: two(edited(0, func(g *image.Gray) {
			at := image.Pt(300, ps.box.Min.Y-margin)
			box2 := qrBox(t, ps.img[1], 300)
			fillRect(g, image.Rectangle{at, at.Add(box2.Inset(-margin).Size())}, 255)
			copyRect(g, ps.img[1], box2, margin, at)
		})), want: "page-qr-multiple", page: 1},
		{name: "qr-mismatch: another binding", declared: two(rendered(qrWith(func(q *QRText) {
			b := sha256.Sum256([]byte("another request"))
			q.Binding = b[:]
		}))), want: "page-qr-mismatch", page: 1},
		{name: "qr-mismatch: another tid", declared: two(rendered(qrWith(func(q *QRText) { q.TID = mustRandom(TIDSize) }))),
			want: "page-qr-mismatch", page: 1},
		{name: "qr-mismatch: another resident's subject", declared: two(rendered(qrWith(func(q *QRText) {
			q.Subject = Subject(f.sent.Binding(), f.p.card2.der())
		}))), want: "page-qr-mismatch", page: 1},
		{name: "qr-mismatch: another page number (page 2 served as page 1)",
			declared: func() [][]byte { return [][]byte{ps.png[1], ps.png[1]} }, want: "page-qr-mismatch", page: 1},
		{name: "qr-mismatch: another total", declared: two(rendered(qrWith(func(q *QRText) { q.Total = 3 }))),
			want: "page-qr-mismatch", page: 1},
		{name: "qr-mismatch: KOFU1 prefix with garbage", declared: two(rendered("KOFU1|not|a|valid|symbol")),
			want: "page-qr-mismatch", page: 1},
		{name: "missing: one page of two supplied", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			supplied: func() [][]byte { return [][]byte{ps.png[0]} }, want: "page-missing"},
		{name: "missing: three pages supplied for two", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			supplied: func() [][]byte { return [][]byte{ps.png[0], ps.png[1], ps.png[1]} }, want: "page-missing"},
		{name: "missing: nothing supplied", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			supplied: func() [][]byte { return nil }, want: "page-missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			declared := c.declared()
			supplied := declared
			if c.supplied != nil {
				supplied = c.supplied()
			}
			ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor(declared, 300)))
			v := *f.v
			if c.v != nil {
				c.v(&v)
			}
			got, err := v.Pages(ve, supplied)
			if code := refusalCode(err); code != c.want {
				t.Fatalf("code %q, want %q (err: %v)", code, c.want, err)
			}
			if err != nil {
				if got != nil {
					t.Error("refused pages returned with rasters")
				}
				r, _ := AsRefusal(err)
				if r.Page != c.page {
					t.Errorf("refusal names page %d, want %d", r.Page, c.page)
				}
				return
			}
			if len(got) != 2 {
				t.Fatalf("%d verified pages", len(got))
			}
			for i, p := range got {
				if p.N != i+1 || p.DPI != 300 || !bytes.Equal(p.Image.Pix, ps.img[i].Pix) || p.Image.Rect != ps.img[i].Rect {
					t.Errorf("verified page %d is not the rendered raster", i+1)
				}
			}
		})
	}
}

// TestVerifierPageNumbers: Page refuses undeclared page numbers.
func TestVerifierPageNumbers(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{ps.png[0], ps.png[1]}, 300)))
	for _, n := range []int{-1, 0, 3, 100} {
		_, err := f.v.Page(ve, n, ps.png[0])
		r, ok := AsRefusal(err)
		if !ok || r.Code() != "page-missing" || r.Page != n {
			t.Errorf("page %d: %v", n, err)
		}
	}
	p, err := f.v.Page(ve, 2, ps.png[1])
	if err != nil {
		t.Fatal(err)
	}
	p.Wipe()
	for _, v := range p.Image.Pix {
		if v != 0 {
			t.Fatal("Wipe left pixels")
		}
	}
	var nilPage *VerifiedPage
	nilPage.Wipe() // must not panic
}

// TestVerifierPages600 runs the whole check on a 600 dpi page (the band
// is downscaled before the QR search).
func TestVerifierPages600(t *testing.T) {
	if testing.Short() {
		t.Skip("600 dpi rendering is slow")
	}
	f := newFlow(t)
	img := renderPage(t, 600, f.qrFor(1, 1).String(), 1, 1)
	png := encodePage(t, img, 600)
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{png}, 600)))
	got, err := f.v.Pages(ve, [][]byte{png})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].DPI != 600 || !bytes.Equal(got[0].Image.Pix, img.Pix) {
		t.Error("the verified 600 dpi raster is not the rendered one")
	}
	// The same page declared at 300 dpi geometry: dimensions.
	ve3, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{png}, 300)))
	if _, err := f.v.Pages(ve3, [][]byte{png}); refusalCode(err) != "page-dimensions" {
		t.Errorf("600 dpi page declared at 300 dpi: %v", err)
	}
}

// TestFlowEndToEnd is the happy path: request → ticket → envelope → pages,
// every value cross-checked against the formulas.
func TestFlowEndToEnd(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{ps.png[0], ps.png[1]}, 300)))
	got, err := f.v.Pages(ve, [][]byte{ps.png[0], ps.png[1]})
	if err != nil {
		t.Fatal(err)
	}
	e := ve.Envelope()
	if !bytes.Equal(e.Binding, scratchBinding(f.compact)) || !bytes.Equal(e.Subject, scratchSubject(e.Binding, f.p.card.der())) {
		t.Error("verified envelope's binding/subject differ from the formulas")
	}
	if !bytes.Equal(ve.Ticket().TID(), f.tk.TID) || ve.Ticket().Ticket().Fee != 300 {
		t.Error("verified ticket values differ")
	}
	texts, err := pages.FindQR(got[0].Image, 300)
	if err != nil || len(texts) != 1 || texts[0] != f.qrFor(1, 2).String() {
		t.Errorf("verified page 1 carries %q (%v)", texts, err)
	}
}
