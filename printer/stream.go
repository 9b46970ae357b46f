package printer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// transferSize is the bulk OUT transfer size: a multiple of 8192 (the
// Linux printer gadget's read buffer) and so of every max packet size.
const transferSize = 16 << 10

// jobWriter streams one job, or one HTTP message, to the bulk OUT pipe in
// transfers of transferSize. It holds the last transfer back until Close,
// which sends it so that the stream ends with a short packet: the gadget
// (f_printer) completes a read only on a full 8192-byte buffer or a short
// packet, and gousb cannot send a zero-length packet, so a final transfer
// that is a multiple of the max packet size is split as n−1 and 1 bytes.
//
// A transfer that has not completed after StallTimeout makes the writer
// poll GET_PORT_STATUS (only then: replies can land inside print data on
// some devices); a reported problem aborts the job with its Kind, and a
// stall longer than WriteTimeout aborts it as offline.
type jobWriter struct {
	ctx    context.Context
	link   Link
	stall  time.Duration
	limit  time.Duration
	mps    int
	buf    []byte
	sent   int64
	err    error
	polled int // port status polls, for tests
}

func newJobWriter(ctx context.Context, l Link, o *Options) *jobWriter {
	mps := l.Info().MaxPacketOut
	if mps <= 0 {
		mps = 512
	}
	return &jobWriter{ctx: ctx, link: l, stall: o.stallTimeout(), limit: o.writeTimeout(), mps: mps,
		buf: make([]byte, 0, transferSize)}
}

func (w *jobWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == transferSize {
			if err := w.transfer(w.buf); err != nil {
				return n - len(p), err
			}
			w.buf = w.buf[:0]
		}
		k := copy(w.buf[len(w.buf):transferSize], p)
		w.buf = w.buf[:len(w.buf)+k]
		p = p[k:]
	}
	return n, nil
}

// Close sends the held-back data so the stream ends with a short packet.
func (w *jobWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	b := w.buf
	w.buf = w.buf[:0]
	if len(b) > 1 && len(b)%w.mps == 0 {
		if err := w.transfer(b[:len(b)-1]); err != nil {
			return err
		}
		b = b[len(b)-1:]
	}
	if len(b) > 0 {
		return w.transfer(b)
	}
	return nil
}

type outResult struct {
	n   int
	err error
}

// transfer sends b, polling the port status while a transfer stalls.
func (w *jobWriter) transfer(b []byte) error {
	for len(b) > 0 {
		n, err := w.one(b)
		w.sent += int64(n)
		b = b[n:]
		if err != nil {
			if pe, ok := err.(*Error); ok {
				pe.Sent = w.sent > 0
			}
			w.err = err
			return err
		}
	}
	return nil
}

func (w *jobWriter) one(b []byte) (int, error) {
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	done := make(chan outResult, 1)
	go func() {
		n, err := w.link.BulkOut(ctx, b)
		done <- outResult{n, err}
	}()
	tick := time.NewTicker(w.stall)
	defer tick.Stop()
	start := time.Now()
	var problem *Error
	for {
		select {
		case r := <-done:
			if problem != nil {
				return r.n, problem
			}
			if r.err != nil {
				return r.n, w.fail(r.err)
			}
			return r.n, nil
		case <-tick.C:
			if problem != nil {
				continue
			}
			w.polled++
			pctx, pcancel := context.WithTimeout(w.ctx, controlTimeout)
			st, err := ReadPortStatus(pctx, w.link)
			pcancel()
			if err == nil && st.Problem() != 0 {
				problem = newError(st.Problem(), w.sent > 0, fmt.Sprintf("port status %v while the printer stopped taking data", st), nil)
				cancel()
				continue
			}
			if time.Since(start) > w.limit {
				problem = newError(KindOffline, w.sent > 0, fmt.Sprintf("printer took no data for %v", w.limit), nil)
				cancel()
			}
		}
	}
}

// fail turns a Link error into an *Error.
func (w *jobWriter) fail(err error) error {
	sent := w.sent > 0
	switch {
	case errors.Is(err, ErrNoDevice):
		return newError(KindOffline, sent, "printer disappeared while sending the job", err)
	case w.ctx.Err() != nil:
		return newError(KindUnconfirmed, sent, "sending interrupted", w.ctx.Err())
	}
	return newError(KindOffline, sent, "sending the job failed", err)
}

// bulkReader reads the bulk IN pipe in whole transfers (so a device never
// sends more than the buffer holds) and serves them as an io.Reader.
type bulkReader struct {
	ctx  context.Context
	link Link
	buf  []byte
	r, w int
}

func newBulkReader(l Link) *bulkReader {
	return &bulkReader{link: l, buf: make([]byte, transferSize)}
}

func (b *bulkReader) Read(p []byte) (int, error) {
	for b.r == b.w {
		n, err := b.link.BulkIn(b.ctx, b.buf)
		b.r, b.w = 0, n
		if err != nil && n == 0 {
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	return n, nil
}
