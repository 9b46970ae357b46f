//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol/center"
)

// storeTmux is the real binary run as a store machine (`kiosk run
// --config FILE`) in a tmux pane: its card reader a real pcscd with the
// emulated card (R0001's, not yet placed) on vsmartcard-vpcd, the
// emulated center a separate mutual-TLS server.
type storeTmux struct {
	t      *testing.T
	pcsc   *pcsctest.Stack
	card   *emucard.Card
	pane   *tmuxPane
	stderr string // the kiosk's log
}

// storeTmuxOptions say how the store machine runs.
type storeTmuxOptions struct {
	width, height int
	toml          string // appended to the configuration, after [ui]
	// at pins the store machine's and the center's clock (the test build,
	// buildKioskTestClock); zero: the release binary and the wall clock.
	at time.Time
}

// startStoreTmux starts the stack and the store machine, and waits for
// nothing: the caller waits for its first screen.
func startStoreTmux(t *testing.T, o storeTmuxOptions) *storeTmux {
	t.Helper()
	bin, now, clockFlag := buildKiosk(t), clock.Wall, ""
	if !o.at.IsZero() {
		bin, now, clockFlag = buildKioskTestClock(t), clock.Starting(o.at), "--clock "+o.at.Format(time.RFC3339)
	}
	tmux := needTmux(t)
	st := &storeTmux{t: t, pcsc: pcsctest.Start(t)}
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := center.Start(center.Config{Fixtures: fx, Now: now}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	res, _ := fx.Resident("R0001")
	if st.card, err = emucard.New(fx, res, emucard.Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := storeConfig(t, dir, srv.URL, "operator-ca.crt.pem", st.pcsc.Reader(0))
	writeMunicipalities(t, fx, filepath.Join(dir, "municipalities.toml"))
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "[ui]\nmunicipalities = \"municipalities.toml\"\n"+o.toml)
	f.Close()

	st.pane = &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	st.stderr = filepath.Join(dir, "stderr")
	var env []string // this test's pcscd (a private socket when run as root)
	for _, e := range st.pcsc.Env() {
		if strings.HasPrefix(e, "PCSCLITE_CSOCK_NAME=") {
			env = append(env, e)
		}
	}
	shell := fmt.Sprintf("env %s %s run --config %s %s --log-format json 2>%s; echo kiosk-exited $?; sleep 600",
		strings.Join(env, " "), bin, cfg, clockFlag, st.stderr)
	if out, err := st.pane.cmd("new-session", "-d", "-s", "kofu", "-x", fmt.Sprint(o.width), "-y", fmt.Sprint(o.height), shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { st.pane.close() })
	return st
}

// log is what the kiosk has logged so far.
func (st *storeTmux) log() string {
	b, _ := os.ReadFile(st.stderr)
	return string(b)
}

// fail ends the test with the kiosk's log.
func (st *storeTmux) fail(format string, args ...any) {
	st.t.Helper()
	st.t.Fatalf(format+"\nkiosk log:\n%s", append(args, st.log())...)
}

// wait polls the pane until it shows every want (blanks and box lines
// aside), failing after d or when the kiosk has exited.
func (st *storeTmux) wait(d time.Duration, want ...string) string {
	st.t.Helper()
	exited := func(s string) bool { return strings.Contains(s, "kiosk-exited") }
	sc, missing := pollScreen(st.pane.capture, d, exited, want...)
	if missing != "" {
		st.fail("screen never showed %q; it shows:\n%s", missing, sc)
	}
	return sc
}
