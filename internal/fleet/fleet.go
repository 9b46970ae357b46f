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
	// Now is the clock of the whole fleet, center and kiosks (required):
	// the center issues 戸籍 on weekdays only, so a run's mix depends on
	// the instant it is given (kofu-emu fleet --clock; tests pin one).
	Now func() time.Time
}

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
	// have begun to send). Nothing was printed for them.
	MixupsUnreceived    int      `json:"mixups_unreceived"`
	ForeignPagesPrinted int      `json:"foreign_pages_printed"`
	FeeWithoutPrint     int      `json:"fee_captured_without_confirmed_print"`
	LostJournalRecords  int      `json:"lost_journal_records"`
	UnaccountedFaults   []string `json:"unaccounted_faults"`
	P50ms               float64  `json:"p50_ms"`
	P99ms               float64  `json:"p99_ms"`
	WallSeconds         float64  `json:"wall_seconds"`
}

// Held reports whether the fleet kept kofu's promise.
func (r *Report) Held() bool {
	return r.ForeignPagesPrinted == 0 && r.FeeWithoutPrint == 0 && r.LostJournalRecords == 0 &&
		len(r.UnaccountedFaults) == 0 && r.MixupsRefused+r.MixupsUnreceived == r.MixupsInjected
}

// kiosk is one kiosk of the fleet and what it observed.
type kiosk struct {
	k       *terminal.Kiosk
	j       *journal.Journal
	path    string
	sink    *paperPrinter
	wire    *wire
	started int
}

// session is one finished transaction.
type session struct {
	res     terminal.Result
	ledger  payment.Ledger
	printed int // sheets decoded from the bytes the printer received
	elapsed time.Duration
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

	residents := population(fx)
	var next atomic.Int64
	var mu sync.Mutex
	var sessions []session
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
				res := residents[i%len(residents)]
				doc := protocol.DocJuminhyo
				if float64(i%100) < cfg.KosekiShare*100 && len(res.Koseki) > 0 {
					doc = protocol.DocKosekiZenbu
				}
				spec, _ := protocol.NewDocSpec(doc)
				s := k.run(ctx, fx, res, spec)
				mu.Lock()
				sessions = append(sessions, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	for _, k := range kiosks {
		k.j.Close()
	}
	return judge(srv.Center, kiosks, sessions, wall)
}

// run is one transaction on this kiosk.
// The resident's card is the APDU-level emulated card driven by the real
// cardreader code.
func (k *kiosk) run(ctx context.Context, fx *fixtures.Set, res *fixtures.Resident, doc protocol.DocSpec) session {
	coins := payment.NewCoins()
	k.k.Payment = coins
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
	return session{res: r, ledger: coins.Ledger(), printed: k.sink.paperTotal() - before, elapsed: time.Since(t0)}
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
		out = append(out, &kiosk{j: j, path: path, sink: sink, wire: w, k: &terminal.Kiosk{
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
	for _, s := range sessions {
		if s.res.TID != "" {
			byTID[s.res.TID] = s
		}
		lat = append(lat, float64(s.elapsed.Microseconds())/1000)
		switch s.res.Outcome {
		case protocol.ResultPrinted:
			r.Printed++
		case protocol.ResultRefused:
			r.Refused[s.res.Reason]++
		case protocol.ResultFailed:
			r.Failed[s.res.Reason]++
		case protocol.ResultCancelled:
			r.Cancelled[s.res.Reason]++
		case protocol.ResultUnknown:
			r.Unknown[s.res.Reason]++
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
			case s.res.Outcome == protocol.ResultFailed && s.res.Reason == "document-timeout":
				r.MixupsUnreceived++
			default:
				r.UnaccountedFaults = append(r.UnaccountedFaults, fmt.Sprintf("%s:%s:%s/%s", inj.Fault, inj.TID, s.res.Outcome, s.res.Reason))
			}
		}
	}
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
		if lost := k.started - ended; lost > 0 {
			r.LostJournalRecords += lost
		}
	}
	sort.Float64s(lat)
	r.P50ms, r.P99ms = quantile(lat, 0.5), quantile(lat, 0.99)
	slices.Sort(r.UnaccountedFaults)
	return r, nil
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
