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
// when the run ends; a test that needs it calls buildKiosk.
var kioskBinary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if kioskBinary.dir != "" {
		os.RemoveAll(kioskBinary.dir)
	}
	os.Exit(code)
}

// buildKiosk returns the path of the kiosk binary built from this
// package, skipping the test in short mode (the end-to-end tests build
// and run the binary). The binary is shared: tests must not modify it.
func buildKiosk(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: builds and runs the kiosk binary")
	}
	kioskBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "kofu-kiosk-bin-")
		if err != nil {
			kioskBinary.err = err
			return
		}
		kioskBinary.dir = dir
		bin := filepath.Join(dir, "kiosk")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			kioskBinary.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		kioskBinary.path = bin
	})
	if kioskBinary.err != nil {
		t.Fatal(kioskBinary.err)
	}
	return kioskBinary.path
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
