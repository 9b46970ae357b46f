package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"

	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
)

// expectation is what a ticket's pages must carry, computed by the fleet
// from the bytes on the wire, not taken from the kiosk or the center.
type expectation struct {
	binding, subject []byte
}

// wire observes one kiosk's traffic: for every ticket the center issued it
// records the binding and subject of the exact request bytes sent, and
// which ticket came last (a kiosk runs one session at a time).
type wire struct {
	base   http.RoundTripper
	mu     sync.Mutex
	expect map[string]expectation // tid → what its pages must carry
	last   string                 // base64url tid of the last ticket issued
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1/requests") || r.Body == nil {
		return w.base.RoundTrip(r)
	}
	reqBody, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	resp, err := w.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, nil
	}
	tid, cert := ticketTID(body), requestCert(reqBody)
	if tid != "" && cert != nil {
		b := sha256.Sum256(reqBody)
		w.mu.Lock()
		if w.expect == nil {
			w.expect = map[string]expectation{}
		}
		w.expect[tid] = expectation{binding: b[:], subject: protocol.Subject(b[:], cert)}
		w.last = tid
		w.mu.Unlock()
	}
	return resp, nil
}

// latest returns the last ticket issued on this wire and what its pages
// must carry.
func (w *wire) latest() (tid []byte, e expectation, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok = w.expect[w.last]
	if !ok {
		return nil, expectation{}, false
	}
	tid, err := protocol.B64Decode(w.last)
	return tid, e, err == nil
}

// ticketTID reads the tid from a ticket's payload without verifying it.
func ticketTID(compact []byte) string {
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		return ""
	}
	var t struct {
		TID string `json:"tid"`
	}
	if json.Unmarshal(raw, &t) != nil {
		return ""
	}
	return t.TID
}

// requestCert reads the card certificate from a request's x5c header.
func requestCert(compact []byte) []byte {
	parts := bytes.Split(compact, []byte("."))
	if len(parts) != 3 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(parts[0]))
	if err != nil {
		return nil
	}
	var h struct {
		X5C []string `json:"x5c"`
	}
	if json.Unmarshal(raw, &h) != nil || len(h.X5C) == 0 {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(h.X5C[0])
	if err != nil {
		return nil
	}
	return der
}

// paperPrinter is the fleet's printer and its reader of the paper. The
// kiosk prints through kofu's own printer code (PDL choice, PJL + PCL 5,
// confirmation by PJL USTATUS) to an emulated USB printer; a tap on the
// USB link keeps every byte of the job, and once the job is over the
// judge decodes those bytes back to sheets (ReadJob) and reads them like
// a person holding the paper: every sheet must carry exactly one symbol,
// and it must name the ticket this kiosk's wire last received, the
// binding of the exact request bytes that got it, the subject of the card
// that signed them, and the sheet's place in the job. Nothing the kiosk
// says (its tid argument, its pages) enters the verdict.
type paperPrinter struct {
	wire *wire
	p    *printer.Printer
	tap  *tapLink

	mu       sync.Mutex
	onPaper  int // sheets decoded from the jobs' bytes
	foreignN int // sheets that do not prove their binding
}

// newPaperPrinter starts an emulated printer behind kofu's printer code.
// It keeps only the last sheet it printed (the judge reads the bytes).
func newPaperPrinter(ctx context.Context, w *wire) (*paperPrinter, error) {
	emu := emuprinter.New(emuprinter.Config{Keep: 1})
	tap := &tapLink{Link: emu}
	p, err := printer.New(ctx, printer.OnLink(tap), printer.Options{})
	if err != nil {
		return nil, err
	}
	if plan := p.Plan(); plan.Err != nil {
		p.Close()
		return nil, plan.Err
	}
	return &paperPrinter{wire: w, p: p, tap: tap}, nil
}

func (s *paperPrinter) ID() protocol.PrinterID { return s.p.ID() }

// Ready asks kofu's printer whether it can take a job (terminal.Preflighter).
func (s *paperPrinter) Ready(ctx context.Context) error { return s.p.Ready(ctx) }

// Print prints the job through kofu's printer and then judges its bytes.
func (s *paperPrinter) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	s.tap.start()
	n, err := s.p.Print(ctx, tid, vp)
	s.observe(s.tap.stop())
	return n, err
}

// Close stops the printer and its emulated device.
func (s *paperPrinter) Close() error { return s.p.Close() }

// observe reads one job's bytes and counts its sheets and the foreign
// ones among them. An unreadable job counts every sheet it decoded, and
// at least one, as foreign: the judge must not give the benefit of the
// doubt.
func (s *paperPrinter) observe(job []byte) {
	if len(job) == 0 {
		return
	}
	sheets, err := ReadJob(job, PaperMarginMM)
	foreign := 0
	if err != nil {
		foreign = max(1, len(sheets))
	} else {
		tid, exp, ok := s.wire.latest()
		for i, sh := range sheets {
			if !ok || !proves(sh, tid, exp, i+1, len(sheets)) {
				foreign++
			}
		}
	}
	s.mu.Lock()
	s.onPaper += len(sheets)
	s.foreignN += foreign
	s.mu.Unlock()
}

// proves reports whether a sheet carries exactly one symbol, dark on
// light, naming tid, exp's binding and subject, and page n of total.
func proves(sh Sheet, tid []byte, exp expectation, n, total int) bool {
	if len(sh.Symbols) != 1 || sh.Symbols[0].Inverted {
		return false
	}
	q, err := protocol.ParseQRText(sh.Symbols[0].Text)
	return err == nil && bytes.Equal(q.TID, tid) && bytes.Equal(q.Binding, exp.binding) &&
		bytes.Equal(q.Subject, exp.subject) && q.N == n && q.Total == total
}

func (s *paperPrinter) paperTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.onPaper
}

func (s *paperPrinter) foreign() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.foreignN
}

// tapLink copies every byte the host sends on bulk OUT while a job runs:
// the judge's view of the USB cable.
type tapLink struct {
	printer.Link
	mu  sync.Mutex
	on  bool
	buf bytes.Buffer
}

func (t *tapLink) start() {
	t.mu.Lock()
	t.on = true
	t.buf.Reset()
	t.mu.Unlock()
}

// stop ends the capture and returns the job's bytes.
func (t *tapLink) stop() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	job := bytes.Clone(t.buf.Bytes())
	t.buf.Reset()
	return job
}

// BulkOut forwards to the device and records what it accepted.
func (t *tapLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	n, err := t.Link.BulkOut(ctx, p)
	t.mu.Lock()
	if t.on && n > 0 {
		t.buf.Write(p[:n])
	}
	t.mu.Unlock()
	return n, err
}
