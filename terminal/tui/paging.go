package tui

// pageOf cuts a list of n rows into pages of at most room lines — as
// many rows as fit, one at least; size(i, first) is the lines row i
// takes on a page that starts at row first — and returns the page row
// sel is on (its first row and the row after its last) and the line
// under it that says which page it is and how to turn it.
func pageOf(l Locale, n, room, sel int, size func(i, first int) int) (first, last int, line string) {
	var starts []int
	for i := 0; i < n; {
		start := i
		starts = append(starts, start)
		used := size(i, start)
		i++
		for i < n && used+size(i, start) <= room {
			used += size(i, start)
			i++
		}
	}
	p := 0
	for k, s := range starts {
		if s <= sel {
			p = k
		}
	}
	first, last = starts[p], n
	if p+1 < len(starts) {
		last = starts[p+1]
	}
	return first, last, pageLine(l, p+1, len(starts))
}

// pageLine is the line under a list shown in pages: which page of how
// many, and how to turn it.
func pageLine(l Locale, page, pages int) string {
	return tagDim + esc(Tf("%d / %d ページ（↑↓ で次のページへ）", "Page %d of %d (↑↓ for the next page)", page, pages).In(l)) + tagOff
}

// moveText is what ↑↓ do in a list's keymap: move, and where the list
// comes in pages (paged), turn them too.
func moveText(paged bool) Text {
	if paged {
		return T("移動・ページ送り", "Move, turn pages")
	}
	return T("移動", "Move")
}
