package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal/uikit"
)

// docsView lists the document table; a number key or Enter picks one.
type docsView struct {
	tv   *tview.TextView
	docs []protocol.DocInfo
	sel  int
	// note returns a short remark for a type at the resident's municipality
	// (the fee, "weekdays only"); it may be nil.
	note func(l Locale, t protocol.DocType) string
	pick func(protocol.DocType) // nil when nobody is choosing
	back func()
	// width and height are the body's size in cells, from the frame (0:
	// not known yet).
	width, height int
	paged         bool // the list did not fit: it is shown a page at a time
}

func newDocs(note func(Locale, protocol.DocType) string) *docsView {
	return &docsView{tv: newBody(), docs: protocol.DocTypes(), note: note}
}

func (v *docsView) name() string               { return "docs" }
func (v *docsView) setSize(w, h int)           { v.width, v.height = w, h }
func (v *docsView) primitive() tview.Primitive { return v.tv }
func (v *docsView) step() step                 { return stepChoose }
func (v *docsView) title(l Locale) string {
	return esc(T("証明書の選択", "Choose a certificate").In(l))
}

// open starts a choice.
func (v *docsView) open(pick func(protocol.DocType), back func()) {
	v.sel, v.pick, v.back = 0, pick, back
}

func (v *docsView) reset() { v.sel, v.pick, v.back = 0, nil, nil }

func (v *docsView) render(l Locale) {
	var b strings.Builder
	// The question, as the box's title asks it too: a short screen may
	// leave it out.
	b.WriteString(optional + tagTitle + esc(T("取得する証明書を選んでください。", "Which certificate do you need?").In(l)) + tagOff + "\n\n")
	// The remarks stand in a column after the names where the widest
	// name and remark fit the line; on a narrow screen (60 columns) each
	// follows its name, or has the line under it, never cut in two.
	const rowChrome = 5 // "▶ 1  "
	width, notes := 0, 0
	for _, d := range v.docs {
		width = max(width, tview.TaggedStringWidth(esc(docName(d, l))))
		if v.note != nil {
			notes = max(notes, tview.TaggedStringWidth(esc(v.note(l, d.Type))))
		}
	}
	column := v.width <= 0 || rowChrome+width+2+notes <= v.width
	indent := strings.Repeat(" ", rowChrome)
	rows := make([]string, len(v.docs))
	for i, d := range v.docs {
		name := esc(docName(d, l))
		note := ""
		if v.note != nil {
			note = esc(v.note(l, d.Type))
		}
		var line string
		switch {
		case column:
			line = fmt.Sprintf(" %d  %s", i+1, pad(name, width))
			if note != "" {
				line += "  " + tagDim + note + tagOff
			}
		default:
			// The name wraps under itself; the remark follows its last
			// line, or has the line under it.
			lines := strings.Split(wrapText(name, v.width-rowChrome), "\n")
			last := lines[len(lines)-1]
			switch {
			case note == "":
			case rowChrome+tview.TaggedStringWidth(last)+2+tview.TaggedStringWidth(note) <= v.width:
				lines[len(lines)-1] += "  " + tagDim + note + tagOff
			default:
				lines = append(lines, tagDim+note+tagOff)
			}
			line = fmt.Sprintf(" %d  %s", i+1, strings.Join(lines, "\n"+indent))
		}
		if i == v.sel {
			rows[i] = tagSel + "▶" + tagOff + line
		} else {
			rows[i] = " " + line
		}
	}
	var foot string
	if first, last := v.familyRange(); first > 0 {
		foot = tagDim + esc(Tf("%d〜%d の戸籍の証明書は、日本国籍の方のみ取得できます。",
			"%d–%d (family register) are for Japanese nationals only.", first, last).In(l)) + tagOff
	}
	// On a screen too short for the whole list (60×20 with the
	// countdown) the list comes in pages under the rule, without the
	// question the box's title asks.
	first, last, pageLine := 0, len(rows), ""
	lines := func(s string) int { return rowsOf(wrapText(s, v.width)) }
	if v.height > 0 && v.width > 0 {
		all := lines(foot)
		for _, r := range rows {
			all += lines(r)
		}
		if all > v.height {
			first, last, pageLine = pageOf(l, len(rows), v.height-lines(foot)-1, v.sel, func(i, _ int) int { return lines(rows[i]) })
		}
	}
	v.paged = pageLine != ""
	if v.paged {
		b.Reset()
	}
	for _, r := range rows[first:last] {
		b.WriteString(r + "\n")
	}
	if v.paged {
		b.WriteString(pageLine + "\n")
	}
	if foot != "" {
		b.WriteString("\n" + foot + "\n")
	}
	v.tv.SetText(b.String())
}

// familyRange is the first and last list number of the family register
// documents (0, 0 when none): foreign residents have no 戸籍 (issue 17,
// item 12), and the list says so rather than letting them try.
func (v *docsView) familyRange() (first, last int) {
	for i, d := range v.docs {
		if d.Type.FamilyRegister() {
			if first == 0 {
				first = i + 1
			}
			last = i + 1
		}
	}
	return first, last
}

func docName(d protocol.DocInfo, l Locale) string { return docText(d).In(l) }

// docText is a document type's name.
func docText(d protocol.DocInfo) Text { return fromTable(d.JA, d.EN) }

// bindings is the document list's key table: a number picks, ↑↓ and
// Enter pick too, Esc (or Backspace) cancels.
func (v *docsView) bindings() []binding {
	if v.pick == nil {
		return nil
	}
	n := min(len(v.docs), 9)
	return []binding{
		shown(fmt.Sprintf("1-%d", n), T("選択", "Choose"), func(k key) {
			v.sel = k.digit() - 1
			v.pick(v.docs[v.sel].Type)
		}, uikit.Digits(1, n)...),
		shown("↑↓", moveText(v.paged), func(k key) { v.sel = moveSel(v.sel, len(v.docs), k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)),
		shown("Enter", T("決定", "OK"), func(key) { v.pick(v.docs[v.sel].Type) }, uikit.K(uikit.Enter)),
		shown("Esc", T("中止", "Cancel"), func(key) { v.back() }, uikit.K(uikit.Esc), uikit.K(uikit.Backspace)),
	}
}

func (v *docsView) hints(Locale) []hint { return hintsOf(v.bindings()) }
func (v *docsView) handle(k key)        { dispatch(k, v.bindings()) }
