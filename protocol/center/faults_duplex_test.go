package center_test

import (
	"bytes"
	"image"
	"net/http"
	"path"
	"slices"
	"strconv"
	"testing"

	"kofu/internal/emulator"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
)

// twoSided is the request for R0019's 戸籍全部事項証明書 (three sheets)
// printed on both sides.
func twoSided(t *testing.T) protocol.DocSpec {
	t.Helper()
	doc, err := protocol.NewDocSpec(protocol.DocKosekiZenbu)
	if err != nil {
		t.Fatal(err)
	}
	doc.Sides = protocol.SidesTwoSided
	return doc
}

// servedEnvelope is the envelope the center answered on the wire, read
// without verification.
func servedEnvelope(t *testing.T, w *wire) protocol.Envelope {
	t.Helper()
	x, ok := w.find("/document", http.StatusOK)
	if !ok {
		t.Fatal("no envelope on the wire")
	}
	var e protocol.Envelope
	payloadOf(t, x.body, &e)
	return e
}

// servedFaces reads the symbol of every page fetched from the wire, by
// page number, independently of the verifier.
func servedFaces(t *testing.T, w *wire) map[int]protocol.QRText {
	t.Helper()
	out := map[int]protocol.QRText{}
	for _, x := range w.all("/pages/") {
		n, err := strconv.Atoi(path.Base(x.path))
		if err != nil || x.status != http.StatusOK {
			t.Fatalf("page exchange %s answered %d", x.path, x.status)
		}
		qs := qrOf(t, x.body)
		if len(qs) != 1 {
			t.Fatalf("served page %d carries %d KOFU symbols", n, len(qs))
		}
		out[n] = qs[0]
	}
	return out
}

// faceQR is the symbol the test expects on face i (0-based) of a
// two-sided document of sheets sheets, for exp.
func faceQR(exp expectation, i, sheets int) protocol.QRText {
	f := protocol.FaceFront
	if i%2 == 1 {
		f = protocol.FaceBack
	}
	return protocol.QRText{TID: exp.tid, Binding: exp.binding, Subject: exp.subject, N: i + 1, Total: 2 * sheets,
		Sheet: protocol.SheetNo(i/2 + 1), Sheets: sheets, Face: f}
}

// TestTwoSidedDocument: a request with doc.sides = "two-sided" gets, for
// each sheet, its front and then its back; the envelope declares each
// face; every face carries its own symbol naming its sheet and face; the
// back's verification image is made of its front's pixels (a block
// permutation keeps them all); the kiosk verifies and prints the six
// faces in that order, each one bound to the session.
func TestTwoSidedDocument(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0019")
	env, w := startEnv(t, emulator.Options{Fixtures: fx})
	sink := newRecordingSink(t)
	r := runAuto(t, env, sink, res, twoSided(t))
	if r.Outcome != protocol.ResultPrinted {
		t.Fatalf("outcome %s/%s, want printed", r.Outcome, r.Reason)
	}
	exp := expect(t, w, res.CardCertDER)
	e := servedEnvelope(t, w)
	if e.Doc.Sides != protocol.SidesTwoSided || len(e.Pages) != 6 || e.Sheets() != 3 {
		t.Fatalf("envelope: sides %q, %d pages on %d sheets, want two-sided 6 on 3", e.Doc.Sides, len(e.Pages), e.Sheets())
	}
	for i, p := range e.Pages {
		want := faceQR(exp, i, 3)
		if p.N != i+1 || p.Sheet != want.Sheet || p.Face != want.Face {
			t.Errorf("envelope page %d: n=%d sheet=%d face=%q, want sheet %d %s", i+1, p.N, p.Sheet, p.Face, want.Sheet, want.Face)
		}
	}
	faces := servedFaces(t, w)
	for i := range 6 {
		if want := faceQR(exp, i, 3); !faces[i+1].Equal(want) {
			t.Errorf("served face %d carries %s, want %s", i+1, faces[i+1], want)
		}
	}
	printed := sink.prints[r.TID]
	if len(printed) != 6 {
		t.Fatalf("%d faces printed, want 6", len(printed))
	}
	for i, q := range printed {
		if want := faceQR(exp, i, 3); !q.Equal(want) {
			t.Errorf("printed face %d carries %s, want %s", i+1, q, want)
		}
	}

	// The back's verification image: the front's content scrambled. The
	// test has no key; it checks the image is made of exactly the front's
	// half-size pixels, and is not the front as it is.
	scr, _, err := newRenderer(t).BackRegions(dpiOf(2480))
	if err != nil {
		t.Fatal(err)
	}
	byN := map[int][]byte{}
	for _, x := range w.all("/pages/") {
		n, _ := strconv.Atoi(path.Base(x.path))
		byN[n] = x.body
	}
	for s := range 3 {
		front, err := decodeAny(byN[2*s+1])
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeAny(byN[2*s+2])
		if err != nil {
			t.Fatal(err)
		}
		half := pages.HalfFront(front, 300)
		got := cut(back, scr)
		if bytes.Equal(got, half.Pix) {
			t.Errorf("sheet %d: the back shows the front unscrambled", s+1)
		}
		a, b := slices.Clone(got), slices.Clone(half.Pix)
		slices.Sort(a)
		slices.Sort(b)
		if !bytes.Equal(a, b) {
			t.Errorf("sheet %d: the back's verification image is not made of its front's pixels", s+1)
		}
	}
}

// TestDuplexFaults shows each fault of two-sided documents really
// served — judged from the envelope and pages on the wire, independently
// of the verifier — and refused by the kiosk with its own reason, nothing
// printed, the fee released, the injection delivered.
func TestDuplexFaults(t *testing.T) {
	cases := []struct {
		fault  center.FaultName
		reason string
		served func(t *testing.T, exp expectation, e protocol.Envelope, faces map[int]protocol.QRText)
	}{
		{center.FaultBackForeign, "page-back-foreign", func(t *testing.T, exp expectation, e protocol.Envelope, faces map[int]protocol.QRText) {
			// Six faces declared as the genuine layout; face 4 (the back of
			// sheet 2) is a back of another document.
			if len(e.Pages) != 6 || e.Pages[3].Sheet != 2 || e.Pages[3].Face != protocol.FaceBack {
				t.Fatalf("envelope pages %+v", e.Pages)
			}
			q, ok := faces[4]
			if !ok {
				t.Fatal("face 4 was not fetched")
			}
			// (Sheet 2's back of the other document, or its last back when
			// the other document has fewer sheets.)
			if bytes.Equal(q.TID, exp.tid) || bytes.Equal(q.Binding, exp.binding) || q.Face != protocol.FaceBack ||
				(q.Sheet != 2 && int(q.Sheet) != q.Sheets) {
				t.Errorf("face 4 carries %s: want another document's back", q)
			}
			for n, q := range faces {
				if n != 4 && !q.Equal(faceQR(exp, n-1, 3)) {
					t.Errorf("face %d carries %s, want its own", n, q)
				}
			}
		}},
		{center.FaultBackMissing, "envelope-back-missing", func(t *testing.T, exp expectation, e protocol.Envelope, faces map[int]protocol.QRText) {
			// Five faces: sheet 2 has its front only, the document still
			// declared two-sided.
			var layout []string
			for _, p := range e.Pages {
				layout = append(layout, strconv.Itoa(int(p.Sheet))+string(p.Face[0]))
			}
			if e.Doc.Sides != protocol.SidesTwoSided || !slices.Equal(layout, []string{"1f", "1b", "2f", "3f", "3b"}) {
				t.Errorf("envelope sides %q faces %v, want two-sided 1f 1b 2f 3f 3b", e.Doc.Sides, layout)
			}
			if len(faces) != 0 {
				t.Errorf("%d pages fetched after a refused envelope", len(faces))
			}
		}},
		{center.FaultFrontBackSwap, "page-face-swapped", func(t *testing.T, exp expectation, e protocol.Envelope, faces map[int]protocol.QRText) {
			// The envelope declares front then back; the page served as
			// face 1 is this document's back of sheet 1.
			if len(e.Pages) != 6 || e.Pages[0].Face != protocol.FaceFront {
				t.Fatalf("envelope pages %+v", e.Pages)
			}
			if want := faceQR(exp, 1, 3); !faces[1].Equal(want) {
				t.Errorf("face 1 carries %s, want this document's back of sheet 1 (%s)", faces[1], want)
			}
		}},
	}
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0019")
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{{Name: tc.fault}}})
			sink := &countingSink{}
			r := runAuto(t, env, sink, res, twoSided(t))

			inj := env.Center.Center.Injections()
			if len(inj) != 1 || inj[0].Fault != tc.fault || inj[0].TID != r.TID || !inj[0].Delivered || !inj[0].Mixup {
				t.Fatalf("center ground truth: %+v (session tid %q)", inj, r.TID)
			}
			exp := expect(t, w, res.CardCertDER)
			tc.served(t, exp, servedEnvelope(t, w), servedFaces(t, w))

			if r.Outcome != protocol.ResultRefused || string(r.Reason) != tc.reason {
				t.Errorf("outcome %s/%s, want refused/%s", r.Outcome, r.Reason, tc.reason)
			}
			if n := sink.jobs(); n != 0 {
				t.Errorf("%d print jobs reached the printer", n)
			}
			if r.Billing != string(protocol.BillingVoided) || r.Payment == "captured" {
				t.Errorf("billing %q payment %q, want voided and released", r.Billing, r.Payment)
			}
		})
	}
}

// TestDuplexFaultsOnlyStrikeTwoSided: a one-sided request is never given
// a fault of two-sided documents (it could not happen to it); it prints.
// The faults are accepted by --fault and part of "all".
func TestDuplexFaultsOnlyStrikeTwoSided(t *testing.T) {
	all, err := center.ParseFaults("all")
	if err != nil {
		t.Fatal(err)
	}
	var duplex []center.Fault
	for _, name := range []center.FaultName{center.FaultBackForeign, center.FaultBackMissing, center.FaultFrontBackSwap} {
		f, err := center.ParseFaults(string(name))
		if err != nil || len(f) != 1 || f[0].Name != name || !f[0].Mixup() || !f[0].Duplex() {
			t.Errorf("--fault %s: %v, %v", name, f, err)
		}
		if !slices.ContainsFunc(all, func(f center.Fault) bool { return f.Name == name }) {
			t.Errorf("--fault all leaves out %s", name)
		}
		duplex = append(duplex, f...)
	}
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0019")
	env, _ := startEnv(t, emulator.Options{Fixtures: fx, Faults: duplex})
	doc, _ := protocol.NewDocSpec(protocol.DocKosekiZenbu)
	r := runAuto(t, env, newRecordingSink(t), res, doc)
	if r.Outcome != protocol.ResultPrinted {
		t.Errorf("one-sided request under duplex faults: %s/%s, want printed", r.Outcome, r.Reason)
	}
	if inj := env.Center.Center.Injections(); len(inj) != 0 {
		t.Errorf("injections %+v on a one-sided request", inj)
	}
}

// cut copies r out of img.
func cut(img *image.Gray, r image.Rectangle) []byte {
	out := make([]byte, 0, r.Dx()*r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		out = append(out, img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]...)
	}
	return out
}

// newRenderer builds a page renderer from the test font, for the back's
// layout.
func newRenderer(t *testing.T) *pages.Renderer {
	t.Helper()
	ttf, err := loadFixtures(t).FontTTF()
	if err != nil {
		t.Fatal(err)
	}
	r, err := pages.NewRenderer(ttf)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
