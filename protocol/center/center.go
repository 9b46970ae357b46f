package center

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// Config configures an emulated center. Zero values take the defaults
// named on each field.
type Config struct {
	Fixtures *fixtures.Set // test PKI and residents (required)

	Faults    []Fault // fault modes to inject (DESIGN §4)
	FaultRate float64 // probability a ticket gets a fault; 0 with Faults set means 1

	DPI         int           // page resolution, 300 (default) or 600
	RenderDelay time.Duration // extra issuer latency per document
	JobTimeout  time.Duration // a render slower than this is aborted (default 60s)
	LongPoll    time.Duration // how long a document GET waits before 202 (default 1s)
	LateDelay   time.Duration // late-delivery: how long the answer is held (default 100s)

	TicketTTL    time.Duration // ticket validity (default 10m)
	HouseholdTTL time.Duration // household list validity: the members must be chosen within it (default 10m)
	EnvelopeTTL  time.Duration // envelope validity (default 10m)
	ReplayWindow time.Duration // accepted |now−iat| of requests (default 5m)

	Hours *ServiceHours // nil: always open (emulator default)

	// V1Only serves DESIGN §3's routes alone, as a center written from
	// the contract would: POST /v1/household (世帯の一部, kofu's
	// extension) is not routed, and net/http answers 404.
	V1Only bool

	// OCSPURL is where the center asks for card revocation status. Start
	// runs its own responder when it is empty.
	OCSPURL string

	// Builds, when non-empty, lists the "sw" strings the center accepts
	// (deployment attestation); empty accepts any. A kiosk's "sw" carries
	// its build and the digest of its effective configuration and profile,
	// "kofu-kiosk/<version>+<rev> cfg=<16 hex>", so an exact match attests
	// both; anything else is refused with a terminal-refused problem.
	Builds []string

	// Now is the center's clock (required): every calendar rule, ticket
	// and envelope lifetime, the replay window and the OCSP responder read
	// it. kofu-emu center passes the wall clock or its --clock instant;
	// tests pin the instant they mean.
	Now      func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer // nil: a private registry
}

// Center is the emulated issuance center. It is safe for concurrent use.
type Center struct {
	cfg      Config
	fx       *fixtures.Set
	jpki     protocol.CardTrust // JPKI root and the generation-2 intermediate
	opRoots  *x509.CertPool
	renderer *pages.Renderer
	backKey  []byte // keys the backs' scrambled fronts and verification codes (crypto/rand, never leaves the center)
	ocsp     *ocspChecker
	m        *metrics
	log      *slog.Logger
	sem      chan struct{} // bounds concurrent renders
	late     atomic.Int64  // documents delivered by the late-delivery fault

	mu        sync.Mutex
	rng       *rand.Rand
	jobs      map[string]*job // by base64url tid
	byBinding map[string]*job // by base64url binding (idempotency)
	seenRID   map[string]time.Time
	seenNonce map[string]time.Time
	history   map[string][]*document // resident id → genuine documents served
	fifo      []*document            // fifo-dispatch: rendered, undelivered, in creation order
	bySecond  map[int64]*document    // same-second-overwrite: the one-second key store
	shared    *document              // single-server-build: the "per-request" state shared by all
	injected  []Injection
	pruned    time.Time // last pruneLocked run

	lists         map[string]*hhList // household lists by base64url lid
	listByBinding map[string]*hhList // by base64url binding of the query (idempotency)
	seenQID       map[string]time.Time
}

// New builds a center from cfg.
func New(cfg Config) (*Center, error) {
	if cfg.Fixtures == nil {
		return nil, errors.New("center: no fixtures")
	}
	if cfg.DPI == 0 {
		cfg.DPI = 300
	}
	if cfg.DPI != 300 && cfg.DPI != 600 {
		return nil, fmt.Errorf("center: dpi %d, want 300 or 600", cfg.DPI)
	}
	if cfg.FaultRate < 0 || cfg.FaultRate > 1 {
		return nil, fmt.Errorf("center: fault rate %v outside 0..1", cfg.FaultRate)
	}
	if len(cfg.Faults) > 0 && cfg.FaultRate == 0 {
		cfg.FaultRate = 1
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.JobTimeout, 60*time.Second)
	def(&cfg.LongPoll, time.Second)
	def(&cfg.LateDelay, 100*time.Second)
	def(&cfg.TicketTTL, 10*time.Minute)
	def(&cfg.HouseholdTTL, 10*time.Minute)
	def(&cfg.EnvelopeTTL, 10*time.Minute)
	def(&cfg.ReplayWindow, 5*time.Minute)
	if cfg.Now == nil {
		// The calendar, tickets, replay window and OCSP all read this
		// clock: a caller must say which (clock.Wall for a real run), so
		// no test inherits the wall clock's weekday by omission.
		return nil, errors.New("center: no clock (Config.Now)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ttf, err := cfg.Fixtures.FontTTF()
	if err != nil {
		return nil, fmt.Errorf("center: font: %w", err)
	}
	r, err := pages.NewRenderer(ttf)
	if err != nil {
		return nil, fmt.Errorf("center: renderer: %w", err)
	}
	fx := cfg.Fixtures
	// Card certificates chain to the JPKI root, the generation-2 (P-384)
	// ones through the intermediate the center knows: a card may send its
	// certificate alone.
	jp := protocol.CardTrust{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool()}
	jp.Roots.AddCert(fx.JPKICA.Cert)
	if fx.JPKIP384CA.Cert != nil {
		jp.Intermediates.AddCert(fx.JPKIP384CA.Cert)
	}
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	backKey, err := protocol.RandomID(32)
	if err != nil {
		return nil, fmt.Errorf("center: back key: %w", err)
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	c := &Center{
		cfg: cfg, fx: fx, jpki: jp, opRoots: op, renderer: r, backKey: backKey, m: m, log: cfg.Logger,
		sem:       make(chan struct{}, 4),
		rng:       rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		jobs:      map[string]*job{},
		byBinding: map[string]*job{},
		seenRID:   map[string]time.Time{},
		seenNonce: map[string]time.Time{},
		history:   map[string][]*document{},
		bySecond:  map[int64]*document{},

		lists:         map[string]*hhList{},
		listByBinding: map[string]*hhList{},
		seenQID:       map[string]time.Time{},
	}
	c.ocsp = newOCSPChecker(fx, cfg.OCSPURL, cfg.Now)
	return c, nil
}

// SetOCSPURL points the revocation checker at a responder (Start does this
// for the responder it runs).
func (c *Center) SetOCSPURL(u string) { c.ocsp.setURL(u) }

// Injection records one fault the center really injected: ground truth
// for tests and the fleet, independent of what any kiosk says.
type Injection struct {
	TID    string    // base64url ticket id the fault was applied to (a household list fault: the query's qid)
	Fault  FaultName // which fault
	Source string    // where the wrong artefact came from: "live" (another real job), "background", or "own" (this job's own page, altered)
	// Served is the base64url tid of the document actually served under
	// this ticket (equal to TID when the fault altered this ticket's own
	// document, e.g. sync-overwrite, wrong-record).
	Served string
	Mixup  bool // the served document was not bound to the request
	// Delivered is set once the center actually sent the document of this
	// ticket (the envelope answered 200); a kiosk that gave up first never
	// received it.
	Delivered bool
}

// Injections returns every fault injected so far.
func (c *Center) Injections() []Injection {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Injection(nil), c.injected...)
}

// Rendered returns what the issuer drew on each front face of the
// document the center serves under ticket tid (rows, notes, the QR text
// …), once it is ready and until the ticket is pruned (a while after its
// outcome): ground truth for tests and the fleet, as Injections is. A
// test renders these specs again and compares them with what was
// printed. False for a document the issuer did not render itself (a
// fault serving another one's).
func (c *Center) Rendered(tid []byte) ([]pages.Spec, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	j := c.jobs[protocol.B64(tid)]
	if j == nil {
		return nil, false
	}
	out := make([]pages.Spec, len(j.rendered))
	for i, s := range j.rendered {
		s.Rows, s.Notes = slices.Clone(s.Rows), slices.Clone(s.Notes)
		out[i] = s
	}
	return out, len(out) > 0
}

// FaultRate is the effective probability that a ticket gets a fault.
func (c *Center) FaultRate() float64 { return c.cfg.FaultRate }

// LateDeliveries counts documents the late-delivery fault sent after
// holding them.
func (c *Center) LateDeliveries() int64 { return c.late.Load() }
