package bench

import (
	"context"
	"slices"
	"time"
)

// median runs f n times (at least once) and returns the median wall time
// and f's last result.
func median[T any](ctx context.Context, n int, f func() (T, error)) (time.Duration, T, error) {
	var last T
	var ds []time.Duration
	for i := 0; i < max(1, n); i++ {
		if err := ctx.Err(); err != nil {
			return 0, last, err
		}
		t0 := time.Now()
		v, err := f()
		d := time.Since(t0)
		if err != nil {
			return 0, last, err
		}
		last = v
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds[len(ds)/2], last, nil
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 2) }
