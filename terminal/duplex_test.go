package terminal_test

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"kofu/internal/emulator"
	"kofu/printer"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
	"kofu/terminal"
)

// decodeGray decodes a face's PNG (8-bit gray, as the emulator writes).
func decodeGray(data []byte) (*image.Gray, error) {
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	g, ok := m.(*image.Gray)
	if !ok {
		g = image.NewGray(m.Bounds())
		draw.Draw(g, g.Rect, m, m.Bounds().Min, draw.Src)
	}
	return g, nil
}

// TestDuplexThroughEmulatedPrinter: with the site printing duplex
// (printer.Options.Duplex, from [printer] duplex), the kiosk asks R0004's
// 3-sheet 戸籍 two-sided, kofu's printer code sends it duplex to the
// emulated printer, which decodes six faces (front and back of sheets 1
// to 3); each face's own KOFU symbol, decoded from the face as printed,
// names this ticket, this request's binding, this card's subject, its
// place, its sheet and its side; the confirmation counts 3 sheets, and
// the screen counted sheets. The center's duplex faults are refused with
// nothing printed and the fee released.
func TestDuplexThroughEmulatedPrinter(t *testing.T) {
	for _, c := range []struct {
		name, printer string
		fault         center.FaultName
		want          protocol.Result
		reason        string
	}{
		{"PJL+PCL, PAGES counts faces", "", "", protocol.ResultPrinted, ""},
		{"PJL+PCL, PAGES counts sheets", "pages-sheets", "", protocol.ResultPrinted, ""},
		{"IPP-over-USB", "ipp", "", protocol.ResultPrinted, ""},
		{"back-foreign", "", center.FaultBackForeign, protocol.ResultRefused, "page-back-foreign"},
		{"back-missing", "", center.FaultBackMissing, protocol.ResultRefused, "envelope-back-missing"},
		{"front-back-swap", "", center.FaultFrontBackSwap, protocol.ResultRefused, "page-face-swapped"},
		{"printer without duplex", "no-duplex", "", protocol.ResultFailed, "print-no-duplex"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &emulator.RequestRecorder{}
			o := emulator.Options{Transport: rec.Wrap}
			if c.fault != "" {
				o.Faults = []center.Fault{{Name: c.fault}}
			}
			w := newWorld(t, o)
			res, _ := w.fx.Resident("R0004")
			doc, err := protocol.NewDocSpec(protocol.DocKosekiZenbu)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p, err := emulator.NewPrinterWith(context.Background(), dir, c.printer, printer.Options{Duplex: true})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			panel := &scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}}
			r, l, _ := w.serve(t, context.Background(), emulator.NewSoftCard(res), panel, p, terminal.Timeouts{})
			if r.Outcome != c.want || string(r.Reason) != c.reason {
				t.Fatalf("%s/%s, want %s/%s", r.Outcome, r.Reason, c.want, c.reason)
			}
			if c.want != protocol.ResultPrinted {
				if len(p.Files) != 0 || r.Pages != 0 || l.Cashbox != 0 || r.Payment != "released" {
					t.Fatalf("refused: files %v, pages %d, cashbox %d, payment %q; want nothing printed, the fee released",
						p.Files, r.Pages, l.Cashbox, r.Payment)
				}
				return
			}
			if r.Pages != 6 || r.Sheets != 3 || l.Cashbox != r.Fee {
				t.Fatalf("pages %d sheets %d cashbox %d fee %d; want 6 faces, 3 sheets, the fee", r.Pages, r.Sheets, l.Cashbox, r.Fee)
			}
			for _, g := range panel.progress {
				if g.State == terminal.StatePrint && (g.Pages != 3 || g.Page > 3) {
					t.Errorf("progress %+v: want page k of 3 sheets", g)
				}
			}
			checkFacesBound(t, dir, r, rec.Request(), res.CardCert.Raw)
		})
	}
}

// checkFacesBound decodes the KOFU symbol of every face the emulated
// printer decoded (its PNG in dir, named by sheet and side) and checks
// that it is this session's: the ticket, the binding of the request
// bytes sent, the subject of the card's certificate, and the face's
// place, sheet and side.
func checkFacesBound(t *testing.T, dir string, r terminal.Result, request, certDER []byte) {
	t.Helper()
	tid, err := protocol.B64Decode(r.TID)
	if err != nil {
		t.Fatal(err)
	}
	binding := protocol.Binding(request)
	subject := protocol.Subject(binding, certDER)
	names := []string{"s1-front", "s1-back", "s2-front", "s2-back", "s3-front", "s3-back"}
	for i, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, r.TID+"-"+name+".png"))
		if err != nil {
			t.Fatalf("face %d: %v", i+1, err)
		}
		img, err := decodeGray(data)
		if err != nil {
			t.Fatalf("face %d (%s): %v", i+1, name, err)
		}
		texts, err := pages.FindQR(img, 300)
		if err != nil || len(texts) != 1 {
			t.Fatalf("face %d (%s): symbols %q, %v; want one", i+1, name, texts, err)
		}
		got, err := protocol.ParseQRText(texts[0])
		if err != nil {
			t.Fatalf("face %d (%s): %v", i+1, name, err)
		}
		face := protocol.FaceFront
		if i%2 == 1 {
			face = protocol.FaceBack
		}
		want := protocol.QRText{TID: tid, Binding: binding, Subject: subject, N: i + 1, Total: 6,
			Sheet: protocol.SheetNo(i/2 + 1), Sheets: 3, Face: face}
		if !got.Equal(want) {
			t.Errorf("face %d (%s) printed with symbol %s, want %s", i+1, name, got, want)
		}
	}
}
