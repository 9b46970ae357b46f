package bench

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kofu/internal/buildinfo"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// WorkerReport is what a kiosk worker process reports on stdout.
type WorkerReport struct {
	Transactions int     `json:"transactions"` // measured (after one warm-up)
	Printed      int     `json:"printed"`
	CPUms        float64 `json:"cpu_ms"`  // user+system CPU of the process over the measured transactions
	WallMs       float64 `json:"wall_ms"` // their wall time
	RSSKiB       int64   `json:"rss_kib"` // VmRSS after the last transaction
	HWMKiB       int64   `json:"hwm_kib"` // VmHWM (peak RSS) of the process
	// Medians per transaction: FirstByteMs is verified → first byte on the
	// printer link, that is JournalMs (one journal record appended and
	// fsynced, measured on the fee → fetch transition, where the kiosk
	// does nothing else) plus AfterPrintMs (print state journaled → first
	// byte); ReceivedMs runs from the last page byte received, so it also
	// holds the page checks.
	FirstByteMs  float64 `json:"first_byte_ms"`
	JournalMs    float64 `json:"journal_ms"`
	AfterPrintMs float64 `json:"after_print_ms"`
	ReceivedMs   float64 `json:"received_ms"`
	Pages        int     `json:"pages"` // pages printed by the last transaction
	// LiveAtPrintKiB: with --live-at-print, the heap still in use, after a
	// forced collection, as the last transaction entered print: what the
	// session holds for the printer (the collection disturbs HWMKiB).
	LiveAtPrintKiB int64  `json:"live_at_print_kib,omitempty"`
	LastOutcome    string `json:"last_outcome,omitempty"`
	LastReason     string `json:"last_reason,omitempty"`
}

// WorkerMain is `kofu-emu bench-worker ROLE`, a process of its own for
// the figures that measure one side: ROLE kiosk (kioskWorker) or center
// (centerWorker).
func WorkerMain(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		return 2, errors.New("bench-worker: want kiosk or center")
	}
	switch args[0] {
	case "kiosk":
		return kioskWorker(ctx, args[1:], stdout, stderr)
	case "center":
		return centerWorker(ctx, args[1:], stdout, stderr)
	}
	return 2, fmt.Errorf("bench-worker: unknown role %q", args[0])
}

// kioskWorker is a kiosk process for the kiosk figures (`kofu-emu
// bench-worker kiosk`): the real kiosk session (terminal.Kiosk with its client,
// verifier, journal and coin unit), the resident's emulated card through
// the cardreader code, and kofu's printer code on the emulated USB
// printer, running --transactions one-page transactions against the
// center at --center; then it reports its CPU time, RSS and the
// verified → first-byte latency as one JSON line. The center runs in the
// parent, so none of its work is counted here. Nothing is written but a
// journal in a temporary directory, removed at exit.
func kioskWorker(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("bench-worker kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("center", "", "center base URL (https://127.0.0.1:PORT)")
	n := fs.Int("transactions", 10, "transactions to measure after one warm-up")
	resident := fs.String("resident", "R0001", "test resident whose card is inserted")
	docName := fs.String("doc", string(protocol.DocJuminhyo), "document type asked for")
	copies := fs.Int("copies", 1, "copies asked for (each repeats the document's pages)")
	liveAtPrint := fs.Bool("live-at-print", false, "report the live heap (after a forced collection) as each transaction enters print")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *url == "" || *n < 1 {
		return 2, errors.New("--center URL and --transactions ≥ 1 are required")
	}
	fx, err := fixtures.Load()
	if err != nil {
		return 1, err
	}
	res, ok := fx.Resident(*resident)
	if !ok {
		return 2, fmt.Errorf("no resident %q", *resident)
	}
	term, ok := fx.Terminal("T0001")
	if !ok {
		return 1, errors.New("no terminal T0001")
	}
	doc, err := protocol.NewDocSpec(protocol.DocType(*docName))
	if err != nil {
		return 2, err
	}
	doc.Copies = *copies
	if err := doc.Validate(); err != nil {
		return 2, err
	}
	st := &stamps{}
	var live atomic.Int64
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	tr, err := protocol.NewTransport(op, term.Device.TLS())
	if err != nil {
		return 1, err
	}
	client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: *url, Transport: &pageClock{rt: tr, st: st}})
	if err != nil {
		return 1, err
	}
	defer client.CloseIdle()
	cr, ir := x509.NewCertPool(), x509.NewCertPool()
	cr.AddCert(fx.CenterCA.Cert)
	ir.AddCert(fx.IssuerCA.Cert)

	dir, err := os.MkdirTemp("", "kofu-bench-kiosk-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	jpath := filepath.Join(dir, "journal")
	key, err := journal.KeyFile(jpath + ".key")
	if err != nil {
		return 1, err
	}
	j, _, err := journal.Open(jpath, key, nil)
	if err != nil {
		return 1, err
	}
	defer j.Close()

	emu := emuprinter.New(emuprinter.Config{Keep: 1})
	p, err := printer.New(ctx, printer.OnLink(&firstByteLink{Link: emu, st: st}), printer.Options{})
	if err != nil {
		return 1, err
	}
	defer p.Close()
	slot, err := emulator.NewCardSlot(fx, res)
	if err != nil {
		return 1, err
	}
	k := &terminal.Kiosk{Client: client, Verifier: &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir},
		Identity: terminal.Identity{Term: term.ID, Store: term.Store, Device: term.Device.Key,
			DeviceChain: [][]byte{term.Device.CertDER}, SW: buildinfo.SW()},
		Sink: p, Journal: j,
		OnState: func(s terminal.State) {
			switch s {
			case terminal.StateFee:
				st.mark(&st.fee)
			case terminal.StateFetch:
				st.mark(&st.fetch)
			case terminal.StatePrint:
				st.mark(&st.printState)
				if *liveAtPrint {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					live.Store(int64(ms.HeapAlloc / 1024))
				}
			}
		}}
	one := func() (terminal.Result, error) {
		st.reset()
		card, err := slot.Open(ctx)
		if err != nil {
			return terminal.Result{}, fmt.Errorf("card: %w", err)
		}
		defer card.Close()
		coins := payment.NewCoins()
		k.Payment = coins
		r := k.Serve(ctx, card, terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(res.PIN), coins))
		return r, nil
	}
	if r, err := one(); err != nil || r.Outcome != protocol.ResultPrinted {
		return 1, fmt.Errorf("warm-up transaction: %v %s %s", err, r.Outcome, r.Reason)
	}
	var rep WorkerReport
	var firstByte, journal, afterPrint, received []float64
	before, err := cpuTime()
	if err != nil {
		return 1, err
	}
	t0 := time.Now()
	for range *n {
		r, err := one()
		if err != nil {
			return 1, err
		}
		rep.Transactions++
		rep.LastOutcome, rep.LastReason, rep.Pages = string(r.Outcome), string(r.Reason), r.Pages
		if r.Outcome != protocol.ResultPrinted {
			continue
		}
		rep.Printed++
		if s := st.get(); !s.firstByte.IsZero() && !s.lastPage.IsZero() && !s.printState.IsZero() && !s.fee.IsZero() && !s.fetch.IsZero() {
			j, a := s.fetch.Sub(s.fee), s.firstByte.Sub(s.printState)
			journal, afterPrint = append(journal, ms(j)), append(afterPrint, ms(a))
			firstByte = append(firstByte, ms(j+a))
			received = append(received, ms(s.firstByte.Sub(s.lastPage)))
		}
	}
	rep.WallMs = ms(time.Since(t0))
	after, err := cpuTime()
	if err != nil {
		return 1, err
	}
	rep.CPUms = ms(after - before)
	rep.FirstByteMs, rep.JournalMs = medianOf(firstByte), medianOf(journal)
	rep.AfterPrintMs, rep.ReceivedMs = medianOf(afterPrint), medianOf(received)
	if rep.RSSKiB, rep.HWMKiB, err = procStatus(); err != nil {
		return 1, err
	}
	rep.LiveAtPrintKiB = live.Load()
	line, _ := json.Marshal(rep)
	fmt.Fprintln(stdout, string(line))
	return 0, nil
}

// stamps are the instants of one transaction the kiosk figures need.
type stamps struct {
	mu         sync.Mutex
	fee, fetch time.Time // the fee and fetch states journaled
	lastPage   time.Time // the last page's body read to its end
	printState time.Time // the print state journaled (verification passed)
	firstByte  time.Time // the first bulk-out transfer after that
}

func (s *stamps) reset() {
	s.mu.Lock()
	s.fee, s.fetch, s.lastPage, s.printState, s.firstByte = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	s.mu.Unlock()
}

func (s *stamps) mark(t *time.Time) {
	now := time.Now()
	s.mu.Lock()
	*t = now
	s.mu.Unlock()
}

// get returns a copy of the instants.
func (s *stamps) get() stamps {
	s.mu.Lock()
	defer s.mu.Unlock()
	return stamps{fee: s.fee, fetch: s.fetch, lastPage: s.lastPage, printState: s.printState, firstByte: s.firstByte}
}

// pageClock stamps the moment each page answer's body has been read to
// its end; the last one before printing is "the document received".
type pageClock struct {
	rt http.RoundTripper
	st *stamps
}

func (p *pageClock) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.rt.RoundTrip(r)
	if err != nil || !strings.Contains(r.URL.Path, "/pages/") {
		return resp, err
	}
	resp.Body = &eofClock{ReadCloser: resp.Body, st: p.st}
	return resp, nil
}

type eofClock struct {
	io.ReadCloser
	st *stamps
}

func (e *eofClock) Read(b []byte) (int, error) {
	n, err := e.ReadCloser.Read(b)
	if errors.Is(err, io.EOF) {
		e.st.mark(&e.st.lastPage)
	}
	return n, err
}

// firstByteLink stamps the first bulk-out transfer of a job after the
// print state (the printer's status requests go over the control pipe).
type firstByteLink struct {
	printer.Link
	st *stamps
}

func (l *firstByteLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	l.st.mu.Lock()
	if !l.st.printState.IsZero() && l.st.firstByte.IsZero() {
		l.st.firstByte = time.Now()
	}
	l.st.mu.Unlock()
	return l.Link.BulkOut(ctx, p)
}

// procStatus reads VmRSS and VmHWM of this process, in KiB.
func procStatus() (rss, hwm int64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc/self/status")
	}
	return rss, hwm, nil
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
