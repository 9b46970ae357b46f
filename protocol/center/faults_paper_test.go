package center_test

import (
	"bytes"
	"context"
	"net/http"
	"path"
	"slices"
	"strconv"
	"sync"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/fleet"
	"kofu/printer/pdl"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
)

// TestPaperFaults shows each attack on the printed bitmap (issue 14)
// really happening and being refused. From the wire, the test cuts every
// served page at the printer's gray level (pdl.ToBitmap, as the printer
// path does) and reads the sheet with the fleet's paper reader, which
// shares nothing with the kiosk's verifier: the altered page's paper
// carries what the fault says, every other page carries exactly its own
// symbol. Then the kiosk must refuse with the fault's own reason, print
// nothing and keep no fee, and the center's ground truth must record the
// injection as delivered.
func TestPaperFaults(t *testing.T) {
	cases := []struct {
		fault  center.FaultName
		reason string
		paper  func(t *testing.T, s paperSheet) // what the altered page's paper carries
	}{
		{center.FaultQRFaintOwn, "page-qr-mismatch", func(t *testing.T, s paperSheet) {
			// The page shows our symbol to an 8-bit reader; the paper
			// carries exactly one symbol, and it names another ticket.
			if len(s.sheet.Symbols) != 1 || s.own(0) || s.sheet.Symbols[0].Inverted {
				t.Errorf("want exactly one dark-on-light foreign symbol on paper, got %s", s)
			}
		}},
		{center.FaultQRGrayOnly, "page-qr-missing", func(t *testing.T, s paperSheet) {
			if len(s.sheet.Symbols) != 0 {
				t.Errorf("want no symbol on paper, got %s", s)
			}
		}},
		{center.FaultQRInvertedSecond, "page-qr-multiple", func(t *testing.T, s paperSheet) {
			if len(s.sheet.Symbols) != 2 || !s.ownInBand() || !s.foreignWhere(func(y fleet.Symbol) bool { return y.Inverted }) {
				t.Errorf("want our symbol and a foreign light-on-dark one, got %s", s)
			}
		}},
		{center.FaultQRInBody, "page-qr-multiple", func(t *testing.T, s paperSheet) {
			if len(s.sheet.Symbols) != 2 || !s.ownInBand() || !s.foreignWhere(func(y fleet.Symbol) bool { return y.Bounds.Max.Y < s.bandTop() }) {
				t.Errorf("want our symbol and a foreign one above the band, got %s", s)
			}
		}},
		{center.FaultQRBandStraddle, "page-qr-multiple", func(t *testing.T, s paperSheet) {
			straddles := func(y fleet.Symbol) bool { return y.Bounds.Min.Y < s.bandTop() && y.Bounds.Max.Y > s.bandTop() }
			if len(s.sheet.Symbols) != 2 || !s.ownInBand() || !s.foreignWhere(straddles) {
				t.Errorf("want our symbol and a foreign one across the band's top, got %s", s)
			}
		}},
		{center.FaultQREdge, "page-qr-position", func(t *testing.T, s paperSheet) {
			if len(s.sheet.Symbols) != 1 || !s.own(0) {
				t.Fatalf("want our symbol alone, got %s", s)
			}
			gap := float64(s.sheet.H-s.sheet.Symbols[0].Bounds.Max.Y) * 25.4 / float64(s.sheet.DPI)
			if gap < 1.5 || gap > 2.5 {
				t.Errorf("symbol ends %.1f mm above the edge, want 2", gap)
			}
			// A printer that loses the usual margin prints no symbol.
			if on, err := fleet.ReadSheet(s.bits, s.sheet.DPI, fleet.PaperMarginMM); err != nil || len(on.Symbols) != 0 {
				t.Errorf("with a %.0f mm margin the paper carries %d symbols (%v), want none", fleet.PaperMarginMM, len(on.Symbols), err)
			}
		}},
	}
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{{Name: tc.fault}}})
			sink := &countingSink{}
			doc, _ := protocol.NewDocSpec(protocol.DocKosekiZenbu)
			r := runAuto(t, env, sink, res, doc)

			inj := env.Center.Center.Injections()
			if len(inj) != 1 || inj[0].Fault != tc.fault || inj[0].TID != r.TID || !inj[0].Delivered || !inj[0].Mixup {
				t.Fatalf("center ground truth: %+v (session tid %q)", inj, r.TID)
			}
			exp := expect(t, w, res.CardCertDER)
			fetched := w.all("/pages/")
			if len(fetched) == 0 {
				t.Fatal("no page on the wire")
			}
			altered := 0
			for _, p := range fetched {
				s := readServedPage(t, p, exp)
				if len(s.sheet.Symbols) == 1 && s.own(0) && s.ownInBand() && s.edgeGapMM() >= 5 {
					continue // a genuine page
				}
				altered++
				tc.paper(t, s)
			}
			if altered != 1 {
				t.Errorf("%d of %d served pages altered, want 1", altered, len(fetched))
			}

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

// TestPaperFaultsRegistered: every printed-bitmap fault is accepted by
// --fault (kiosk run, kofu-emu center and fleet all parse with
// ParseFaults), is part of "all", and counts as a mix-up a kiosk must
// refuse.
func TestPaperFaultsRegistered(t *testing.T) {
	all, err := center.ParseFaults("all")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []center.FaultName{center.FaultQRFaintOwn, center.FaultQRGrayOnly, center.FaultQRInvertedSecond,
		center.FaultQRInBody, center.FaultQRBandStraddle, center.FaultQREdge} {
		f, err := center.ParseFaults(string(name))
		if err != nil || len(f) != 1 || f[0].Name != name || !f[0].Mixup() {
			t.Errorf("--fault %s: %v, %v", name, f, err)
		}
		if !slices.ContainsFunc(all, func(f center.Fault) bool { return f.Name == name }) {
			t.Errorf("--fault all leaves out %s", name)
		}
	}
}

// paperSheet is one served page as its paper reads.
type paperSheet struct {
	n     int
	bits  *pdl.Bitmap
	sheet fleet.Sheet
	exp   expectation
}

// readServedPage cuts a page fetched from the wire at the printer's gray
// level and reads the sheet as sent (no margin).
func readServedPage(t *testing.T, e exchange, exp expectation) paperSheet {
	t.Helper()
	n, err := strconv.Atoi(path.Base(e.path))
	if err != nil || e.status != http.StatusOK {
		t.Fatalf("page exchange %s answered %d", e.path, e.status)
	}
	img, err := decodeAny(e.body)
	if err != nil {
		t.Fatalf("page %d does not decode: %v", n, err)
	}
	bits := pdl.ToBitmap(img)
	sheet, err := fleet.ReadSheet(bits, dpiOf(bits.W), 0)
	if err != nil {
		t.Fatalf("page %d: %v", n, err)
	}
	return paperSheet{n: n, bits: bits, sheet: sheet, exp: exp}
}

// own reports whether symbol i names our ticket, binding and subject.
func (s paperSheet) own(i int) bool {
	q, err := protocol.ParseQRText(s.sheet.Symbols[i].Text)
	return err == nil && bytes.Equal(q.TID, s.exp.tid) && bytes.Equal(q.Binding, s.exp.binding) &&
		bytes.Equal(q.Subject, s.exp.subject) && q.N == s.n
}

func (s paperSheet) bandTop() int { return s.sheet.H - pages.BandHeight(s.sheet.DPI) }

// ownInBand: one of the symbols is ours, dark-on-light, inside the band.
func (s paperSheet) ownInBand() bool {
	for i, y := range s.sheet.Symbols {
		if s.own(i) && !y.Inverted && y.Bounds.Min.Y >= s.bandTop() {
			return true
		}
	}
	return false
}

// foreignWhere: one of the symbols is a KOFU symbol of another ticket,
// and satisfies where.
func (s paperSheet) foreignWhere(where func(fleet.Symbol) bool) bool {
	for i, y := range s.sheet.Symbols {
		q, err := protocol.ParseQRText(y.Text)
		if err == nil && !s.own(i) && !bytes.Equal(q.TID, s.exp.tid) && where(y) {
			return true
		}
	}
	return false
}

// edgeGapMM is the smallest distance of any symbol to a sheet edge.
func (s paperSheet) edgeGapMM() float64 {
	g := s.sheet.W + s.sheet.H
	for _, y := range s.sheet.Symbols {
		g = min(g, y.Bounds.Min.X, y.Bounds.Min.Y, s.sheet.W-y.Bounds.Max.X, s.sheet.H-y.Bounds.Max.Y)
	}
	return float64(g) * 25.4 / float64(s.sheet.DPI)
}

func (s paperSheet) String() string {
	out := "page " + strconv.Itoa(s.n) + ":"
	for i, y := range s.sheet.Symbols {
		out += " [own=" + strconv.FormatBool(s.own(i)) + " inverted=" + strconv.FormatBool(y.Inverted) + " at " + y.Bounds.String() + "]"
	}
	if len(s.sheet.Symbols) == 0 {
		out += " no symbol"
	}
	return out
}

// countingSink stands in for a printer that must never be used: it
// counts the jobs it is handed and never looks inside them.
type countingSink struct {
	mu sync.Mutex
	n  int
}

func (s *countingSink) ID() protocol.PrinterID {
	return protocol.PrinterID{MFG: "test", MDL: "counting sink", SN: "T2"}
}

func (s *countingSink) Print(_ context.Context, _ []byte, vp []*protocol.VerifiedPage) (int, error) {
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return len(vp), nil
}

func (s *countingSink) jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
