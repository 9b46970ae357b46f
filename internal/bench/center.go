package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
)

// centerFigures: transactions per second of the emulated center at 300
// and 600 dpi, in a worker process of its own, over real mutual TLS on
// loopback, with concurrent clients in this process doing the whole
// protocol (request → ticket → document → pages → outcome). The clients
// check the ticket and envelope signatures but not the pages (the kiosk's
// page check is its own figure), and their requests are signed by the
// residents' card keys before the clock starts, so the figure is the
// center's; the clients' TLS, HTTP and JOSE work still shares the cores
// with it, and each side's CPU time per transaction is reported.
func centerFigures(ctx context.Context, o Options, fx *fixtures.Set) ([]Figure, error) {
	if len(o.Worker) == 0 {
		return nil, errors.New("no worker command (Options.Worker)")
	}
	var figs []Figure
	for _, c := range []struct {
		dpi    int
		target float64
	}{{300, 300}, {600, 100}} {
		n := o.CenterTx
		if c.dpi == 600 {
			n = max(1, n/3)
		}
		r, err := centerRun(ctx, o, fx, c.dpi, n)
		if err != nil {
			return nil, fmt.Errorf("center at %d dpi: %w", c.dpi, err)
		}
		f := againstTarget("center", fmt.Sprintf("emulated center, one-page transactions at %d dpi", c.dpi), round(r.tps, 1), "tx/s", ">=", c.target)
		f.Note = fmt.Sprintf("%d transactions, %d concurrent clients in this process, the center in a process of its own, mutual TLS on loopback; "+
			"the clients took %.2f ms CPU per transaction on the same cores", n, o.CenterClients, r.clientCPU)
		// The same target as a CPU budget: 2 cores carry `target` tx/s when
		// a transaction costs the center at most 2000/target ms.
		cores := float64(runtime.NumCPU())
		budget := round(cores*1000/c.target, 2)
		cpu := againstTarget("center", fmt.Sprintf("emulated center CPU per transaction at %d dpi", c.dpi), round(r.centerCPU, 2), "ms", "<=", budget)
		cpu.Note = fmt.Sprintf("the center process's CPU time (/proc/PID/stat); %.0f cores at this cost carry %.0f tx/s with the clients elsewhere (target %.0f tx/s ⇔ ≤ %.2f ms)",
			cores, cores*1000/r.centerCPU, c.target, budget)
		figs = append(figs, f, cpu)
	}
	return figs, nil
}

// centerResult is one throughput run: transactions per second and CPU
// milliseconds per transaction on each side.
type centerResult struct {
	tps, centerCPU, clientCPU float64
}

// centerRun starts a center worker process at dpi, drives n transactions
// into it and reads both sides' CPU time over the measured window.
func centerRun(ctx context.Context, o Options, fx *fixtures.Set, dpi, n int) (centerResult, error) {
	args := append(append([]string{}, o.Worker[1:]...), "center", "--dpi", strconv.Itoa(dpi))
	cmd := exec.CommandContext(ctx, o.Worker[0], args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return centerResult{}, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return centerResult{}, err
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		return centerResult{}, err
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	var hello struct {
		URL string `json:"url"`
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &hello) != nil || hello.URL == "" {
		return centerResult{}, fmt.Errorf("center worker did not start: %q %v\n%s", line, err, errb.Bytes())
	}
	var c0, p0 time.Duration
	tps, err := centerTPS(ctx, fx, hello.URL, n, o.CenterClients, func() error {
		var err error
		if c0, err = procCPU(cmd.Process.Pid); err == nil {
			p0, err = cpuTime()
		}
		return err
	})
	if err != nil {
		return centerResult{}, err
	}
	c1, err := procCPU(cmd.Process.Pid)
	if err != nil {
		return centerResult{}, err
	}
	p1, err := cpuTime()
	if err != nil {
		return centerResult{}, err
	}
	return centerResult{tps: tps, centerCPU: ms(c1-c0) / float64(n), clientCPU: ms(p1-p0) / float64(n)}, nil
}

// procCPU reads a process's user+system CPU time from /proc/PID/stat
// (clock ticks of 10 ms: fine over a run of seconds).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after ")" are fixed.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14: utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15: stime
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(ut+st) * tick, nil
}

// centerWorker is `bench-worker center --dpi N`: an emulated center in a
// process of its own, so that its CPU time is its alone. It prints
// {"url": ...} and serves until its standard input closes.
func centerWorker(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("bench-worker center", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dpi := fs.Int("dpi", 300, "page resolution: 300 or 600")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	fx, err := fixtures.Load()
	if err != nil {
		return 1, err
	}
	srv, err := center.Start(center.Config{Fixtures: fx, DPI: *dpi, Now: clock.Wall}, "127.0.0.1:0")
	if err != nil {
		return 1, err
	}
	defer srv.Close()
	line, _ := json.Marshal(map[string]string{"url": srv.URL})
	fmt.Fprintln(stdout, string(line))
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return 0, nil
}

// benchResidents are the eligible residents with a card that works and
// a one-page 住民票 (household of one is not required: the page splits at
// 16 rows).
func benchResidents(fx *fixtures.Set, n int) []*fixtures.Resident {
	var out []*fixtures.Resident
	for _, r := range fx.Residents {
		if r.Eligible() && !r.Revoked && !r.Expired && !r.PINBlocked && len(r.ID) > 0 && r.ID[0] == 'R' {
			out = append(out, r)
		}
		if len(out) == n {
			break
		}
	}
	return out
}

// centerTPS runs n transactions through the center at url with k
// clients, after a warm-up, and returns completed transactions per second
// of wall time; start, if set, is called when the clock starts.
func centerTPS(ctx context.Context, fx *fixtures.Set, url string, n, k int, start func() error) (float64, error) {
	term, ok := fx.Terminal("T0001")
	if !ok {
		return 0, errors.New("no terminal T0001")
	}
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	cr, ir := x509.NewCertPool(), x509.NewCertPool()
	cr.AddCert(fx.CenterCA.Cert)
	ir.AddCert(fx.IssuerCA.Cert)
	v := &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir}
	residents := benchResidents(fx, 8)
	if len(residents) == 0 {
		return 0, errors.New("no eligible residents")
	}
	doc, err := protocol.NewDocSpec(protocol.DocJuminhyo)
	if err != nil {
		return 0, err
	}
	// Requests signed by the cards before the clock starts.
	type signed struct {
		sent *protocol.Sent
	}
	warm := max(k, len(residents)) // every client and every resident's template
	reqs := make([]signed, n+warm)
	for i := range reqs {
		res := residents[i%len(residents)]
		key, err := res.CardSigner()
		if err != nil {
			return 0, err
		}
		req, err := protocol.NewRequest(term.ID, term.Store, res.Muni, doc, time.Now(), "kofu-kiosk/bench")
		if err != nil {
			return 0, err
		}
		compact, err := protocol.SignRequest(ctx, key, res.CardCertDER, req)
		if err != nil {
			return 0, err
		}
		if reqs[i].sent, err = protocol.NewSent(compact, res.CardCertDER); err != nil {
			return 0, err
		}
	}
	clients := make([]*protocol.Client, k)
	for i := range clients {
		tr, err := protocol.NewTransport(op, term.Device.TLS())
		if err != nil {
			return 0, err
		}
		if clients[i], err = protocol.NewClient(protocol.ClientConfig{BaseURL: url, Transport: tr}); err != nil {
			return 0, err
		}
		defer clients[i].CloseIdle()
	}
	tx := func(c *protocol.Client, s *protocol.Sent) error {
		tc, err := c.Submit(ctx, s)
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		t, err := v.Ticket(tc, s)
		if err != nil {
			return err
		}
		ec, err := c.Envelope(ctx, t)
		if err != nil {
			return fmt.Errorf("envelope: %w", err)
		}
		e, err := v.Envelope(ec, t)
		if err != nil {
			return err
		}
		pages := 0
		for i := range e.Envelope().Pages {
			b, err := c.Page(ctx, e, i+1)
			if err != nil {
				return fmt.Errorf("page: %w", err)
			}
			clear(b)
			pages++
		}
		out, err := protocol.SignOutcome(term.Device.Key, [][]byte{term.Device.CertDER}, protocol.Outcome{V: protocol.Version,
			TID: t.TID(), Binding: s.Binding(), Result: protocol.ResultPrinted, Reason: "", Pages: pages,
			Printer: protocol.PrinterID{MFG: "kofu", MDL: "bench", SN: "0"}, IAT: time.Now().Unix()})
		if err != nil {
			return err
		}
		_, err = c.Outcome(ctx, t, out)
		return err
	}
	// Warm-up: every client (TLS sessions) and every resident (the page
	// templates) once.
	for i := range warm {
		if err := tx(clients[i%k], reqs[n+i].sent); err != nil {
			return 0, fmt.Errorf("warm-up: %w", err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, k)
	if start != nil {
		if err := start(); err != nil {
			return 0, err
		}
	}
	t0 := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := tx(c, reqs[i].sent); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return float64(n) / d.Seconds(), nil
}
