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

	"kofu/protocol"
	"kofu/protocol/pages"
)

// expectation is what a ticket's pages must carry, computed by the fleet
// from the bytes on the wire, not taken from the kiosk or the center.
type expectation struct {
	binding, subject []byte
}

// wire observes one kiosk's traffic: for every ticket the center issued it
// records the binding and subject of the exact request bytes sent.
type wire struct {
	base   http.RoundTripper
	mu     sync.Mutex
	expect map[string]expectation // tid → what its pages must carry
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
		w.mu.Unlock()
	}
	return resp, nil
}

func (w *wire) lookup(tid string) (expectation, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.expect[tid]
	return e, ok
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

// checkingSink is the fleet's printer: it confirms every page and, like a
// person reading the paper, decodes each page's QR symbol and checks it
// names the ticket it was printed for, the binding of the request that got
// that ticket, and the subject of the card that signed it.
type checkingSink struct {
	wire *wire

	mu        sync.Mutex
	confirmed int
	foreignN  int
}

func (s *checkingSink) ID() protocol.PrinterID {
	return protocol.PrinterID{MFG: "kofu", MDL: "fleet checking printer", SN: "FLEET"}
}

func (s *checkingSink) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	exp, ok := s.wire.lookup(protocol.B64(tid))
	foreign := 0
	for i, p := range vp {
		texts, err := pages.FindQR(p.Image, p.DPI)
		if err != nil || len(texts) != 1 {
			foreign++
			continue
		}
		q, err := protocol.ParseQRText(texts[0])
		if err != nil || !ok || !bytes.Equal(q.TID, tid) || !bytes.Equal(q.Binding, exp.binding) ||
			!bytes.Equal(q.Subject, exp.subject) || q.N != i+1 || q.Total != len(vp) {
			foreign++
		}
	}
	s.mu.Lock()
	s.confirmed += len(vp)
	s.foreignN += foreign
	s.mu.Unlock()
	return len(vp), ctx.Err()
}

func (s *checkingSink) confirmedTotal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.confirmed
}

func (s *checkingSink) foreign() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.foreignN
}
