package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The end-to-end tests of this package run the real kiosk binary. It is
// built once per `go test` run of the package, on first use, and removed
// when the run ends; a test that needs it calls buildKiosk, or
// buildKioskTestClock for the test build whose --clock also sets a store
// machine's clock.
var kioskBinary, kioskClockBinary builtBinary

// builtBinary is one build of this package, made on first use.
type builtBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*builtBinary{&kioskBinary, &kioskClockBinary} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
	os.Exit(code)
}

// buildKiosk returns the path of the kiosk binary built from this
// package, skipping the test in short mode (the end-to-end tests build
// and run the binary). The binary is shared: tests must not modify it.
func buildKiosk(t *testing.T) string {
	t.Helper()
	return kioskBinary.build(t)
}

// buildKioskTestClock is buildKiosk built with -tags kofu_testclock:
// `kiosk run --config FILE --clock INSTANT` runs the store machine at a
// pinned instant (a release build refuses the flag there).
func buildKioskTestClock(t *testing.T) string {
	t.Helper()
	return kioskClockBinary.build(t, "-tags", "kofu_testclock")
}

func (b *builtBinary) build(t *testing.T, flags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: builds and runs the kiosk binary")
	}
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "kofu-kiosk-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.dir = dir
		bin := filepath.Join(dir, "kiosk")
		args := append(append([]string{"build"}, flags...), "-o", bin, ".")
		if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %v: %w\n%s", args, err, out)
			return
		}
		b.path = bin
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// needTmux returns the path of tmux, skipping the test where it is not
// installed.
func needTmux(t *testing.T) string {
	t.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed")
	}
	return tmux
}
