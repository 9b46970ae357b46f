package health

import (
	"context"
	"errors"
	"strings"

	"kofu/cardreader"
)

// ReaderLister lists the PC/SC readers whose names match a filter
// (*cardreader.Context does).
type ReaderLister interface {
	Readers(ctx context.Context, filter string) ([]string, error)
}

// Reader checks that a card reader matching filter (the configuration's
// card.reader; empty matches any) is connected. Blocking: without a
// reader no resident can be served.
func Reader(l ReaderLister, filter string) Check {
	return Check{Name: "reader", Blocking: true, Run: func(ctx context.Context) Result {
		return probeReaders(ctx, l, filter)
	}}
}

func probeReaders(ctx context.Context, l ReaderLister, filter string) Result {
	names, err := l.Readers(ctx, filter)
	if err != nil {
		return pcscFailure(err)
	}
	if len(names) > 0 {
		return ok("%s", strings.Join(names, ", "))
	}
	all, err := l.Readers(ctx, "")
	if err != nil {
		return pcscFailure(err)
	}
	if len(all) == 0 {
		return fail("no card reader is connected: plug the reader in (USB) and check its cable; `kiosk card info` lists what PC/SC sees")
	}
	return fail("no card reader matches card.reader %q (connected: %s): correct card.reader in the configuration, or connect the right reader",
		filter, strings.Join(all, ", "))
}

// pcscFailure says what a PC/SC service error means for a technician.
func pcscFailure(err error) Result {
	switch {
	case errors.Is(err, cardreader.ErrNoBackend):
		return fail("this kiosk binary was built without PC/SC (no cgo): install the build with card reader support")
	case errors.Is(err, cardreader.ErrNoService):
		return fail("the PC/SC service (pcscd) is not running: start it (systemctl start pcscd.socket) and check its log")
	case errors.Is(err, context.DeadlineExceeded):
		return fail("PC/SC did not answer in time: restart pcscd; if it hangs again, replug the reader")
	}
	return fail("PC/SC: %v", err)
}

// ReaderNames lists every reader for the technician UI, with the error
// as a check result when PC/SC cannot be asked.
func ReaderNames(ctx context.Context, l ReaderLister) ([]string, Result) {
	names, err := l.Readers(ctx, "")
	if err != nil {
		return nil, pcscFailure(err)
	}
	if len(names) == 0 {
		return nil, fail("no card reader is connected")
	}
	return names, ok("%d reader(s)", len(names))
}

// StaticReaders is a fixed list of readers: emulator mode's in-process
// reader, which PC/SC does not know.
type StaticReaders []string

// Readers returns the names matching filter.
func (s StaticReaders) Readers(ctx context.Context, filter string) ([]string, error) {
	var out []string
	for _, r := range s {
		if cardreader.MatchReader(r, filter) {
			out = append(out, r)
		}
	}
	return out, ctx.Err()
}
