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
	width  int // the body's width in cells, from the last layout (0: not known yet)
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
func (v *optionsView) setWidth(w int)             { v.width = w }
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

func (v *optionsView) render(l Locale) {
	if v.done == nil {
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	b.WriteString(tagTitle + esc(docText(v.info).In(l)) + tagOff + "\n")
	b.WriteString(esc(T("内容を確認してください。よろしければ Enter で次へ進みます。",
		"Check the options, then press Enter to continue.").In(l)) + "\n")
	type row struct {
		label, value string
		foreign      bool
		note         string // after the value: who the item is for
		widest       int    // the widest of the option's values
	}
	var rows []row
	for _, x := range v.layout() {
		switch x {
		case rowCopies:
			rows = append(rows, row{label: T("部数", "Copies").In(l), value: Tf("%d通", "%d", v.copies).In(l)})
		case rowMuni:
			value := T("未選択（Enter で選びます）", "not chosen (press Enter)").In(l)
			if v.muni != "" {
				value = v.label(v.muni).In(l)
			}
			rows = append(rows, row{label: Tf("請求先（%s）", "Request to (%s)", v.slot.role).In(l), value: value})
		default:
			o := v.info.Options[x]
			r := row{label: optionLabel(o).In(l), value: valueLabel(o.Key, o.Values[v.vals[x]]).In(l), foreign: o.Foreign}
			if n := optionNote(v.info, o); !n.Empty() {
				r.note = n.In(l)
				for _, val := range o.Values {
					r.widest = max(r.widest, tview.TaggedStringWidth(esc(valueLabel(o.Key, val).In(l))))
				}
			}
			rows = append(rows, r)
		}
	}
	width := 0
	for _, r := range rows {
		width = max(width, tview.TaggedStringWidth(esc(r.label)))
	}
	// A row's note follows its value when the row, selected and at its
	// widest value, still fits the line: it then never moves as the value
	// changes. Otherwise (English at 80 columns) it has a line of its own
	// under the row, and the blank line above the rows gives it room: at
	// 80×24 the fullest screen has no line to spare.
	const rowChrome = 12 // "▶ 2  " label "   ◀ " value " ▶"
	ownLine := false
	for _, r := range rows {
		if r.note != "" && v.width > 0 && rowChrome+width+r.widest+2+tview.TaggedStringWidth(esc(r.note)) > v.width {
			ownLine = true
		}
	}
	if !ownLine {
		b.WriteString("\n")
	}
	for i, r := range rows {
		if r.foreign && (i == 0 || !rows[i-1].foreign) {
			// The foreign residents' items, apart under their heading:
			// chosen by a Japanese national they print nothing.
			b.WriteString(tagTitle + esc(T("外国人住民の方", "Foreign residents").In(l)) + tagOff + l.sentenceSep() +
				tagDim + esc(T("（日本国籍の方には記載されません）", "(not printed for Japanese nationals)").In(l)) + tagOff + "\n")
		}
		label := pad(esc(r.label), width)
		note := ""
		switch {
		case r.note != "" && ownLine:
			note = "\n     " + tagDim + esc(r.note) + tagOff
		case r.note != "":
			note = "  " + tagDim + esc(r.note) + tagOff
		}
		if i == v.sel {
			fmt.Fprintf(&b, "%s▶%s %d  %s   %s◀ %s ▶%s%s\n", tagSel, tagOff, i+1, label, tagSel, esc(r.value), tagOff, note)
		} else {
			fmt.Fprintf(&b, "  %d  %s     %s%s\n", i+1, label, esc(r.value), note)
		}
	}
	// Where the request goes and what it costs, in one block: at 80×24
	// the fullest screen (every row, the foreign residents' items and
	// the My Number caution) has no line to spare.
	b.WriteString("\n")
	if v.slot.fixed != "" {
		b.WriteString(esc(Tf("請求先：%s（%s）", "Request to: %s (%s)", v.slot.role, v.label(v.slot.fixed)).In(l)) + "\n")
	}
	if v.muni != "" && v.estimate != nil {
		if fee, remark, ok := v.estimate(l, v.muni, v.info.Type); ok {
			b.WriteString(esc(Tf("手数料のめやす：%s × %d通 ＝ %s（金額は暗証番号の入力後に確定します）",
				"Expected fee: %s × %d = %s (confirmed after your PIN)", Yen(fee), v.copies, Yen(fee*v.copies)).In(l)) + "\n")
			if remark != "" {
				b.WriteString(tagDim + esc(remark) + tagOff + "\n")
			}
		}
		if a := v.avail(v.muni, v.info.Type); !a.ok {
			b.WriteString(tagError + esc(a.why.In(l)) + tagOff + "\n")
		}
		if n := requirementNote(v.info.Type, v.muni != v.slot.home); !n.Empty() {
			b.WriteString(tagDim + esc(n.In(l)) + tagOff + "\n")
		}
	}
	for _, c := range v.cautions() {
		b.WriteString(tagWarn + esc(c.In(l)) + tagOff + "\n")
	}
	if !v.msg.Empty() {
		b.WriteString("\n" + tagWarn + esc(v.msg.In(l)) + tagOff + "\n")
	}
	v.tv.SetText(b.String())
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
		bs = append(bs, shown("↑↓", T("移動", "Move"), func(k key) { v.sel = moveSel(v.sel, n, k) }, uikit.K(uikit.Up), uikit.K(uikit.Down)))
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
