package main

import (
	"errors"
	"kofu/internal/testclock"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// TestKilledLeavesNoDocumentBytes SIGKILLs the real kiosk while it holds
// the document (fetching, printing, settling) and looks where a crash
// could leave it: the private TMPDIR and the working directory stay
// empty, and no PNG, PCL, PJL or PWG bytes are anywhere but in --out,
// where the emulated printer puts what it printed.
func TestKilledLeavesNoDocumentBytes(t *testing.T) {
	bin := buildKiosk(t)
	for _, state := range []string{"fetch", "print", "settle"} {
		t.Run(state, func(t *testing.T) {
			out, tmp, work := t.TempDir(), t.TempDir(), t.TempDir()
			cmd := exec.Command(bin, "run", "--emulator", testclock.Flag(t), "--autopilot", "--doc", "juminhyo", "--out", out, "--crash-at", state)
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the kiosk was not killed in state %s: %v", state, err)
			}
			for _, dir := range []string{tmp, work} {
				for name, b := range filesUnder(t, dir) {
					t.Errorf("file left by the killed kiosk outside --out: %s (%d bytes, %q)", name, len(b), documentMagic(b))
				}
			}
		})
	}
}
