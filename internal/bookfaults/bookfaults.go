// Package bookfaults makes the kiosk's own books fail for the soak and the
// fleet: the journal's disk fills (for real, RLIMIT_FSIZE) and the coin
// unit stops answering. Both are scheduled, not random, so a failing run
// can be replayed.
package bookfaults

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"kofu/terminal/payment"
)

// JournalLimits are how far past the journal's current end the disk
// "fills" for a journal-fault transaction, in bytes. A session writes a
// dozen records of ~250 bytes; the offsets land the failure on the first
// record, mid-session (around the hold and the fetch), around settle and
// on the end record.
func JournalLimits() []int64 { return []int64{0, 500, 1200, 1900, 2400, 2700, 3000, 3300} }

// DiskLimit makes the journal's file system refuse writes past max bytes
// of the file at path, for real: RLIMIT_FSIZE on this process (write(2)
// fails with EFBIG; Go ignores SIGXFSZ). Only files larger than max are
// affected, and the journal is by far the largest file the soak writes.
// The limit is the process's: a caller with several journals must keep
// the others from writing meanwhile. lift restores the limit.
func DiskLimit(path string, extra int64) (lift func() error, err error) {
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

// ErrUnit is what the flaky payment unit answers: a unit that does not
// respond (a jammed escrow, a lost serial line).
var ErrUnit = errors.New("soak: payment unit not responding")

// UnitFault is one payment fault: the first Times calls of Op fail.
type UnitFault struct {
	Op    string // hold, capture, release, return
	Times int
}

// UnitFaults are the payment faults a soak cycles through: a hold that
// fails (the session must not print), a capture or release that fails
// once (the bounded retry absorbs it) or on every try (the hold stays
// open until the start-up recovery resolves it by the journal), a
// refund of unheld coins that fails.
func UnitFaults() []UnitFault {
	return []UnitFault{{"hold", 1}, {"capture", 1}, {"capture", 3}, {"release", 1}, {"release", 3}, {"return", 1}}
}

// FlakyUnit is a real coin unit whose operations fail as F says.
type FlakyUnit struct {
	*payment.Coins
	F      UnitFault
	failed int
}

func (u *FlakyUnit) fail(op string) error {
	if u.F.Op == op && u.failed < u.F.Times {
		u.failed++
		return fmt.Errorf("%s: %w", op, ErrUnit)
	}
	return nil
}

func (u *FlakyUnit) Hold(ctx context.Context, id, ref string, yen int) (payment.Hold, error) {
	if err := u.fail("hold"); err != nil {
		return payment.Hold{}, err
	}
	return u.Coins.Hold(ctx, id, ref, yen)
}

func (u *FlakyUnit) Capture(ctx context.Context, h payment.Hold) error {
	if err := u.fail("capture"); err != nil {
		return err
	}
	return u.Coins.Capture(ctx, h)
}

func (u *FlakyUnit) Release(ctx context.Context, h payment.Hold) error {
	if err := u.fail("release"); err != nil {
		return err
	}
	return u.Coins.Release(ctx, h)
}

func (u *FlakyUnit) Return(ctx context.Context) (int, error) {
	if err := u.fail("return"); err != nil {
		return 0, err
	}
	return u.Coins.Return(ctx)
}
