// Package testpage renders the sample certificate page the printer
// package's tests and benchmarks encode, with the renderer and IPA font
// kofu's center uses, once per test binary.
package testpage

import (
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"kofu/protocol"
	"kofu/protocol/pages"
)

// QRText is a realistic page text (DESIGN §3.2).
const QRText = "KOFU1|q3Zx9-Hb2mLk_Pq0RsT7wA|mZ0Jc8hY2xW_4kLpNq7rT1sVb3nD9fG6hJ-aE5uIo0c|Xb7-Kp2Lm9Nq4Rs6Tu8Vw1Yz3Ac5Ef7Gh9Ij_Kl0Mn2o|1/1"

// Spec is the sample certificate page at dpi.
func Spec(dpi int) pages.Spec {
	return pages.Spec{
		DPI:    dpi,
		Title:  "住民票の写し",
		Issuer: "神奈川県横浜市長　横浜　太郎",
		Serial: "YK-2024-00012345",
		AsOf:   "2024-05-01T09:30:00+09:00",
		Rows: []pages.Row{
			{Label: "氏名", Value: "交付　花子"},
			{Label: "生年月日", Value: "昭和６０年４月１日"},
			{Label: "性別", Value: "女"},
			{Label: "続柄", Value: "世帯主"},
			{Label: "住所", Value: "神奈川県横浜市中区港町一丁目１番地の１　コンビニ交付マンション１０１号室"},
			{Label: "住民となった日", Value: "平成２０年４月１日"},
			{Label: "本籍", Value: "東京都千代田区千代田一丁目１番"},
		},
		Notes: []string{"この写しは、住民票の原本と相違ないことを証明する。", "令和６年５月１日"},
		N:     1, Total: 1,
		QRText: QRText,
	}
}

// Renderer renders the sample page once per resolution. A test package
// keeps one in a test-only package variable.
type Renderer struct {
	once sync.Once
	r    *pages.Renderer
	err  error
	mu   sync.Mutex
	imgs map[int]*image.Gray
}

// New returns a renderer with an empty cache.
func New() *Renderer { return &Renderer{imgs: map[int]*image.Gray{}} }

// Page returns the sample page at dpi (300 or 600), rendered once. The
// image is shared: callers must not modify it.
func (r *Renderer) Page(tb testing.TB, dpi int) *image.Gray {
	tb.Helper()
	r.once.Do(func() {
		ttf, err := os.ReadFile(FontPath())
		if err != nil {
			r.err = err
			return
		}
		r.r, r.err = pages.NewRenderer(ttf)
	})
	if r.err != nil {
		tb.Fatal(r.err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if img, ok := r.imgs[dpi]; ok {
		return img
	}
	img, err := r.r.Render(Spec(dpi))
	if err != nil {
		tb.Fatal(err)
	}
	r.imgs[dpi] = img
	return img
}

// FontPath is testdata/fonts/ipag.ttf in the module.
func FontPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "fonts", "ipag.ttf")
}

// Pages returns n printable pages of img at dpi. The printer's tests
// cannot verify a resident's document (only the verifier makes those),
// so they are technician test pages: the printer treats every
// VerifiedPage alike.
func Pages(tb testing.TB, img *image.Gray, dpi, n int) []*protocol.VerifiedPage {
	tb.Helper()
	out := make([]*protocol.VerifiedPage, n)
	for i := range out {
		p, err := protocol.TechnicianTestPage(img, dpi)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = p
	}
	return out
}
