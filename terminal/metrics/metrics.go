// Package metrics is the kiosk's Prometheus instrumentation: sessions by
// outcome, refusals by reason, time spent in each state, printer and
// reader status, journal size and build identity, on a registry of its
// own per kiosk (never the global default), served on a local address.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kofu/protocol"
	"kofu/terminal"
)

// Status values of the printer and reader gauges: exactly one of a
// device's statuses is 1 at any time.
const (
	StatusUnknown = "unknown" // not looked at yet
	StatusReady   = "ready"
	StatusOffline = "offline" // not found or not answering
	StatusError   = "error"   // found, but cannot work (paper out, jam, cover, card unreadable …)
)

var statuses = []string{StatusUnknown, StatusReady, StatusOffline, StatusError}

// PaymentResults are the values of kofu_kiosk_payments_total's result
// label (terminal.Result.Payment). Each has a series from the start, at
// zero, so that increase() sees the first failed settlement after a
// restart: a series born at 1 has no earlier sample to increase from.
var PaymentResults = []string{"captured", "released", "none", "returned", "capture-failed", "release-failed", "return-failed"}

// Metrics holds one kiosk's series. It implements terminal.Observer.
type Metrics struct {
	reg      *prometheus.Registry
	sessions *prometheus.CounterVec
	refusals *prometheus.CounterVec
	failures *prometheus.CounterVec
	payments *prometheus.CounterVec
	stage    *prometheus.HistogramVec
	active   prometheus.Gauge
	printer  *prometheus.GaugeVec
	reader   *prometheus.GaugeVec
	mu       sync.Mutex
	open     map[string]bool // sessions in progress
}

// Options are what the kiosk knows about itself when it starts.
type Options struct {
	SW      string // the request's "sw": build and configuration digest
	Profile string // deployment profile
	// JournalPath, when set, is stat'ed at each scrape for the journal's size.
	JournalPath string
	// Journal, when set, is asked at each scrape whether it can be
	// written (kofu_kiosk_journal_writable): a journal that failed closed
	// keeps the kiosk out of service until a write succeeds again.
	Journal interface{ Healthy() error }
}

// New builds a kiosk's metrics on a fresh registry.
func New(o Options) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_kiosk_sessions_total",
			Help: "Sessions ended, by outcome (printed, refused, failed, cancelled, unknown)."}, []string{"outcome"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_kiosk_refusals_total",
			Help: "Documents the kiosk refused to print, by reason code (an incident at the center)."}, []string{"reason"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_kiosk_session_failures_total",
			Help: "Sessions ended failed, cancelled or unknown, by outcome and reason code."}, []string{"outcome", "reason"}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_kiosk_payments_total",
			Help: "Fee settlements, by result (captured, released, none, returned, capture-failed, release-failed, return-failed)."},
			[]string{"result"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kofu_kiosk_stage_seconds",
			Help:    "Time a session spent in each state before leaving it.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 12)}, []string{"state"}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kofu_kiosk_sessions_active",
			Help: "Sessions in progress."}),
		printer: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kofu_kiosk_printer_status",
			Help: "The printer's status: 1 for the current one of unknown, ready, offline, error."}, []string{"status"}),
		reader: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kofu_kiosk_reader_status",
			Help: "The card reader's status: 1 for the current one of unknown, ready, offline, error."}, []string{"status"}),
		open: map[string]bool{},
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kofu_kiosk_build_info",
		Help: "Always 1: the build and configuration digest sent as \"sw\", and the deployment profile."}, []string{"sw", "profile"})
	build.WithLabelValues(o.SW, o.Profile).Set(1)
	cs := []prometheus.Collector{m.sessions, m.refusals, m.failures, m.payments, m.stage, m.active, m.printer, m.reader, build}
	if o.JournalPath != "" {
		path := o.JournalPath
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kofu_kiosk_journal_bytes",
			Help: "Size of the journal file."}, func() float64 {
			fi, err := os.Stat(path)
			if err != nil {
				return -1
			}
			return float64(fi.Size())
		}))
	}
	if o.Journal != nil {
		j := o.Journal
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kofu_kiosk_journal_writable",
			Help: "1 while the journal can be written, 0 while it has failed closed (disk full, file size limit, I/O error)."}, func() float64 {
			if j.Healthy() != nil {
				return 0
			}
			return 1
		}))
	}
	for _, c := range cs {
		m.reg.MustRegister(c) // fresh registry, distinct names: cannot collide
	}
	for _, o := range []protocol.Result{protocol.ResultPrinted, protocol.ResultRefused, protocol.ResultFailed,
		protocol.ResultCancelled, protocol.ResultUnknown} {
		m.sessions.WithLabelValues(string(o)) // a zero series for each outcome, so rates and alerts work from the start
	}
	for _, r := range PaymentResults {
		m.payments.WithLabelValues(r) // likewise for each settlement result (KofuPaymentSettlementFailed)
	}
	m.SetPrinter(StatusUnknown)
	m.SetReader(StatusUnknown)
	return m
}

// Registry is the kiosk's registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Transition implements terminal.Observer.
func (m *Metrics) Transition(session string, from, to terminal.State, spent time.Duration) {
	if from == terminal.StateIdle {
		m.mu.Lock()
		if !m.open[session] {
			m.open[session] = true
			m.active.Inc()
		}
		m.mu.Unlock()
		return // idle is the time before the session began: not a stage
	}
	m.stage.WithLabelValues(string(from)).Observe(spent.Seconds())
}

// End implements terminal.Observer.
func (m *Metrics) End(session string, last terminal.State, spent time.Duration, r terminal.Result) {
	m.mu.Lock()
	if m.open[session] {
		delete(m.open, session)
		m.active.Dec()
	}
	m.mu.Unlock()
	if last != terminal.StateIdle {
		m.stage.WithLabelValues(string(last)).Observe(spent.Seconds())
	}
	m.sessions.WithLabelValues(string(r.Outcome)).Inc()
	switch r.Outcome {
	case protocol.ResultPrinted:
	case protocol.ResultRefused:
		m.refusals.WithLabelValues(string(r.Reason)).Inc()
	default:
		m.failures.WithLabelValues(string(r.Outcome), string(r.Reason)).Inc()
	}
	if r.Payment != "" {
		m.payments.WithLabelValues(r.Payment).Inc()
	}
}

// SetPrinter sets the printer's status (one of the Status constants).
func (m *Metrics) SetPrinter(status string) { oneHot(m.printer, status) }

// SetReader sets the card reader's status (one of the Status constants).
func (m *Metrics) SetReader(status string) { oneHot(m.reader, status) }

func oneHot(g *prometheus.GaugeVec, status string) {
	for _, s := range statuses {
		v := 0.0
		if s == status {
			v = 1
		}
		g.WithLabelValues(s).Set(v)
	}
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Serve listens on addr and serves /metrics until ctx ends. It returns
// the bound address (addr may have port 0) once listening.
func (m *Metrics) Serve(ctx context.Context, addr string) (net.Addr, <-chan error, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return l.Addr(), done, nil
}
