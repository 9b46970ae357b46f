package health

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// DefaultMinFree is the free space the journal's filesystem must keep
// (a constant until the configuration has a key for it).
const DefaultMinFree = 256 << 20

// FreeSpace returns the bytes an unprivileged writer can still use on the
// filesystem holding path.
type FreeSpace func(path string) (uint64, error)

// StatFS is FreeSpace by statfs(2).
func StatFS(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// DiskCheck checks the free space on the filesystem of the journal at
// path: below minFree it fails, below twice that it warns. Blocking: a full
// disk stops the journal, and with it every session.
func DiskCheck(path string, minFree uint64, free FreeSpace) Check {
	if free == nil {
		free = StatFS
	}
	if minFree == 0 {
		minFree = DefaultMinFree
	}
	return Check{Name: "disk", Blocking: true, Run: func(ctx context.Context) Result {
		dir := existingDir(path)
		n, err := free(dir)
		if err != nil {
			return fail("cannot read the free space of %s: %v", dir, err)
		}
		if err := ctx.Err(); err != nil {
			return fail("interrupted: %v", err)
		}
		switch {
		case n < minFree:
			return fail("only %s free on the filesystem of %s (minimum %s): free space there (old logs, emulator output) so that the journal can grow",
				Bytes(n), dir, Bytes(minFree))
		case n < 2*minFree:
			return warn("%s free on the filesystem of %s, close to the minimum %s: free space soon", Bytes(n), dir, Bytes(minFree))
		}
		return ok("%s free on the filesystem of %s (minimum %s)", Bytes(n), dir, Bytes(minFree))
	}}
}

// Bytes formats a size in binary units: "512 MiB", "1.5 GiB".
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n), 0
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	for v /= unit; v >= unit && u < len(units)-1; u++ {
		v /= unit
	}
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f %s", v, units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

// existingDir is path if it is a directory, else its nearest existing
// ancestor: the filesystem the journal is, or will be, on.
func existingDir(path string) string {
	for p := path; ; p = filepath.Dir(p) {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if next := filepath.Dir(p); next == p {
			return p
		}
	}
}

// ParseBytes reads a size such as "256MiB", "1GiB", "500M" or "1048576"
// (K, M, G, T are binary units too).
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	upper := strings.ToUpper(t)
	for i, suf := range []string{"K", "M", "G", "T"} {
		for _, form := range []string{suf + "IB", suf + "B", suf} {
			if strings.HasSuffix(upper, form) {
				mult = 1 << (10 * (i + 1))
				t = strings.TrimSpace(t[:len(t)-len(form)])
				break
			}
		}
		if mult != 1 {
			break
		}
	}
	if mult == 1 {
		t = strings.TrimSpace(strings.TrimSuffix(upper, "B"))
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) >= math.MaxUint64 {
		return 0, fmt.Errorf("size %q: want a number of bytes such as 256MiB or 2GiB", s)
	}
	return uint64(v * float64(mult)), nil
}
