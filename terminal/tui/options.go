package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal/uikit"
)

// muniChoice is a municipality the request may go to, as offered to the
// resident (住所地, and 本籍地 for koseki documents when it differs).
type muniChoice struct {
	Code  string
	Label Text // "住所地（神奈川県横浜市）"
}

// muniSlot is what the options screen knows about where the request goes:
// one municipality the kiosk knows (a 住民票 goes to the 住所地), or a
// choice the resident makes in the picker, with the kiosk's own
// candidates offered first. Nothing is chosen for the resident.
type muniSlot struct {
	role    Text   // 住所地 / 本籍地
	fixed   string // the only municipality, when there is no choice
	presets []muniChoice
	home    string // the resident's 住所地 when the kiosk knows it
}

// optionsView sets the options of one document type, the copies and the
// municipality; Enter confirms once a municipality is chosen and the
// document can be had there now.
type optionsView struct {
	tv     *tview.TextView
	info   protocol.DocInfo
	vals   []int // index into info.Options[i].Values
	copies int
	slot   muniSlot
	muni   string // the chosen municipality ("" until chosen)
	sel    int
	msg    Text
	// width and height are the body's size in cells, from the frame (0:
	// not known yet).
	width, height int
	paged         bool // the rows did not fit: they are shown a page at a time
	// estimate returns the expected fee per copy at a municipality, and a
	// remark (weekdays only …); ok false when unknown.
	estimate func(l Locale, muni string, t protocol.DocType) (fee int, remark string, ok bool)
	// avail says whether the document can be had at a municipality now.
	avail func(code string, t protocol.DocType) availability
	// label is a municipality's name.
	label      func(code string) Text
	done       func(muni string, spec protocol.DocSpec) // nil when nobody is choosing
	back       func()
	openPicker func() // shows the picker for the slot
}

func newOptions(estimate func(Locale, string, protocol.DocType) (int, string, bool), avail func(string, protocol.DocType) availability, label func(string) Text) *optionsView {
	return &optionsView{tv: newBody(), estimate: estimate, avail: avail, label: label}
}

func (v *optionsView) name() string               { return "options" }
func (v *optionsView) setSize(w, h int)           { v.width, v.height = w, h }
func (v *optionsView) primitive() tview.Primitive { return v.tv }
func (v *optionsView) step() step                 { return stepChoose }
func (v *optionsView) title(l Locale) string {
	return esc(T("内容の確認", "Options").In(l))
}

// open starts setting the options of info with every option at its
// default, one copy and, unless the slot is fixed, no municipality.
func (v *optionsView) open(info protocol.DocInfo, slot muniSlot, done func(string, protocol.DocSpec), back, openPicker func()) {
	v.info, v.slot, v.done, v.back, v.openPicker = info, slot, done, back, openPicker
	v.vals = make([]int, len(info.Options))
	v.copies, v.muni, v.sel, v.msg = 1, slot.fixed, 0, Text{}
}

// chose records the picker's answer and comes back to the list.
func (v *optionsView) chose(code string) {
	v.muni, v.msg = code, Text{}
	v.sel = v.muniRow()
}

func (v *optionsView) reset() {
	v.info, v.vals, v.done, v.back, v.openPicker = protocol.DocInfo{}, nil, nil, nil, nil
	v.slot, v.muni, v.msg = muniSlot{}, "", Text{}
	v.copies, v.sel = 1, 0
}

// The rows of the options screen that are not options (layout).
const (
	rowCopies = -1
	rowMuni   = -2
)

// layout is the screen's selectable rows in order, each an index into
// info.Options or rowCopies/rowMuni: the options, the copies, the
// municipality (unless fixed), then the foreign residents' items under
// their heading (issue 17, item 12). The rows before them keep their
// numbers whether a document has such items or not.
func (v *optionsView) layout() []int {
	var out []int
	for i, o := range v.info.Options {
		if !o.Foreign {
			out = append(out, i)
		}
	}
	out = append(out, rowCopies)
	if v.slot.fixed == "" {
		out = append(out, rowMuni)
	}
	for i, o := range v.info.Options {
		if o.Foreign {
			out = append(out, i)
		}
	}
	return out
}

// muniRow is the row of the municipality, or -1 when it is fixed.
func (v *optionsView) muniRow() int {
	for r, x := range v.layout() {
		if x == rowMuni {
			return r
		}
	}
	return -1
}

// rows is the number of selectable rows: options, copies, municipality.
func (v *optionsView) rows() int { return len(v.layout()) }

// cycle moves row r's value by d; on the municipality row it opens the
// picker.
func (v *optionsView) cycle(r, d int) {
	switch x := v.layout()[r]; x {
	case rowCopies:
		v.copies = (v.copies-1+d+protocol.MaxCopies)%protocol.MaxCopies + 1
	case rowMuni:
		v.openPicker()
	default:
		n := len(v.info.Options[x].Values)
		v.vals[x] = (v.vals[x] + d + n) % n
	}
}

// spec is the document as set on screen. An optional option is sent
// only when the resident changed it from its default: a request without
// the foreign residents' items is what it was before they existed.
func (v *optionsView) spec() protocol.DocSpec {
	opts := make(map[string]string, len(v.info.Options))
	for i, o := range v.info.Options {
		if o.Optional && v.vals[i] == 0 {
			continue
		}
		opts[o.Key] = o.Values[v.vals[i]]
	}
	return protocol.DocSpec{Type: v.info.Type, Opts: opts, Copies: v.copies}
}

// notes are what the options as set call for the resident to know:
// with 世帯の一部 the members are chosen after the PIN, from the
// household the center releases then (members.go).
func (v *optionsView) notes() []Text {
	var out []Text
	for i, o := range v.info.Options {
		if o.Key == "scope" && o.Values[v.vals[i]] == protocol.ScopeMembers {
			out = append(out, T("世帯の一部：暗証番号の入力後に、記載する方を選びます。",
				"Household members: you choose who is listed after entering your PIN."))
		}
	}
	return out
}

// cautions are the warnings the options as set call for: 個人番号 printed
// on a 住民票 may be handed only to the bodies the law names.
func (v *optionsView) cautions() []Text {
	var out []Text
	for i, o := range v.info.Options {
		if o.Key == "kojin-bango" && o.Values[v.vals[i]] == "include" {
			out = append(out, T("個人番号（マイナンバー）入りの住民票は、法律で定められた提出先（勤務先の手続きなど）にしか出せません。必要な場合だけ選んでください。",
				"A certificate showing your My Number may be given only to the bodies the law allows (e.g. your employer's tax forms). Choose it only if you were asked for it."))
		}
	}
	return out
}

// optionRow is one selectable row of the options screen as drawn.
type optionRow struct {
	label, value string
	foreign      bool
	note         string // after the value: who the item is for
	widest       int    // the widest of the row's values, in cells
	muni         bool   // the municipality row: its value is a name
}

// optionRows are the screen's rows in l, in layout order.
func (v *optionsView) optionRows(l Locale) []optionRow {
	var rows []optionRow
	for _, x := range v.layout() {
		switch x {
		case rowCopies:
			r := optionRow{label: T("部数", "Copies").In(l), value: Tf("%d通", "%d", v.copies).In(l)}
			r.widest = tview.TaggedStringWidth(esc(Tf("%d通", "%d", protocol.MaxCopies).In(l)))
			rows = append(rows, r)
		case rowMuni:
			value := T("未選択（Enter で選びます）", "not chosen (press Enter)").In(l)
			if v.muni != "" {
				value = v.label(v.muni).In(l)
			}
			rows = append(rows, optionRow{label: Tf("請求先（%s）", "Request to (%s)", v.slot.role).In(l), value: value, muni: true,
				widest: tview.TaggedStringWidth(esc(value))})
		default:
			o := v.info.Options[x]
			r := optionRow{label: optionLabel(o).In(l), value: valueLabel(o.Key, o.Values[v.vals[x]]).In(l), foreign: o.Foreign}
			if n := optionNote(v.info, o); !n.Empty() {
				r.note = n.In(l)
			}
			for _, val := range o.Values {
				r.widest = max(r.widest, tview.TaggedStringWidth(esc(valueLabel(o.Key, val).In(l))))
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// rowChrome is what a row adds to its label and value: "▶ 2  " label
// "   ◀ " value " ▶".
const rowChrome = 12

func (v *optionsView) render(l Locale) {
	v.paged = false
	if v.done == nil {
		v.tv.SetText("")
		return
	}
	title := tagTitle + esc(docText(v.info).In(l)) + tagOff
	intro := esc(T("内容を確認してください。よろしければ Enter で次へ進みます。",
		"Check the options, then press Enter to continue.").In(l))
	rows := v.optionRows(l)
	// The labels stand in a column, the values after it. Where the
	// widest label and value do not fit the line (60 columns, or English
	// at 80), the column narrows and a longer label takes a second line
	// in it; the municipality's name, as long as it is, wraps under the
	// values.
	width, values := 0, 0
	for _, r := range rows {
		width = max(width, tview.TaggedStringWidth(esc(r.label)))
		if !r.muni {
			values = max(values, r.widest)
		}
	}
	if v.width > 0 {
		width = min(width, max(v.width-rowChrome-values, v.width/3))
	}
	// A row's note follows its value when the row, selected and at its
	// widest value, still fits the line: it then never moves as the value
	// changes. Otherwise (English at 80 columns) it has a line of its own
	// under the row, and the blank line above the rows gives it room: at
	// 80×24 the fullest screen has no line to spare.
	ownLine := false
	for _, r := range rows {
		if r.note != "" && v.width > 0 && rowChrome+width+r.widest+2+tview.TaggedStringWidth(esc(r.note)) > v.width {
			ownLine = true
		}
	}
	blocks := make([]string, len(rows)) // each row with the lines it takes
	for i, r := range rows {
		blocks[i] = v.rowText(i, r, width, ownLine)
	}
	heading := tagTitle + esc(T("外国人住民の方", "Foreign residents").In(l)) + tagOff + l.sentenceSep() +
		tagDim + esc(T("（日本国籍の方には記載されません）", "(not printed for Japanese nationals)").In(l)) + tagOff
	// headed says whether row i, the first of what is shown from first
	// on, starts under the foreign residents' heading: they stand apart
	// under it, as chosen by a Japanese national they print nothing.
	headed := func(i, first int) bool { return rows[i].foreign && (i == first || !rows[i-1].foreign) }
	info := v.infoLines(l)

	var b strings.Builder
	first, last, withIntro := 0, len(rows), true
	var pageLine string
	if v.height > 0 && v.width > 0 {
		first, last, pageLine, withIntro = v.page(l, blocks, title, intro, heading, info, headed)
	}
	v.paged = pageLine != ""
	blank := "\n"
	if v.paged {
		blank = ""
	}
	b.WriteString(title + "\n")
	if withIntro {
		b.WriteString(intro + "\n")
	}
	if !ownLine {
		b.WriteString(blank)
	}
	for i := first; i < last; i++ {
		if headed(i, first) {
			b.WriteString(heading + "\n")
		}
		b.WriteString(blocks[i] + "\n")
	}
	if pageLine != "" {
		b.WriteString(pageLine + "\n")
	}
	// Where the request goes and what it costs, in one block: at 80×24
	// the fullest screen (every row, the foreign residents' items and
	// the My Number caution) has no line to spare.
	b.WriteString(blank + strings.Join(info, "\n"))
	if len(info) > 0 {
		b.WriteString("\n")
	}
	v.tv.SetText(b.String())
}

// rowText is row i as drawn: the number, the label in its column (a
// second line where it is wider), the value, and its note.
func (v *optionsView) rowText(i int, r optionRow, width int, ownLine bool) string {
	label := esc(r.label)
	var more []string
	if tview.TaggedStringWidth(label) > width {
		lines := strings.Split(wrapText(label, width), "\n")
		label, more = lines[0], lines[1:]
	}
	label = pad(label, width)
	var line string
	if i == v.sel {
		line = fmt.Sprintf("%s▶%s %d  %s   %s◀ %s%s ▶%s", tagSel, tagOff, i+1, label, tagSel, hang, esc(r.value), tagOff)
	} else {
		line = fmt.Sprintf("  %d  %s     %s%s", i+1, label, hang, esc(r.value))
	}
	for _, m := range more {
		line += "\n     " + m
	}
	switch {
	case r.note != "" && ownLine:
		line += "\n     " + tagDim + esc(r.note) + tagOff
	case r.note != "":
		line += "  " + tagDim + esc(r.note) + tagOff
	}
	return line
}

// infoLines is what the screen says under the rows, a line each (wrapped when
// drawn): where the request goes, the fee and what may stop it there,
// what the options as set call for, and the answer to the last key.
func (v *optionsView) infoLines(l Locale) []string {
	var out []string
	if v.slot.fixed != "" {
		out = append(out, esc(Tf("請求先：%s（%s）", "Request to: %s (%s)", v.slot.role, v.label(v.slot.fixed)).In(l)))
	}
	if v.muni != "" && v.estimate != nil {
		if fee, remark, ok := v.estimate(l, v.muni, v.info.Type); ok {
			out = append(out, esc(Tf("手数料のめやす：%s × %d通 ＝ %s（金額は暗証番号の入力後に確定します）",
				"Expected fee: %s × %d = %s (confirmed after your PIN)", Yen(fee), v.copies, Yen(fee*v.copies)).In(l)))
			if remark != "" {
				out = append(out, tagDim+esc(remark)+tagOff)
			}
		}
		if a := v.avail(v.muni, v.info.Type); !a.ok {
			out = append(out, tagError+esc(a.why.In(l))+tagOff)
		}
		if n := requirementNote(v.info.Type, v.muni != v.slot.home); !n.Empty() {
			out = append(out, tagDim+esc(n.In(l))+tagOff)
		}
	}
	for _, n := range v.notes() {
		out = append(out, esc(n.In(l)))
	}
	for _, c := range v.cautions() {
		out = append(out, tagWarn+esc(c.In(l))+tagOff)
	}
	if !v.msg.Empty() {
		out = append(out, "", tagWarn+esc(v.msg.In(l))+tagOff)
	}
	return out
}

// page lays the rows out on a screen too short for all of them (60×20):
// no blank lines, and the rows in pages under the title and the intro
// (left out when it would leave fewer than three lines to the rows) and
// above what the screen says under them (info); the page the selection
// is on is shown, with a line that says how to turn it. It returns the
// rows shown, that line ("" when every row fits: then fitText takes out
// the blank lines if it must) and whether the intro is shown.
func (v *optionsView) page(l Locale, blocks []string, title, intro, heading string, info []string,
	headed func(i, first int) bool) (first, last int, pageLine string, withIntro bool) {
	lines := func(s string) int { return rowsOf(wrapText(s, v.width)) }
	size := func(i, first int) int {
		n := lines(blocks[i])
		if headed(i, first) {
			n += lines(heading)
		}
		return n
	}
	fixed := lines(title)
	for _, s := range info {
		if s != "" {
			fixed += lines(s)
		}
	}
	all := 0
	for i := range blocks {
		all += size(i, 0)
	}
	if fixed+lines(intro)+all <= v.height {
		return 0, len(blocks), "", true
	}
	room := v.height - fixed - 1 // the page line
	if withIntro = room-lines(intro) >= 3; withIntro {
		room -= lines(intro)
	}
	first, last, pageLine = pageOf(l, len(blocks), room, v.sel, size)
	return first, last, pageLine, withIntro
}

// optionLabel is an option's label; the table's English for 個人番号 is
// the wire's ("Individual number"), a resident knows it as My Number.
func optionLabel(o protocol.Option) Text {
	switch o.Key {
	case "kojin-bango":
		return fromTable(o.JA, "My Number")
	case "honseki":
		return fromTable(o.JA, "Registered domicile and head of family register")
	case "kokuseki-zairyu":
		return fromTable(o.JA, "Nationality and residence status")
	}
	return fromTable(o.JA, o.EN)
}

// optionNote is what the row of option o of document d says after its
// value about whom the item is for: 本籍・筆頭者 on a 住民票 is printed
// only for a Japanese national — a foreign resident has no 本籍 (issue
// 17, item 12) — as the foreign residents' items, under their heading,
// print nothing for a Japanese national. A family register document
// needs no note: the whole document is for Japanese nationals, and the
// document list says so.
func optionNote(d protocol.DocInfo, o protocol.Option) Text {
	if o.Key == "honseki" && !d.Type.FamilyRegister() {
		return T("（日本国籍の方のみ）", "(Japanese nationals only)")
	}
	return Text{}
}

// bindings is the options screen's key table: a number picks its row
// and changes it, ↑↓ move between the rows (where there is more than
// one), ←→ (Space: →) change the row's value — on the municipality row
// they open the picker —, Enter goes on, and Esc (or Backspace) goes back
// to the documents.
func (v *optionsView) bindings() []binding {
	if v.done == nil {
		return nil
	}
	n := v.rows()
	digits := min(n, 9)
	bs := []binding{
		shown(digitsLabel(digits), T("項目を切り替え", "Change item"), func(k key) {
			v.sel = k.digit() - 1
			v.cycle(v.sel, 1)
		}, uikit.Digits(1, digits)...),
	}
	if n > 1 {
		// With a single row (the copies) there is nowhere to move.
		bs = append(bs, shown("↑↓", moveText(v.paged), func(k key) { v.sel = moveSel(v.sel, n, k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)))
	}
	return append(bs,
		shown("←→", T("変更", "Change"), func(k key) {
			if k.Kind == uikit.Left {
				v.cycle(v.sel, -1)
			} else {
				v.cycle(v.sel, 1)
			}
		}, uikit.K(uikit.Left), uikit.K(uikit.Right)),
		shown("Enter", T("次へ", "Next"), func(key) { v.next() }, uikit.K(uikit.Enter)),
		shown("Esc", T("戻る", "Back"), func(key) { v.back() }, uikit.K(uikit.Esc), uikit.K(uikit.Backspace)),
	)
}

// digitsLabel is how the keymap names the number keys 1…n: "1-7", or
// "1" for a single row.
func digitsLabel(n int) string {
	if n == 1 {
		return "1"
	}
	return fmt.Sprintf("1-%d", n)
}

func (v *optionsView) hints(Locale) []hint { return hintsOf(v.bindings()) }

// handle carries out k's binding. A key that acts answers the message on
// screen (「請求先の市区町村を選んでください。」); a key that does nothing
// leaves it.
func (v *optionsView) handle(k key) {
	msg := v.msg
	v.msg = Text{}
	if !dispatch(k, v.bindings()) {
		v.msg = msg
	}
}

// next confirms the options: the municipality must be chosen, and the
// document to be had there now; otherwise the screen says what is
// missing and stays.
func (v *optionsView) next() {
	switch {
	case v.muni == "" && v.sel == v.muniRow():
		v.openPicker()
	case v.muni == "":
		v.sel = v.muniRow()
		v.msg = T("請求先の市区町村を選んでください。", "Please choose the municipality.")
	default:
		if a := v.avail(v.muni, v.info.Type); !a.ok {
			v.msg = a.why
			return
		}
		v.done(v.muni, v.spec())
	}
}
