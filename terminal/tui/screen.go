package tui

import (
	"context"

	"kofu/internal/screentext"
)

// Snapshot returns the text on screen as last drawn, one line per row,
// trailing spaces cut: exactly what the resident sees (the PIN only as
// ●). For tests and a technician's remote view; "" once the UI stopped.
func (c *Customer) Snapshot() string {
	var s string
	c.update(context.Background(), func() { s = screentext.Of(c.screen) }, false)
	return s
}
