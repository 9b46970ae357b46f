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
	"kofu/protocol/pages"
)

// printRaw sends a job on the printer-class pipe (PathPJLPCL, PathPCL,
// PathPWG) and, for a bidirectional PJL printer, waits for PJL to confirm
// it, passing the pages it reports out to out (may be nil). A fatal state
// the printer reports (paper out, jam, cover open, offline) ends the job
// at once, while it is being sent or while it waits for confirmation;
// the count returned with an error is the pages the printer reported out
// before it stopped.
func (p *Printer) printRaw(ctx context.Context, pages []*protocol.VerifiedPage, out func(int)) (int, error) {
	count := countOf(pages, p.info.Quirks)
	var job pjl.Job
	if p.plan.Path == PathPJLPCL {
		var err error
		if job, err = pjl.NewJob(p.opts.Rand, "PCL"); err != nil {
			return 0, err
		}
		job.Duplex = count.Duplex
	}
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rb *readback
	writeCtx := jobCtx
	if p.plan.Confirm {
		// The printer reports pages in its own unit (faces, or sheets
		// with QuirkPagesCountSheets); the screen hears faces.
		var faces func(int)
		if out != nil {
			faces = func(n int) { out(count.FacesOf(n)) }
		}
		rb = startReadback(jobCtx, p.link, pjl.NewCountTracker(job, count), faces)
		// The reader must be gone before the next job reads the pipe.
		defer func() { cancel(); <-rb.exited }()
		// A fatal state reported while the job is still being sent stops
		// the sending: the printer will not print the rest.
		var stopWrite context.CancelFunc
		writeCtx, stopWrite = context.WithCancel(jobCtx)
		defer stopWrite()
		go func() {
			select {
			case <-rb.fault:
				stopWrite()
			case <-writeCtx.Done():
			}
		}()
	}
	w := newJobWriter(writeCtx, p.link, &p.opts)
	err := writeJob(w, p.plan.Path, job, pages, &p.opts)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		n := 0
		if rb != nil {
			v, _ := rb.verdict()
			n = outPages(v, count)
			if v.Fault != nil {
				return n, faultError(v, "while the job was being sent")
			}
		}
		var pe *Error
		if errors.As(err, &pe) {
			return n, pe
		}
		return n, newError(KindOffline, w.sent > 0, "encoding or sending the job failed", err)
	}
	if !p.plan.Confirm {
		return 0, newError(KindUnconfirmed, true, p.plan.Why, nil)
	}
	return p.awaitPJL(ctx, rb, count)
}

// writeJob writes the job's bytes: the PJL header, the pages (each as
// o.face makes it: with the ground pattern when one is configured), the
// PJL footer, as the path requires. A document with backs is written
// two-sided, long edge (job.Duplex is the caller's); a one-sided one
// exactly as before duplex existed.
func writeJob(w io.Writer, path Path, job pjl.Job, pages []*protocol.VerifiedPage, o *Options) error {
	duplex := countOf(pages, 0).Duplex
	if path == PathPJLPCL {
		if _, err := w.Write(job.Header()); err != nil {
			return err
		}
	}
	switch path {
	case PathPJLPCL, PathPCL:
		pw := pdl.NewPCLWriter(w)
		if duplex {
			if err := pw.SetDuplex(); err != nil {
				return err
			}
		}
		for _, pg := range pages {
			if err := writeFace(pw, pg, o); err != nil {
				return err
			}
		}
		if err := pw.Close(); err != nil {
			return err
		}
	case PathPWG:
		pw := pdl.NewPWGWriter(w, pdl.Black1, len(pages))
		if duplex {
			if err := pw.SetDuplex(); err != nil {
				return err
			}
		}
		for _, pg := range pages {
			if err := writeFace(pw, pg, o); err != nil {
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

// pageWriter is a PDL writer (pdl.PCLWriter, pdl.PWGWriter).
type pageWriter interface {
	WriteFace(img pages.Raster, dpi int, back bool) error
}

// writeFace writes one page as o.face makes it, on the side of the sheet
// the verifier gave it, and wipes what it made.
func writeFace(pw pageWriter, pg *protocol.VerifiedPage, o *Options) error {
	img, done, err := o.face(pg)
	if err != nil {
		return err
	}
	defer done()
	return pw.WriteFace(img, pg.DPI(), pg.Back())
}

// readback reads the bulk IN pipe for the length of one job and feeds a
// PJL Tracker, until the tracker decides or the context ends. out, when
// not nil, hears each rise of the pages the printer reports out.
type readback struct {
	mu     sync.Mutex
	v      pjl.Verdict
	infos  int // INFO STATUS answers read after the job's ECHO came back
	msgs   int // readback messages read so far
	err    error
	done   chan struct{} // closed on a decision or a lost device
	fault  chan struct{} // closed when the tracker first holds a fatal status code
	exited chan struct{} // closed when the reader returns
}

func startReadback(ctx context.Context, l Link, tr *pjl.Tracker, out func(int)) *readback {
	rb := &readback{v: tr.Verdict(), done: make(chan struct{}), fault: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(rb.exited)
		var ps pjl.Parser
		buf := make([]byte, transferSize)
		reported := 0
		faulted := false
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
				rb.msgs++
				if v.Synced && m.Kind == pjl.KindInfo && m.Category == "STATUS" {
					rb.infos++
				}
				rb.mu.Unlock()
				if v.Fault != nil && !faulted {
					faulted = true
					close(rb.fault)
				}
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

// settle waits until the readback has been quiet for settleQuiet (at
// most settleMax, or until ctx ends or the reader stops): what the
// printer sent before a fault the port status reported first is read.
// Elapsed time only.
func (rb *readback) settle(ctx context.Context) {
	deadline := time.Now().Add(settleMax)
	rb.mu.Lock()
	seen := rb.msgs
	rb.mu.Unlock()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-rb.exited:
			return
		case <-time.After(settleQuiet):
		}
		rb.mu.Lock()
		n := rb.msgs
		rb.mu.Unlock()
		if n == seen {
			return
		}
		seen = n
	}
}

// settleQuiet and settleMax bound readback.settle.
const (
	settleQuiet = 50 * time.Millisecond
	settleMax   = 500 * time.Millisecond
)

// infoAnswers counts the INFO STATUS answers read since the job's ECHO.
func (rb *readback) infoAnswers() int {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.infos
}

// awaitPJL waits for the readback's decision: the job's END, a fatal
// status code in the readback (unsolicited USTATUS DEVICE, or the answer
// to a status query), a fatal port status, the confirmation timeout or
// the end of ctx. Every StatusInterval it asks the printer's state (see
// statusPoll), so that a printer which reports nothing unasked still ends
// the wait within an interval or two of stopping. With an error it
// returns the pages the printer reported out.
func (p *Printer) awaitPJL(ctx context.Context, rb *readback, count pjl.Count) (int, error) {
	limit := p.opts.confirmTimeout(count.Faces)
	clk := p.opts.waitClock()
	timeout, stopTimeout := clk.Timer(limit)
	defer stopTimeout()
	tick, stopTick := clk.Ticker(p.opts.statusInterval())
	defer stopTick()
	poll := newStatusPoll(ctx, p, rb)
	defer poll.stop()
	for {
		select {
		case <-rb.done:
			v, err := rb.verdict()
			if err != nil {
				return outPages(v, count), newError(KindOffline, true, "printer disappeared before confirming the job", err)
			}
			if v.State == pjl.Printed {
				return count.Faces, nil
			}
			return outPages(v, count), verdictError(v)
		case <-rb.fault:
			v, _ := rb.verdict()
			return outPages(v, count), faultError(v, "while waiting for the job's confirmation")
		case <-tick:
			if e := poll.tick(); e != nil {
				// The port status told first; the page reports the printer
				// sent before it stopped may still be on their way up the
				// pipe, and the resident is told how many pages came out.
				rb.settle(ctx)
				v, _ := rb.verdict()
				e.Pages = v.Pages
				return outPages(v, count), e
			}
		case <-timeout:
			e := p.unconfirmed(ctx, rb, fmt.Sprintf("no confirmation within %v", limit), nil)
			v, _ := rb.verdict()
			return outPages(v, count), e
		case <-ctx.Done():
			e := p.unconfirmed(ctx, rb, "interrupted while waiting for confirmation", ctx.Err())
			v, _ := rb.verdict()
			return outPages(v, count), e
		}
	}
}

// outPages is how many of a job's faces the printer says came out of a
// job it did not confirm: the END's PAGES when the job ended with one,
// else the pages USTATUS PAGE reported, in the printer's unit turned
// into faces.
func outPages(v pjl.Verdict, count pjl.Count) int {
	n := v.Out
	if v.End && v.Pages >= 0 {
		n = v.Pages
	}
	return count.FacesOf(n)
}

// portPollTimeout bounds a GET_PORT_STATUS asked during a confirmation
// wait, so that a slow answer cannot hold up a fault the readback reports.
const portPollTimeout = 2 * time.Second

// statusPoll asks a PJL printer its state while its job waits for
// confirmation. Each tick it writes @PJL INFO STATUS (one query at a
// time, from its own goroutine, so a printer that stopped reading its
// pipe cannot block the wait); the answer reaches the readback's tracker,
// where a fatal code ends the wait. When the last query has gone
// unanswered for a whole interval — the printer is not reading its pipe,
// or does not answer INFO STATUS — it reads GET_PORT_STATUS, out of band.
// It never polls the port status while answers flow: usblp pokes it only
// when a write has stalled, as some devices mix the reply into the data.
type statusPoll struct {
	p       *Printer
	rb      *readback
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	writing chan struct{} // closed when the query being written is out; nil when none
	asked   bool          // a query was written
	seen    int           // the readback's INFO STATUS answers when it was
}

func newStatusPoll(ctx context.Context, p *Printer, rb *readback) *statusPoll {
	ctx, cancel := context.WithCancel(ctx)
	return &statusPoll{p: p, rb: rb, ctx: ctx, cancel: cancel}
}

// stop ends a query still being written and waits for it: the next job
// must have the pipe to itself.
func (s *statusPoll) stop() {
	s.cancel()
	s.wg.Wait()
}

// tick asks once; a non-nil error is a fatal port status.
func (s *statusPoll) tick() *Error {
	if s.asked && s.rb.infoAnswers() == s.seen {
		if e := s.port(); e != nil {
			return e
		}
	}
	if s.writing != nil {
		select {
		case <-s.writing:
		default:
			return nil // the last query is still on its way
		}
	}
	s.asked, s.seen = true, s.rb.infoAnswers()
	done := make(chan struct{})
	s.writing = done
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		q := pjl.StatusQuery()
		if _, err := s.p.link.BulkOut(s.ctx, q); err != nil && s.ctx.Err() == nil {
			s.p.opts.logger().Debug("PJL INFO STATUS query not sent", "err", err)
		}
	}()
	return nil
}

// port reads the port status and returns its problem, if any.
func (s *statusPoll) port() *Error {
	cctx, cancel := context.WithTimeout(s.ctx, portPollTimeout)
	st, err := ReadPortStatus(cctx, s.p.link)
	cancel()
	switch {
	case errors.Is(err, ErrNoDevice):
		return newError(KindOffline, true, "printer disappeared while waiting for the job's confirmation", err)
	case err != nil:
		s.p.opts.logger().Debug("port status unavailable", "err", err)
	case st.Problem() != 0:
		return newError(st.Problem(), true, "port status "+st.String()+" while waiting for the job's confirmation", nil)
	}
	return nil
}

// faultError is the error of a job the printer reported a fatal status
// code for (v.Fault set) before it ended.
func faultError(v pjl.Verdict, when string) *Error {
	e := newError(faultKind(v.Fault.Class), true, "status "+v.Fault.String()+" "+when, nil)
	e.Pages = v.Pages
	return e
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
