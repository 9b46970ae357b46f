package main

import (
	"context"
	"os"
	"syscall"

	"kofu/terminal/payment"
)

// crashCaptured is the --crash-at point that is no state: right after the
// coin unit captured the fee, before the session journals the capture or
// its end — the narrowest window between money moving and the books
// saying so.
const crashCaptured = "captured"

// killSelf ends the process as a power cut would: SIGKILL, no deferred
// function, no flush.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal is on its way
}

// crashAfterCapture is a payment unit that kills the process once its
// unit has captured a fee (emulator crash tests only).
type crashAfterCapture struct{ payment.Unit }

func (c crashAfterCapture) Capture(ctx context.Context, h payment.Hold) error {
	if err := c.Unit.Capture(ctx, h); err != nil {
		return err
	}
	killSelf()
	return nil
}
