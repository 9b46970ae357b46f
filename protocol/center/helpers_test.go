package center_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/pages"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// loadFixtures loads the test PKI once per test binary run via t.Helper
// callers; each call re-reads (cheap: keys are lazy).
func loadFixtures(t testing.TB) *fixtures.Set {
	t.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// wire records every exchange between the kiosk and the center, as an
// independent observer: tests judge what the center really served from
// these bytes, not from what either side claims.
type wire struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

type exchange struct {
	method, path string
	reqBody      []byte
	status       int
	header       http.Header
	body         []byte
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	var reqBody []byte
	if r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	resp, err := w.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	w.mu.Lock()
	w.log = append(w.log, exchange{r.Method, r.URL.Path, reqBody, resp.StatusCode, resp.Header.Clone(), body})
	w.mu.Unlock()
	return resp, err
}

// find returns the last exchange whose path ends with suffix and that
// answered status.
func (w *wire) find(suffix string, status int) (exchange, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.log) - 1; i >= 0; i-- {
		if strings.HasSuffix(w.log[i].path, suffix) && w.log[i].status == status {
			return w.log[i], true
		}
	}
	return exchange{}, false
}

// all returns the exchanges whose path contains s.
func (w *wire) all(s string) []exchange {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []exchange
	for _, e := range w.log {
		if strings.Contains(e.path, s) {
			out = append(out, e)
		}
	}
	return out
}

// startEnv starts an emulated world whose kiosk traffic goes through a
// recording wire.
func startEnv(t testing.TB, o emulator.Options) (*emulator.Env, *wire) {
	t.Helper()
	if o.Fixtures == nil {
		o.Fixtures = loadFixtures(t)
	}
	w := &wire{}
	o.Transport = func(base http.RoundTripper) http.RoundTripper { w.base = base; return w }
	if o.Now == nil {
		o.Now = testclock.Now(t) // an open service day, whatever today is
	}
	env, err := emulator.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env, w
}

// payloadOf decodes a compact JWS's payload WITHOUT verifying it: the
// test's own look at what was on the wire.
func payloadOf(t testing.TB, compact []byte, v any) {
	t.Helper()
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.60q", compact)
	}
	raw, err := protocol.B64Decode(string(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}

// qrOf decodes the QR symbols of a PNG page independently of the verifier.
func qrOf(t testing.TB, png []byte) []protocol.QRText {
	t.Helper()
	img, err := decodeAny(png)
	if err != nil {
		t.Fatalf("page does not decode: %v", err)
	}
	texts, err := pages.FindQR(img, dpiOf(img.Bounds().Dx()))
	if err != nil {
		t.Fatal(err)
	}
	var out []protocol.QRText
	for _, s := range texts {
		q, err := protocol.ParseQRText(s)
		if err != nil {
			t.Fatalf("symbol %q: %v", s, err)
		}
		out = append(out, q)
	}
	return out
}

func dpiOf(width int) int {
	if width > 3000 {
		return 600
	}
	return 300
}

// recordingSink stands in for a printer: it decodes the QR of every raster
// it is given, independently of the verifier.
type recordingSink struct {
	mu     sync.Mutex
	t      testing.TB
	prints map[string][]protocol.QRText // tid → QR read from each printed raster
}

func newRecordingSink(t testing.TB) *recordingSink {
	return &recordingSink{t: t, prints: map[string][]protocol.QRText{}}
}

func (s *recordingSink) ID() protocol.PrinterID {
	return protocol.PrinterID{MFG: "test", MDL: "recording sink", SN: "T1"}
}

func (s *recordingSink) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	var got []protocol.QRText
	for _, p := range vp {
		syms, err := pages.FindSymbols(p.Bitmap())
		if err != nil || len(syms) != 1 {
			s.t.Errorf("printed page %d: %d symbols, err %v", p.N(), len(syms), err)
			continue
		}
		q, err := protocol.ParseQRText(syms[0].Text)
		if err != nil {
			s.t.Errorf("printed page %d: %v", p.N(), err)
			continue
		}
		got = append(got, q)
	}
	s.mu.Lock()
	s.prints[protocol.B64(tid)] = got
	s.mu.Unlock()
	return len(vp), nil
}

// decodeAny decodes a PNG with the standard library only (no kofu checks).
func decodeAny(data []byte) (*image.Gray, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g, nil
}

// expectation is what the test itself computes for its request from the
// bytes on the wire: binding and subject by the DESIGN §3.1 formulas.
type expectation struct {
	tid, binding, subject []byte
}

func expect(t testing.TB, w *wire, certDER []byte) expectation {
	t.Helper()
	req, ok := w.find("/v1/requests", http.StatusCreated)
	if !ok {
		t.Fatal("no request answered 201 on the wire")
	}
	b := sha256.Sum256(req.reqBody)
	c := sha256.Sum256(certDER)
	s := sha256.Sum256(append(b[:], c[:]...))
	var tk protocol.Ticket
	payloadOf(t, req.body, &tk)
	return expectation{tid: tk.TID, binding: b[:], subject: s[:]}
}

var _ = time.Second

// runAuto runs one real kiosk session (autopilot panel, coin unit, its own
// journal) for res, and checks the money: the coin unit keeps a fee only
// for a printed document, and returns every other yen.
func runAuto(t testing.TB, env *emulator.Env, sink terminal.Sink, res *fixtures.Resident, doc protocol.DocSpec) terminal.Result {
	t.Helper()
	key := bytes.Repeat([]byte{7}, 32)
	j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	r, l := env.Autopilot(context.Background(), j, sink, emulator.NewSoftCard(res),
		emulator.OrderFor(res, doc), []byte(res.PIN))
	checkMoney(t, r, l)
	return r
}

// checkMoney checks what the coin unit did with a session's money (its
// ledger l after the session ended r): it keeps the fee only for a
// printed document, returns every other yen, and leaves no hold open.
func checkMoney(t testing.TB, r terminal.Result, l payment.Ledger) {
	t.Helper()
	switch {
	case r.Outcome == protocol.ResultPrinted && (l.Cashbox != r.Fee || r.Payment != "captured"):
		t.Errorf("printed but cash box holds %d of fee %d (%s)", l.Cashbox, r.Fee, r.Payment)
	case r.Outcome != protocol.ResultPrinted && l.Cashbox != 0:
		t.Errorf("%s/%s yet the cash box kept %d yen", r.Outcome, r.Reason, l.Cashbox)
	case l.OpenHolds != 0:
		t.Errorf("%d holds left open", l.OpenHolds)
	}
}
