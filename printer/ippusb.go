package printer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"kofu/printer/pjl"
	"kofu/protocol"
)

// usbTransport carries HTTP/1.1 over an IPP-over-USB interface's bulk
// pipes (IPP USB 1.0): one request at a time, each written as one stream
// ending in a short packet, its response read, and the response body
// always drained, since anything left would corrupt the next response.
type usbTransport struct {
	mu   sync.Mutex
	link Link
	opts *Options
	rd   *bulkReader
	br   *bufio.Reader
}

func newUSBTransport(l Link, o *Options) *usbTransport {
	rd := newBulkReader(l)
	return &usbTransport{link: l, opts: o, rd: rd, br: bufio.NewReaderSize(rd, transferSize)}
}

func (t *usbTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ctx := req.Context()
	w := newJobWriter(ctx, t.link, t.opts)
	if err := req.Write(w); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	t.rd.ctx = ctx
	resp, err := http.ReadResponse(t.br, req)
	if err != nil {
		return nil, fmt.Errorf("ipp-usb: read response: %w", err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIPPResponse+1))
	io.Copy(io.Discard, resp.Body) // drain whatever is left
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("ipp-usb: read body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// ippConn returns the printer's IPP client, created on first use: one
// transport per link, so that its read buffer lives as long as the pipe.
func (p *Printer) ippConn() *ippClient {
	if p.ipp == nil {
		p.ipp = &ippClient{Transport: newUSBTransport(p.link, &p.opts), URL: "http://localhost/ipp/print"}
	}
	return p.ipp
}

// printIPP prints over IPP-over-USB, passing the impressions the printer
// reports completed to out (may be nil).
func (p *Printer) printIPP(ctx context.Context, pages []*protocol.VerifiedPage, out func(int)) (int, error) {
	return p.ippConn().printPWG(ctx, pages, &p.opts, out)
}

// newJobName is a unique job name from the options' random source.
func newJobName(o *Options) (string, error) {
	j, err := pjl.NewJob(o.Rand, "")
	return j.Name, err
}
