package printer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kofu/printer/pjl"
)

// Status is the printer's state as a technician sees it.
type Status struct {
	Plan    Plan
	Port    PortStatus
	PortErr error
	PJL     *pjl.Fault // INFO STATUS answer (code, class, display), bidirectional PJL printers
	PJLErr  error
	IPP     *IPPPrinterState // IPP-over-USB printers
	IPPErr  error
	Problem Kind // what stops printing now, 0 if ready
}

// Ready reports whether a job could start now.
func (s Status) Ready() bool { return s.Problem == 0 && s.Plan.Err == nil }

// Status queries the printer: GET_PORT_STATUS, and PJL INFO STATUS or
// IPP Get-Printer-Attributes where the printer speaks them.
func (p *Printer) Status(ctx context.Context) Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Status{Plan: p.plan}
	if p.isFile {
		return s
	}
	if p.plan.Path == PathIPP {
		st, err := p.ippConn().printerState(ctx)
		if err != nil {
			s.IPPErr = err
			s.Problem = KindOffline
			return s
		}
		s.IPP = &st
		s.Problem = st.ReasonKind
		if s.Problem == 0 && (!st.Accepting || st.State == 5) {
			s.Problem = KindOffline
		}
		return s
	}
	cctx, cancel := context.WithTimeout(ctx, controlTimeout)
	s.Port, s.PortErr = ReadPortStatus(cctx, p.link)
	cancel()
	switch {
	case errors.Is(s.PortErr, ErrNoDevice):
		s.Problem = KindOffline
		return s
	case s.PortErr == nil:
		s.Problem = s.Port.Problem()
	}
	if p.plan.Path == PathPJLPCL && p.plan.Confirm {
		s.PJL, s.PJLErr = p.pjlInfoStatus(ctx)
		if s.Problem == 0 && s.PJL != nil && s.PJL.Class.Fatal() {
			s.Problem = faultKind(s.PJL.Class)
		}
	}
	return s
}

// pjlInfoStatus sends @PJL INFO STATUS after an ECHO and returns the
// answer that follows the echo.
func (p *Printer) pjlInfoStatus(ctx context.Context) (*pjl.Fault, error) {
	job, err := pjl.NewJob(p.opts.Rand, "")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	w := newJobWriter(ctx, p.link, &p.opts)
	if _, err := w.Write(pjl.InfoStatus(job.Echo)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	var ps pjl.Parser
	buf := make([]byte, transferSize)
	synced := false
	for {
		n, err := p.link.BulkIn(ctx, buf)
		for _, m := range ps.Feed(buf[:n]) {
			switch {
			case m.Kind == pjl.KindEcho && m.Text == job.Echo:
				synced = true
			case synced && m.Kind == pjl.KindInfo && m.Category == "STATUS":
				code, ok := m.Code()
				if !ok {
					return nil, fmt.Errorf("PJL INFO STATUS without a code")
				}
				return &pjl.Fault{Code: code, Class: pjl.Classify(code), Display: m.Fields["DISPLAY"]}, nil
			}
		}
		if err != nil && (ctx.Err() != nil || errors.Is(err, ErrNoDevice)) {
			return nil, fmt.Errorf("PJL INFO STATUS: %w", err)
		}
	}
}
