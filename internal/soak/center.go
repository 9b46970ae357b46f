package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol/center"
)

// CenterEnv is the environment variable that makes a test binary serve as
// the soak's emulated center (see ServeCenter).
const CenterEnv = "KOFU_SOAK_CENTER"

// CenterFaults are the center faults a soak mixes in: mix-ups the kiosk
// must refuse, a dropped connection, a document slower than the kiosk's
// deadline, and a document delivered after it.
const CenterFaults = "page-swap,wrong-record,stale-replay,fifo-dispatch,bad-signature,drop,slow:4s,late-delivery"

// ServeCenter runs the emulated center for a soak in this process: it
// prints its URL as one line on stdout and serves until stdin closes (the
// kiosk process ended). The center lives in a process of its own so that
// what the soak measures is the kiosk process alone. spec is
// "FAULTS;RATE;LATEDELAY[;CLOCK]", e.g. CenterFaults+";0.1;4s", where
// CLOCK is the instant the center's clock starts at (RFC 3339; default
// the wall clock) — the kiosk's Config.Now must start at the same one.
func ServeCenter(spec string, stdin io.Reader, stdout io.Writer) error {
	parts := strings.Split(spec, ";")
	if len(parts) != 3 && len(parts) != 4 {
		return fmt.Errorf("soak center spec %q: want FAULTS;RATE;LATEDELAY[;CLOCK]", spec)
	}
	now := clock.Wall
	if len(parts) == 4 {
		at, err := clock.Parse(parts[3])
		if err != nil {
			return err
		}
		now = clock.Starting(at)
	}
	faults, err := center.ParseFaults(parts[0])
	if err != nil {
		return err
	}
	var rate float64
	if _, err := fmt.Sscan(parts[1], &rate); err != nil {
		return fmt.Errorf("fault rate %q: %w", parts[1], err)
	}
	late, err := time.ParseDuration(parts[2])
	if err != nil {
		return err
	}
	fx, err := fixtures.Load()
	if err != nil {
		return err
	}
	srv, err := center.Start(center.Config{Fixtures: fx, Faults: faults, FaultRate: rate, LateDelay: late, Now: now}, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	if _, err := fmt.Fprintln(stdout, srv.URL); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, stdin)
	return nil
}

// Center is an emulated center running in a child process.
type Center struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// StartCenter starts exe (a test binary whose TestMain calls ServeCenter
// when CenterEnv is set) as the soak's center and waits for its URL.
func StartCenter(ctx context.Context, exe, spec string) (*Center, error) {
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), CenterEnv+"="+spec)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Center{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case u, ok := <-line:
		if !ok || !strings.HasPrefix(u, "https://") {
			c.Close()
			return nil, fmt.Errorf("soak center did not start (said %q)", u)
		}
		c.URL = u
		return c, nil
	case <-time.After(60 * time.Second):
		c.Close()
		return nil, errors.New("soak center did not start in 60 s")
	}
}

// Close ends the center process.
func (c *Center) Close() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
