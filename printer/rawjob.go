package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"kofu/printer/pdl"
	"kofu/printer/pjl"
	"kofu/protocol"
)

// printRaw sends a job on the printer-class pipe (PathPJLPCL, PathPCL,
// PathPWG) and, for a bidirectional PJL printer, waits for PJL to confirm
// it, passing the pages it reports out to out (may be nil).
func (p *Printer) printRaw(ctx context.Context, pages []*protocol.VerifiedPage, out func(int)) (int, error) {
	var job pjl.Job
	if p.plan.Path == PathPJLPCL {
		var err error
		if job, err = pjl.NewJob(p.opts.Rand, "PCL"); err != nil {
			return 0, err
		}
	}
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rb *readback
	if p.plan.Confirm {
		rb = startReadback(jobCtx, p.link, pjl.NewTracker(job, len(pages)), out)
		// The reader must be gone before the next job reads the pipe.
		defer func() { cancel(); <-rb.exited }()
	}
	w := newJobWriter(jobCtx, p.link, &p.opts)
	err := writeJob(w, p.plan.Path, job, pages)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return 0, pe
		}
		return 0, newError(KindOffline, w.sent > 0, "encoding or sending the job failed", err)
	}
	if !p.plan.Confirm {
		return 0, newError(KindUnconfirmed, true, p.plan.Why, nil)
	}
	return p.awaitPJL(ctx, rb, len(pages))
}

// writeJob writes the job's bytes: the PJL header, the pages, the PJL
// footer, as the path requires.
func writeJob(w io.Writer, path Path, job pjl.Job, pages []*protocol.VerifiedPage) error {
	if path == PathPJLPCL {
		if _, err := w.Write(job.Header()); err != nil {
			return err
		}
	}
	switch path {
	case PathPJLPCL, PathPCL:
		pw := pdl.NewPCLWriter(w)
		for _, pg := range pages {
			if err := pw.WritePage(pg, pg.DPI()); err != nil {
				return err
			}
		}
		if err := pw.Close(); err != nil {
			return err
		}
	case PathPWG:
		pw := pdl.NewPWGWriter(w, pdl.Black1, len(pages))
		for _, pg := range pages {
			if err := pw.WritePage(pg, pg.DPI()); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("printer: path %q has no raw job", path)
	}
	if path == PathPJLPCL {
		if _, err := w.Write(job.Footer()); err != nil {
			return err
		}
	}
	return nil
}

// readback reads the bulk IN pipe for the length of one job and feeds a
// PJL Tracker, until the tracker decides or the context ends. out, when
// not nil, hears each rise of the pages the printer reports out.
type readback struct {
	mu     sync.Mutex
	v      pjl.Verdict
	err    error
	done   chan struct{} // closed on a decision or a lost device
	exited chan struct{} // closed when the reader returns
}

func startReadback(ctx context.Context, l Link, tr *pjl.Tracker, out func(int)) *readback {
	rb := &readback{v: tr.Verdict(), done: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(rb.exited)
		var ps pjl.Parser
		buf := make([]byte, transferSize)
		reported := 0
		for {
			n, err := l.BulkIn(ctx, buf)
			for _, m := range ps.Feed(buf[:n]) {
				v := tr.Observe(m)
				if out != nil && v.Out > reported {
					reported = v.Out
					out(reported)
				}
				rb.mu.Lock()
				rb.v = v
				rb.mu.Unlock()
				if v.State != pjl.Waiting {
					close(rb.done)
					return
				}
			}
			if err == nil {
				continue
			}
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrNoDevice) {
				rb.mu.Lock()
				rb.err = err
				rb.mu.Unlock()
				close(rb.done)
				return
			}
			// A timeout or stall on the IN pipe: try again shortly.
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return rb
}

func (rb *readback) verdict() (pjl.Verdict, error) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.v, rb.err
}

// awaitPJL waits for the readback's decision.
func (p *Printer) awaitPJL(ctx context.Context, rb *readback, pages int) (int, error) {
	limit := p.opts.confirmTimeout(pages)
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-rb.done:
		v, err := rb.verdict()
		if err != nil {
			return 0, newError(KindOffline, true, "printer disappeared before confirming the job", err)
		}
		if v.State == pjl.Printed {
			return pages, nil
		}
		return 0, verdictError(v)
	case <-timer.C:
		return 0, p.unconfirmed(ctx, rb, fmt.Sprintf("no confirmation within %v", limit), nil)
	case <-ctx.Done():
		return 0, p.unconfirmed(ctx, rb, "interrupted while waiting for confirmation", ctx.Err())
	}
}

// unconfirmed builds the error for a job whose confirmation never came,
// naming the fault the readback reported or, as data no longer flows,
// what the port status says.
func (p *Printer) unconfirmed(ctx context.Context, rb *readback, why string, cause error) *Error {
	v, _ := rb.verdict()
	e := newError(KindUnconfirmed, true, why+" ("+describeWait(v)+")", cause)
	e.Pages = v.Pages
	if v.Fault != nil {
		e.Kind = faultKind(v.Fault.Class)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), controlTimeout)
	defer cancel()
	if st, err := ReadPortStatus(sctx, p.link); err == nil && st.Problem() != 0 {
		e.Kind = st.Problem()
		e.Detail += "; port status " + st.String()
	}
	return e
}

func describeWait(v pjl.Verdict) string {
	switch {
	case !v.Synced:
		return "the printer never echoed the job's sync token"
	case !v.Start:
		return "the job never started"
	case v.Fault != nil:
		return "status " + v.Fault.String()
	}
	return "the job started but never ended"
}

// verdictError turns a NotOK verdict into an *Error.
func verdictError(v pjl.Verdict) *Error {
	k := KindUnconfirmed
	switch {
	case v.Fault != nil:
		k = faultKind(v.Fault.Class)
	case v.Result != "" && v.Result != "OK":
		k = KindCanceled
	}
	e := newError(k, true, v.Reason, nil)
	e.Pages = v.Pages
	return e
}

func faultKind(c pjl.Class) Kind {
	switch c {
	case pjl.PaperOut:
		return KindPaperOut
	case pjl.Jam:
		return KindJam
	case pjl.CoverOpen:
		return KindCoverOpen
	case pjl.Hardware:
		return KindHardware
	}
	return KindOffline
}
