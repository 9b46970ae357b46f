// Package soak runs many transactions in one kiosk process — the real
// session, protocol client, card reader code, printer code, journal and
// payment unit — with faults mixed in, and samples the process's heap,
// RSS and goroutines to show they stay flat (issue 7, item 6).
package soak

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"kofu/internal/bookfaults"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/buildinfo"
	"kofu/internal/faultmatrix"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// cardRotation is how many residents' cards take turns at the kiosk.
const cardRotation = 64

// Config is one soak run.
type Config struct {
	Fixtures     *fixtures.Set
	CenterURL    string // the emulated center (in another process)
	Transactions int
	Every        int    // sample every this many transactions
	Dir          string // journal directory
	// PrinterFaultEvery: every this many transactions the session prints
	// on a fresh printer playing the next printer fault (0: never).
	PrinterFaultEvery int
	// CardFaultEvery: every this many transactions (offset by half) the
	// card is pulled during VERIFY (0: never).
	CardFaultEvery int
	// NetFaultEvery: every this many transactions (offset by a quarter)
	// the connection is reset as the document is asked for (0: never).
	NetFaultEvery int
	// JournalFaultEvery: every this many transactions (offset by an
	// eighth) the journal's disk fills part-way through the session
	// (bookfaults.JournalLimits), for real (RLIMIT_FSIZE), and has room again after
	// it (0: never).
	JournalFaultEvery int
	// PaymentFaultEvery: every this many transactions (offset by three
	// eighths) the coin unit fails one of its operations (bookfaults.UnitFaults) (0:
	// never).
	PaymentFaultEvery int
	DocTimeout        time.Duration // the kiosk's document deadline (default 2 s)
	// Now is the kiosk's clock (required); it starts at the instant the
	// center process was given, so 戸籍 in the mix is issued whatever day
	// the soak runs.
	Now func() time.Time
	// Progress, when set, is called with each sample as it is taken.
	Progress func(Sample)
	// Profiles, when set, is a directory that gets a heap profile at
	// every sample (heap-TXN.pprof), for `go tool pprof -base`.
	Profiles string
}

// printerFaults are the printer faults a soak cycles through.
func printerFaults() []string { return []string{"paper-out@1", "jam@1", "no-end", "unplug@4096"} }

// Sample is the process's state after a number of transactions, taken
// after a forced garbage collection that also returns free memory to the
// OS.
type Sample struct {
	Txn        int
	HeapBytes  uint64 // live heap (HeapAlloc after GC)
	RSSBytes   uint64 // VmRSS
	Goroutines int
	Elapsed    time.Duration
}

// Report is what a soak saw.
type Report struct {
	Transactions    int
	Outcomes        map[string]int // outcome/reason → count
	PrinterFaults   int
	CardFaults      int
	NetFaults       int
	JournalFaults   int
	PaymentFaults   int
	BillingMismatch int // the center billed otherwise than the kiosk settled
	Unreported      int // sessions with a ticket whose outcome the center did not answer
	FeeWithoutPrint int // fee captured without every page confirmed
	PrintedNoFee    int // printed but the fee not captured (after any recovery)
	CoinsAdrift     int // a coin unit whose books do not balance, or with a hold still open after recovery
	// HoldsRecovered: holds a failed capture or release left open,
	// resolved by the journal as the next start would (RecoverHolds).
	HoldsRecovered int
	// Unjournaled: sessions with no record at all (the journal's disk was
	// full from their first record): each must have moved no money.
	Unjournaled      int
	UnjournaledMoney int // ... of those, any that held, took or kept a coin
	JournalEnded     int // sessions the journal records as ended
	JournalOpen      int // sessions the journal leaves open (their end record failed)
	// Reopened: what opening the journal again (the next start) did with
	// the open sessions: closed as unknown or, with every page confirmed,
	// printed; open afterwards must be 0.
	ReopenRecovered, ReopenOpen int
	Samples                     []Sample
	Wall                        time.Duration
}

// Run runs the soak.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Transactions < 1 || cfg.Every < 1 {
		return nil, errors.New("soak: need transactions and a sampling interval")
	}
	if cfg.DocTimeout <= 0 {
		cfg.DocTimeout = 2 * time.Second
	}
	if cfg.Now == nil {
		return nil, errors.New("soak: no clock (Config.Now)")
	}
	fx := cfg.Fixtures
	term, ok := fx.Terminal("T0001")
	if !ok {
		return nil, errors.New("soak: no terminal T0001 in the fixtures")
	}
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	// The kiosk reaches the center through a loopback proxy that resets
	// the connection at the document step of every NetFaultEvery'th
	// transaction.
	proxy, err := faultmatrix.NewProxy()
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	u, err := url.Parse(cfg.CenterURL)
	if err != nil {
		return nil, err
	}
	proxy.SetUpstream(u.Host)
	tr, err := protocol.NewTransport(op, term.Device.TLS())
	if err != nil {
		return nil, err
	}
	tr.DialContext = proxy.Dial
	var resetAtDocument atomic.Bool
	steps := faultmatrix.NewSteps(tr, func(step string) {
		if step == faultmatrix.StepDocument && resetAtDocument.Swap(false) {
			proxy.ResetNext(1)
		}
	}, nil)
	client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: cfg.CenterURL, Transport: steps,
		Timeouts: protocol.Timeouts{Document: cfg.DocTimeout, Request: 5 * time.Second, Page: 5 * time.Second, Outcome: 5 * time.Second}})
	if err != nil {
		return nil, err
	}
	defer client.CloseIdle()
	cr := x509.NewCertPool()
	cr.AddCert(fx.CenterCA.Cert)
	ir := x509.NewCertPool()
	ir.AddCert(fx.IssuerCA.Cert)
	jpath := filepath.Join(cfg.Dir, "journal")
	jkey, err := journal.KeyFile(jpath + ".key")
	if err != nil {
		return nil, err
	}
	j, _, err := journal.Open(jpath, jkey, nil)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	// The printer keeps only the last page it printed: the soak checks
	// fees against confirmations, and the emulated paper tray is not the
	// kiosk's memory.
	prn, err := faultmatrix.NewPrinter(ctx, "", 1, faultmatrix.Patient())
	if err != nil {
		return nil, err
	}
	defer prn.Close()
	k := &terminal.Kiosk{Client: client, Verifier: &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir, Now: cfg.Now}, Journal: j, Now: cfg.Now,
		Identity: terminal.Identity{Term: term.ID, Store: term.Store, Device: term.Device.Key,
			DeviceChain: [][]byte{term.Device.CertDER}, SW: buildinfo.SW()},
		Timeouts: terminal.Timeouts{Print: 30 * time.Second}}

	// The residents' cards exist before the first sample: they are the
	// world's, not the kiosk's memory.
	residents := population(fx)
	if len(residents) > cardRotation {
		residents = residents[:cardRotation]
	}
	cards := make([]*emucard.Card, len(residents))
	for i, res := range residents {
		if cards[i], err = emucard.New(fx, res, emucard.Options{}); err != nil {
			return nil, err
		}
	}
	rep := &Report{Outcomes: map[string]int{}}
	// Sessions that met a full disk, by id: only they can have no record.
	// Keeping every session's result instead grew the soak's own heap by
	// ~2 MiB over 10,000 transactions, which the flatness check measured.
	sessions := map[string]terminal.Result{}
	start := time.Now()
	for i := range cfg.Transactions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ri := i % len(residents)
		res := residents[ri]
		card := cards[ri]
		doc := protocol.DocJuminhyo
		if i%5 == 0 && len(res.Koseki) > 0 {
			doc = protocol.DocKosekiZenbu
		}
		spec, _ := protocol.NewDocSpec(doc)
		sink := terminal.Sink(prn)
		var faulty *faultmatrix.Printer
		if cfg.PrinterFaultEvery > 0 && i%cfg.PrinterFaultEvery == cfg.PrinterFaultEvery-1 {
			pf := printerFaults()
			sc := pf[rep.PrinterFaults%len(pf)]
			if faulty, err = faultmatrix.NewPrinter(ctx, sc, 1, faultmatrix.FastConfirm()); err != nil {
				return nil, err
			}
			sink = faulty
			rep.PrinterFaults++
		}
		if cfg.CardFaultEvery > 0 && i%cfg.CardFaultEvery == cfg.CardFaultEvery/2 {
			card.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x20, N: 1}}) // pulled during VERIFY
			rep.CardFaults++
		}
		if cfg.NetFaultEvery > 0 && i%cfg.NetFaultEvery == cfg.NetFaultEvery/4 {
			resetAtDocument.Store(true)
			rep.NetFaults++
		}
		var lift func() error
		if cfg.JournalFaultEvery > 0 && i%cfg.JournalFaultEvery == cfg.JournalFaultEvery/8 {
			lim := bookfaults.JournalLimits()
			if lift, err = bookfaults.DiskLimit(jpath, lim[rep.JournalFaults%len(lim)]); err != nil {
				return nil, err
			}
			rep.JournalFaults++
		}
		var uf *bookfaults.UnitFault
		if cfg.PaymentFaultEvery > 0 && i%cfg.PaymentFaultEvery == cfg.PaymentFaultEvery*3/8 {
			f := bookfaults.UnitFaults()[rep.PaymentFaults%len(bookfaults.UnitFaults())]
			uf = &f
			rep.PaymentFaults++
		}
		r, coins, err := transaction(ctx, k, sink, card, res, spec, uf)
		if lift != nil {
			// Space returns; the kiosk's gate (health) probes the journal
			// before the next resident, which heals it.
			if lerr := lift(); lerr != nil {
				return nil, lerr
			}
			if herr := j.Healthy(); herr != nil && err == nil {
				err = fmt.Errorf("the journal did not heal once space returned: %w", herr)
			}
		}
		resetAtDocument.Store(false)
		card.SetFaults(emucard.Faults{})
		if !card.Present() {
			card.Insert()
		}
		if faulty != nil {
			faulty.Close()
		}
		if err != nil {
			return nil, err
		}
		rep.Transactions++
		rep.Outcomes[string(r.Outcome)+"/"+string(r.Reason)]++
		if lift != nil {
			sessions[r.Session] = r
		}
		if coins.Ledger().OpenHolds > 0 {
			// A capture or release failed on every try: the next start
			// resolves the hold by the journal.
			rec, err := terminal.RecoverHolds(ctx, jpath, j, coins)
			if err != nil {
				return nil, fmt.Errorf("recover holds: %w", err)
			}
			rep.HoldsRecovered += len(rec.Captured) + len(rec.Released)
		}
		ledger := coins.Ledger()
		if ledger.OpenHolds > 0 || ledger.Inserted != ledger.Cashbox+ledger.Returned+ledger.Credit+ledger.Held {
			rep.CoinsAdrift++
		}
		if ledger.Cashbox > 0 && r.Outcome != protocol.ResultPrinted {
			rep.FeeWithoutPrint++
		}
		if r.Outcome == protocol.ResultPrinted && ledger.Cashbox != r.Fee {
			rep.PrintedNoFee++
		}
		// The center's answer to the outcome report agrees with the kiosk.
		if (r.Billing == "captured") != (r.Outcome == protocol.ResultPrinted) && r.Billing != "" {
			rep.BillingMismatch++
		}
		if r.TID != "" && r.Billing == "" {
			rep.Unreported++
		}
		if (i+1)%cfg.Every == 0 || i+1 == cfg.Transactions {
			s := sample(i+1, time.Since(start))
			if cfg.Profiles != "" {
				if err := heapProfile(filepath.Join(cfg.Profiles, fmt.Sprintf("heap-%d.pprof", i+1))); err != nil {
					return nil, err
				}
			}
			rep.Samples = append(rep.Samples, s)
			if cfg.Progress != nil {
				cfg.Progress(s)
			}
		}
	}
	rep.Wall = time.Since(start)
	if err := j.Close(); err != nil {
		return nil, err
	}
	jr, err := journal.Verify(jpath)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	for _, n := range jr.Outcomes {
		rep.JournalEnded += n
	}
	rep.JournalOpen = len(jr.Open)
	if err := journal.Each(jpath, func(r journal.Record) error {
		delete(sessions, r.Session)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range sessions {
		rep.Unjournaled++
		if r.Payment != "none" || r.Fee != 0 && r.Outcome == protocol.ResultPrinted {
			rep.UnjournaledMoney++
		}
	}
	// The next start: Open closes what the failed end records left open.
	j2, jrep, err := journal.Open(jpath, jkey, nil)
	if err != nil {
		return nil, fmt.Errorf("reopen journal: %w", err)
	}
	rep.ReopenRecovered = len(jrep.Recovered)
	if err := j2.Close(); err != nil {
		return nil, err
	}
	if jr, err = journal.Verify(jpath); err != nil {
		return nil, fmt.Errorf("journal after reopen: %w", err)
	}
	rep.ReopenOpen = len(jr.Open)
	return rep, nil
}

// transaction is one resident at the kiosk: the card opened through the
// real cardreader code, the autopilot answering, a fresh coin unit.
// With uf, the coin unit fails as it says.
func transaction(ctx context.Context, k *terminal.Kiosk, sink terminal.Sink, ec *emucard.Card, res *fixtures.Resident,
	doc protocol.DocSpec, uf *bookfaults.UnitFault) (terminal.Result, *payment.Coins, error) {
	coins := payment.NewCoins()
	k.Payment, k.Sink = coins, sink
	if uf != nil {
		k.Payment = &bookfaults.FlakyUnit{Coins: coins, F: *uf}
	}
	c, err := cardreader.Open(ctx, ec.Dialer("kofu soak reader 00"), nil)
	if err != nil {
		return terminal.Result{}, nil, fmt.Errorf("card of %s: %w", res.ID, err)
	}
	defer c.Close()
	order := terminal.Order{Muni: res.RecordMuni(doc.Type), Doc: doc}
	r := k.Serve(ctx, c, terminal.NewAutopilot(order, []byte(res.PIN), coins))
	return r, coins, nil
}

// population lists eligible synthetic residents with working cards.
func population(fx *fixtures.Set) []*fixtures.Resident {
	var out []*fixtures.Resident
	for _, r := range fx.Residents {
		if strings.HasPrefix(r.ID, "P") && r.Eligible() && !r.Revoked && !r.Expired && !r.PINBlocked {
			out = append(out, r)
		}
	}
	return out
}

// sample forces a collection, returns freed memory to the OS, and reads
// heap, RSS and goroutines.
func sample(txn int, elapsed time.Duration) Sample {
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Sample{Txn: txn, HeapBytes: ms.HeapAlloc, RSSBytes: rss(), Goroutines: runtime.NumGoroutine(), Elapsed: elapsed}
}

// heapProfile writes the heap profile as of the last collection.
func heapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rss reads VmRSS from /proc/self/status (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
