package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"os"
	"sync"
	"testing"

	"kofu/printer/pdl"
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
		{name: "dimensions: IHDR bomb (20000×20000)", declared: two(patchPNG(t, ps.png[0], func(c chunk) *chunk {
			if c.typ == "IHDR" {
				binary.BigEndian.PutUint32(c.data[0:], 20000)
				binary.BigEndian.PutUint32(c.data[4:], 20000)
			}
			return &c
		})), want: "page-dimensions", page: 1},
		{name: "dimensions: a page over the verifier's pixel limit", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			v: func(v *Verifier) { v.PageLimits = pages.Limits{MaxPixels: 1000} }, want: "page-dimensions", page: 1},
		{name: "image: data after IEND", declared: two(append(bytes.Clone(ps.png[0]), 0, 0, 0, 0)), want: "page-image", page: 1},
		{name: "image: not a PNG", declared: two([]byte("GIF89a not a page")), want: "page-image", page: 1},
		{name: "image: empty", declared: two([]byte{}), want: "page-image", page: 1},
		{name: "dimensions: over the verifier's byte limit", declared: func() [][]byte { return [][]byte{ps.png[0], ps.png[1]} },
			v: func(v *Verifier) { v.PageLimits = pages.Limits{MaxBytes: 1000} }, want: "page-dimensions", page: 1},
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
		{name: "qr-position: the only symbol is above the bottom band", declared: two(edited(0, func(g *image.Gray) {
			copyRect(g, ps.img[0], ps.box, margin, image.Pt(ps.box.Min.X-margin, ps.band-ps.box.Dy()-3*margin))
			fillRect(g, ps.box.Inset(-margin), 255)
		})), want: "page-qr-position", page: 1},
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
				if p.N() != i+1 || p.DPI() != 300 || p.TechnicianTest() || !p.Bitmap().Equal(pages.Binarize(ps.img[i])) {
					t.Errorf("verified page %d is not the rendered page thresholded", i+1)
				}
			}
		})
	}
}

// TestVerifierPageNumbers: page refuses undeclared page numbers.
func TestVerifierPageNumbers(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{ps.png[0], ps.png[1]}, 300)))
	for _, n := range []int{-1, 0, 3, 100} {
		_, err := f.v.page(ve, n, ps.png[0])
		r, ok := AsRefusal(err)
		if !ok || r.Code() != "page-missing" || r.Page != n {
			t.Errorf("page %d: %v", n, err)
		}
	}
	p, err := f.v.page(ve, 2, ps.png[1])
	if err != nil {
		t.Fatal(err)
	}
	p.Wipe()
	for _, v := range p.bmp.Bits {
		if v != 0 {
			t.Fatal("Wipe left pixels")
		}
	}
	var nilPage *VerifiedPage
	nilPage.Wipe() // must not panic
}

// TestVerifierPages600 runs the whole check on a 600 dpi page (the whole
// face at full resolution).
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
	if len(got) != 1 || got[0].DPI() != 600 || !got[0].Bitmap().Equal(pages.Binarize(img)) {
		t.Error("the verified 600 dpi bitmap is not the rendered page thresholded")
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
	syms, err := pages.FindSymbols(got[0].Bitmap())
	if err != nil || len(syms) != 1 || syms[0].Text != f.qrFor(1, 2).String() {
		t.Errorf("verified page 1 carries %+v (%v)", syms, err)
	}
}

// symbolPatch renders a page carrying text q and cuts out its symbol with
// its quiet zone (margin px): a genuine-looking symbol to paste elsewhere.
func symbolPatch(tb testing.TB, q string, margin int) *image.Gray {
	tb.Helper()
	g := renderPage(tb, 300, q, 1, 2)
	r := qrBox(tb, g, 300).Inset(-margin)
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], g.Pix[(r.Min.Y+y)*g.Stride+r.Min.X:])
	}
	return out
}

// paste draws patch onto dst with its top-left at at, every pixel mapped
// through ink (the patch's 0 is its dark, 255 its light).
func paste(dst, patch *image.Gray, at image.Point, ink func(v uint8) uint8) {
	for y := 0; y < patch.Rect.Dy(); y++ {
		for x := 0; x < patch.Rect.Dx(); x++ {
			dst.Pix[(at.Y+y)*dst.Stride+at.X+x] = ink(patch.Pix[y*patch.Stride+x])
		}
	}
}

// grays maps black to dark and white to light.
func grays(dark, light uint8) func(uint8) uint8 {
	return func(v uint8) uint8 {
		if v < 128 {
			return dark
		}
		return light
	}
}

// TestVerifierPrintedFace: pages whose gray shows one thing and whose
// printed bitmap another (issue 14), and symbols where the page may not
// carry them. Every check runs on the bitmap the printer receives.
func TestVerifierPrintedFace(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	const margin = 4 * 6 // quiet zone: 4 modules of 6 px at 300 dpi
	own := ps.box.Inset(-margin)
	foreignQR := f.qrFor(1, 2)
	foreignQR.TID = mustRandom(TIDSize) // another live ticket
	foreign := symbolPatch(t, foreignQR.String(), margin)
	genuine := symbolPatch(t, f.qrFor(1, 2).String(), margin)
	mm := func(v float64) int { return int(v*300/25.4 + 0.5) }
	h := ps.img[0].Rect.Dy()
	// moveOwn removes the page's symbol and pastes it with its quiet zone
	// at (x, y).
	moveOwn := func(x, y int) func(g *image.Gray) {
		return func(g *image.Gray) {
			fillRect(g, own, 255)
			paste(g, genuine, image.Pt(x, y), grays(0, 255))
		}
	}
	cases := []struct {
		name string
		edit func(g *image.Gray)
		lim  pages.Limits
		want string
		// printed, when set, is the only symbol text the printer's bitmap
		// of the page carries.
		printed string
	}{
		{name: "control: genuine page", edit: func(*image.Gray) {}, printed: f.qrFor(1, 2).String()},
		{name: "control: a non-KOFU symbol in the body", edit: func(g *image.Gray) {
			paste(g, symbolPatch(t, "https://example.jp/verify", margin), image.Pt(mm(30), mm(150)), grays(0, 255))
		}},
		{name: "own symbol in gray 160, foreign at 120 on a 136 patch", edit: func(g *image.Gray) {
			paste(g, genuine, own.Min, grays(160, 255))
			paste(g, foreign, image.Pt(mm(60), own.Min.Y), grays(120, 136))
		}, want: "page-qr-mismatch", printed: foreignQR.String()},
		{name: "own symbol only in grays 128..180", edit: func(g *image.Gray) {
			i := 0
			paste(g, genuine, own.Min, func(v uint8) uint8 {
				i++
				if v < 128 {
					return uint8(128 + i%53)
				}
				return 255
			})
		}, want: "page-qr-missing"},
		{name: "inverted second KOFU symbol in the band", edit: func(g *image.Gray) {
			paste(g, foreign, image.Pt(mm(60), own.Min.Y), grays(255, 0))
		}, want: "page-qr-multiple"},
		{name: "inverted copy of the own symbol in the band", edit: func(g *image.Gray) {
			paste(g, genuine, image.Pt(mm(60), own.Min.Y), grays(255, 0))
		}, want: "page-qr-multiple"},
		{name: "foreign KOFU symbol in the body", edit: func(g *image.Gray) {
			paste(g, foreign, image.Pt(mm(30), mm(150)), grays(0, 255))
		}, want: "page-qr-multiple"},
		{name: "own symbol straddling the top of the band", edit: moveOwn(own.Min.X, ps.band-own.Dy()/2), want: "page-qr-position"},
		{name: "own symbol ending 2 mm above the sheet edge", edit: moveOwn(own.Min.X, h-mm(2)-own.Dy()+margin), want: "page-qr-position"},
		{name: "own symbol's quiet zone 4 mm from the right edge", edit: moveOwn(ps.img[0].Rect.Dx()-mm(4)-own.Dx(), own.Min.Y), want: "page-qr-position"},
		{name: "genuine page on a printer whose margin is 7 mm", edit: func(*image.Gray) {}, lim: pages.Limits{MarginMM: 7}, want: "page-qr-position"},
		{name: "genuine page on a printer whose margin is 5.5 mm", edit: func(*image.Gray) {}, lim: pages.Limits{MarginMM: 5.5}},
		{name: "a margin below 5 mm is 5 mm", edit: moveOwn(own.Min.X, h-mm(4.5)-own.Dy()), lim: pages.Limits{MarginMM: 1}, want: "page-qr-position"},
		{name: "five symbols of any kind", edit: func(g *image.Gray) {
			for i := range 4 {
				paste(g, symbolPatch(t, fmt.Sprintf("https://example.jp/%d", i), margin), image.Pt(mm(20)+i*mm(45), mm(120)), grays(0, 255))
			}
		}, want: "page-qr-too-many"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := cloneGray(ps.img[0])
			c.edit(g)
			data := encodePage(t, g, 300)
			ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{data, ps.png[1]}, 300)))
			v := *f.v
			v.PageLimits = c.lim
			got, err := v.Pages(ve, [][]byte{data, ps.png[1]})
			if code := refusalCode(err); code != c.want {
				t.Fatalf("code %q, want %q (err: %v)", code, c.want, err)
			}
			if r, ok := AsRefusal(err); ok && r.Page != 1 {
				t.Errorf("refusal names page %d", r.Page)
			}
			if err == nil && len(got) != 2 {
				t.Fatalf("%d verified pages", len(got))
			}
			if c.printed == "" {
				return
			}
			// What the printer would get: the page thresholded, encoded as
			// PCL and decoded back. It carries exactly c.printed.
			var job bytes.Buffer
			pw := pdl.NewPCLWriter(&job)
			if err := pw.WritePage(pages.Binarize(g), 300); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			var paper []*pdl.Page
			if err := pdl.DecodePCL(&job, pdl.Limits{}, func(p *pdl.Page) error { paper = append(paper, p); return nil }); err != nil || len(paper) != 1 {
				t.Fatalf("decoding the job: %d pages, %v", len(paper), err)
			}
			syms, err := pages.FindSymbols(paper[0].Bitmap)
			if err != nil || len(syms) != 1 || syms[0].Text != c.printed {
				t.Fatalf("the printed page carries %+v (%v), want only %q", syms, err, c.printed)
			}
		})
	}
}

// writePWG encodes pages as a PWG Raster job of typ.
func writePWG(pages []*VerifiedPage, typ pdl.PWGType) func(w *bytes.Buffer) error {
	return func(w *bytes.Buffer) error {
		pw := pdl.NewPWGWriter(w, typ, len(pages))
		for _, p := range pages {
			if err := pw.WritePage(p, p.DPI()); err != nil {
				return err
			}
		}
		return pw.Flush()
	}
}

// readPWG decodes a PWG Raster job page by page.
func readPWG(r *bytes.Buffer, out func(*pdl.Page)) error {
	return pdl.DecodePWG(r, pdl.Limits{}, func(_ pdl.PWGHeader, p *pdl.Page) error { out(p); return nil })
}

// TestPrintedJobIsVerifiedBitmap: the printer's job, in every format the
// writers produce, decodes to exactly the verified bitmap (8-bit formats:
// that bitmap expanded to 0/255).
func TestPrintedJobIsVerifiedBitmap(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{ps.png[0], ps.png[1]}, 300)))
	got, err := f.v.Pages(ve, [][]byte{ps.png[0], ps.png[1]})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		write func(w *bytes.Buffer) error
		read  func(r *bytes.Buffer, out func(*pdl.Page)) error
	}{
		{"PCL 5", func(w *bytes.Buffer) error {
			pw := pdl.NewPCLWriter(w)
			for _, p := range got {
				if err := pw.WritePage(p, p.DPI()); err != nil {
					return err
				}
			}
			return pw.Close()
		}, func(r *bytes.Buffer, out func(*pdl.Page)) error {
			return pdl.DecodePCL(r, pdl.Limits{}, func(p *pdl.Page) error { out(p); return nil })
		}},
		{"PWG black_1", writePWG(got, pdl.Black1), readPWG},
		{"PWG sgray_8", writePWG(got, pdl.SGray8), readPWG},
	} {
		t.Run(c.name, func(t *testing.T) {
			var job bytes.Buffer
			if err := c.write(&job); err != nil {
				t.Fatal(err)
			}
			var paper []*pdl.Page
			if err := c.read(&job, func(p *pdl.Page) { paper = append(paper, p) }); err != nil || len(paper) != len(got) {
				t.Fatalf("decoded %d pages: %v", len(paper), err)
			}
			for i, p := range paper {
				want := got[i].Bitmap()
				switch {
				case p.Bitmap != nil && !p.Bitmap.Equal(want):
					n, _ := p.Bitmap.Diff(want)
					t.Errorf("page %d: %d pixels differ from the verified bitmap", i+1, n)
				case p.Gray != nil && !bytes.Equal(p.Gray.Pix, want.Gray().Pix):
					t.Errorf("page %d: the 8-bit page is not the verified bitmap expanded to 0/255", i+1)
				}
			}
		})
	}
}

// TestVerifiedPageSealed: the accessors hand out copies; changing them
// changes nothing that prints.
func TestVerifiedPageSealed(t *testing.T) {
	ps := getPageSet(t)
	f := ps.f
	ve, _ := f.verifiedEnvelope(t, f.envelope(refsFor([][]byte{ps.png[0], ps.png[1]}, 300)))
	got, err := f.v.Pages(ve, [][]byte{ps.png[0], ps.png[1]})
	if err != nil {
		t.Fatal(err)
	}
	p := got[0]
	before := p.Bitmap()
	b := p.Bitmap()
	clear(b.Bits)
	w, _ := p.Size()
	row := p.ReadRow(0, make([]byte, (w+7)/8))
	for i := range row {
		row[i] = 0xff
	}
	if !p.Bitmap().Equal(before) {
		t.Fatal("changing a copy changed the verified page")
	}
	tid := ve.Ticket().TID()
	tid[0] ^= 0xff
	bind := f.sent.Binding()
	bind[0] ^= 0xff
	subj := f.sent.Subject()
	subj[0] ^= 0xff
	comp := f.sent.Compact()
	comp[0] ^= 0xff
	if bytes.Equal(ve.Ticket().TID(), tid) || bytes.Equal(f.sent.Binding(), bind) || bytes.Equal(f.sent.Subject(), subj) || bytes.Equal(f.sent.Compact(), comp) {
		t.Fatal("an accessor handed out its own slice")
	}
	tp, err := TechnicianTestPage(ps.img[0], 300)
	if err != nil || !tp.TechnicianTest() || tp.N() != 1 || !tp.Bitmap().Equal(pages.Binarize(ps.img[0])) {
		t.Fatalf("TechnicianTestPage = %+v, %v", tp, err)
	}
	for _, c := range []struct {
		img *image.Gray
		dpi int
	}{{nil, 300}, {image.NewGray(image.Rectangle{}), 300}, {ps.img[0], 0}} {
		if _, err := TechnicianTestPage(c.img, c.dpi); err == nil {
			t.Errorf("TechnicianTestPage(%v, %d) accepted", c.img != nil, c.dpi)
		}
	}
}
