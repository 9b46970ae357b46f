package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// listen is a fake service manager: a unixgram socket collecting datagrams.
func listen(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := c.ReadFromUnix(buf)
			if err != nil {
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// fromEnv sets the service manager's variables for this test (the rest
// empty) and reads them.
func fromEnv(t *testing.T, m map[string]string) *Notifier {
	t.Helper()
	for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		t.Setenv(k, m[k])
	}
	n, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no datagram")
	}
	return ""
}

func TestNotify(t *testing.T) {
	path, ch := listen(t)
	n := fromEnv(t, map[string]string{"NOTIFY_SOCKET": path})
	if !n.Enabled() || n.WatchdogInterval() != 0 {
		t.Fatalf("enabled %v, watchdog %v", n.Enabled(), n.WatchdogInterval())
	}
	for _, f := range []func() error{n.Ready, n.Stopping} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := recv(t, ch), recv(t, ch); a != "READY=1" || b != "STOPPING=1" {
		t.Fatalf("got %q, %q", a, b)
	}
}

func TestNotSystemd(t *testing.T) {
	n := fromEnv(t, nil)
	if n.Enabled() || n.Ready() != nil {
		t.Fatal("without NOTIFY_SOCKET notifications must be no-ops")
	}
	done := make(chan struct{})
	go func() { n.Watchdog(context.Background(), func() bool { return true }); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Watchdog without systemd did not return")
	}
	if fromEnv(t, map[string]string{"NOTIFY_SOCKET": "relative"}).Notify("READY=1") == nil {
		t.Fatal("a relative NOTIFY_SOCKET was accepted")
	}
}

// TestWatchdog: pings at half WATCHDOG_USEC while healthy, none while not;
// a WATCHDOG_PID of another process disables it.
func TestWatchdog(t *testing.T) {
	path, ch := listen(t)
	n := fromEnv(t, map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "40000"})
	if n.WatchdogInterval() != 20*time.Millisecond {
		t.Fatalf("interval %v", n.WatchdogInterval())
	}
	var healthy atomic.Bool
	var unhealthyChecks atomic.Int32
	healthy.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.Watchdog(ctx, func() bool {
		h := healthy.Load()
		if !h {
			unhealthyChecks.Add(1)
		}
		return h
	})
	if s := recv(t, ch); s != "WATCHDOG=1" {
		t.Fatalf("got %q", s)
	}
	healthy.Store(false)
	// Once a check has said unhealthy, every ping sent before it is in the
	// socket; let the reader take them, then expect silence.
	for unhealthyChecks.Load() < 1 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	for len(ch) > 0 {
		<-ch
	}
	select {
	case s := <-ch:
		t.Fatalf("pinged while unhealthy: %q", s)
	case <-time.After(200 * time.Millisecond):
	}
	other := fromEnv(t, map[string]string{"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "40000", "WATCHDOG_PID": strconv.Itoa(1)})
	if other.WatchdogInterval() != 0 {
		t.Fatal("a watchdog meant for another process was taken")
	}
}

// TestAbstractSocket: systemd may name an abstract socket ("@…").
func TestAbstractSocket(t *testing.T) {
	name := "@kofu-sdnotify-test-" + strconv.Itoa(os.Getpid())
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Skipf("no abstract sockets here: %v", err)
	}
	defer c.Close()
	if err := fromEnv(t, map[string]string{"NOTIFY_SOCKET": name}).Ready(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := c.ReadFromUnix(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
}

// TestBadWatchdog: a WATCHDOG_USEC the kiosk cannot read is an error, not
// a silent "no watchdog".
func TestBadWatchdog(t *testing.T) {
	for _, v := range []string{"soon", "-5", "0"} {
		t.Setenv("NOTIFY_SOCKET", "/nonexistent")
		t.Setenv("WATCHDOG_USEC", v)
		t.Setenv("WATCHDOG_PID", "")
		if _, err := FromEnv(); err == nil {
			t.Errorf("WATCHDOG_USEC=%q accepted", v)
		}
	}
}
