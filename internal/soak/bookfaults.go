package soak

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"kofu/terminal/payment"
)

// Faults in the kiosk's own books: the journal's disk and the payment
// unit. Like the printer and card faults they are scheduled (every Nth
// transaction, rotating through variants), so a run of N transactions
// has exactly its share and a failing run can be replayed.

// journalLimits are how far past the journal's current end the disk
// "fills" for a journal-fault transaction, in bytes. A session writes a
// dozen records of ~250 bytes; the offsets land the failure on the first
// record, mid-session (around the hold and the fetch), around settle and
// on the end record.
func journalLimits() []int64 { return []int64{0, 500, 1200, 1900, 2400, 2700, 3000, 3300} }

// diskLimit makes the journal's file system refuse writes past max bytes
// of the file at path, for real: RLIMIT_FSIZE on this process (write(2)
// fails with EFBIG; Go ignores SIGXFSZ). Only files larger than max are
// affected, and the journal is by far the largest file the soak writes.
// lift restores the limit.
func diskLimit(path string, extra int64) (lift func() error, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		return nil, err
	}
	lim := orig
	lim.Cur = uint64(fi.Size() + extra)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return nil, fmt.Errorf("lower RLIMIT_FSIZE: %w", err)
	}
	return func() error { return syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig) }, nil
}

// errUnit is what the flaky payment unit answers: a unit that does not
// respond (a jammed escrow, a lost serial line).
var errUnit = errors.New("soak: payment unit not responding")

// unitFault is one payment fault: the first Times calls of Op fail.
type unitFault struct {
	Op    string // hold, capture, release, return
	Times int
}

// unitFaults are the payment faults a soak cycles through: a hold that
// fails (the session must not print), a capture or release that fails
// once (the bounded retry absorbs it) or on every try (the hold stays
// open until the start-up recovery resolves it by the journal), a
// refund of unheld coins that fails.
func unitFaults() []unitFault {
	return []unitFault{{"hold", 1}, {"capture", 1}, {"capture", 3}, {"release", 1}, {"release", 3}, {"return", 1}}
}

// flakyUnit is a real coin unit whose operations fail as f says.
type flakyUnit struct {
	*payment.Coins
	f      unitFault
	failed int
}

func (u *flakyUnit) fail(op string) error {
	if u.f.Op == op && u.failed < u.f.Times {
		u.failed++
		return fmt.Errorf("%s: %w", op, errUnit)
	}
	return nil
}

func (u *flakyUnit) Hold(ctx context.Context, id, ref string, yen int) (payment.Hold, error) {
	if err := u.fail("hold"); err != nil {
		return payment.Hold{}, err
	}
	return u.Coins.Hold(ctx, id, ref, yen)
}

func (u *flakyUnit) Capture(ctx context.Context, h payment.Hold) error {
	if err := u.fail("capture"); err != nil {
		return err
	}
	return u.Coins.Capture(ctx, h)
}

func (u *flakyUnit) Release(ctx context.Context, h payment.Hold) error {
	if err := u.fail("release"); err != nil {
		return err
	}
	return u.Coins.Release(ctx, h)
}

func (u *flakyUnit) Return(ctx context.Context) (int, error) {
	if err := u.fail("return"); err != nil {
		return 0, err
	}
	return u.Coins.Return(ctx)
}
