package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kofu/internal/testclock"
	"kofu/terminal/journal"
)

// TestSIGTERM stops the real kiosk process with SIGTERM in the middle of
// a session. Before printing, the session is aborted at once: cancelled
// with reason shutdown, its fee released, journaled, nothing printed. A
// session printing is let finish (printed, fee captured) within
// --stop-timeout; past it, the print is aborted and the session ends
// unknown with the fee released, for staff to look.
func TestSIGTERM(t *testing.T) {
	bin := buildKiosk(t)
	cases := []struct {
		name    string
		args    []string
		at      string // journal state to wait for before the signal
		code    int
		outcome string
		reason  string
		payment string
		pages   int
	}{
		{"waiting for the document", []string{"--fault", "slow:60s"}, "fetch", 1, "cancelled", "shutdown", "released", 0},
		{"printing finishes", []string{"--doc", "koseki-zenbu", "--resident", "R0019", "--printer", "emulator:page-time=700ms"},
			"print", 0, "printed", "", "captured", 3},
		{"printing past the stop timeout", []string{"--doc", "koseki-zenbu", "--resident", "R0019", "--printer", "emulator:page-time=20s",
			"--stop-timeout", "200ms"}, "print", 1, "unknown", "", "released", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(bin, append([]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out, "--log-format", "json"}, tc.args...)...)
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			jpath := filepath.Join(out, "journal")
			deadline := time.Now().Add(60 * time.Second) // a deadline for polling: elapsed time only
			for {
				b, _ := os.ReadFile(jpath)
				if bytes.Contains(b, []byte(`"state":"`+tc.at+`"`)) {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("never reached %s; stderr %s", tc.at, se.String())
				}
				select {
				case err := <-done:
					t.Fatalf("exited before %s: %v\n%s\n%s", tc.at, err, so.String(), se.String())
				case <-time.After(20 * time.Millisecond):
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running a minute after SIGTERM; stderr %s", se.String())
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			var line struct {
				Outcome, Reason, Payment string
				Pages                    int
			}
			if json.Unmarshal(so.Bytes(), &line) != nil {
				t.Fatalf("no result line: %q\n%s", so.String(), se.String())
			}
			if code != tc.code || line.Outcome != tc.outcome || line.Payment != tc.payment || line.Pages != tc.pages ||
				(tc.reason != "" && line.Reason != tc.reason) {
				t.Fatalf("exit %d, %+v\n%s", code, line, se.String())
			}
			rep, err := journal.Verify(jpath)
			if err != nil || len(rep.Open) != 0 || rep.Outcomes[tc.outcome] != 1 {
				t.Fatalf("journal after SIGTERM: %+v %v", rep, err)
			}
			pages, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if len(pages) != tc.pages {
				t.Fatalf("pages written %v, want %d", pages, tc.pages)
			}
			if !strings.Contains(se.String(), `"msg":"stopping"`) {
				t.Fatalf("no stopping log line: %s", se.String())
			}
		})
	}
}
