package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"kofu/protocol/pages"
)

// newDuplexFlow is the flow of a request for a two-sided 住民票.
func newDuplexFlow(tb testing.TB) *flow {
	tb.Helper()
	p := getPKI(tb)
	doc, err := NewDocSpec(DocJuminhyo)
	if err != nil {
		tb.Fatal(err)
	}
	doc.Sides = SidesTwoSided
	return newFlowSpec(tb, p, doc)
}

// faceRefs declares the faces of layout ("1f 1b 2f …", or "-" for a page
// without face fields) as A4 pages at 300 dpi.
func faceRefs(layout string) []PageRef {
	fs := strings.Fields(layout)
	refs := a4Refs(len(fs))
	for i, f := range fs {
		if f == "-" {
			continue
		}
		var s int
		var c byte
		fmt.Sscanf(f, "%d%c", &s, &c)
		refs[i].Sheet, refs[i].Face = SheetNo(s), FaceFront
		if c == 'b' {
			refs[i].Face = FaceBack
		}
	}
	return refs
}

func TestSidesAndFacesOnTheWire(t *testing.T) {
	doc, _ := NewDocSpec(DocInkan)
	b, _ := json.Marshal(doc)
	if strings.Contains(string(b), "sides") {
		t.Errorf("a one-sided doc carries sides: %s", b)
	}
	doc.Sides = SidesTwoSided
	b, _ = json.Marshal(doc)
	if !strings.Contains(string(b), `"sides":"two-sided"`) {
		t.Errorf("two-sided doc: %s", b)
	}
	var back DocSpec
	if err := decodeStrict(b, &back); err != nil || !back.Equal(doc) || back.Validate() != nil {
		t.Errorf("two-sided doc round trip: %+v, %v", back, err)
	}
	one, _ := NewDocSpec(DocInkan)
	if one.Equal(doc) || doc.Equal(one) {
		t.Error("one-sided and two-sided specs compare equal")
	}
	for _, bad := range []string{
		`{"type":"inkan","opts":{},"copies":1,"sides":"one-sided"}`,
		`{"type":"inkan","opts":{},"copies":1,"sides":""}`,
		`{"type":"inkan","opts":{},"copies":1,"sides":"Two-Sided"}`,
		`{"type":"inkan","opts":{},"copies":1,"sides":2}`,
	} {
		var d DocSpec
		if err := decodeStrict([]byte(bad), &d); err == nil {
			t.Errorf("%s accepted as %+v", bad, d)
		}
	}
	ref := `{"n":1,"sha256":"` + B64(make([]byte, 32)) + `","w":2480,"h":3508,"dpi":300`
	for _, good := range []string{ref + `}`, ref + `,"sheet":1,"face":"front"}`, ref + `,"sheet":12,"face":"back"}`} {
		var p PageRef
		if err := decodeStrict([]byte(good), &p); err != nil {
			t.Errorf("%s refused: %v", good, err)
		} else if out, _ := json.Marshal(p); string(out) != good {
			t.Errorf("%s re-encodes as %s", good, out)
		}
	}
	for _, bad := range []string{`,"sheet":0}`, `,"sheet":13}`, `,"sheet":"1"}`, `,"sheet":1.0}`, `,"sheet":01}`, `,"sheet":-1}`,
		`,"face":""}`, `,"face":"Front"}`, `,"face":"recto"}`, `,"face":1}`} {
		var p PageRef
		if err := decodeStrict([]byte(ref+bad), &p); err == nil {
			t.Errorf("%s accepted as %+v", bad, p)
		}
	}
}

func TestQRTextFaces(t *testing.T) {
	q := QRText{TID: mustRandom(TIDSize), Binding: mustRandom(DigestSize), Subject: mustRandom(DigestSize),
		N: 4, Total: 6, Sheet: 2, Sheets: 3, Face: FaceBack}
	s := q.String()
	if !strings.HasSuffix(s, "|4/6|2/3B") {
		t.Fatalf("text %q", s)
	}
	back, err := ParseQRText(s)
	if err != nil || !back.Equal(q) || back.String() != s {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	plain := q
	plain.Sheet, plain.Sheets, plain.Face = 0, 0, ""
	plain.Total = 6
	if plain.Equal(q) || q.Equal(plain) {
		t.Error("a symbol without the face equals one with it")
	}
	front := q
	front.Face = FaceFront
	if front.Equal(q) {
		t.Error("front and back symbols compare equal")
	}
	// 24 faces on 12 sheets is the most a symbol names.
	q.N, q.Total, q.Sheet, q.Sheets = 24, 24, 12, 12
	if _, err := ParseQRText(q.String()); err != nil {
		t.Errorf("24 faces on 12 sheets: %v", err)
	}
}

// TestEnvelopeFaceRules: the structure rules of the faces, on signed
// envelopes, for a two-sided and a one-sided request.
func TestEnvelopeFaceRules(t *testing.T) {
	duplex, simplex := newDuplexFlow(t), newFlow(t)
	twelve := func(face bool) string {
		var b strings.Builder
		for s := 1; s <= 12; s++ {
			fmt.Fprintf(&b, "%df ", s)
			if face {
				fmt.Fprintf(&b, "%db ", s)
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		name   string
		f      *flow
		layout string
		want   string // "" accepted
	}{
		{"two-sided, 2 sheets", duplex, "1f 1b 2f 2b", ""},
		{"two-sided, 12 sheets (24 faces)", duplex, twelve(true), ""},
		{"two-sided, 13 sheets", duplex, twelve(true) + "13f 13b", "envelope-fields"}, // sheet 13 is no SheetNo
		{"two-sided, last back missing", duplex, "1f 1b 2f", "envelope-back-missing"},
		{"two-sided, middle back missing", duplex, "1f 2f 2b", "envelope-back-missing"},
		{"two-sided, no face fields", duplex, "- -", "envelope-back-missing"},
		{"two-sided, back before front", duplex, "1b 1f", "envelope-faces"},
		{"two-sided, sheet 2 back before front", duplex, "1f 1b 2b 2f", "envelope-faces"},
		{"two-sided, two fronts", duplex, "1f 1f 1b", "envelope-faces"},
		{"two-sided, two backs", duplex, "1f 1b 1b", "envelope-faces"},
		{"two-sided, gap", duplex, "1f 1b 3f 3b", "envelope-faces"},
		{"two-sided, starts at sheet 2", duplex, "2f 2b", "envelope-faces"},
		{"two-sided, sheets out of order", duplex, "2f 2b 1f 1b", "envelope-faces"},
		{"two-sided, a page without face fields", duplex, "1f 1b 2f -", "envelope-fields"},
		{"one-sided, no face fields", simplex, "- - -", ""},
		{"one-sided, fronts declared", simplex, "1f 2f 3f", ""},
		{"one-sided, 12 sheets", simplex, twelve(false), ""},
		{"one-sided, 13 pages", simplex, twelve(false) + " -", "envelope-fields"},
		{"one-sided, 13 pages without face fields", simplex, strings.Repeat("- ", 13), "envelope-count"},
		{"one-sided, a back", simplex, "1f 1b 2f", "envelope-sides"},
		{"one-sided, gap", simplex, "1f 3f", "envelope-faces"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.f.v.Envelope(c.f.signEnvelope(t, c.f.envelope(faceRefs(c.layout))), c.f.vt)
			got := ""
			if err != nil {
				r, ok := AsRefusal(err)
				if !ok {
					t.Fatalf("not a refusal: %v", err)
				}
				got = r.Code()
			}
			if got != c.want {
				t.Errorf("got %q, want %q (%v)", got, c.want, err)
			}
		})
	}
	// The kiosk's page limit counts sheets.
	v := *duplex.v
	v.MaxPages = 2
	if _, err := v.Envelope(duplex.signEnvelope(t, duplex.envelope(faceRefs("1f 1b 2f 2b"))), duplex.vt); err != nil {
		t.Errorf("2 sheets under a limit of 2: %v", err)
	}
	_, err := v.Envelope(duplex.signEnvelope(t, duplex.envelope(faceRefs("1f 1b 2f 2b 3f 3b"))), duplex.vt)
	if r, ok := AsRefusal(err); !ok || r.Code() != "envelope-count" {
		t.Errorf("3 sheets under a limit of 2: %v", err)
	}
}

// duplexDoc renders the faces of a two-sided document of sheets sheets
// for f, with symbol texts from qr (i 0-based face index), and returns the
// verified envelope over them and the page bytes.
func duplexDoc(t *testing.T, f *flow, layout string, qr func(i int, want QRText) QRText) (*VerifiedEnvelope, [][]byte) {
	t.Helper()
	refs := faceRefs(layout)
	probe := f.envelope(refs)
	data := make([][]byte, len(refs))
	for i := range refs {
		want := f.qrFor(i+1, len(refs))
		if probe.HasFaces() {
			want.Sheet, want.Face = probe.FaceOf(i)
			want.Sheets = probe.Sheets()
		}
		text := qr(i, want).String()
		var err error
		if refs[i].Face == FaceBack {
			front := renderPage(t, 300, f.qrFor(i, len(refs)).String(), int(refs[i].Sheet), probe.Sheets())
			var img = front
			img, err = testRenderer(t).RenderBack(pages.BackSpec{DPI: 300, Front: front, Seed: [32]byte{byte(i)},
				Code: "0000-1111-2222-3333", Title: "住民票の写し", Serial: "YK-2026-000123", AsOf: "2026-04-01T09:30:00+09:00",
				Sheet: int(refs[i].Sheet), Sheets: probe.Sheets(), QRText: text})
			if err != nil {
				t.Fatal(err)
			}
			data[i] = encodePage(t, img, 300)
		} else {
			s, _ := probe.FaceOf(i)
			data[i] = encodePage(t, renderPage(t, 300, text, int(s), probe.Sheets()), 300)
		}
		sum := sha256.Sum256(data[i])
		refs[i].SHA256 = sum[:]
	}
	ve, err := f.v.Envelope(f.signEnvelope(t, f.envelope(refs)), f.vt)
	if err != nil {
		t.Fatalf("envelope refused: %v", err)
	}
	return ve, data
}

// TestDuplexPages: every face, back included, is checked by every page
// rule; its symbol must name its sheet and face as the envelope declares
// them. Swapped faces and a back of another document are refused with
// their own codes.
func TestDuplexPages(t *testing.T) {
	f := newDuplexFlow(t)
	same := func(_ int, want QRText) QRText { return want }
	ve, data := duplexDoc(t, f, "1f 1b 2f 2b", same)
	vps, err := f.v.Pages(ve, data)
	if err != nil {
		t.Fatalf("a genuine two-sided document is refused: %v", err)
	}
	for i, vp := range vps {
		if vp.N() != i+1 || vp.Sheet() != i/2+1 || vp.Back() != (i%2 == 1) {
			t.Errorf("verified page %d: n %d sheet %d back %v", i+1, vp.N(), vp.Sheet(), vp.Back())
		}
		vp.Wipe()
	}

	other := mustRandom(TIDSize)
	for _, c := range []struct {
		name string
		qr   func(i int, want QRText) QRText
		page int
		want string
	}{
		{"front and back of sheet 1 swapped", func(i int, want QRText) QRText {
			switch i {
			case 0:
				want.N, want.Face = 2, FaceBack
			case 1:
				want.N, want.Face = 1, FaceFront
			}
			return want
		}, 1, "page-face-swapped"},
		{"sheet 2's back names the front", func(i int, want QRText) QRText {
			if i == 3 {
				want.N, want.Face = 3, FaceFront
			}
			return want
		}, 4, "page-face-swapped"},
		{"a back of another document", func(i int, want QRText) QRText {
			if i == 3 {
				want.TID = other
			}
			return want
		}, 4, "page-back-foreign"},
		{"a front of another document", func(i int, want QRText) QRText {
			if i == 2 {
				want.TID = other
			}
			return want
		}, 3, "page-qr-mismatch"},
		{"sheet 1's back in sheet 2's place", func(i int, want QRText) QRText {
			if i == 3 {
				want.N, want.Sheet = 2, 1
			}
			return want
		}, 4, "page-qr-mismatch"},
		{"a back whose symbol has no face", func(i int, want QRText) QRText {
			if i == 1 {
				want.Sheet, want.Sheets, want.Face = 0, 0, ""
			}
			return want
		}, 2, "page-qr-mismatch"},
		{"a back naming another sheet count", func(i int, want QRText) QRText {
			if i == 1 {
				want.Sheets = 3
			}
			return want
		}, 2, "page-qr-mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ve, data := duplexDoc(t, f, "1f 1b 2f 2b", c.qr)
			_, err := f.v.Pages(ve, data)
			r, ok := AsRefusal(err)
			if !ok || r.Code() != c.want || r.Page != c.page {
				t.Errorf("got %v, want %s on page %d", err, c.want, c.page)
			}
		})
	}

	// A one-sided document: the symbol carries no face field; one that
	// does is not this page's.
	s := newFlow(t)
	ve, data = duplexDoc(t, s, "- -", same)
	if vps, err := s.v.Pages(ve, data); err != nil || vps[1].Sheet() != 2 || vps[1].Back() {
		t.Errorf("one-sided document: %v", err)
	}
	ve, data = duplexDoc(t, s, "- -", func(i int, want QRText) QRText {
		want.Sheet, want.Sheets, want.Face = SheetNo(i+1), 2, FaceFront
		return want
	})
	if _, err := s.v.Pages(ve, data); err == nil || !strings.Contains(err.Error(), "page-qr-mismatch") {
		t.Errorf("a face field on a one-sided page: %v", err)
	}
	// Fronts declared explicitly: the symbols name them.
	ve, data = duplexDoc(t, s, "1f 2f", same)
	if _, err := s.v.Pages(ve, data); err != nil {
		t.Errorf("one-sided document with declared fronts: %v", err)
	}
	if !bytes.Equal(ve.Envelope().TID, s.tk.TID) {
		t.Error("envelope of another ticket")
	}
}
