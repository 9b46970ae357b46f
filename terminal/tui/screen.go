package tui

import (
	"context"
	"strings"

	"github.com/gdamore/tcell/v2"
)

// Snapshot returns the text on screen as last drawn, one line per row,
// trailing spaces cut: exactly what the resident sees (the PIN only as
// ●). For tests and a technician's remote view; "" once the UI stopped.
func (c *Customer) Snapshot() string {
	var s string
	c.update(context.Background(), func() { s = screenText(c.screen) }, false)
	return s
}

// screenText reads a screen's cells back as text; a wide character's
// second cell is skipped.
func screenText(s tcell.Screen) string {
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
