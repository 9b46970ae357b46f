package bench

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
)

// centerFigures: transactions per second of the emulated center at 300
// and 600 dpi, over real mutual TLS on loopback, with concurrent clients
// in this process doing the whole protocol (request → ticket → document →
// pages → outcome). The clients check the ticket and envelope signatures
// but not the pages (the kiosk's page check is its own figure), and their
// requests are signed by the residents' card keys before the clock starts,
// so the figure is the center's; the clients' TLS, HTTP and JOSE work
// still shares the 2 cores with it.
func centerFigures(ctx context.Context, o Options, fx *fixtures.Set) ([]Figure, error) {
	var figs []Figure
	for _, c := range []struct {
		dpi    int
		target float64
	}{{300, 300}, {600, 100}} {
		n := o.CenterTx
		if c.dpi == 600 {
			n = max(1, n/3)
		}
		tps, err := centerTPS(ctx, fx, c.dpi, n, o.CenterClients)
		if err != nil {
			return nil, fmt.Errorf("center at %d dpi: %w", c.dpi, err)
		}
		f := againstTarget("center", fmt.Sprintf("emulated center, one-page transactions at %d dpi", c.dpi), round(tps, 1), "tx/s", ">=", c.target)
		f.Note = fmt.Sprintf("%d transactions, %d concurrent clients in the same process over mutual TLS, residents round-robin", n, o.CenterClients)
		figs = append(figs, f)
	}
	return figs, nil
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

// centerTPS runs n transactions through a fresh center with k clients and
// returns completed transactions per second of wall time.
func centerTPS(ctx context.Context, fx *fixtures.Set, dpi, n, k int) (float64, error) {
	srv, err := center.Start(center.Config{Fixtures: fx, DPI: dpi}, "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer srv.Close()
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
		key, err := res.CardKey()
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
		if clients[i], err = protocol.NewClient(protocol.ClientConfig{BaseURL: srv.URL, Transport: tr}); err != nil {
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
