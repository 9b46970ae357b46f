package metrics

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"kofu/protocol"
	"kofu/terminal"
)

// TestObserver feeds two sessions through the observer and reads the
// series back from the registry.
func TestObserver(t *testing.T) {
	j := filepath.Join(t.TempDir(), "journal")
	os.WriteFile(j, make([]byte, 1234), 0o600)
	m := New(Options{SW: "kofu-kiosk/1+abc cfg=0123456789abcdef", Profile: "laptop", JournalPath: j})
	walk := func(id string, states []terminal.State, r terminal.Result) {
		prev := terminal.StateIdle
		for _, s := range states {
			m.Transition(id, prev, s, 2*time.Second)
			prev = s
		}
		if got := value(t, m.active); got != 1 {
			t.Fatalf("active during session = %v", got)
		}
		m.End(id, prev, time.Second, r)
	}
	walk("s1", []terminal.State{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle"},
		terminal.Result{Outcome: protocol.ResultPrinted, Payment: "captured"})
	walk("s2", []terminal.State{"card", "choose", "pin", "submit", "fee", "fetch"},
		terminal.Result{Outcome: protocol.ResultRefused, Reason: "page-qr-mismatch", Payment: "released"})
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"printed", value(t, m.sessions.WithLabelValues("printed")), 1},
		{"refused", value(t, m.sessions.WithLabelValues("refused")), 1},
		{"failed (zero series)", value(t, m.sessions.WithLabelValues("failed")), 0},
		{"refusal reason", value(t, m.refusals.WithLabelValues("page-qr-mismatch")), 1},
		{"captured", value(t, m.payments.WithLabelValues("captured")), 1},
		{"active after", value(t, m.active), 0},
		{"printer unknown", value(t, m.printer.WithLabelValues("unknown")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	m.SetPrinter(StatusError)
	if value(t, m.printer.WithLabelValues("unknown")) != 0 || value(t, m.printer.WithLabelValues("error")) != 1 {
		t.Error("printer status is not one-hot")
	}
	// fetch observed twice (left for print, and as s2's last state); idle never.
	if n := count(t, m.stage); n != 8 {
		t.Errorf("%d stage series, want 8 (card … settle)", n)
	}
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "kofu_kiosk_journal_bytes" && mf.Metric[0].GetGauge().GetValue() != 1234 {
			t.Errorf("journal bytes %v", mf.Metric[0].GetGauge().GetValue())
		}
		if mf.GetName() == "kofu_kiosk_stage_seconds" {
			for _, s := range mf.Metric {
				if s.Label[0].GetValue() == "fetch" && s.GetHistogram().GetSampleCount() != 2 {
					t.Errorf("fetch observed %d times", s.GetHistogram().GetSampleCount())
				}
			}
		}
	}
}

// value reads a counter's or gauge's current value.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// count is the number of series a collector has.
func count(t *testing.T, c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	return len(ch)
}

// healthy is a journal whose writability a test sets.
type healthy struct{ err error }

func (h *healthy) Healthy() error { return h.err }

// TestJournalWritable: the gauge follows the journal's failed state at
// each scrape.
func TestJournalWritable(t *testing.T) {
	j := &healthy{}
	m := New(Options{SW: "kofu-kiosk/1+abc cfg=0123456789abcdef", Profile: "laptop", Journal: j})
	read := func() float64 {
		t.Helper()
		mfs, err := m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "kofu_kiosk_journal_writable" {
				return mf.Metric[0].GetGauge().GetValue()
			}
		}
		t.Fatal("no kofu_kiosk_journal_writable")
		return -1
	}
	for _, tc := range []struct {
		err  error
		want float64
	}{{nil, 1}, {errors.New("journal cannot be written: no space left on device"), 0}, {nil, 1}} {
		j.err = tc.err
		if got := read(); got != tc.want {
			t.Errorf("journal error %v: gauge %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestZeroSeries: a fresh kiosk exports every outcome and every payment
// result at zero, so the alerts' increase() sees the first printed,
// unknown or failed-settlement event after a restart (a series born at 1
// has no earlier sample to increase from).
func TestZeroSeries(t *testing.T) {
	m := New(Options{SW: "kofu-kiosk/1+abc cfg=0123456789abcdef", Profile: "laptop"})
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[[3]string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.Metric {
			for _, l := range s.Label {
				have[[3]string{mf.GetName(), l.GetName(), l.GetValue()}] = s.GetCounter().GetValue()
			}
		}
	}
	var want [][3]string
	for _, o := range []string{"printed", "refused", "failed", "cancelled", "unknown"} {
		want = append(want, [3]string{"kofu_kiosk_sessions_total", "outcome", o})
	}
	for _, r := range []string{"captured", "released", "none", "returned", "capture-failed", "release-failed", "return-failed"} {
		want = append(want, [3]string{"kofu_kiosk_payments_total", "result", r})
	}
	if len(PaymentResults) != 7 {
		t.Errorf("PaymentResults = %v: a result added to the kiosk needs a line here and in the operator guide", PaymentResults)
	}
	for _, w := range want {
		v, ok := have[w]
		if !ok || v != 0 {
			t.Errorf("%s{%s=%q} = %v (present %v), want a zero series", w[0], w[1], w[2], v, ok)
		}
	}
}
