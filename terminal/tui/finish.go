package tui

import (
	"strings"

	"github.com/rivo/tview"
)

// finishView shows how the session ended, in plain words, and reminds the
// resident to take the card (and the paper) until each is acknowledged.
type finishView struct {
	tv        *tview.TextView
	w         words
	ref       string // a reference for staff (the session id's head)
	reminders []Text
	done      int // reminders acknowledged
	blink     int
	answer    func(struct{}) // nil when nobody waits
}

func newFinish() *finishView { return &finishView{tv: newBody()} }

func (v *finishView) name() string               { return "finish" }
func (v *finishView) primitive() tview.Primitive { return v.tv }
func (v *finishView) step() step                 { return stepTake }
func (v *finishView) tick()                      { v.blink++ }
func (v *finishView) title(l Lang) string {
	if v.w.Level == levelOK {
		return esc(T("完了", "Done").In(l))
	}
	return esc(T("お知らせ", "Notice").In(l))
}

// open shows w; ref is a short reference the resident can give staff.
func (v *finishView) open(w words, ref string, answer func(struct{})) {
	v.w, v.ref, v.answer, v.done, v.blink = w, ref, answer, 0, 0
	v.reminders = []Text{T("カードをお取りください", "Please take your card")}
	if !w.Paper.Empty() {
		v.reminders = append(v.reminders, w.Paper)
	}
}

func (v *finishView) reset() {
	v.w, v.ref, v.reminders, v.done, v.blink, v.answer = words{}, "", nil, 0, 0, nil
}

func (v *finishView) render(l Lang) {
	if v.answer == nil {
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	color := map[level]string{levelOK: tagOK, levelNotice: tagWarn, levelError: tagError}[v.w.Level]
	b.WriteString(color + esc(v.w.Title.In(l)) + tagOff + "\n\n")
	for _, t := range []Text{v.w.What, v.w.Do} {
		if !t.Empty() {
			b.WriteString(esc(t.In(l)) + "\n")
		}
	}
	b.WriteString("\n" + tagTitle + esc(v.w.Fee.In(l)) + tagOff + "\n")
	if (v.w.Staff || v.w.Level == levelError) && v.ref != "" {
		b.WriteString(tagDim + esc(T("お問い合わせ番号：", "Reference: ").In(l)+v.ref) + tagOff + "\n")
	}
	b.WriteString("\n")
	for i, r := range v.reminders {
		switch {
		case i < v.done:
			b.WriteString(tagDim + "✓ " + esc(r.In(l)) + tagOff + "\n")
		case i == v.done:
			style := tagSel
			if v.blink%2 == 1 {
				style = tagWarn
			}
			b.WriteString(style + " ▶▶ " + esc(r.In(l)) + " ◀◀ " + tagOff + "\n")
			if v.blink >= 4 {
				b.WriteString(tagDim + esc(T("（くりかえしお知らせしています）", "(reminder repeating)").In(l)) + tagOff + "\n")
			}
		default:
			b.WriteString("   " + esc(r.In(l)) + "\n")
		}
	}
	v.tv.SetText(b.String())
}

func (v *finishView) hints(Lang) []hint {
	return []hint{{"Enter", T("受け取りました", "Taken")}}
}

func (v *finishView) handle(k key) {
	if v.answer == nil || k.kind != keyEnter {
		return
	}
	v.done++
	v.blink = 0
	if v.done >= len(v.reminders) {
		v.answer(struct{}{})
	}
}
