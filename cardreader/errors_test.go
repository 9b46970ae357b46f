package cardreader

import (
	"errors"
	"fmt"
	"testing"
)

// TestRemovalRecognisable: a removal or a swapped card says so through
// the CardRemoved interface however it is wrapped (the kiosk session does
// not import this package); nothing else does.
func TestRemovalRecognisable(t *testing.T) {
	type remover interface{ CardRemoved() bool }
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"removed", ErrCardRemoved, true},
		{"changed", ErrCardChanged, true},
		{"wrapped twice", fmt.Errorf("sign: %w", fmt.Errorf("%w: %w", ErrCardRemoved, errors.New("scard"))), true},
		{"pcsc error", &PCSCError{Op: "transmit", Code: 0x80100069, Kind: ErrCardRemoved}, true},
		{"no service", &PCSCError{Op: "transmit", Code: 0x8010001D, Kind: ErrNoService}, false},
		{"wrong PIN", &AuthError{Retries: 2}, false},
		{"no card", ErrNoCard, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r remover
			if got := errors.As(c.err, &r) && r.CardRemoved(); got != c.want {
				t.Fatalf("removal %v, want %v", got, c.want)
			}
			if c.want && !errors.Is(c.err, ErrCardRemoved) && !errors.Is(c.err, ErrCardChanged) {
				t.Fatal("errors.Is lost the sentinel")
			}
		})
	}
}
