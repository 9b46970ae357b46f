package bench

import (
	"context"
	"strings"
	"testing"

	"kofu/cardreader/pcsctest"
)

// TestCardPathsBothGenerations: the card path figures cover a
// generation-1 and a generation-2 card, extended and short APDUs each,
// with the APDU counts of read certificate + verify PIN + sign (the
// generation-2 card's detection costs one SELECT more).
func TestCardPathsBothGenerations(t *testing.T) {
	pcsctest.Require(t)
	figs, err := CardPaths(context.Background(), Tiny())
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 4 {
		t.Fatalf("%d figures, want 4: %+v", len(figs), figs)
	}
	for _, tc := range []struct {
		fig         int
		gen2        bool
		ext, shortN float64
	}{
		{0, false, 10, 13}, // R0001: 955-byte certificate, 4 short READ BINARY
		{2, true, 11, 13},  // G0001: 643-byte certificate, 3 short READ BINARY
	} {
		f := figs[tc.fig]
		if strings.Contains(f.Name, "P-384") != tc.gen2 || f.Unit != "APDUs" {
			t.Errorf("figure %d: %q", tc.fig, f.Name)
		}
		if f.Ours != tc.ext || f.Peer != tc.shortN || !f.Met {
			t.Errorf("%s: %v extended, %v short (met %v); want %v, %v", f.Name, f.Ours, f.Peer, f.Met, tc.ext, tc.shortN)
		}
		if w := figs[tc.fig+1]; w.Unit != "ms" || w.Ours <= 0 || w.Peer <= 0 {
			t.Errorf("wall figure %+v", w)
		}
	}
}
