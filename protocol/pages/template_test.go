package pages

import (
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/adler32"
	"image"
	"image/png"
	"io"
	"os"
	"slices"
	"testing"
)

// TestTemplateMatchesRender: a stamped page is a PNG that the kiosk's
// Decode accepts, that image/png and compress/zlib (independent of the
// segment splicing) read, whose pixels are exactly Render's for the same
// Spec, and whose QR symbol FindQR reads back; one template serves issues
// with different serials, as-of times, page numbers and QR texts.
func TestTemplateMatchesRender(t *testing.T) {
	r := renderer(t)
	for _, dpi := range []int{300, 600} {
		base := sampleSpec(dpi)
		tpl, err := r.NewTemplate(base)
		if err != nil {
			t.Fatalf("%d dpi: NewTemplate: %v", dpi, err)
		}
		for i, issue := range []struct {
			serial, asof, qr string
			n, total         int
		}{
			{"YK-2024-00012345", "2024-05-01T09:30:00+09:00", qrText, 2, 3},
			{"141003-0000000001", "2026年11月23日 16:04", "KOFU1|AAAAAAAAAAAAAAAAAAAAAA|" + "_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_|" + "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz|1/1", 1, 1},
			{"", "", "KOFU1|x|y|z|12/999", 12, 999},
		} {
			if dpi == 600 && i > 0 {
				break // one 600 dpi issue keeps the test short
			}
			s := base
			s.Serial, s.AsOf, s.QRText, s.N, s.Total = issue.serial, issue.asof, issue.qr, issue.n, issue.total
			want, err := r.Render(s)
			if err != nil {
				t.Fatal(err)
			}
			data, err := tpl.Stamp(s)
			if err != nil {
				t.Fatalf("%d dpi issue %d: Stamp: %v", dpi, i, err)
			}
			w, h, _ := PageSize(dpi)
			got, err := Decode(data, w, h, dpi, DefaultLimits())
			if err != nil {
				t.Fatalf("%d dpi issue %d: Decode: %v", dpi, i, err)
			}
			if !slices.Equal(got.Pix, want.Pix) {
				t.Fatalf("%d dpi issue %d: stamped pixels differ from Render's", dpi, i)
			}
			texts, err := FindQR(got, dpi)
			if err != nil || len(texts) != 1 || texts[0] != issue.qr {
				t.Fatalf("%d dpi issue %d: FindQR = %q, %v", dpi, i, texts, err)
			}
			// image/png straight (no chunk walk) and the zlib stream on its
			// own, Adler-32 included.
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("image/png: %v", err)
			}
			zr, err := zlib.NewReader(bytes.NewReader(idatOf(t, data)))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil || len(raw) != h*(w+1) {
				t.Fatalf("zlib: %d bytes, %v", len(raw), err)
			}
		}
	}
}

// idatOf concatenates a PNG's IDAT payloads.
func idatOf(t *testing.T, data []byte) []byte {
	t.Helper()
	cs, ok := splitChunks(data)
	if !ok {
		t.Fatal("broken chunks")
	}
	var z []byte
	for _, c := range cs {
		if c.typ == "IDAT" {
			z = append(z, c.data...)
		}
	}
	return z
}

func TestTemplateRefuses(t *testing.T) {
	r := renderer(t)
	tpl, err := r.NewTemplate(sampleSpec(300))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(*Spec)
	}{
		{"other rows", func(s *Spec) { s.Rows = s.Rows[1:] }},
		{"other title", func(s *Spec) { s.Title = "印鑑登録証明書" }},
		{"other notes", func(s *Spec) { s.Notes = nil }},
		{"other dpi", func(s *Spec) { s.DPI = 600 }},
		{"empty QR text", func(s *Spec) { s.QRText = "" }},
		{"page past total", func(s *Spec) { s.N = 4 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := sampleSpec(300)
			c.edit(&s)
			data, err := tpl.Stamp(s)
			var pe *Error
			if !errors.As(err, &pe) || pe.Kind != KindRender || data != nil {
				t.Fatalf("Stamp = %d bytes, %v; want a KindRender error", len(data), err)
			}
		})
	}
	s := sampleSpec(300)
	s.Rows = make([]Row, 40)
	for i := range s.Rows {
		s.Rows[i] = Row{"住所", "神奈川県横浜市中区港町一丁目１番地の１神奈川県横浜市中区港町一丁目１番地の１"}
	}
	if _, err := r.NewTemplate(s); err == nil {
		t.Fatal("NewTemplate accepted content that overflows into the band")
	}
}

func TestContentKey(t *testing.T) {
	a, b := sampleSpec(300), sampleSpec(300)
	b.Serial, b.AsOf, b.QRText, b.N = "other", "other", "other", 1
	if a.ContentKey() != b.ContentKey() {
		t.Error("per-issue fields changed the content key")
	}
	for name, edit := range map[string]func(*Spec){
		"dpi":    func(s *Spec) { s.DPI = 600 },
		"title":  func(s *Spec) { s.Title += "x" },
		"issuer": func(s *Spec) { s.Issuer += "x" },
		"row":    func(s *Spec) { s.Rows = append(slices.Clone(s.Rows[:1]), Row{s.Rows[1].Label + s.Rows[1].Value, ""}) },
		"notes":  func(s *Spec) { s.Notes = []string{s.Notes[0] + s.Notes[1]} },
	} {
		c := sampleSpec(300)
		edit(&c)
		if c.ContentKey() == a.ContentKey() {
			t.Errorf("%s: content key unchanged", name)
		}
	}
}

func TestAdler32Combine(t *testing.T) {
	for _, n := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {5, 7}, {65520, 65522}, {1 << 20, 3 << 20}} {
		a, b := make([]byte, n[0]), make([]byte, n[1])
		rand.Read(a)
		rand.Read(b)
		want := adler32.Checksum(append(slices.Clone(a), b...))
		if got := adler32Combine(adler32.Checksum(a), adler32.Checksum(b), len(b)); got != want {
			t.Errorf("%v: %08x, want %08x", n, got, want)
		}
	}
	all := bytes.Repeat([]byte{0xff}, 3<<20)
	if got, want := adler32Combine(adler32.Checksum(all[:1<<20]), adler32.Checksum(all[1<<20:]), 2<<20), adler32.Checksum(all); got != want {
		t.Errorf("0xff run: %08x, want %08x", got, want)
	}
}

// BenchmarkStamp is the center's per-page cost with a template, beside
// Render + EncodePNG for the same page.
func BenchmarkStamp(b *testing.B) {
	for _, dpi := range []int{300, 600} {
		r, s := renderer(b), sampleSpec(dpi)
		b.Run(fmt.Sprint(dpi, "/stamp"), func(b *testing.B) {
			tpl, err := r.NewTemplate(s)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tpl.Stamp(s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprint(dpi, "/render+encode"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				img, err := r.Render(s)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := EncodePNG(img, dpi); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestEncodePage: EncodePage gives Render's pixels, reuses the template
// of a content it saw (a second issue does not grow the cache), and keeps
// at most maxTemplates of them.
func TestEncodePage(t *testing.T) {
	ttf, err := os.ReadFile("../../testdata/fonts/ipag.ttf")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(ttf) // its own template cache
	if err != nil {
		t.Fatal(err)
	}
	w, h, _ := PageSize(300)
	for i := range maxTemplates + 3 {
		s := sampleSpec(300)
		s.Rows = append(slices.Clone(s.Rows), Row{"番号", fmt.Sprint(i)})
		for _, serial := range []string{"A-1", "B-22"} {
			s.Serial = serial
			data, err := r.EncodePage(s)
			if err != nil {
				t.Fatal(err)
			}
			if i%16 != 0 {
				continue // decoding every page would make the test slow
			}
			got, err := Decode(data, w, h, 300, DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.Render(s)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Pix, want.Pix) {
				t.Fatalf("content %d serial %s: EncodePage pixels differ from Render's", i, serial)
			}
		}
		if n := len(r.templates.m); n != min(i+1, maxTemplates) {
			t.Fatalf("after %d contents the cache holds %d templates", i+1, n)
		}
	}
	if _, err := r.EncodePage(Spec{DPI: 300}); err == nil {
		t.Fatal("EncodePage accepted an empty spec")
	}
}

// TestEncodePageConcurrent: the center stamps pages from many handlers at
// once; every page must still be its own (run under -race as well).
func TestEncodePageConcurrent(t *testing.T) {
	r := renderer(t)
	w, h, _ := PageSize(300)
	const workers = 4
	errs := make(chan error, workers)
	for i := range workers {
		go func() {
			s := sampleSpec(300)
			s.Rows = append(slices.Clone(s.Rows), Row{"番号", fmt.Sprint(i % 2)}) // two contents, shared
			for j := range 3 {
				s.Serial = fmt.Sprintf("S-%d-%d", i, j)
				s.QRText = fmt.Sprintf("KOFU1|%d|%d|x|1/1", i, j)
				data, err := r.EncodePage(s)
				if err == nil {
					var img *image.Gray
					if img, err = Decode(data, w, h, 300, DefaultLimits()); err == nil {
						var texts []string
						texts, err = FindQR(img, 300)
						if err == nil && (len(texts) != 1 || texts[0] != s.QRText) {
							err = fmt.Errorf("worker %d page %d: QR %q", i, j, texts)
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
