package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kofu/internal/testclock"
	"kofu/terminal/journal"
)

// TestKillInEveryState SIGKILLs the real kiosk process on entering each
// state of a session, then starts it again: the journal verifies, the
// killed session is reported and recorded unknown, and nothing of it is
// printed again.
func TestKillInEveryState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kiosk binary 16 times")
	}
	bin := filepath.Join(t.TempDir(), "kiosk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, state := range []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle"} {
		t.Run(state, func(t *testing.T) {
			out := t.TempDir()
			run := func(extra ...string) (*exec.Cmd, []byte, []byte, error) {
				cmd := exec.Command(bin, append([]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out}, extra...)...)
				var so, se bytes.Buffer
				cmd.Stdout, cmd.Stderr = &so, &se
				err := cmd.Run()
				return cmd, so.Bytes(), se.Bytes(), err
			}
			cmd, _, _, err := run("--crash-at", state)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the kiosk was not killed in state %s: %v", state, err)
			}
			rep, err := journal.Verify(filepath.Join(out, "journal"))
			if err != nil || len(rep.Open) != 1 {
				t.Fatalf("after the kill: %+v %v", rep, err)
			}
			killed := rep.Open[0]
			pagesBefore := pngs(t, out)

			_, so, se, err := run()
			if err != nil {
				t.Fatalf("restart: %v\n%s", err, se)
			}
			if !strings.Contains(string(se), "session "+killed+" was left unfinished") {
				t.Fatalf("restart did not report the killed session: %s", se)
			}
			var line struct{ TID string }
			json.Unmarshal(so, &line)
			rep, err = journal.Verify(filepath.Join(out, "journal"))
			if err != nil || len(rep.Open) != 0 || rep.Outcomes["unknown"] != 1 || rep.Outcomes["printed"] != 1 {
				t.Fatalf("after restart: %+v %v", rep, err)
			}
			after := pngs(t, out)
			if len(after) != len(pagesBefore)+1 || !contains(after, line.TID) {
				t.Fatalf("pages before %v, after %v: the restart printed more than its own page", pagesBefore, after)
			}
			switch {
			case state == "settle" && len(pagesBefore) != 1:
				t.Fatalf("killed in settle: want the one page printed before, got %v", pagesBefore)
			case state != "settle" && len(pagesBefore) != 0:
				t.Fatalf("pages written before printing began: %v", pagesBefore)
			}
		})
	}
}

func pngs(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	return m
}

func contains(paths []string, tid string) bool {
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), tid) {
			return true
		}
	}
	return false
}
