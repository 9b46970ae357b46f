package bench

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

// sample is one timed run: wall time and CPU time (user + system). On
// this shared 2-core machine other work stretches wall times; CPU time is
// the work's own cost, so the figures of computations use it.
type sample struct {
	wall, cpu time.Duration
}

// measure runs f n times (at least once) and returns the medians of wall
// and CPU time and f's last result. f reports the CPU time itself when it
// ran a process (that process's); otherwise it is this process's, which
// runs nothing else meanwhile.
func measure[T any](ctx context.Context, n int, f func() (T, time.Duration, error)) (sample, T, error) {
	var last T
	var walls, cpus []time.Duration
	for i := 0; i < max(1, n); i++ {
		if err := ctx.Err(); err != nil {
			return sample{}, last, err
		}
		c0, err := cpuTime()
		if err != nil {
			return sample{}, last, err
		}
		t0 := time.Now()
		v, childCPU, err := f()
		d := time.Since(t0)
		if err != nil {
			return sample{}, last, err
		}
		c1, err := cpuTime()
		if err != nil {
			return sample{}, last, err
		}
		cpu := c1 - c0
		if childCPU > 0 {
			cpu = childCPU
		}
		last = v
		walls, cpus = append(walls, d), append(cpus, cpu)
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	return sample{wall: walls[len(walls)/2], cpu: cpus[len(cpus)/2]}, last, nil
}

// median is measure for work whose wall time is the figure (I/O bound,
// or a process of its own).
func median[T any](ctx context.Context, n int, f func() (T, error)) (time.Duration, T, error) {
	s, v, err := measure(ctx, n, func() (T, time.Duration, error) { v, err := f(); return v, 0, err })
	return s.wall, v, err
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// childCPU is the user+system CPU time of a finished command.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func ms(d time.Duration) float64 { return round(float64(d.Microseconds())/1000, 2) }
