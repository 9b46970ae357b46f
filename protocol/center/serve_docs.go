package center

import (
	"net/http"
	"strconv"
	"time"

	"kofu/protocol"
)

// handleDocument is GET /v1/tickets/{tid}/document: 202 with Retry-After
// while the issuer works, then 200 with the envelope. It long-polls up to
// LongPoll so a kiosk rarely waits a whole Retry-After in vain.
func (c *Center) handleDocument(w http.ResponseWriter, r *http.Request, t terminal) {
	j, ok := c.openJob(w, r, t)
	if !ok {
		return
	}
	if j.fault != nil && j.fault.Name == FaultDrop {
		c.m.drops.Inc()
		dropConnection(w)
		return
	}
	if j.fault != nil && j.fault.Name == FaultSlow {
		if wait := j.created.Add(j.fault.Delay).Sub(c.cfg.Now()); wait > 0 {
			c.accepted(w, wait)
			return
		}
	}
	poll := time.NewTimer(c.cfg.LongPoll)
	defer poll.Stop()
	select {
	case <-j.ready:
	case <-poll.C:
		c.accepted(w, time.Second)
		return
	case <-r.Context().Done():
		return
	}
	c.mu.Lock()
	state, d := j.state, j.delivered
	c.mu.Unlock()
	if state == jobFailed || d == nil {
		c.problem(w, r, protocol.NewProblem(protocol.ProbIssuerUnavailable, "the issuer aborted this job"))
		return
	}
	if j.fault != nil && j.fault.Name == FaultLateDelivery {
		// Hold the answer past the kiosk's deadline, then deliver it anyway,
		// whether or not anyone still listens.
		late := time.NewTimer(c.cfg.LateDelay)
		<-late.C
		c.m.late.Inc()
		c.late.Add(1)
	}
	if d.header != "" {
		w.Header().Set("Kofu-Issuer-Error", d.header)
	}
	c.m.deliveries.Inc()
	if j.fault != nil {
		c.markDelivered(j.key)
	}
	writeJOSE(w, http.StatusOK, d.envelope)
}

// accepted answers 202 with a Retry-After in whole seconds (at least 1).
func (c *Center) accepted(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(min(secs, 5)))
	w.WriteHeader(http.StatusAccepted)
}

// handlePage is GET /v1/tickets/{tid}/pages/{n}: the PNG of page n of the
// document served under this ticket.
func (c *Center) handlePage(w http.ResponseWriter, r *http.Request, t terminal) {
	j, ok := c.openJob(w, r, t)
	if !ok {
		return
	}
	c.mu.Lock()
	d := j.delivered
	c.mu.Unlock()
	n, err := strconv.Atoi(r.PathValue("n"))
	if d == nil || err != nil || n < 1 || n > len(d.pages) || strconv.Itoa(n) != r.PathValue("n") {
		c.problem(w, r, protocol.NewProblem(protocol.ProbUnknownTicket, "no such page"))
		return
	}
	w.Header().Set("Content-Type", protocol.MediaPNG)
	w.Header().Set("Content-Length", strconv.Itoa(len(d.pages[n-1])))
	_, _ = w.Write(d.pages[n-1])
}

// openJob finds the caller's own ticket and checks it is still open,
// answering the problem itself when not.
func (c *Center) openJob(w http.ResponseWriter, r *http.Request, t terminal) (*job, bool) {
	j, p := c.lookupJob(r, t)
	if p == nil {
		c.mu.Lock()
		if j.result != "" {
			p = protocol.NewProblem(protocol.ProbTicketClosed, "")
		}
		c.mu.Unlock()
	}
	if p != nil {
		c.problem(w, r, p)
		return nil, false
	}
	return j, true
}

// dropConnection resets the connection without an answer (fault drop).
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2: abort the stream
}

// markDelivered records that a faulted ticket's document went out.
func (c *Center) markDelivered(tid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.injected {
		if c.injected[i].TID == tid {
			c.injected[i].Delivered = true
		}
	}
}
