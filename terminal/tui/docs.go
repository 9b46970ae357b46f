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
}

func newDocs(note func(Locale, protocol.DocType) string) *docsView {
	return &docsView{tv: newBody(), docs: protocol.DocTypes(), note: note}
}

func (v *docsView) name() string               { return "docs" }
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
	b.WriteString(tagTitle + esc(T("取得する証明書を選んでください。", "Which certificate do you need?").In(l)) + tagOff + "\n\n")
	width := 0
	for _, d := range v.docs {
		width = max(width, tview.TaggedStringWidth(docName(d, l)))
	}
	for i, d := range v.docs {
		line := fmt.Sprintf(" %d  %s", i+1, pad(esc(docName(d, l)), width))
		if v.note != nil {
			line += "  " + tagDim + esc(v.note(l, d.Type)) + tagOff
		}
		if i == v.sel {
			b.WriteString(tagSel + "▶" + tagOff + line + "\n")
		} else {
			b.WriteString(" " + line + "\n")
		}
	}
	if first, last := v.familyRange(); first > 0 {
		b.WriteString("\n" + tagDim + esc(Tf("%d〜%d の戸籍の証明書は、日本国籍の方のみ取得できます。",
			"%d–%d (family register) are for Japanese nationals only.", first, last).In(l)) + tagOff + "\n")
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
		shown("↑↓", T("移動", "Move"), func(k key) { v.sel = moveSel(v.sel, len(v.docs), k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)),
		shown("Enter", T("決定", "OK"), func(key) { v.pick(v.docs[v.sel].Type) }, uikit.K(uikit.Enter)),
		shown("Esc", T("中止", "Cancel"), func(key) { v.back() }, uikit.K(uikit.Esc), uikit.K(uikit.Backspace)),
	}
}

func (v *docsView) hints(Locale) []hint { return hintsOf(v.bindings()) }
func (v *docsView) handle(k key)        { dispatch(k, v.bindings()) }
