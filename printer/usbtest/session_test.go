package usbtest

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/printer"
	"kofu/printer/groundpattern"
	"kofu/protocol"
	"kofu/protocol/pages"
	"kofu/terminal"
	"kofu/terminal/journal"
)

// verifiedFace is a copy of what the session handed the printer for one
// face: the verified bitmap and the symbol's quiet zone the verifier
// found on it.
type verifiedFace struct {
	n, dpi int
	back   bool
	bmp    *pages.Bitmap
	zone   image.Rectangle
}

// keepVerified is the session's printer (emulator mode's: kofu's printer
// code on the emulated USB printer, every optional sink interface
// included) keeping a copy of the verified faces it is given, which the
// session wipes when it ends.
type keepVerified struct {
	*emulator.Printer
	mu    sync.Mutex
	faces []verifiedFace
}

// The session's printer, wrapped, is still every kind of sink the
// session asks: it prints duplex, is asked before the move to print and
// composites the pattern there, and reports pages.
var (
	_ terminal.Sink         = (*keepVerified)(nil)
	_ terminal.SidesAsker   = (*keepVerified)(nil)
	_ terminal.Preflighter  = (*keepVerified)(nil)
	_ terminal.Preparer     = (*keepVerified)(nil)
	_ terminal.PageReporter = (*keepVerified)(nil)
)

func (k *keepVerified) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	return k.PrintReporting(ctx, tid, vp, nil)
}

func (k *keepVerified) PrintReporting(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage, out func(int)) (int, error) {
	k.mu.Lock()
	k.faces = k.faces[:0]
	for _, pg := range vp {
		k.faces = append(k.faces, verifiedFace{n: pg.N(), dpi: pg.DPI(), back: pg.Back(), bmp: pg.Bitmap(), zone: pg.QRZone()})
	}
	k.mu.Unlock()
	return k.Printer.PrintReporting(ctx, tid, vp, out)
}

func (k *keepVerified) kept() []verifiedFace {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.faces
}

// centerJob runs a real session and writes its faces into dir as the job
// the gadget leg prints: R0004's 戸籍全部事項証明書 (3 sheets) asked
// two-sided by a kiosk whose printer prints duplex with the ground
// pattern required, as on a store, against the emulated center reached
// the normal way (HTTPS with mutual TLS on loopback, the test PKI), the
// resident's emulated card through kofu's cardreader code, the center
// rendering at DuplexDPI. The session verifies the document and prints
// it through kofu's printer code on the emulated USB printer, which
// composites the ground pattern between verification and encoding; the
// faces as that printer decoded them are the job.
//
// It checks, on the build machine: the session printed 6 faces on 3
// sheets and took the fee; every face the printer decoded is its
// verified face with exactly the ground pattern added (and some added),
// on its side, with one QR symbol in its bottom band (bandSymbols: the
// far end's reading) whose text is the one this session expects — the
// ticket's tid, the binding of the request bytes sent, the subject of
// the card's certificate, the face's place, sheet and side. It returns,
// per face, what the far end must decode.
func centerJob(t *testing.T, dir string) []Face {
	t.Helper()
	start := time.Now() // measures elapsed time only
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	rec := &emulator.RequestRecorder{}
	env, err := emulator.Start(ctx, emulator.Options{Fixtures: fx, DPI: DuplexDPI, Now: testclock.Now(t),
		Transport: rec.Wrap})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	ttf, err := fx.FontTTF()
	if err != nil {
		t.Fatal(err)
	}
	gp, err := groundpattern.New(ttf, groundpattern.DPI)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p, err := emulator.NewPrinterWith(ctx, out, "", printer.Options{Duplex: true, GroundPattern: gp, RequireGroundPattern: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sink := &keepVerified{Printer: p}
	res, ok := fx.Resident("R0004")
	if !ok {
		t.Fatal("no resident R0004 in the fixtures")
	}
	doc, err := protocol.NewDocSpec(protocol.DocKosekiZenbu)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := emulator.NewCardSlot(fx, res)
	if err != nil {
		t.Fatal(err)
	}
	card, err := slot.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), bytes.Repeat([]byte{1}, 32), env.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r, ledger := env.Autopilot(ctx, j, sink, card, emulator.OrderFor(res, doc), []byte(res.PIN))
	if r.Outcome != protocol.ResultPrinted || r.Pages != 2*DuplexSheets || r.Sheets != DuplexSheets || ledger.Cashbox != r.Fee || r.Fee <= 0 {
		t.Fatalf("session: %s/%s, %d faces on %d sheets, fee %d, cashbox %d; want printed, %d faces on %d sheets, the fee taken",
			r.Outcome, r.Reason, r.Pages, r.Sheets, r.Fee, ledger.Cashbox, 2*DuplexSheets, DuplexSheets)
	}

	tid, err := protocol.B64Decode(r.TID)
	if err != nil {
		t.Fatal(err)
	}
	binding := protocol.Binding(rec.Request())
	subject := protocol.Subject(binding, res.CardCert.Raw)
	verified := sink.kept()
	if len(verified) != 2*DuplexSheets || len(p.Files) != 2*DuplexSheets {
		t.Fatalf("%d faces verified, %d printed; want %d", len(verified), len(p.Files), 2*DuplexSheets)
	}
	want := make([]Face, len(verified))
	for i, v := range verified {
		side := map[bool]string{false: "front", true: "back"}[i%2 == 1]
		sheet := i/2 + 1
		if v.n != i+1 || v.back != (i%2 == 1) || v.dpi != DuplexDPI {
			t.Fatalf("verified face %d: n %d, back %v, %d dpi; want the %s of sheet %d at %d dpi", i+1, v.n, v.back, v.dpi, side, sheet, DuplexDPI)
		}
		q := protocol.QRText{TID: tid, Binding: binding, Subject: subject, N: i + 1, Total: 2 * DuplexSheets,
			Sheet: protocol.SheetNo(sheet), Sheets: DuplexSheets, Face: protocol.FaceFront}
		if v.back {
			q.Face = protocol.FaceBack
		}
		if name := "-s" + string(rune('0'+sheet)) + "-" + side + ".png"; !strings.HasSuffix(p.Files[i], name) {
			t.Fatalf("face %d printed as %s, want …%s", i+1, filepath.Base(p.Files[i]), name)
		}
		printed := readFace(t, p.Files[i])
		keepOut := groundpattern.KeepOut(printed.W, printed.H, DuplexDPI, v.zone)
		if err := gp.Verify(v.bmp, printed, keepOut); err != nil {
			t.Fatalf("face %d as printed is not its verified face with the ground pattern: %v", i+1, err)
		}
		if added, err := v.bmp.Diff(printed); err != nil || added == 0 {
			t.Fatalf("face %d: %d pattern pixels added (%v); the ground pattern is missing", i+1, added, err)
		}
		syms, err := bandSymbols(printed, DuplexDPI)
		if err != nil || len(syms) != 1 || syms[0].Text != q.String() {
			t.Fatalf("face %d as printed: symbols %+v, %v; want one, %s", i+1, syms, err, q)
		}
		if err := writeBilevelPNG(filepath.Join(dir, FaceFile(i+1)), printed, DuplexDPI); err != nil {
			t.Fatal(err)
		}
		want[i] = Face{Bitmap: BitmapSum(printed), Side: side, QR: q.String()}
	}
	t.Logf("session %s (ticket %s): %d faces on %d sheets verified and printed with the ground pattern at %d dpi in %v",
		r.Session, r.TID, r.Pages, r.Sheets, DuplexDPI, time.Since(start).Round(100*time.Millisecond))
	return want
}

// readFace reads a face the emulated printer decoded (8-bit gray PNG) as
// the bitmap it printed.
func readFace(t *testing.T, path string) *pages.Bitmap {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g, ok := m.(*image.Gray)
	if !ok {
		t.Fatalf("%s: %T, not gray", path, m)
	}
	return pages.Binarize(g)
}

// writeBilevelPNG writes bm as a 1-bit grayscale PNG (colour type 0,
// depth 1: 0 black, 1 white) with dpi in pHYs: an eighth of the 8-bit
// page's pixels for the guest to inflate, and exactly the bits that
// print.
func writeBilevelPNG(path string, bm *pages.Bitmap, dpi int) error {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	if err != nil {
		return err
	}
	stride := (bm.W + 7) / 8
	row := make([]byte, 1+stride)
	for y := range bm.H {
		row[0] = 0 // filter: none
		for i, b := range bm.Row(y)[:stride] {
			row[1+i] = ^b // the bitmap's 1 is black, the PNG's 0 is
		}
		if pad := stride*8 - bm.W; pad > 0 {
			row[stride] &^= byte(1<<pad - 1) // padding bits stay 0
		}
		if _, err := zw.Write(row); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	chunk := func(dst []byte, typ string, data []byte) []byte {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
		dst = append(dst, typ...)
		dst = append(dst, data...)
		return binary.BigEndian.AppendUint32(dst, crc32.Update(crc32.ChecksumIEEE([]byte(typ)), crc32.IEEETable, data))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(bm.W)), uint32(bm.H))
	ihdr = append(ihdr, 1, 0, 0, 0, 0) // depth 1, grayscale, deflate, no filter method, no interlace
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	phys := append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, ppm), ppm), 1)
	out := chunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	out = chunk(out, "pHYs", phys)
	out = chunk(out, "IDAT", z.Bytes())
	return os.WriteFile(path, chunk(out, "IEND", nil), 0o644)
}

// TestDuplexJobFiles: the job the build machine writes reads back in the
// guest as exactly its bits, in order; a job with a sheet's back missing,
// a face that is not A4 at DuplexDPI, or no faces at all is refused.
func TestDuplexJobFiles(t *testing.T) {
	dir := t.TempDir()
	var sums []string
	for i := range 4 {
		img := Page(DuplexDPI, uint64(40+i), false)
		bm := pages.Binarize(img)
		sums = append(sums, BitmapSum(bm))
		if err := writeBilevelPNG(filepath.Join(dir, FaceFile(i+1)), bm, DuplexDPI); err != nil {
			t.Fatal(err)
		}
	}
	faces, err := LoadDuplexJob(dir)
	if err != nil || len(faces) != 4 {
		t.Fatalf("LoadDuplexJob: %d faces, %v", len(faces), err)
	}
	vp, err := protocol.TechnicianTestSheets(DuplexDPI, faces...)
	if err != nil {
		t.Fatal(err)
	}
	for i, pg := range vp {
		if got := BitmapSum(pg.Bitmap()); got != sums[i] {
			t.Errorf("face %d read back as %s, written %s", i+1, got, sums[i])
		}
	}

	odd := t.TempDir()
	for i := range 3 {
		data, err := os.ReadFile(filepath.Join(dir, FaceFile(i+1)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(odd, FaceFile(i+1)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	small := t.TempDir()
	for i := range 2 {
		if err := writeBilevelPNG(filepath.Join(small, FaceFile(i+1)), pages.Binarize(Page(300, 1, false)), 300); err != nil {
			t.Fatal(err)
		}
	}
	for name, d := range map[string]string{"three faces": odd, "300 dpi faces": small, "no faces": t.TempDir()} {
		if faces, err := LoadDuplexJob(d); err == nil {
			t.Errorf("%s: loaded %d faces", name, len(faces))
		}
	}
}
