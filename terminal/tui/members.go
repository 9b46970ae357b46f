package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal"
	"kofu/terminal/uikit"
)

// membersPage is how many members one page of the list shows: one digit
// key each, 1–9.
const membersPage = 9

// membersAnswer is the resident's answer on the members screen: the
// places chosen on the list, or back.
type membersAnswer struct {
	picked []int
	back   bool
}

// membersView asks which household members the 住民票 lists (世帯の一部),
// after the PIN: the household as the center released it, a checkbox per
// member. A digit key ticks or unticks the member of its row; ↑↓ move
// the selection (over pages of up to nine when the household is larger
// or the screen short) and ←→ (or Space) tick the selected row; Enter
// goes on once one member at least is ticked; Esc asks, then cancels. The names are personal data:
// the view holds them only while the question is open, and reset drops
// them.
type membersView struct {
	tv      *tview.TextView
	list    []terminal.Member
	checked []bool
	sel     int
	msg     Text
	guard   cancelGuard
	answer  func(membersAnswer) // nil when nobody is choosing
	// width and height are the body's (sizedView); per is how many
	// members a page shows, as the last render laid it out.
	width, height, per int
}

func newMembers() *membersView { return &membersView{tv: newBody()} }

func (v *membersView) setSize(w, h int)           { v.width, v.height = w, h }
func (v *membersView) name() string               { return "members" }
func (v *membersView) primitive() tview.Primitive { return v.tv }
func (v *membersView) step() step                 { return stepPIN }
func (v *membersView) title(l Locale) string {
	return esc(T("記載する方の選択", "Who is listed").In(l))
}

// open asks for a choice among list, nobody ticked.
func (v *membersView) open(list []terminal.Member, answer func(membersAnswer)) {
	v.list, v.checked = list, make([]bool, len(list))
	v.sel, v.msg, v.answer = 0, Text{}, answer
	v.guard.reset()
}

func (v *membersView) reset() {
	clear(v.list)
	v.list, v.checked, v.sel, v.msg, v.answer = nil, nil, 0, Text{}, nil
	v.guard.reset()
}

// page is the first place of the page the selection is on, and the
// number of members on it.
func (v *membersView) page() (first, n int) {
	per := v.per
	if per <= 0 {
		per = membersPage
	}
	first = v.sel / per * per
	return first, min(per, len(v.list)-first)
}

// perPage is how many members a page shows: nine at most (a digit key
// each), fewer where the screen is too short for nine between the
// question and what must stay under the list — the count, a message,
// the cancel question and the page line (60×20, or 80×24 with the
// question open). The instruction and the note on the names give way
// first (fitText); blank lines too.
func (v *membersView) perPage(title, count, msg, question string) int {
	if v.height <= 0 {
		return membersPage
	}
	lines := func(s string) int { return rowsOf(wrapText(s, v.width)) }
	fixed := lines(title) + lines(count)
	for _, s := range []string{msg, question} {
		if s != "" {
			fixed += lines(s)
		}
	}
	if len(v.list) <= membersPage && fixed+len(v.list) <= v.height {
		return membersPage
	}
	return max(1, min(membersPage, v.height-fixed-1)) // -1: the page line
}

// picked are the places ticked, in the list's order.
func (v *membersView) picked() []int {
	var out []int
	for i, c := range v.checked {
		if c {
			out = append(out, i)
		}
	}
	return out
}

// toggle ticks or unticks member i and selects it.
func (v *membersView) toggle(i int) {
	if i < 0 || i >= len(v.list) {
		return
	}
	v.sel = i
	v.checked[i] = !v.checked[i]
}

// next answers with the members ticked, or says that one is needed.
func (v *membersView) next() {
	p := v.picked()
	if len(p) == 0 {
		v.msg = T("記載する方を1人以上選んでください。", "Please choose at least one person.")
		return
	}
	v.answer(membersAnswer{picked: p})
}

// relation is a member's relationship — the register's word, in the
// reader's language for the usual ones, else as the register writes it —
// with "you" beside the card's holder.
func relation(m terminal.Member) Text {
	var rel Text
	switch m.Relation {
	case "世帯主":
		rel = T("世帯主", "Head of household")
	case "妻":
		rel = T("妻", "Wife")
	case "夫":
		rel = T("夫", "Husband")
	case "子":
		rel = T("子", "Child")
	case "父":
		rel = T("父", "Father")
	case "母":
		rel = T("母", "Mother")
	default:
		rel = Name(m.Relation, m.Relation)
	}
	if m.Self {
		return Tf("%s（ご本人）", "%s (you)", rel)
	}
	return rel
}

func (v *membersView) render(l Locale) {
	if v.answer == nil {
		v.tv.SetText("")
		return
	}
	title := tagTitle + esc(T("住民票に記載する方を選んでください。", "Choose who is listed on the certificate.").In(l)) + tagOff
	count := esc(Tf("%d人を選んでいます。", "%d chosen.", len(v.picked())).In(l))
	msg, question := "", ""
	if !v.msg.Empty() {
		msg = tagWarn + esc(v.msg.In(l)) + tagOff
	}
	if v.guard.asking {
		question = tagWarn + esc(v.guard.question(Text{}).In(l)) + tagOff
	}
	v.per = v.perPage(title, count, msg, question)
	var b strings.Builder
	b.WriteString(title + "\n")
	// The keymap says it too: a short screen leaves it out.
	b.WriteString(optional + esc(T("番号を押すと選択し、もう一度押すと外れます。選び終わったら Enter を押してください。",
		"Press a number to tick a person, again to untick. Press Enter when done.").In(l)) + "\n\n")
	first, n := v.page()
	width := 0
	for _, m := range v.list[first : first+n] {
		width = max(width, tview.TaggedStringWidth(esc(m.Name)))
	}
	for r, m := range v.list[first : first+n] {
		i := first + r
		box := "[ ]"
		if v.checked[i] {
			box = "[●]"
		}
		line := fmt.Sprintf("%d  %s  %s  %s", r+1, esc(box), pad(esc(m.Name), width), esc(relation(m).In(l)))
		if i == v.sel {
			b.WriteString(tagSel + "▶" + tagOff + " " + line + "\n")
		} else {
			b.WriteString("  " + line + "\n")
		}
	}
	if pages := (len(v.list) + v.per - 1) / v.per; pages > 1 {
		b.WriteString(pageLine(l, first/v.per+1, pages) + "\n")
	}
	b.WriteString("\n" + count + "\n")
	for _, s := range []string{msg, question} {
		if s != "" {
			b.WriteString("\n" + s + "\n")
		}
	}
	// What reassures, not what the choice needs: the first to give
	// way after the instruction on a short screen.
	b.WriteString("\n" + spare + tagDim + esc(T("選んだ方の氏名は、この画面と料金の確認にだけ表示し、手続きが終わると消去します。",
		"The names are shown only here and before you pay, and erased when you finish.").In(l)) + tagOff + "\n")
	v.tv.SetText(b.String())
}

// bindings is the members screen's key table: a digit ticks its row of
// the page, ↑↓ move (turning pages), ←→ tick the selected row, Enter
// goes on, Esc behind the cancel guard.
func (v *membersView) bindings() []binding {
	if v.answer == nil {
		return nil
	}
	cancel := func() { v.answer(membersAnswer{back: true}) }
	if v.guard.asking {
		return v.guard.bindings(Text{}, cancel)
	}
	first, n := v.page()
	return append([]binding{
		shown(fmt.Sprintf("1-%d", n), T("選ぶ・外す", "Tick"), func(k key) { v.toggle(first + k.digit() - 1) }, uikit.Digits(1, n)...),
		shown("↑↓", moveText(n < len(v.list)), func(k key) { v.sel = moveSel(v.sel, len(v.list), k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)),
		hidden(func(key) { v.toggle(v.sel) }, uikit.K(uikit.Left), uikit.K(uikit.Right)),
		shown("Enter", T("次へ", "Next"), func(key) { v.next() }, uikit.K(uikit.Enter)),
	}, v.guard.bindings(T("中止", "Cancel"), cancel)...)
}

func (v *membersView) hints(Locale) []hint { return hintsOf(v.bindings()) }

func (v *membersView) handle(k key) {
	if v.answer == nil {
		return
	}
	v.msg = Text{}
	dispatch(k, v.bindings())
}

// Members asks which household members the document lists (世帯の一部):
// the list the center released after the PIN, a checkbox each. The
// choice is also named in the summary before paying; both are forgotten
// with the session (wipe).
func (c *Customer) Members(ctx context.Context, list []terminal.Member) ([]int, error) {
	a, err := ask(ctx, c, func(answer func(membersAnswer)) {
		c.members.open(append([]terminal.Member(nil), list...), func(a membersAnswer) {
			if !a.back {
				c.order = withChosen(c.order, chosenRow(c.members.list, a.picked))
			}
			answer(a)
		})
		c.show(c.members)
	}, func() {
		c.members.reset()
		c.progress.show(terminal.Progress{State: terminal.StateSubmit})
		c.show(c.progress)
	}, nil)
	switch {
	case err != nil:
		return nil, c.panelErr(ctx, err)
	case a.back:
		return nil, terminal.ErrCancelled
	}
	return a.picked, nil
}

// withChosen puts the members' row in the summary right after the
// document's details (記載範囲：世帯の一部 …), else at the end.
func withChosen(rows []summaryRow, chosen summaryRow) []summaryRow {
	at := len(rows)
	for i, r := range rows {
		if r.label.JA == "内容" {
			at = i + 1
		}
	}
	return slices.Insert(slices.Clone(rows), at, chosen)
}

// chosenRow is the summary's line of the members chosen: their names.
func chosenRow(list []terminal.Member, picked []int) summaryRow {
	var names []Text
	for _, i := range picked {
		if i >= 0 && i < len(list) {
			names = append(names, Name(list[i].Name, list[i].Name))
		}
	}
	return summaryRow{T("記載する方", "Listed"), List(names...)}
}
