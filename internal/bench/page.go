package bench

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"image"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// samplePage is a genuine certificate page as the center issues it (the
// test resident R0001's 住民票の写し with a QR symbol of random ids), the
// same page for kofu and the peers.
type samplePage struct {
	dpi  int
	img  *image.Gray
	bmp  *pages.Bitmap // img as the printer receives it (pages.Binarize)
	png  []byte
	qr   string
	sum  [32]byte // as the envelope declares it
	w, h int
}

func newSamplePage(fx *fixtures.Set, r *pages.Renderer, dpi int) (*samplePage, error) {
	res, ok := fx.Resident("R0001")
	if !ok {
		return nil, fmt.Errorf("no resident R0001 in the fixtures")
	}
	ids := make([]byte, 16+32+32)
	if _, err := rand.Read(ids); err != nil {
		return nil, err
	}
	q := protocol.QRText{TID: ids[:16], Binding: ids[16:48], Subject: ids[48:], N: 1, Total: 1}
	s := pages.Spec{DPI: dpi, Title: "住民票の写し", Issuer: "神奈川県横浜市長", Serial: "141003-0123456789",
		AsOf: "2026年11月23日 09:00",
		Rows: []pages.Row{{Label: "住所", Value: res.Address}, {Label: "氏名", Value: res.Name + "（" + res.Kana + "）"},
			{Label: "生年月日", Value: res.Birth + "　" + res.Sex}},
		Notes: []string{"この写しは、住民票の原本と相違ないことを証明する。"},
		N:     1, Total: 1, QRText: q.String()}
	img, err := r.Render(s)
	if err != nil {
		return nil, err
	}
	data, err := pages.EncodePNG(img, dpi)
	if err != nil {
		return nil, err
	}
	w, h, _ := pages.PageSize(dpi)
	return &samplePage{dpi: dpi, img: img, bmp: pages.Binarize(img), png: data, qr: s.QRText, sum: sha256.Sum256(data), w: w, h: h}, nil
}

// newRenderer builds a page renderer with the fixtures' IPA font.
func newRenderer(fx *fixtures.Set) (*pages.Renderer, error) {
	ttf, err := fx.FontTTF()
	if err != nil {
		return nil, err
	}
	return pages.NewRenderer(ttf)
}
