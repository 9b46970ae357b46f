package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rivo/uniseg"

	"kofu/terminal/payment"
)

// frameBounds is where the frame is on a screen read back as text: its
// first and last row and column with anything on them (0-based, last
// inclusive), and the screen's size in rows and columns.
type frameBounds struct {
	top, bottom, left, right int
	rows, cols               int
}

// boundsOf finds the frame on screen s of cols columns: the rows and
// columns with anything drawn on them.
func boundsOf(s string, cols int) frameBounds {
	lines := strings.Split(s, "\n")
	b := frameBounds{top: -1, left: cols, right: -1, rows: len(lines), cols: cols}
	for y, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if b.top < 0 {
			b.top = y
		}
		b.bottom = y
		lead := uniseg.StringWidth(l) - uniseg.StringWidth(strings.TrimLeft(l, " "))
		b.left = min(b.left, lead)
		b.right = max(b.right, uniseg.StringWidth(l)-1)
	}
	return b
}

// margins are the blank rows above and below the frame and the blank
// columns left and right of it.
func (b frameBounds) margins() (top, bottom, left, right int) {
	return b.top, b.rows - 1 - b.bottom, b.left, b.cols - 1 - b.right
}

// frameOf is screen s cut to its frame: the blank rows around it
// dropped and every row shifted left by the frame's margin, so that the
// box starts at the first column as screentext.BreakFaults reads it.
func frameOf(s string) string {
	lines := strings.Split(s, "\n")
	first, last := -1, -1
	cut := -1
	for y, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if first < 0 {
			first = y
		}
		last = y
		lead := len(l) - len(strings.TrimLeft(l, " "))
		if cut < 0 || lead < cut {
			cut = lead
		}
	}
	if first < 0 {
		return ""
	}
	out := make([]string, 0, last-first+1)
	for _, l := range lines[first : last+1] {
		out = append(out, l[min(cut, len(l)):])
	}
	return strings.Join(out, "\n")
}

// openAt opens screen tc in Japanese on a w×h screen and returns it once
// it shows what it should and has stopped changing.
func openAt(t *testing.T, tc languageScreen, w, h int) string {
	t.Helper()
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	l := cats.locale(Japanese)
	o := tc.opts
	if tc.coins {
		o.Coins = payment.NewCoins()
	}
	o.Tick = time.Hour // nothing blinks: the screens compare cell by cell
	hs := newHarnessAt(t, o, w, h)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tc.open(ctx, hs)
	ready := tc.ready
	if ready.Empty() {
		ready = tc.want[0]
	}
	hs.waitFor(ready.In(l))
	hs.press(tc.keys...)
	hs.waitFor(tc.wanted(l, screenSize{w, h})...)
	return hs.settled()
}

// TestLargeScreenCentered: on a 160×45 screen the frame (title bar,
// steps, box and keymap) is in the middle — as many blank columns left
// of it as right, as many blank rows above as below within two (the
// keymap's second row is blank when it needs one) — and it is the
// largest frame, the same cell for cell as on a 100×32 screen: neither
// stretched over the whole screen with the text in a corner (issue 17,
// item 13) nor smaller than the kiosk's usual pane.
func TestLargeScreenCentered(t *testing.T) {
	screens := map[string]bool{
		"welcome": true, "document list": true, "options: foreign residents' items": true, "municipality picker": true,
		"PIN, the last try": true, "payment with the summary": true, "printing page 2 of 3": true,
		"finish: paper out after a page": true, "out of service": true,
	}
	seen := 0
	for _, tc := range languageScreens() {
		if !screens[tc.name] {
			continue
		}
		seen++
		t.Run(tc.name, func(t *testing.T) {
			large := openAt(t, tc, 160, 45)
			b := boundsOf(large, 160)
			top, bottom, left, right := b.margins()
			if d := left - right; d < -1 || d > 1 {
				t.Errorf("%d columns left of the frame, %d right:\n%s", left, right, large)
			}
			if d := top - bottom; d < -2 || d > 2 {
				t.Errorf("%d rows above the frame, %d below:\n%s", top, bottom, large)
			}
			// The kiosk's usual pane, 100×32: lines a resident reads
			// from half a metre, not the whole width of the screen.
			if w := b.right - b.left + 1; w != 100 || top != (45-32)/2 {
				t.Errorf("the frame is %d columns wide from row %d, want 100 from row %d:\n%s", w, top, (45-32)/2, large)
			}
			usual := openAt(t, tc, 100, 32)
			if got, want := frameOf(large), frameOf(usual); got != want {
				t.Errorf("the frame at 160×45:\n%s\ndiffers from the screen at 100×32:\n%s", got, want)
			}
		})
	}
	if seen != len(screens) {
		t.Fatalf("%d of the %d screens found in languageScreens", seen, len(screens))
	}
}

// TestSmallScreensFilled: up to the largest frame the frame fills the
// screen, from its first row and column (80×24: not a cell to spare).
func TestSmallScreensFilled(t *testing.T) {
	var welcome languageScreen
	for _, tc := range languageScreens() {
		if tc.name == "welcome" {
			welcome = tc
		}
	}
	for _, size := range []screenSize{{80, 24}, {100, 32}} {
		s := openAt(t, welcome, size.w, size.h)
		b := boundsOf(s, size.w)
		if top, _, left, right := b.margins(); top != 0 || left != 0 || right != 0 {
			t.Errorf("%s: margins top %d, left %d, right %d:\n%s", size, top, left, right, s)
		}
	}
}

// TestFrameOf: the frame cut out of a screen keeps its rows and drops
// the margins around it.
func TestFrameOf(t *testing.T) {
	s := "\n\n   ╔ x ╗\n   ║ é ║\n\n   ╚═══╝\n\n"
	if got, want := frameOf(s), "╔ x ╗\n║ é ║\n\n╚═══╝"; got != want {
		t.Errorf("frameOf = %q, want %q", got, want)
	}
	b := boundsOf(s, 12)
	if top, bottom, left, right := b.margins(); top != 2 || bottom != 2 || left != 3 || right != 4 {
		t.Errorf("margins %d %d %d %d", top, bottom, left, right)
	}
}
