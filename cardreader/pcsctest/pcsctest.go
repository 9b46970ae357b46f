//go:build linux

// Package pcsctest starts a real PC/SC stack for tests: a pcscd of the
// test's own with the vsmartcard-vpcd reader driver (two readers, "Virtual
// PCD 00 00" and "Virtual PCD 00 01"), into which emulated cards plug over
// TCP. It owns nothing else.
//
// As root with unshare(1) the pcscd runs in a private mount namespace
// with its own /run, so its socket is private (PCSCLITE_CSOCK_NAME points
// this process and the tools it starts at it) and tests in different
// packages run side by side. Otherwise it uses the system socket, takes a
// lock file to serialise with other tests, and refuses to run if another
// pcscd is up.
package pcsctest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
)

// Paths of the Debian packages pcscd and vsmartcard-vpcd.
const (
	VPCDDriver    = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	systemSocket  = "/run/pcscd/pcscd.comm"
	socketEnv     = "PCSCLITE_CSOCK_NAME"
	privatePrefix = "kofu-pcscd-"
)

// Stack is a running pcscd with the vpcd driver.
type Stack struct {
	// Dir holds the configuration, the log (pcscd.log) and, in private
	// mode, the socket.
	Dir string
	// Port is vpcd's TCP port for reader 0; reader 1 is Port+1.
	Port int
	// Private reports whether the pcscd has a socket of its own.
	Private bool
	socket  string
	cmd     *exec.Cmd
	lock    *os.File
	log     *os.File
}

// Require skips the test when pcscd or vpcd is missing, unless the
// environment variable CI is set, in which case it fails: CI must run
// these tests.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("pcscd"); err != nil {
		missing = append(missing, "pcscd")
	}
	if _, err := os.Stat(VPCDDriver); err != nil {
		missing = append(missing, "vsmartcard-vpcd")
	}
	if _, err := cardreader.NewContext(); errors.Is(err, cardreader.ErrNoBackend) {
		missing = append(missing, "cgo (PC/SC backend)")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("PC/SC test stack unavailable: missing %s (apt-get install pcscd vsmartcard-vpcd libpcsclite-dev; build with cgo)", strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg + "; CI is set, so this is a failure")
	}
	t.Skip(msg)
}

// Start starts a pcscd for the test and stops it at the test's end.
func Start(t testing.TB) *Stack {
	t.Helper()
	Require(t)
	s, err := start()
	if err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	t.Cleanup(s.Close)
	if err := s.run(); err != nil {
		t.Fatalf("pcsctest: %v\n%s", err, s.Log())
	}
	return s
}

func canUnshare() bool {
	if os.Geteuid() != 0 {
		return false
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	return exec.Command("unshare", "-m", "--propagation", "private", "true").Run() == nil
}

func start() (*Stack, error) {
	s := &Stack{Private: canUnshare()}
	if s.Private {
		// libpcsclite reads PCSCLITE_CSOCK_NAME once per process: every
		// Stack of this process uses the same directory, one at a time.
		if sock := os.Getenv(socketEnv); strings.Contains(sock, privatePrefix) {
			s.Dir = filepath.Dir(filepath.Dir(filepath.Dir(sock))) // <dir>/run/pcscd/pcscd.comm
			if err := os.MkdirAll(s.Dir, 0o700); err != nil {
				return nil, err
			}
		} else {
			d, err := os.MkdirTemp("", privatePrefix)
			if err != nil {
				return nil, err
			}
			s.Dir = d
			os.Setenv(socketEnv, filepath.Join(d, "run", "pcscd", "pcscd.comm"))
		}
		s.socket = os.Getenv(socketEnv)
	} else {
		if sock := os.Getenv(socketEnv); sock != "" && sock != systemSocket {
			return nil, fmt.Errorf("%s=%s but private mode is unavailable", socketEnv, sock)
		}
		d, err := os.MkdirTemp("", "kofu-pcsc-conf-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.socket = d, systemSocket
	}
	lockPath := filepath.Join(s.Dir, "lock")
	if !s.Private {
		lockPath = filepath.Join(os.TempDir(), "kofu-pcscd.lock")
	}
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	if !s.Private {
		if c, err := net.Dial("unix", systemSocket); err == nil {
			c.Close()
			s.Close()
			return nil, errors.New("another pcscd is running on " + systemSocket + "; stop it first")
		}
	}
	port, err := freePortPair()
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Port = port
	conf := filepath.Join(s.Dir, "reader.conf.d")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		s.Close()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(s.conf()), 0o644); err != nil {
		s.Close()
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "run"), 0o755); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// freePortPair finds two consecutive free TCP ports for vpcd.
func freePortPair() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "0.0.0.0:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", p+1))
		l.Close()
		if err == nil {
			l2.Close()
			if p+1 <= 0xFFFF {
				return p, nil
			}
		}
	}
	return 0, errors.New("no two consecutive free ports")
}

// run starts pcscd and waits until it serves.
func (s *Stack) run() error {
	conf := filepath.Join(s.Dir, "reader.conf.d")
	args := []string{"pcscd", "--foreground", "--auto-exit", "--config", conf, "--info"}
	var cmd *exec.Cmd
	if s.Private {
		_ = os.Remove(s.socket)
		script := fmt.Sprintf("mount --bind %q /run && exec %s", filepath.Join(s.Dir, "run"), strings.Join(args, " "))
		cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script)
	} else {
		cmd = exec.Command(args[0], args[1:]...)
	}
	log, err := os.OpenFile(filepath.Join(s.Dir, "pcscd.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	s.log = log
	cmd.Stdout, cmd.Stderr = log, log
	// If the test binary dies, pcscd dies with it (and --auto-exit ends
	// it after 60 s without clients anyway).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Close()
		return err
	}
	s.cmd = cmd
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.cmd = nil
			return errors.New("pcscd exited at start")
		case <-time.After(50 * time.Millisecond):
		}
		if s.ready() {
			return nil
		}
	}
	return errors.New("pcscd did not become ready in 10 s")
}

// ready: the socket answers and the log says the daemon is ready.
func (s *Stack) ready() bool {
	c, err := net.Dial("unix", s.socket)
	if err != nil {
		return false
	}
	c.Close()
	return strings.Contains(s.Log(), "daemon ready")
}

// Stop stops pcscd (SIGTERM, then SIGKILL after 5 s).
func (s *Stack) Stop() {
	if s.cmd == nil {
		return
	}
	p := s.cmd.Process
	_ = p.Signal(syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if p.Signal(syscall.Signal(0)) != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = p.Kill()
	s.cmd = nil
	if s.log != nil {
		s.log.Close()
		s.log = nil
	}
}

// Unplug takes both vpcd readers away, as if the USB reader were pulled
// out; Plug brings them back. Debian 12's pcscd (udev build) reads the
// serial reader configuration only when it starts, so both restart it
// with the vpcd configuration removed or restored: clients see the
// service go and come back, then the readers gone or back.
func (s *Stack) Unplug(t testing.TB) { t.Helper(); s.setConf(t, false) }

// Plug puts the readers back after Unplug.
func (s *Stack) Plug(t testing.TB) { t.Helper(); s.setConf(t, true) }

func (s *Stack) setConf(t testing.TB, present bool) {
	t.Helper()
	cfg := ""
	if present {
		cfg = s.conf()
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "reader.conf.d", "vpcd"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Restart(t)
}

func (s *Stack) conf() string {
	return fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:0x%04X\nLIBPATH      %s\nCHANNELID    0x%04X\n", s.Port, VPCDDriver, s.Port)
}

// Restart stops pcscd and starts it again on the same socket and ports.
func (s *Stack) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.run(); err != nil {
		t.Fatalf("pcsctest: restart: %v\n%s", err, s.Log())
	}
}

// Close stops pcscd, removes its directory and releases the lock. The
// Stacks of one process run one after the other.
func (s *Stack) Close() {
	s.Stop()
	if s.Dir != "" {
		_ = os.RemoveAll(s.Dir)
	}
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// Log returns the output of the current (or last) pcscd.
func (s *Stack) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "pcscd.log"))
	return string(b)
}

// Addr is vpcd's address for reader slot (0 or 1).
func (s *Stack) Addr(slot int) string { return fmt.Sprintf("127.0.0.1:%d", s.Port+slot) }

// Reader is the PC/SC name of reader slot.
func (s *Stack) Reader(slot int) string { return fmt.Sprintf("Virtual PCD 00 %02d", slot) }

// Env is the environment for a tool (OpenSC, pcsc_scan) that must reach
// this pcscd.
func (s *Stack) Env() []string {
	env := os.Environ()
	if s.Private {
		env = append(env, socketEnv+"="+s.socket)
	}
	return env
}

// Insert plugs card into reader slot through vpcd and waits until PC/SC
// reports it present. The card stays plugged (reconnecting after pcscd
// restarts) until the test ends or the returned function is called.
func (s *Stack) Insert(t testing.TB, card *emucard.Card, slot int) (unplug func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = card.ServeVPCD(ctx, s.Addr(slot), nil)
	}()
	unplug = func() { cancel(); <-done }
	t.Cleanup(unplug)
	if err := s.WaitCard(slot, 10*time.Second); err != nil {
		t.Fatalf("pcsctest: card in %s: %v\n%s", s.Reader(slot), err, s.Log())
	}
	return unplug
}

// WaitCard waits until PC/SC reports a card in reader slot.
func (s *Stack) WaitCard(slot int, d time.Duration) error {
	pc, err := cardreader.NewContext()
	if err != nil {
		return err
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, _, err = pc.WaitCard(ctx, s.Reader(slot))
	return err
}

// Tail returns the last n lines of pcscd's log, for failure messages.
func (s *Stack) Tail(n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s.Log()))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
