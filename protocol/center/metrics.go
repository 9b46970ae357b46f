package center

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the center's Prometheus series, on a registry of its own
// (no global state).
type metrics struct {
	gatherer       prometheus.Gatherer
	requests       *prometheus.CounterVec
	problems       *prometheus.CounterVec
	jobs           *prometheus.CounterVec
	faults         *prometheus.CounterVec
	outcomes       *prometheus.CounterVec
	stage          *prometheus.HistogramVec
	deliveries     prometheus.Counter
	drops          prometheus.Counter
	late           prometheus.Counter
	foreignPrinted prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	var g prometheus.Gatherer
	if reg == nil {
		r := prometheus.NewRegistry()
		reg, g = r, r
	} else if gg, ok := reg.(prometheus.Gatherer); ok {
		g = gg
	} else {
		g = prometheus.NewRegistry()
	}
	m := &metrics{
		gatherer: g,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_center_requests_total",
			Help: "Requests accepted, by result (ticket, idempotent)."}, []string{"result"}),
		problems: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_center_problems_total",
			Help: "Problem documents answered, by type."}, []string{"type"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_center_issuer_jobs_total",
			Help: "Issuer jobs finished, by state."}, []string{"state"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_center_faults_injected_total",
			Help: "Faults injected, by mode."}, []string{"fault"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kofu_center_outcomes_total",
			Help: "Outcomes reported by kiosks, by result and billing."}, []string{"result", "billing"}),
		stage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "kofu_center_stage_seconds",
			Help: "Time spent per stage.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}, []string{"stage"}),
		deliveries: prometheus.NewCounter(prometheus.CounterOpts{Name: "kofu_center_envelopes_delivered_total",
			Help: "Envelopes delivered."}),
		drops: prometheus.NewCounter(prometheus.CounterOpts{Name: "kofu_center_connections_dropped_total",
			Help: "Connections reset by the drop fault."}),
		late: prometheus.NewCounter(prometheus.CounterOpts{Name: "kofu_center_late_deliveries_total",
			Help: "Documents delivered after being held by the late-delivery fault."}),
		foreignPrinted: prometheus.NewCounter(prometheus.CounterOpts{Name: "kofu_center_misissued_printed_total",
			Help: "Outcomes reporting 'printed' for a ticket whose document the center misissued."}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.problems, m.jobs, m.faults, m.outcomes, m.stage,
		m.deliveries, m.drops, m.late, m.foreignPrinted} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
