package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"kofu/internal/fixtures"
)

// Options sizes a run. Zero fields take the full report's values;
// Tiny gives the smallest run that still measures every figure (tests).
type Options struct {
	Runs          int // repetitions of each of kofu's timings (median); default 5
	PeerRuns      int // repetitions of each peer tool's run (median); default 3
	CenterTx      int // transactions per center figure at 300 dpi (600 dpi: a third); default 1500
	CenterClients int // concurrent center clients; default 8
	KioskTx       int // transactions of the kiosk process; default 1000
	// Worker is the command line that starts a worker process
	// (WorkerMain) before its role, e.g. {"/path/kofu-emu", "bench-worker"}.
	Worker []string
	// SkipMissing turns a missing peer tool or PC/SC stack into a figure
	// without a peer (or no figure) instead of an error.
	SkipMissing bool
	// Only, when set, limits the run to these groups: card, encode,
	// verify, duplex, kiosk, memory, center.
	Only []string
	Log  *slog.Logger
}

// Tiny returns options for the smallest run that measures every figure.
func Tiny() Options {
	return Options{Runs: 1, PeerRuns: 1, CenterTx: 6, CenterClients: 2, KioskTx: 3}
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Runs, 5)
	def(&o.PeerRuns, 3)
	def(&o.CenterTx, 1500)
	def(&o.CenterClients, 8)
	def(&o.KioskTx, 1000)
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

func (o Options) wants(group string) bool {
	if len(o.Only) == 0 {
		return true
	}
	for _, g := range o.Only {
		if g == group {
			return true
		}
	}
	return false
}

// Run measures every figure and returns them in report order.
func Run(ctx context.Context, o Options) ([]Figure, error) {
	o = o.withDefaults()
	fx, err := fixtures.Load()
	if err != nil {
		return nil, err
	}
	var figs []Figure
	add := func(group string, f func() ([]Figure, error)) error {
		if !o.wants(group) {
			return nil
		}
		o.Log.Info("measuring", "group", group)
		got, err := f()
		if err != nil {
			return fmt.Errorf("%s: %w", group, err)
		}
		figs = append(figs, got...)
		return nil
	}
	if err := add("card", func() ([]Figure, error) { return cardFigures(ctx, o, fx) }); err != nil {
		return nil, err
	}
	var byDPI map[int]*samplePage
	if o.wants("encode") || o.wants("verify") || o.wants("duplex") {
		r, err := newRenderer(fx)
		if err != nil {
			return nil, err
		}
		byDPI = map[int]*samplePage{}
		for _, dpi := range []int{300, 600} {
			if byDPI[dpi], err = newSamplePage(fx, r, dpi); err != nil {
				return nil, err
			}
		}
	}
	if err := add("encode", func() ([]Figure, error) { return encodeFigures(ctx, o, byDPI[600]) }); err != nil {
		return nil, err
	}
	if err := add("verify", func() ([]Figure, error) { return verifyFigures(ctx, o, fx, byDPI) }); err != nil {
		return nil, err
	}
	if err := add("duplex", func() ([]Figure, error) { return duplexFigures(ctx, o, fx, byDPI[600]) }); err != nil {
		return nil, err
	}
	byDPI = nil
	if err := add("kiosk", func() ([]Figure, error) { return kioskFigures(ctx, o, fx) }); err != nil {
		return nil, err
	}
	if err := add("memory", func() ([]Figure, error) { return memoryFigures(ctx, o) }); err != nil {
		return nil, err
	}
	if err := add("center", func() ([]Figure, error) { return centerFigures(ctx, o, fx) }); err != nil {
		return nil, err
	}
	return figs, nil
}

// Machine describes where and under what load a run was measured: CPUs,
// Go version and the 1-minute load average (other work on a 2-core
// machine shows in every figure).
func Machine() string {
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			load = f[0]
		}
	}
	return fmt.Sprintf("%d CPUs, %s, %s/%s, load average %s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}
