// Package fleet runs many kiosks in one process against one emulated
// center over real HTTPS with mutual TLS, and judges the result from
// outside the kiosks: the center's record of what it corrupted, and the
// paper itself, every sheet decoded from the bytes each printer received
// and its QR symbols read anew (kofu-emu fleet).
package fleet

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kofu/cardreader"
	"kofu/internal/bookfaults"
	"kofu/internal/buildinfo"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// Config is one fleet run.
type Config struct {
	Kiosks       int
	Transactions int // in total, spread over the kiosks
	Faults       []center.Fault
	FaultRate    float64
	DPI          int
	Dir          string        // kiosks' journals; a temp dir when empty (removed after)
	DocTimeout   time.Duration // kiosk's deadline for the document (default 60s)
	Fixtures     *fixtures.Set
	KosekiShare  float64 // share of 戸籍全部事項証明書 (multi-page) in the mix (default 0.2)
	// Gen2Share is the share of sessions whose resident holds a
	// generation-2 card (ECDSA P-384, the assumed applet profile; the
	// fixtures' eligible G… residents), the rest drawn from the
	// population's generation-1 cards: default DefaultGen2Share, negative
	// for none.
	Gen2Share float64
	// Now is the clock of the whole fleet, center and kiosks (required):
	// the center issues 戸籍 on weekdays only, so a run's mix depends on
	// the instant it is given (kofu-emu fleet --clock; tests pin one).
	Now func() time.Time
	// JournalFaultEvery: every this many transactions (counted over the
	// fleet) the journal's disk of the kiosk serving it fills part-way
	// through the session, for real (bookfaults.DiskLimit), and has room
	// again after it; such transactions run one at a time after the
	// others, since the limit is the process's (0: never). PaymentFaultEvery: every this many, that
	// kiosk's coin unit fails one of its operations (bookfaults.UnitFaults)
	// (0: never). 100 is the 1 % of issue 15.
	JournalFaultEvery, PaymentFaultEvery int
}

// DefaultGen2Share is Config.Gen2Share's default: a quarter of the
// sessions on generation-2 cards.
const DefaultGen2Share = 0.25

// Report is the fleet's verdict (issue 7's JSON).
type Report struct {
	Transactions   int            `json:"transactions"`
	Printed        int            `json:"printed"`
	Refused        map[string]int `json:"refused"`
	Failed         map[string]int `json:"failed"`
	Cancelled      map[string]int `json:"cancelled"`
	Unknown        map[string]int `json:"unknown"`
	FaultsInjected int            `json:"faults_injected"`
	FaultsByMode   map[string]int `json:"faults_by_mode"`
	MixupsInjected int            `json:"mixups_injected"`
	MixupsRefused  int            `json:"mixups_refused"`
	// MixupsUnreceived were rendered wrong but never received by their
	// kiosk: it gave up on its own document deadline first (the center may
	// have begun to send), or its coin unit could not hold the fee, so it
	// never asked (unreceived). Nothing was printed for them.
	MixupsUnreceived    int `json:"mixups_unreceived"`
	ForeignPagesPrinted int `json:"foreign_pages_printed"`
	FeeWithoutPrint     int `json:"fee_captured_without_confirmed_print"`
	LostJournalRecords  int `json:"lost_journal_records"`
	PrintedNoFee        int `json:"printed_without_fee"`
	JournalFaults       int `json:"journal_faults"`
	PaymentFaults       int `json:"payment_faults"`
	// JournalUnhealed: journals that stayed failed once space returned.
	JournalUnhealed int `json:"journal_unhealed"`
	// HoldsRecovered: holds a failed capture or release left open,
	// resolved by the journal as the next start would.
	HoldsRecovered int `json:"holds_recovered"`
	// CoinsAdrift: coin units whose books do not balance or that keep a
	// hold open after recovery.
	CoinsAdrift int `json:"coins_adrift"`
	// Unjournaled: sessions with no record (the disk was full from their
	// first record); UnjournaledMoney: of those, any that moved money.
	Unjournaled      int `json:"unjournaled"`
	UnjournaledMoney int `json:"unjournaled_money"`
	// JournalOpen: sessions a failed end record left open;
	// ReopenOpen: still open after the journals are opened again (as the
	// next start opens them): must be 0.
	JournalOpen       int      `json:"journal_open"`
	ReopenOpen        int      `json:"reopen_open"`
	UnaccountedFaults []string `json:"unaccounted_faults"`
	P50ms             float64  `json:"p50_ms"`
	P99ms             float64  `json:"p99_ms"`
	WallSeconds       float64  `json:"wall_seconds"`

	// Gen2Transactions were served by a generation-2 card (P-384, ES384
	// requests), Gen2Printed of them printed.
	Gen2Transactions int `json:"gen2_transactions"`
	Gen2Printed      int `json:"gen2_printed"`
}

// Held reports whether the fleet kept kofu's promise.
func (r *Report) Held() bool {
	return r.ForeignPagesPrinted == 0 && r.FeeWithoutPrint == 0 && r.LostJournalRecords == 0 &&
		r.PrintedNoFee == 0 && r.JournalUnhealed == 0 && r.CoinsAdrift == 0 && r.UnjournaledMoney == 0 && r.ReopenOpen == 0 &&
		len(r.UnaccountedFaults) == 0 && r.MixupsRefused+r.MixupsUnreceived == r.MixupsInjected
}

// kiosk is one kiosk of the fleet and what it observed.
type kiosk struct {
	k       *terminal.Kiosk
	j       *journal.Journal
	key     []byte // the journal's key, to open it again as the next start would
	path    string
	sink    *paperPrinter
	wire    *wire
	started int
}

// session is one finished transaction.
type session struct {
	res       terminal.Result
	gen       int            // the card's generation (fixtures.Gen1, Gen2)
	ledger    payment.Ledger // after any recovery of a hold left open
	printed   int            // sheets decoded from the bytes the printer received
	elapsed   time.Duration
	recovered int  // holds resolved by the journal after the session
	unhealed  bool // the journal stayed failed once space returned
	err       error
}

// Run runs the fleet and returns its report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Kiosks < 1 || cfg.Transactions < 1 {
		return nil, errors.New("fleet: need at least one kiosk and one transaction")
	}
	if cfg.Now == nil {
		return nil, errors.New("fleet: no clock (Config.Now)")
	}
	fx := cfg.Fixtures
	if fx == nil {
		var err error
		if fx, err = fixtures.Load(); err != nil {
			return nil, err
		}
	}
	if cfg.DocTimeout <= 0 {
		cfg.DocTimeout = 60 * time.Second
	}
	if cfg.KosekiShare == 0 {
		cfg.KosekiShare = 0.2
	}
	if cfg.Gen2Share == 0 {
		cfg.Gen2Share = DefaultGen2Share
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "kofu-fleet-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	srv, err := center.Start(center.Config{Fixtures: fx, Faults: cfg.Faults, FaultRate: cfg.FaultRate, DPI: cfg.DPI, Now: cfg.Now,
		LateDelay: cfg.DocTimeout + 3*time.Second, JobTimeout: 10 * time.Minute}, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	kiosks, err := buildKiosks(ctx, fx, srv.URL, cfg, dir)
	defer func() {
		for _, k := range kiosks {
			k.j.Close()
			k.sink.Close()
		}
	}()
	if err != nil {
		return nil, err
	}

	residents, gen2 := population(fx), gen2Cards(fx)
	if cfg.Gen2Share > 0 && len(gen2) == 0 {
		return nil, errors.New("fleet: a share of generation-2 cards, but no eligible G… resident in the fixtures")
	}
	// pick is transaction i's resident: a generation-2 card for
	// Gen2Share of them, spread over the run (37 is prime to 100), the
	// population otherwise.
	pick := func(i int) *fixtures.Resident {
		if cfg.Gen2Share > 0 && float64(i*37%100) < cfg.Gen2Share*100 {
			return gen2[i%len(gen2)]
		}
		return residents[i%len(residents)]
	}
	var next atomic.Int64
	var mu sync.Mutex
	var sessions []session
	// A transaction whose journal disk fills runs alone (the file size
	// limit is the process's): they wait for a closing phase, one at a
	// time, on the kiosk they fell to. Waiting for a quiet moment in the
	// busy phase instead would stall the fleet behind every 60 s
	// document deadline in flight.
	type later struct {
		k     *kiosk
		res   *fixtures.Resident
		spec  protocol.DocSpec
		limit int64
		uf    *bookfaults.UnitFault
	}
	var alone []later
	var journalFaults, paymentFaults atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for ki, k := range kiosks {
		n := cfg.Transactions / cfg.Kiosks
		if ki < cfg.Transactions%cfg.Kiosks {
			n++
		}
		k.started = n
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				i := int(next.Add(1) - 1)
				res := pick(i)
				doc := protocol.DocJuminhyo
				if float64(i%100) < cfg.KosekiShare*100 && len(res.Koseki) > 0 {
					doc = protocol.DocKosekiZenbu
				}
				spec, _ := protocol.NewDocSpec(doc)
				var limit *int64
				if cfg.JournalFaultEvery > 0 && i%cfg.JournalFaultEvery == cfg.JournalFaultEvery/8 {
					lims := bookfaults.JournalLimits()
					l := lims[int(journalFaults.Add(1)-1)%len(lims)]
					limit = &l
				}
				var uf *bookfaults.UnitFault
				if cfg.PaymentFaultEvery > 0 && i%cfg.PaymentFaultEvery == cfg.PaymentFaultEvery*3/8 {
					fs := bookfaults.UnitFaults()
					f := fs[int(paymentFaults.Add(1)-1)%len(fs)]
					uf = &f
				}
				if limit != nil {
					mu.Lock()
					alone = append(alone, later{k, res, spec, *limit, uf})
					mu.Unlock()
					continue
				}
				s := k.run(ctx, fx, res, spec, nil, uf)
				mu.Lock()
				sessions = append(sessions, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, l := range alone {
		sessions = append(sessions, l.k.run(ctx, fx, l.res, l.spec, &l.limit, l.uf))
	}
	wall := time.Since(start)
	for _, k := range kiosks {
		k.j.Close()
	}
	r, err := judge(srv.Center, kiosks, sessions, wall)
	if r != nil {
		r.JournalFaults, r.PaymentFaults = int(journalFaults.Load()), int(paymentFaults.Load())
	}
	return r, err
}

// run is one transaction on this kiosk.
// The resident's card is the APDU-level emulated card driven by the real
// cardreader code. With limit, the journal's disk fills that many bytes
// past its end for the session and has room after it (the caller runs it
// alone); with uf, the coin unit fails as it says. A hold a failed
// capture or release left open is resolved by the journal, as the next
// start would.
func (k *kiosk) run(ctx context.Context, fx *fixtures.Set, res *fixtures.Resident, doc protocol.DocSpec,
	limit *int64, uf *bookfaults.UnitFault) (s session) {
	coins := payment.NewCoins()
	k.k.Payment = coins
	if uf != nil {
		k.k.Payment = &bookfaults.FlakyUnit{Coins: coins, F: *uf}
	}
	if limit != nil {
		lift, err := bookfaults.DiskLimit(k.path, *limit)
		if err != nil {
			return session{err: err}
		}
		defer func() {
			if err := lift(); err != nil && s.err == nil {
				s.err = err
			}
			// Space returns; the kiosk's gate probes the journal before
			// the next resident, which heals it.
			s.unhealed = k.j.Healthy() != nil
		}()
	}
	t0 := time.Now()
	before := k.sink.paperTotal()
	var r terminal.Result
	slot, err := emulator.NewCardSlot(fx, res)
	var card *cardreader.Card
	if err == nil {
		card, err = slot.Open(ctx)
	}
	if err != nil {
		r = terminal.Result{Outcome: protocol.ResultFailed, Reason: "card-certificate"}
	} else {
		r = k.k.Serve(ctx, card, terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(res.PIN), coins))
		card.Close()
	}
	s = session{res: r, gen: res.Gen, printed: k.sink.paperTotal() - before, elapsed: time.Since(t0)}
	if coins.Ledger().OpenHolds > 0 {
		rec, err := terminal.RecoverHolds(ctx, k.path, k.j, coins)
		s.recovered, s.err = len(rec.Captured)+len(rec.Released), err
	}
	s.ledger = coins.Ledger()
	return s
}

// population lists the eligible population residents (distinct cards).
func population(fx *fixtures.Set) []*fixtures.Resident {
	var out []*fixtures.Resident
	for _, r := range fx.Residents {
		if strings.HasPrefix(r.ID, "P") && r.Eligible() && !r.Revoked && !r.Expired && !r.PINBlocked {
			out = append(out, r)
		}
	}
	return out
}

// gen2Cards lists the eligible residents with a generation-2 card whose
// card works (not revoked, expired or blocked).
func gen2Cards(fx *fixtures.Set) []*fixtures.Resident {
	var out []*fixtures.Resident
	for _, r := range fx.Generation(fixtures.Gen2) {
		if r.Eligible() && !r.Revoked && !r.Expired && !r.PINBlocked {
			out = append(out, r)
		}
	}
	return out
}

// buildKiosks mints a device identity per kiosk under the operator CA and
// wires each kiosk with its own client, journal, printer check and wire
// observer. On an error it returns the kiosks built so far, for the
// caller to close.
func buildKiosks(ctx context.Context, fx *fixtures.Set, url string, cfg Config, dir string) ([]*kiosk, error) {
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	cr := x509.NewCertPool()
	cr.AddCert(fx.CenterCA.Cert)
	ir := x509.NewCertPool()
	ir.AddCert(fx.IssuerCA.Cert)
	verifier := &protocol.Verifier{CenterRoots: cr, IssuerRoots: ir, Now: cfg.Now}
	var out []*kiosk
	for i := range cfg.Kiosks {
		term, store := fmt.Sprintf("F%04d", i+1), fmt.Sprintf("FS%04d", i+1)
		key, chain, err := mintDevice(fx, term, store, cfg.Now())
		if err != nil {
			return out, err
		}
		tr, err := protocol.NewTransport(op, tls.Certificate{Certificate: chain, PrivateKey: key})
		if err != nil {
			return out, err
		}
		w := &wire{base: tr}
		client, err := protocol.NewClient(protocol.ClientConfig{BaseURL: url, Transport: w,
			Timeouts: protocol.Timeouts{Document: cfg.DocTimeout}})
		if err != nil {
			return out, err
		}
		kd := filepath.Join(dir, term)
		if err := os.MkdirAll(kd, 0o700); err != nil {
			return out, err
		}
		jkey, err := journal.KeyFile(filepath.Join(kd, "journal.key"))
		if err != nil {
			return out, err
		}
		path := filepath.Join(kd, "journal")
		j, _, err := journal.Open(path, jkey, nil)
		if err != nil {
			return out, err
		}
		sink, err := newPaperPrinter(ctx, w)
		if err != nil {
			j.Close()
			return out, err
		}
		out = append(out, &kiosk{j: j, key: jkey, path: path, sink: sink, wire: w, k: &terminal.Kiosk{
			Client: client, Verifier: verifier, Sink: sink, Journal: j, Now: cfg.Now,
			Identity: terminal.Identity{Term: term, Store: store, Device: key, DeviceChain: chain, SW: buildinfo.SW()},
		}})
	}
	return out, nil
}

// mintDevice issues a kiosk device certificate under the test operator CA.
// Its validity is around now, the fleet's clock, at which the center
// judges it.
func mintDevice(fx *fixtures.Set, term, store string, now time.Time) (*ecdsa.PrivateKey, [][]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial,
		Subject:   pkix.Name{CommonName: term, OrganizationalUnit: []string{store}, Organization: []string{"kofu fleet test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, fx.OperatorCA.Cert, &key.PublicKey, fx.OperatorCA.Key)
	if err != nil {
		return nil, nil, err
	}
	return key, [][]byte{der}, nil
}

// judge compares what the kiosks did with the ground truth.
func judge(c *center.Center, kiosks []*kiosk, sessions []session, wall time.Duration) (*Report, error) {
	r := &Report{Transactions: len(sessions), Refused: map[string]int{}, Failed: map[string]int{},
		Cancelled: map[string]int{}, Unknown: map[string]int{}, FaultsByMode: map[string]int{},
		WallSeconds: wall.Seconds()}
	byTID := map[string]session{}
	var lat []float64
	ids := map[string]terminal.Result{} // session id → result, until found in a journal
	for _, s := range sessions {
		if s.err != nil {
			return nil, fmt.Errorf("fleet session: %w", s.err)
		}
		if s.unhealed {
			r.JournalUnhealed++
		}
		r.HoldsRecovered += s.recovered
		l := s.ledger
		if l.OpenHolds > 0 || l.Inserted != l.Cashbox+l.Returned+l.Credit+l.Held {
			r.CoinsAdrift++
		}
		if s.res.Outcome == protocol.ResultPrinted && l.Cashbox != s.res.Fee {
			r.PrintedNoFee++
		}
		if s.res.Session != "" {
			ids[s.res.Session] = s.res
		}
		if s.res.TID != "" {
			byTID[s.res.TID] = s
		}
		lat = append(lat, float64(s.elapsed.Microseconds())/1000)
		if s.gen == fixtures.Gen2 {
			r.Gen2Transactions++
			if s.res.Outcome == protocol.ResultPrinted {
				r.Gen2Printed++
			}
		}
		switch s.res.Outcome {
		case protocol.ResultPrinted:
			r.Printed++
		case protocol.ResultRefused:
			r.Refused[string(s.res.Reason)]++
		case protocol.ResultFailed:
			r.Failed[string(s.res.Reason)]++
		case protocol.ResultCancelled:
			r.Cancelled[string(s.res.Reason)]++
		case protocol.ResultUnknown:
			r.Unknown[string(s.res.Reason)]++
		}
		if s.ledger.Cashbox > 0 && (s.res.Outcome != protocol.ResultPrinted || s.printed != s.res.Pages || s.printed == 0) {
			r.FeeWithoutPrint++
		}
	}
	for _, inj := range c.Injections() {
		r.FaultsInjected++
		r.FaultsByMode[string(inj.Fault)]++
		s, ok := byTID[inj.TID]
		switch {
		case !ok:
			r.UnaccountedFaults = append(r.UnaccountedFaults, string(inj.Fault)+":"+inj.TID+":no-session")
		case inj.Mixup:
			r.MixupsInjected++
			switch {
			case s.res.Outcome == protocol.ResultRefused:
				r.MixupsRefused++
			case unreceived(s.res):
				r.MixupsUnreceived++
			default:
				r.UnaccountedFaults = append(r.UnaccountedFaults, fmt.Sprintf("%s:%s:%s/%s", inj.Fault, inj.TID, s.res.Outcome, s.res.Reason))
			}
		}
	}
	started, endedAll := 0, 0
	for _, k := range kiosks {
		r.ForeignPagesPrinted += k.sink.foreign()
		rep, err := journal.Verify(k.path)
		if err != nil {
			return nil, fmt.Errorf("journal of %s: %w", k.k.Identity.Term, err)
		}
		ended := 0
		for _, n := range rep.Outcomes {
			ended += n
		}
		r.JournalOpen += len(rep.Open)
		endedAll += ended
		started += k.started
		if err := journal.Each(k.path, func(rec journal.Record) error {
			delete(ids, rec.Session)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("journal of %s: %w", k.k.Identity.Term, err)
		}
		// The next start: opening the journal closes what failed end
		// records left open.
		j, _, err := journal.Open(k.path, k.key, nil)
		if err != nil {
			return nil, fmt.Errorf("reopen journal of %s: %w", k.k.Identity.Term, err)
		}
		if err := j.Close(); err != nil {
			return nil, err
		}
		if rep, err = journal.Verify(k.path); err != nil {
			return nil, fmt.Errorf("journal of %s after reopen: %w", k.k.Identity.Term, err)
		}
		r.ReopenOpen += len(rep.Open)
	}
	// Sessions no journal names: the disk was full from their first
	// record. They must have moved no money.
	for _, res := range ids {
		r.Unjournaled++
		if res.Payment != "none" {
			r.UnjournaledMoney++
		}
	}
	if lost := started - endedAll - r.JournalOpen - r.Unjournaled; lost > 0 {
		r.LostJournalRecords = lost
	}
	sort.Float64s(lat)
	r.P50ms, r.P99ms = quantile(lat, 0.5), quantile(lat, 0.99)
	slices.Sort(r.UnaccountedFaults)
	return r, nil
}

// unreceived reports whether a session ended before it received its
// document, and printed nothing: its own document deadline came first, or
// the coin unit could not take the fee (the document is fetched only once
// the fee is held).
func unreceived(r terminal.Result) bool {
	switch {
	case r.Outcome == protocol.ResultFailed && r.Reason == "document-timeout":
		return true
	case (r.Outcome == protocol.ResultCancelled || r.Outcome == protocol.ResultFailed) && r.Reason.Stage() == "pay":
		return r.Pages == 0
	}
	return false
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
