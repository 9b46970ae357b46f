package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/printer/pdl"
	"kofu/printer/pjl"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
	"kofu/terminal"
)

// TestFleetAllFaults: a small fleet under every fault mode keeps the
// promise, and the ground truth shows the faults really happened.
func TestFleetAllFaults(t *testing.T) {
	faults, _ := center.ParseFaults("all")
	for i := range faults {
		if faults[i].Name == center.FaultSlow {
			faults[i].Delay = time.Second
		}
	}
	rep, err := Run(context.Background(), Config{Kiosks: 6, Transactions: 60, Faults: faults, FaultRate: 0.5,
		DocTimeout: 3 * time.Second, KosekiShare: 0.3, Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if !rep.Held() {
		t.Fatalf("promise broken: %+v", rep)
	}
	if rep.FaultsInjected < 15 || rep.MixupsRefused == 0 || rep.MixupsRefused+rep.MixupsUnreceived != rep.MixupsInjected {
		t.Fatalf("faults did not happen as configured: %+v", rep)
	}
	total := rep.Printed
	for _, m := range []map[string]int{rep.Refused, rep.Failed, rep.Cancelled, rep.Unknown} {
		for _, n := range m {
			total += n
		}
	}
	if total != rep.Transactions || rep.Transactions != 60 {
		t.Fatalf("outcomes add up to %d of %d", total, rep.Transactions)
	}
}

// TestFleetMixedGenerations: sessions on generation-2 cards (P-384,
// ES384 requests, the assumed applet profile) mix with generation-1 ones
// by Gen2Share, and without faults every one of them prints its own
// pages; Gen2Share < 0 leaves generation 1 alone.
func TestFleetMixedGenerations(t *testing.T) {
	for _, tc := range []struct {
		share float64
		gen2  int // transactions on a generation-2 card among the 20
	}{
		{0.5, 11}, // i·37 mod 100 < 50 for 11 of i = 0…19
		{-1, 0},
	} {
		rep, err := Run(context.Background(), Config{Kiosks: 3, Transactions: 20, DocTimeout: 10 * time.Second,
			Gen2Share: tc.share, Now: testclock.Now(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("share %v: %+v", tc.share, rep)
		if !rep.Held() || rep.ForeignPagesPrinted != 0 {
			t.Fatalf("share %v: promise broken: %+v", tc.share, rep)
		}
		if rep.Gen2Transactions != tc.gen2 || rep.Gen2Printed != tc.gen2 || rep.Printed != 20 {
			t.Errorf("share %v: %d of 20 on generation 2, %d of them printed, %d printed in all; want %d, all printed",
				tc.share, rep.Gen2Transactions, rep.Gen2Printed, rep.Printed, tc.gen2)
		}
	}
}

// TestFleetBookFaults: with the kiosks' own books failing — the journal's
// disk full part-way through every 10th session (for real) and the coin
// unit failing in every 10th — no fee follows anything but a confirmed
// print, every coin balances, every journal heals and verifies, and the
// next start leaves no session open.
func TestFleetBookFaults(t *testing.T) {
	rep, err := Run(context.Background(), Config{Kiosks: 3, Transactions: 60, DocTimeout: 3 * time.Second,
		KosekiShare: 0.3, Now: testclock.Now(t), JournalFaultEvery: 10, PaymentFaultEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if !rep.Held() {
		t.Fatalf("promise broken: %+v", rep)
	}
	if rep.JournalFaults != 6 || rep.PaymentFaults != 6 {
		t.Fatalf("faults did not happen as configured: %d journal, %d payment", rep.JournalFaults, rep.PaymentFaults)
	}
	if rep.Failed["journal-error"] == 0 {
		t.Errorf("no session met the full disk: %+v", rep.Failed)
	}
	if rep.Printed == 0 {
		t.Errorf("nothing printed")
	}
}

// TestPaperJudge: the fleet's judge reads the paper, not the page the
// kiosk checked. Each job is a real PJL + PCL 5 job built from an 8-bit
// page cut at the printer's level; the judge must pass our own genuine
// page and count every other sheet as foreign, including the attacks on
// the printed bitmap that a reader of the 8-bit page or of the bottom band
// alone passes (issue 14).
func TestPaperJudge(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	ttf, _ := fx.FontTTF()
	r, err := pages.NewRenderer(ttf)
	if err != nil {
		t.Fatal(err)
	}
	tid := bytes.Repeat([]byte{1}, 16)
	ours := sha256.Sum256([]byte("our request"))
	theirs := sha256.Sum256([]byte("another request"))
	subject := protocol.Subject(ours[:], []byte("cert"))
	own := protocol.QRText{TID: tid, Binding: ours[:], Subject: subject, N: 1, Total: 1}.String()
	foreign := protocol.QRText{TID: bytes.Repeat([]byte{2}, 16), Binding: theirs[:], Subject: subject, N: 1, Total: 1}.String()
	const dpi = 300
	render := func(t *testing.T, text string) *image.Gray {
		img, err := r.Render(pages.Spec{DPI: dpi, Title: "住民票の写し", Issuer: "試験市長", Serial: "1", AsOf: "x",
			Rows: []pages.Row{{Label: "氏名", Value: "試験"}}, N: 1, Total: 1, QRText: text})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	at, err := pages.PageSymbol(dpi, own)
	if err != nil {
		t.Fatal(err)
	}
	q := pages.QuietModules * at.Module
	besides := at.At(at.X-2*q-pages.MM(2, dpi)-at.Side(), at.Y)
	paint := func(t *testing.T, img *image.Gray, text string, p pages.SymbolPlacement, ink pages.SymbolInk) {
		if err := pages.PaintSymbol(img, text, p, ink); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		page    func(t *testing.T) *image.Gray
		foreign int
	}{
		{"genuine", func(t *testing.T) *image.Gray { return render(t, own) }, 0},
		{"another binding", func(t *testing.T) *image.Gray { return render(t, foreign) }, 1},
		{"faint own, dark foreign", func(t *testing.T) *image.Gray {
			img := render(t, own)
			paint(t, img, foreign, at, pages.SymbolInk{Dark: 120, Light: 136})
			paint(t, img, own, besides, pages.SymbolInk{Dark: 160, Light: 255})
			return img
		}, 1},
		{"own in gray only", func(t *testing.T) *image.Gray {
			img := render(t, own)
			paint(t, img, own, at, pages.SymbolInk{Dark: 128, DarkMax: 180, Light: 255})
			return img
		}, 1},
		{"inverted second", func(t *testing.T) *image.Gray {
			img := render(t, own)
			paint(t, img, foreign, besides, pages.SymbolInk{Dark: 0, Light: 255, Inverted: true})
			return img
		}, 1},
		{"second in the body", func(t *testing.T) *image.Gray {
			img := render(t, own)
			paint(t, img, foreign, at.At(pages.MM(30, dpi), img.Rect.Dy()/2), pages.SymbolInk{Light: 255})
			return img
		}, 1},
		{"own 2 mm from the edge", func(t *testing.T) *image.Gray {
			img := render(t, own)
			pages.PaintRect(img, at.Box(), 255)
			paint(t, img, own, at.At(at.X, img.Rect.Dy()-pages.MM(2, dpi)-at.Side()), pages.SymbolInk{Light: 255})
			return img
		}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &wire{expect: map[string]expectation{protocol.B64(tid): {binding: ours[:], subject: subject}}, last: protocol.B64(tid)}
			sink := &paperPrinter{wire: w}
			sink.observe(pclJob(t, pdl.ToBitmap(tc.page(t)), dpi))
			if sink.paperTotal() != 1 || sink.foreign() != tc.foreign {
				t.Fatalf("%d sheets, %d foreign; want 1 sheet, %d foreign", sink.paperTotal(), sink.foreign(), tc.foreign)
			}
		})
	}
}

// pclJob is the PJL + PCL 5 job a kiosk sends for one bilevel page.
func pclJob(t *testing.T, b *pdl.Bitmap, dpi int) []byte {
	t.Helper()
	job, err := pjl.NewJob(nil, "PCL")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(job.Header())
	pw := pdl.NewPCLWriter(&buf)
	if err := pw.WritePage(b, dpi); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	buf.Write(job.Footer())
	return buf.Bytes()
}

// TestReadJobLanguages: the judge reads a job in every form a kiosk sends
// one (PJL + PCL 5, bare PCL 5, PWG Raster black_1 and sgray_8) and
// refuses a PJL job in a language it cannot decode rather than report an
// empty job.
func TestReadJobLanguages(t *testing.T) {
	const dpi = 300
	sheet := pdl.NewBitmap(2480, 3508)
	for y := 1000; y < 1010; y++ {
		sheet.Row(y)[100] = 0xff // a mark, so the page is not blank
	}
	pcl := func(t *testing.T) []byte {
		var buf bytes.Buffer
		pw := pdl.NewPCLWriter(&buf)
		if err := pw.WritePage(sheet, dpi); err != nil {
			t.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	pwg := func(typ pdl.PWGType) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			var buf bytes.Buffer
			pw := pdl.NewPWGWriter(&buf, typ, 1)
			if err := pw.WritePage(sheet, dpi); err != nil {
				t.Fatal(err)
			}
			if err := pw.Flush(); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
	}
	cases := []struct {
		name    string
		job     func(t *testing.T) []byte
		sheets  int
		wantErr bool
	}{
		{"PJL + PCL 5", func(t *testing.T) []byte { return pclJob(t, sheet, dpi) }, 1, false},
		{"bare PCL 5", pcl, 1, false},
		{"PWG black_1", pwg(pdl.Black1), 1, false},
		{"PWG sgray_8", pwg(pdl.SGray8), 1, false},
		{"PJL + PostScript", func(t *testing.T) []byte {
			return []byte(uel + "@PJL\r\n@PJL ENTER LANGUAGE=POSTSCRIPT\r\n%!PS\nshowpage\n" + uel)
		}, 0, true},
		{"PJL without ENTER LANGUAGE", func(t *testing.T) []byte { return []byte(uel + "@PJL\r\n" + uel) }, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sheets, err := ReadJob(tc.job(t), PaperMarginMM)
			if (err != nil) != tc.wantErr || len(sheets) != tc.sheets {
				t.Fatalf("%d sheets, err %v; want %d sheets, error %v", len(sheets), err, tc.sheets, tc.wantErr)
			}
			for _, s := range sheets {
				if s.DPI != dpi || s.W != sheet.W || s.H != sheet.H || len(s.Symbols) != 0 {
					t.Errorf("sheet %dx%d at %d dpi with %d symbols", s.W, s.H, s.DPI, len(s.Symbols))
				}
			}
		})
	}
}

// TestUnreceived: a mix-up counts as not received only when the session
// ended before asking for its document and printed nothing.
func TestUnreceived(t *testing.T) {
	cases := []struct {
		r    terminal.Result
		want bool
	}{
		{terminal.Result{Outcome: protocol.ResultFailed, Reason: "document-timeout"}, true},
		{terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pay-error"}, true},
		{terminal.Result{Outcome: protocol.ResultCancelled, Reason: "pay-timeout"}, true},
		{terminal.Result{Outcome: protocol.ResultFailed, Reason: "document-transport"}, false},
		{terminal.Result{Outcome: protocol.ResultPrinted, Pages: 1}, false},
		{terminal.Result{Outcome: protocol.ResultUnknown, Reason: "pay-error", Pages: 1}, false},
		{terminal.Result{Outcome: protocol.ResultRefused, Reason: "page-qr-mismatch"}, false},
	}
	for _, c := range cases {
		if got := unreceived(c.r); got != c.want {
			t.Errorf("unreceived(%s/%s) = %v, want %v", c.r.Outcome, c.r.Reason, got, c.want)
		}
	}
}
