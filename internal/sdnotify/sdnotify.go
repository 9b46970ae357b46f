// Package sdnotify tells systemd how the kiosk is doing: READY=1 once it
// is ready, WATCHDOG=1 while its main loop is healthy, STOPPING=1 as it
// shuts down. The protocol itself (sd_notify(3), $NOTIFY_SOCKET,
// $WATCHDOG_USEC/$WATCHDOG_PID) is github.com/coreos/go-systemd's daemon
// package; this package adds only the kiosk's rule for the watchdog: no
// ping while the main loop is wedged. Not under systemd, it does nothing.
package sdnotify

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier sends notifications to the service manager.
type Notifier struct {
	enabled  bool          // $NOTIFY_SOCKET is set
	watchdog time.Duration // $WATCHDOG_USEC for this process; 0 when none
}

// FromEnv reads the service manager's environment as systemd sets it for
// the service ($NOTIFY_SOCKET, $WATCHDOG_USEC, $WATCHDOG_PID, which when
// set must be this process). A malformed $WATCHDOG_USEC is an error: the
// unit asked for a watchdog the kiosk cannot honour.
func FromEnv() (*Notifier, error) {
	n := &Notifier{enabled: os.Getenv("NOTIFY_SOCKET") != ""}
	iv, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return n, fmt.Errorf("sdnotify: %w", err)
	}
	n.watchdog = iv
	return n, nil
}

// Enabled reports whether a service manager listens.
func (n *Notifier) Enabled() bool { return n.enabled }

// WatchdogInterval is how often to ping: half of WatchdogSec, as systemd
// recommends; 0 when there is no watchdog.
func (n *Notifier) WatchdogInterval() time.Duration { return n.watchdog / 2 }

// Notify sends one notification, e.g. "READY=1" or "STATUS=…". It is a
// no-op when not under systemd.
func (n *Notifier) Notify(state string) error {
	if !n.enabled {
		return nil
	}
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	return nil
}

// Ready tells the service manager start-up is complete.
func (n *Notifier) Ready() error { return n.Notify(daemon.SdNotifyReady) }

// Stopping tells the service manager the service is shutting down.
func (n *Notifier) Stopping() error { return n.Notify(daemon.SdNotifyStopping) }

// Watchdog pings the watchdog every WatchdogInterval while healthy
// reports true, until ctx ends. When healthy says false it skips the
// ping, so a wedged main loop gets the service restarted. Without a
// watchdog it returns at once.
func (n *Notifier) Watchdog(ctx context.Context, healthy func() bool) {
	iv := n.WatchdogInterval()
	if !n.enabled || iv <= 0 {
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
				_ = n.Notify(daemon.SdNotifyWatchdog)
			}
		}
	}
}
