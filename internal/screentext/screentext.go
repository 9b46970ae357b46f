// Package screentext reads a tcell screen back as text: what the resident
// or the technician sees, for the UIs' snapshots (tests, a remote view).
package screentext

import (
	"strings"

	"github.com/gdamore/tcell/v2"
)

// Of returns the screen's cells as text, one line per row with trailing
// spaces cut; a wide character's second cell is skipped. "" for nil.
func Of(s tcell.Screen) string {
	if s == nil {
		return ""
	}
	w, h := s.Size()
	lines := make([]string, 0, h)
	for y := range h {
		var b strings.Builder
		for x := 0; x < w; {
			mainc, combc, _, width := s.GetContent(x, y)
			if mainc == 0 {
				mainc = ' '
			}
			b.WriteRune(mainc)
			for _, r := range combc {
				b.WriteRune(r)
			}
			x += max(width, 1)
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return strings.Join(lines, "\n")
}
