package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/protocol"
)

// muniChoice is a municipality the request may go to, as offered to the
// resident (住所地, and 本籍地 for koseki documents when it differs).
type muniChoice struct {
	Code  string
	Label Text // "住所地：神奈川県横浜市"
}

// optionsView sets the options of one document type, the copies and,
// where there is a choice, the municipality; Enter confirms.
type optionsView struct {
	tv     *tview.TextView
	info   protocol.DocInfo
	vals   []int // index into info.Options[i].Values
	copies int
	munis  []muniChoice
	muni   int
	sel    int
	// estimate returns the expected fee per copy at a municipality, and a
	// remark (weekdays only …); ok false when unknown.
	estimate func(l Lang, muni string, t protocol.DocType) (fee int, remark string, ok bool)
	done     func(muni string, spec protocol.DocSpec) // nil when nobody is choosing
	back     func()
}

func newOptions(estimate func(Lang, string, protocol.DocType) (int, string, bool)) *optionsView {
	return &optionsView{tv: newBody(), estimate: estimate}
}

func (v *optionsView) name() string               { return "options" }
func (v *optionsView) primitive() tview.Primitive { return v.tv }
func (v *optionsView) step() step                 { return stepChoose }
func (v *optionsView) title(l Lang) string {
	return esc(T("内容の確認", "Options").In(l))
}

// open starts setting the options of info with every option at its
// default, one copy and the first municipality.
func (v *optionsView) open(info protocol.DocInfo, munis []muniChoice, done func(string, protocol.DocSpec), back func()) {
	v.info, v.munis, v.done, v.back = info, munis, done, back
	v.vals = make([]int, len(info.Options))
	v.copies, v.muni, v.sel = 1, 0, 0
}

func (v *optionsView) reset() {
	v.info, v.vals, v.munis, v.done, v.back = protocol.DocInfo{}, nil, nil, nil, nil
	v.copies, v.muni, v.sel = 1, 0, 0
}

// rows is the number of selectable rows: options, copies, municipality.
func (v *optionsView) rows() int {
	n := len(v.info.Options) + 1
	if len(v.munis) > 1 {
		n++
	}
	return n
}

// cycle moves row r's value by d.
func (v *optionsView) cycle(r, d int) {
	switch {
	case r < len(v.info.Options):
		n := len(v.info.Options[r].Values)
		v.vals[r] = (v.vals[r] + d + n) % n
	case r == len(v.info.Options):
		v.copies = (v.copies-1+d+protocol.MaxCopies)%protocol.MaxCopies + 1
	default:
		v.muni = (v.muni + d + len(v.munis)) % len(v.munis)
	}
}

// spec is the document as set on screen.
func (v *optionsView) spec() protocol.DocSpec {
	opts := make(map[string]string, len(v.info.Options))
	for i, o := range v.info.Options {
		opts[o.Key] = o.Values[v.vals[i]]
	}
	return protocol.DocSpec{Type: v.info.Type, Opts: opts, Copies: v.copies}
}

func (v *optionsView) render(l Lang) {
	if v.done == nil {
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	b.WriteString(tagTitle + esc(T(v.info.JA, v.info.EN).In(l)) + tagOff + "\n")
	b.WriteString(esc(T("内容を確認してください。よろしければ Enter で次へ進みます。",
		"Check the options, then press Enter to continue.").In(l)) + "\n\n")
	type row struct{ label, value string }
	var rows []row
	for i, o := range v.info.Options {
		rows = append(rows, row{T(o.JA, o.EN).In(l), valueLabel(o.Key, o.Values[v.vals[i]]).In(l)})
	}
	rows = append(rows, row{T("部数", "Copies").In(l), T(fmt.Sprintf("%d通", v.copies), fmt.Sprint(v.copies)).In(l)})
	if len(v.munis) > 1 {
		rows = append(rows, row{T("請求先", "Request to").In(l), v.munis[v.muni].Label.In(l)})
	}
	width := 0
	for _, r := range rows {
		width = max(width, tview.TaggedStringWidth(esc(r.label)))
	}
	for i, r := range rows {
		label := pad(esc(r.label), width)
		if i == v.sel {
			fmt.Fprintf(&b, "%s▶%s %d  %s   %s◀ %s ▶%s\n", tagSel, tagOff, i+1, label, tagSel, esc(r.value), tagOff)
		} else {
			fmt.Fprintf(&b, "  %d  %s     %s\n", i+1, label, esc(r.value))
		}
	}
	muni := ""
	if len(v.munis) > 0 {
		muni = v.munis[v.muni].Code
		if len(v.munis) == 1 {
			b.WriteString("\n" + esc(T("請求先：", "Request to: ").In(l)+v.munis[0].Label.In(l)) + "\n")
		}
	}
	if v.estimate != nil {
		if fee, remark, ok := v.estimate(l, muni, v.info.Type); ok {
			b.WriteString("\n" + esc(T(
				fmt.Sprintf("手数料のめやす：%s × %d通 ＝ %s（金額は暗証番号の入力後に確定します）", yen(Japanese, fee), v.copies, yen(Japanese, fee*v.copies)),
				fmt.Sprintf("Expected fee: %s × %d = %s (confirmed after your PIN)", yen(English, fee), v.copies, yen(English, fee*v.copies))).In(l)) + "\n")
			if remark != "" {
				b.WriteString(tagWarn + esc(remark) + tagOff + "\n")
			}
		}
	}
	v.tv.SetText(b.String())
}

func (v *optionsView) hints(Lang) []hint {
	return []hint{
		{fmt.Sprintf("1-%d", max(v.rows(), 1)), T("項目を切り替え", "Change item")},
		{"↑↓", T("移動", "Move")},
		{"←→", T("変更", "Change")},
		{"Enter", T("次へ", "Next")},
		hintBack(),
	}
}

func (v *optionsView) handle(k key) {
	if v.done == nil {
		return
	}
	n := v.rows()
	switch {
	case k.kind == keyUp:
		v.sel = (v.sel + n - 1) % n
	case k.kind == keyDown:
		v.sel = (v.sel + 1) % n
	case k.kind == keyLeft:
		v.cycle(v.sel, -1)
	case k.kind == keyRight:
		v.cycle(v.sel, 1)
	case k.kind == keyDigit && k.digit() >= 1 && k.digit() <= n:
		v.sel = k.digit() - 1
		v.cycle(v.sel, 1)
	case k.kind == keyEnter:
		muni := ""
		if len(v.munis) > 0 {
			muni = v.munis[v.muni].Code
		}
		v.done(muni, v.spec())
	case k.back():
		v.back()
	}
}
