package soak

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Bounds say how flat is flat: the mean of the last quarter of the
// samples taken after warm-up may exceed the mean of the first quarter by
// at most HeapRatio (heap) and RSSRatio (RSS), and the last goroutine
// count may exceed the first post-warm-up one by at most Goroutines.
type Bounds struct {
	Warmup     int // samples ignored at the start
	HeapRatio  float64
	RSSRatio   float64
	Goroutines int
}

// Trend is the first- and last-quarter means of a run's samples.
type Trend struct {
	HeapFirst, HeapLast float64 // bytes
	RSSFirst, RSSLast   float64 // bytes
	GoroutinesFirst     int
	GoroutinesLast      int
	GoroutinesMax       int
}

// Trend computes the means over the post-warm-up samples.
func (r *Report) Trend(warmup int) (Trend, error) {
	s := r.Samples
	if len(s) < warmup+4 {
		return Trend{}, fmt.Errorf("%d samples: need at least %d (warm-up %d + 4)", len(s), warmup+4, warmup)
	}
	s = s[warmup:]
	q := len(s) / 4
	mean := func(xs []Sample, f func(Sample) uint64) float64 {
		var t float64
		for _, x := range xs {
			t += float64(f(x))
		}
		return t / float64(len(xs))
	}
	heap := func(x Sample) uint64 { return x.HeapBytes }
	rss := func(x Sample) uint64 { return x.RSSBytes }
	t := Trend{HeapFirst: mean(s[:q], heap), HeapLast: mean(s[len(s)-q:], heap),
		RSSFirst: mean(s[:q], rss), RSSLast: mean(s[len(s)-q:], rss),
		GoroutinesFirst: s[0].Goroutines, GoroutinesLast: s[len(s)-1].Goroutines}
	for _, x := range s {
		t.GoroutinesMax = max(t.GoroutinesMax, x.Goroutines)
	}
	return t, nil
}

// Flat checks the trend against b and says every way it is not flat.
func (r *Report) Flat(b Bounds) error {
	t, err := r.Trend(b.Warmup)
	if err != nil {
		return err
	}
	var errs []error
	if t.HeapLast > t.HeapFirst*b.HeapRatio {
		errs = append(errs, fmt.Errorf("heap grew: %.1f MiB → %.1f MiB (bound ×%.2f)", mib(t.HeapFirst), mib(t.HeapLast), b.HeapRatio))
	}
	if t.RSSLast > t.RSSFirst*b.RSSRatio {
		errs = append(errs, fmt.Errorf("RSS grew: %.1f MiB → %.1f MiB (bound ×%.2f)", mib(t.RSSFirst), mib(t.RSSLast), b.RSSRatio))
	}
	if t.GoroutinesLast > t.GoroutinesFirst+b.Goroutines {
		errs = append(errs, fmt.Errorf("goroutines grew: %d → %d (bound +%d)", t.GoroutinesFirst, t.GoroutinesLast, b.Goroutines))
	}
	return errors.Join(errs...)
}

// Table renders the samples, one line each, for logs and RELIABILITY.md.
func (r *Report) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| txn | heap MiB | RSS MiB | goroutines | elapsed |\n|---:|---:|---:|---:|---:|\n")
	for _, s := range r.Samples {
		fmt.Fprintf(&b, "| %d | %.1f | %.1f | %d | %s |\n", s.Txn, mib(float64(s.HeapBytes)), mib(float64(s.RSSBytes)),
			s.Goroutines, s.Elapsed.Round(1e9))
	}
	return b.String()
}

// OutcomeLines lists outcomes by count, most frequent first.
func (r *Report) OutcomeLines() []string {
	var out []string
	for k, n := range r.Outcomes {
		out = append(out, fmt.Sprintf("%6d  %s", n, k))
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

func mib(b float64) float64 { return b / (1 << 20) }
