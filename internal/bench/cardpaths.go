package bench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"kofu/internal/fixtures"
)

// CardPaths measures kofu's read certificate + verify PIN + sign two
// ways on the same emulated card behind a private pcscd and
// vsmartcard-vpcd, side by side in one run: with one extended-length READ
// BINARY for the certificate (kofu's default where card and reader take
// it) and with short APDUs only (⌈L/256⌉ READ BINARY). The runs
// alternate, so both see the same machine; the figures are the APDU
// counts at the card and the median wall times, to be read as ratios:
// through vpcd every APDU is a loopback round trip, not a card's time.
// Without the PC/SC stack it fails, or with o.SkipMissing returns no
// figures.
func CardPaths(ctx context.Context, o Options) ([]Figure, error) {
	o = o.withDefaults()
	fx, err := fixtures.Load()
	if err != nil {
		return nil, err
	}
	cs, err := startCardStack(fx, o, "card path figures")
	if cs == nil {
		return nil, err
	}
	defer cs.close()
	res, card, stack, pc := cs.res, cs.card, cs.stack, cs.pc
	msg := sha256.Sum256([]byte("kofu signs with extended and with short APDUs"))
	var paths [2]struct {
		apdus int
		byINS map[byte]int
		times []float64
	}
	for range o.Runs {
		for i, short := range []bool{false, true} {
			card.ResetStats()
			t0 := time.Now() // elapsed time of one session, for the median
			if err := kofuCardSessionAPDUs(ctx, pc, stack.Reader(0), res.PIN, msg[:], short); err != nil {
				return nil, fmt.Errorf("kofu (short APDUs %v): %w", short, err)
			}
			paths[i].times = append(paths[i].times, ms(time.Since(t0)))
			st := card.Stats()
			paths[i].apdus, paths[i].byINS = st.APDUs, st.ByINS
		}
	}
	reads := (len(res.CardCertDER) + 255) / 256
	ext, short := paths[0], paths[1]
	// Open's SELECT AP; SELECT AP, SELECT EF, the READ BINARYs; SELECT AP,
	// SELECT PIN, VERIFY, SELECT key, sign; the logout.
	extWant, shortWant := 9+1, 9+reads
	apdus := newFigure("card", "card: read certificate + verify PIN + sign: APDUs, one extended vs short READ BINARY",
		float64(ext.apdus), float64(short.apdus), "kofu, short APDUs", "APDUs", goal{op: "<=", value: float64(extWant)})
	apdus.Target = fmt.Sprintf("≤ %d (short APDUs need %d: ⌈%d/256⌉ = %d READ BINARY)", extWant, shortWant, len(res.CardCertDER), reads)
	apdus.Note = fmt.Sprintf("same card, same run; extended: %s; short: %s", insSummary(ext.byINS), insSummary(short.byINS))
	wall := newFigure("card", "card: read certificate + verify PIN + sign: wall time, one extended vs short READ BINARY",
		medianOf(ext.times), medianOf(short.times), "kofu, short APDUs", "ms", goal{op: "<=", value: 1, ratio: true})
	wall.Note = fmt.Sprintf("medians of %d alternating runs each through pcscd + vsmartcard-vpcd, where every APDU is a loopback round trip: read the ratio, not the milliseconds", o.Runs)
	return []Figure{apdus, wall}, nil
}
