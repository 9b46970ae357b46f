package bench

import (
	"context"
	"fmt"
	"time"

	"kofu/cardreader"
	"kofu/internal/fixtures"
)

// CardPaths measures kofu's read certificate + verify PIN + sign two
// ways on the same emulated card behind a private pcscd and
// vsmartcard-vpcd, side by side in one run: with one extended-length READ
// BINARY for the certificate (kofu's default where card and reader take
// it) and with short APDUs only (⌈L/256⌉ READ BINARY). It does so for a
// generation-1 card (R0001, RSA-2048) and a generation-2 one (G0001,
// ECDSA P-384 under the assumed applet profile, whose detection costs one
// SELECT more), each in its own reader. The runs alternate, so all see
// the same machine; the figures are the APDU counts at the card and the
// median wall times, to be read as ratios: through vpcd every APDU is a
// loopback round trip, not a card's time. Without the PC/SC stack it
// fails, or with o.SkipMissing returns no figures.
func CardPaths(ctx context.Context, o Options) ([]Figure, error) {
	o = o.withDefaults()
	fx, err := fixtures.Load()
	if err != nil {
		return nil, err
	}
	cs, err := startCardStack(fx, o, "card path figures", "R0001", "G0001")
	if cs == nil {
		return nil, err
	}
	defer cs.close()
	type path struct {
		apdus int
		byINS map[byte]int
		times []float64
	}
	paths := make([][2]path, len(cs.cards)) // per card: extended, short
	for range o.Runs {
		for ci, cc := range cs.cards {
			for i, short := range []bool{false, true} {
				cc.card.ResetStats()
				t0 := time.Now() // elapsed time of one session, for the median
				if err := kofuCardSessionAPDUs(ctx, cs.pc, cs.stack.Reader(ci), cc.res.PIN, []byte("kofu signs with extended and with short APDUs"), short); err != nil {
					return nil, fmt.Errorf("kofu, %s (short APDUs %v): %w", cc.res.ID, short, err)
				}
				paths[ci][i].times = append(paths[ci][i].times, ms(time.Since(t0)))
				st := cc.card.Stats()
				paths[ci][i].apdus, paths[ci][i].byINS = st.APDUs, st.ByINS
			}
		}
	}
	var figs []Figure
	for ci, cc := range cs.cards {
		res, prof := cc.res, cc.card.Profile()
		reads := (len(res.CardCertDER) + 255) / 256
		ext, short := paths[ci][0], paths[ci][1]
		// Open's SELECT AP (the generation-2 card is found by its AID
		// after the generation-1 one: one SELECT more); SELECT AP, SELECT
		// EF, the READ BINARYs; SELECT AP, SELECT PIN, VERIFY, SELECT key,
		// sign; the logout.
		detect := 0
		what := "card"
		if prof.Name != cardreader.ProfileGen1().Name {
			detect = 1
			what = fmt.Sprintf("card %s (%v)", prof.Name, prof.Key)
		}
		extWant, shortWant := 9+1+detect, 9+reads+detect
		apdus := newFigure("card", what+": read certificate + verify PIN + sign: APDUs, one extended vs short READ BINARY",
			float64(ext.apdus), float64(short.apdus), "kofu, short APDUs", "APDUs", goal{op: "<=", value: float64(extWant)})
		apdus.Target = fmt.Sprintf("≤ %d (short APDUs need %d: ⌈%d/256⌉ = %d READ BINARY)", extWant, shortWant, len(res.CardCertDER), reads)
		apdus.Note = fmt.Sprintf("%s, same run; extended: %s; short: %s", res.ID, insSummary(ext.byINS), insSummary(short.byINS))
		wall := newFigure("card", what+": read certificate + verify PIN + sign: wall time, one extended vs short READ BINARY",
			medianOf(ext.times), medianOf(short.times), "kofu, short APDUs", "ms", goal{op: "<=", value: 1, ratio: true})
		wall.Note = fmt.Sprintf("%s; medians of %d alternating runs each through pcscd + vsmartcard-vpcd, where every APDU is a loopback round trip: read the ratio, not the milliseconds", res.ID, o.Runs)
		figs = append(figs, apdus, wall)
	}
	return figs, nil
}
