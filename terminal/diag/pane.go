package diag

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// seg is a run of plain text in one style (a color tag, "" for the
// default).
type seg struct{ tag, text string }

// line is one logical line of a pane: lead, then body. When the line is
// wider than the pane, body wraps by words and its continuation rows are
// indented to where body began (under its own column, not at column 0).
type line struct {
	lead []seg
	body []seg
	// extra is shown after body only when the whole line fits the width
	// (a trailing column for wide terminals).
	extra []seg
	// id makes the line a row that can be selected (Enter drills into it).
	id string
	// row makes the line subject to the filter; id implies it.
	row bool
	// match decides whether the row passes the filter q (lower-cased);
	// nil: its text contains q.
	match func(q string) bool
}

func (l line) isRow() bool { return l.row || l.id != "" }

// plain is the line's text without styles.
func (l line) plain() string {
	var b strings.Builder
	for _, s := range append(append(append([]seg{}, l.lead...), l.body...), l.extra...) {
		b.WriteString(s.text)
	}
	return b.String()
}

func (l line) passes(q string) bool {
	if q == "" || !l.isRow() {
		return true
	}
	if l.match != nil {
		return l.match(q)
	}
	return strings.Contains(strings.ToLower(l.plain()), q)
}

// text is a line of one style; para, a blank line.
func text(tag, s string) line { return line{body: []seg{{tag, s}}} }

// vrow is one screen row of a pane.
type vrow struct {
	s    string // tview-tagged
	line int    // index into lines
}

// pane is a bordered, scrollable text area of logical lines that wraps
// with hanging indents, keeps a selected row when it lists rows, hides
// rows a filter does not match and shows where it is scrolled to on its
// bottom border. It is drawn by tview on the event loop; every method
// runs there.
type pane struct {
	*tview.Box
	lines  []line
	filter string // lower-cased
	selID  string // the selected row's id; "" none
	top    int    // first screen row shown
	follow bool   // bring the selection into view at the next draw
	list   bool   // rows are chosen (↑↓ move the selection) rather than read

	// laid out at the last draw
	width int
	rows  []vrow
	shown []int // indices of lines shown (after the filter)
	h     int
}

func newPane(list bool) *pane {
	p := &pane{Box: tview.NewBox(), list: list}
	p.SetBorder(true).SetTitleAlign(tview.AlignLeft)
	return p
}

// set replaces the lines, keeping the selection (by id) and the scroll
// position.
func (p *pane) set(ls []line) {
	p.lines = ls
	p.width = -1 // lay out again
	if p.list && p.selID == "" {
		p.selectFirst()
	}
}

func (p *pane) selectFirst() {
	for _, l := range p.lines {
		if l.id != "" && l.passes(p.filter) {
			p.selID = l.id
			return
		}
	}
}

// setFilter shows only the rows that match q.
func (p *pane) setFilter(q string) {
	p.filter = strings.ToLower(strings.TrimSpace(q))
	p.width = -1
	p.top = 0
	if p.list {
		p.selID = ""
		p.selectFirst()
		p.follow = true
	}
}

// counts says how many rows pass the filter, of how many.
func (p *pane) counts() (shown, all int) {
	for _, l := range p.lines {
		if l.isRow() {
			all++
			if l.passes(p.filter) {
				shown++
			}
		}
	}
	return shown, all
}

// selected is the selected row's id, "" when none.
func (p *pane) selected() string {
	for _, l := range p.lines {
		if l.id != "" && l.id == p.selID && l.passes(p.filter) {
			return l.id
		}
	}
	return ""
}

// move moves the selection of a list by n rows, or scrolls a pane that
// is read by n screen rows.
func (p *pane) move(n int) {
	if !p.list {
		p.top += n
		return
	}
	var ids []string
	cur := -1
	for _, l := range p.lines {
		if l.id != "" && l.passes(p.filter) {
			if l.id == p.selID {
				cur = len(ids)
			}
			ids = append(ids, l.id)
		}
	}
	if len(ids) == 0 {
		return
	}
	cur = min(max(cur+n, 0), len(ids)-1)
	p.selID = ids[cur]
	p.follow = true
}

// page is the number of rows a page key moves.
func (p *pane) page() int { return max(p.h-1, 1) }

// home and end go to the first and the last row.
func (p *pane) home() { p.top = 0; p.move(-1 << 20) }
func (p *pane) end()  { p.top = 1 << 20; p.move(1 << 20) }

// layout wraps the shown lines to width.
func (p *pane) layout(width int) {
	p.width = width
	p.rows = p.rows[:0]
	p.shown = p.shown[:0]
	for i, l := range p.lines {
		if !l.passes(p.filter) {
			continue
		}
		p.shown = append(p.shown, i)
		sel := l.id != "" && l.id == p.selID
		for _, r := range wrapLine(l, width, sel) {
			p.rows = append(p.rows, vrow{s: r, line: i})
		}
	}
}

// Draw draws the border, the rows from top and the scroll position.
func (p *pane) Draw(screen tcell.Screen) {
	p.Box.DrawForSubclass(screen, p)
	x, y, w, h := p.GetInnerRect()
	if w <= 0 || h <= 0 {
		return
	}
	x, w = x+1, w-2 // a column of padding on each side
	if w != p.width {
		p.layout(w)
	}
	p.h = h
	if p.follow {
		p.follow = false
		first, last := -1, -1
		for i, r := range p.rows {
			if l := p.lines[r.line]; l.id != "" && l.id == p.selID {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		if first >= 0 {
			if last >= p.top+h {
				p.top = last - h + 1
			}
			if first < p.top {
				p.top = first
			}
		}
	}
	p.top = max(min(p.top, len(p.rows)-h), 0)
	for i := 0; i < h && p.top+i < len(p.rows); i++ {
		tview.Print(screen, p.rows[p.top+i].s, x, y+i, w, tview.AlignLeft, tcell.ColorWhite)
	}
	if ind := p.position(); ind != "" {
		bx, by, bw, bh := p.GetRect()
		tview.Print(screen, "[gray]"+ind+"[-]", bx+1, by+bh-1, bw-3, tview.AlignRight, tcell.ColorGray)
	}
}

// position is the scroll indicator: the rows shown of how many, and
// which way there is more.
func (p *pane) position() string {
	n := len(p.rows)
	if n <= p.h || p.h <= 0 {
		return ""
	}
	last := min(p.top+p.h, n)
	more := "↑↓"
	switch {
	case p.top == 0:
		more = "↓"
	case last == n:
		more = "↑"
	}
	return fmt.Sprintf(" %s %d-%d/%d %d%% ", more, p.top+1, last, n, last*100/n)
}

// wrapLine lays a line out in rows of width cells: the lead, then the
// body wrapped by words with continuation rows indented to the body's
// column (or by two cells when the lead leaves no room).
func wrapLine(l line, width int, sel bool) []string {
	leadW := 0
	var lead strings.Builder
	for _, s := range l.lead {
		lead.WriteString(styled(s, sel))
		leadW += cells(s.text)
	}
	body := l.body
	if len(l.extra) > 0 {
		total := leadW
		for _, s := range append(append([]seg{}, body...), l.extra...) {
			total += cells(s.text)
		}
		if total <= width {
			body = append(append([]seg{}, body...), l.extra...)
		}
	}
	hang := leadW
	if width-hang < 20 {
		hang = min(2, width/4)
	}
	var rows []string
	cur := lead.String()
	curW := leadW
	indent := strings.Repeat(" ", hang)
	flush := func() {
		rows = append(rows, pad(cur, curW, width, sel))
		cur, curW = indent, hang
	}
	for _, s := range body {
		for _, w := range splitWords(s.text) {
			ww := cells(w)
			if curW+ww > width && curW > hang {
				flush()
				w = strings.TrimLeft(w, " ")
				ww = cells(w)
			}
			for ww > width-curW && width-curW > 0 { // a word longer than the row
				head, rest := cut(w, width-curW)
				cur += styled(seg{s.tag, head}, sel)
				curW += cells(head)
				flush()
				w = rest
				ww = cells(w)
			}
			cur += styled(seg{s.tag, w}, sel)
			curW += ww
		}
	}
	rows = append(rows, pad(cur, curW, width, sel))
	return rows
}

// splitWords splits s before each space run, keeping the spaces with
// the word that follows: "a bc  d" → "a", " bc", "  d".
func splitWords(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' && s[i-1] != ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}

// cut splits s after n cells.
func cut(s string, n int) (string, string) {
	w := 0
	for i, r := range s {
		rw := cells(string(r))
		if w+rw > n {
			return s[:i], s[i:]
		}
		w += rw
	}
	return s, ""
}

// cells is the width of plain text on screen.
func cells(s string) int { return tview.TaggedStringWidth(tview.Escape(s)) }

// styled is a seg as tagged text; a selected row is drawn in the
// selection's colors throughout.
func styled(s seg, sel bool) string {
	if s.text == "" {
		return ""
	}
	if sel {
		return tagSel + esc(s.text) + tagOff
	}
	if s.tag == "" {
		return esc(s.text)
	}
	return s.tag + esc(s.text) + tagOff
}

// pad fills a selected row to the width, so the selection is a bar.
func pad(s string, w, width int, sel bool) string {
	if !sel || w >= width {
		return s
	}
	return s + tagSel + strings.Repeat(" ", width-w) + tagOff
}
