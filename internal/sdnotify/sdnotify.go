// Package sdnotify speaks systemd's service notification protocol by hand
// (sd_notify(3)): READY=1 once the kiosk is ready, WATCHDOG=1 while its
// main loop is healthy, STOPPING=1 as it shuts down, each a datagram on
// $NOTIFY_SOCKET. Without that variable (not under systemd) it does nothing.
package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Notifier sends notifications to the service manager.
type Notifier struct {
	addr     string        // $NOTIFY_SOCKET; "" when not under systemd
	watchdog time.Duration // $WATCHDOG_USEC; 0 when no watchdog
}

// FromEnv reads $NOTIFY_SOCKET and $WATCHDOG_USEC ($WATCHDOG_PID, when
// set, must be this process). getenv is os.Getenv outside tests.
func FromEnv(getenv func(string) string) *Notifier {
	n := &Notifier{addr: getenv("NOTIFY_SOCKET")}
	if us, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64); err == nil && us > 0 {
		pid := getenv("WATCHDOG_PID")
		if pid == "" || pid == strconv.Itoa(os.Getpid()) {
			n.watchdog = time.Duration(us) * time.Microsecond
		}
	}
	return n
}

// Enabled reports whether a service manager listens.
func (n *Notifier) Enabled() bool { return n.addr != "" }

// WatchdogInterval is how often to ping: half of WatchdogSec, as systemd
// recommends; 0 when there is no watchdog.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog / 2 }

// Notify sends one notification, e.g. "READY=1" or "STATUS=…". It is a
// no-op when not under systemd.
func (n *Notifier) Notify(state string) error {
	if n.addr == "" {
		return nil
	}
	addr := n.addr
	if strings.HasPrefix(addr, "@") { // abstract socket
		addr = "\x00" + addr[1:]
	} else if !strings.HasPrefix(addr, "/") {
		return errors.New("sdnotify: NOTIFY_SOCKET is neither a path nor an abstract socket")
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// Ready tells the service manager start-up is complete.
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Stopping tells the service manager the service is shutting down.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Watchdog pings the watchdog every WatchdogInterval while healthy
// reports true, until ctx ends. When healthy says false it skips the
// ping, so a wedged main loop gets the service restarted. Without a
// watchdog it returns at once.
func (n *Notifier) Watchdog(ctx context.Context, healthy func() bool) {
	iv := n.WatchdogInterval()
	if n.addr == "" || iv <= 0 {
		return
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if healthy() {
				_ = n.Notify("WATCHDOG=1")
			}
		}
	}
}
