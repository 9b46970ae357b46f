package diag

import "github.com/rivo/tview"

// scroll moves a text view for the arrow and page keys; it reports
// whether k was one of them.
func scroll(tv *tview.TextView, k key) bool {
	row, col := tv.GetScrollOffset()
	_, _, _, h := tv.GetInnerRect()
	switch k.kind {
	case keyUp:
		row--
	case keyDown:
		row++
	case keyPgUp:
		row -= max(h-1, 1)
	case keyPgDn:
		row += max(h-1, 1)
	default:
		return false
	}
	tv.ScrollTo(max(row, 0), col)
	return true
}

func scrollHints() []hint { return []hint{{"↑↓ PgUp PgDn", "scroll"}} }
