package tui

import (
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/uikit"
)

// pinLen is the length of the user-authentication PIN.
const pinLen = 4

// pinAnswer is the resident's answer on the PIN screen: the digits, or
// back.
type pinAnswer struct {
	pin  []byte
	back bool
}

// pinView asks the 4-digit PIN. Digits are shown only as ●; they live in
// a fixed array that is zeroed as soon as they are handed over, erased,
// or the view is reset. The view never submits on its own: the resident
// presses Enter for every try.
type pinView struct {
	tv     *tview.TextView
	buf    [pinLen]byte
	n      int
	tries  int
	wrong  bool // the previous PIN was not accepted
	msg    Text
	guard  cancelGuard
	answer func(pinAnswer) // nil when nobody waits for a PIN
}

func newPIN() *pinView { return &pinView{tv: newBody()} }

func (v *pinView) name() string               { return "pin" }
func (v *pinView) primitive() tview.Primitive { return v.tv }
func (v *pinView) step() step                 { return stepPIN }
func (v *pinView) title(l Locale) string {
	return esc(T("暗証番号の入力", "Enter your PIN").In(l))
}

// open asks for a PIN with tries left; wrong says the last one failed.
func (v *pinView) open(tries int, wrong bool, answer func(pinAnswer)) {
	v.clear()
	v.guard.reset()
	v.tries, v.wrong, v.answer, v.msg = tries, wrong, answer, Text{}
}

// clear zeroes the digits.
func (v *pinView) clear() {
	clear(v.buf[:])
	v.n = 0
}

func (v *pinView) reset() {
	v.clear()
	v.guard.reset()
	v.tries, v.wrong, v.answer, v.msg = 0, false, nil, Text{}
}

// masked is the PIN as shown: ● per digit entered, - per digit to come.
func (v *pinView) masked() string {
	cells := make([]string, pinLen)
	for i := range cells {
		cells[i] = "-"
		if i < v.n {
			cells[i] = "●"
		}
	}
	return strings.Join(cells, " ")
}

func (v *pinView) render(l Locale) {
	if v.answer == nil && v.n == 0 {
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	b.WriteString(tagTitle + esc(T("利用者証明用電子証明書の暗証番号（数字4桁）を入力し、Enter を押してください。",
		"Enter the 4-digit PIN of your card's authentication certificate and press Enter.").In(l)) + tagOff + "\n\n")
	b.WriteString("        [::b]" + v.masked() + tagOff + "\n\n")
	if v.wrong {
		b.WriteString(tagError + esc(T("暗証番号が違います。もう一度入力してください。", "Wrong PIN. Please enter it again.").In(l)) + tagOff + "\n")
	}
	b.WriteString(esc(Tf("残りの入力回数：%d回", "Tries left: %d", v.tries).In(l)) + "\n")
	if v.tries == 1 {
		b.WriteString("\n" + tagError + esc(T("ご注意：あと1回間違えると、カードの暗証番号がロックされます。ロックされると、市区町村の窓口での手続きが必要です。暗証番号がわからない場合は、入力せずに Esc で中止してください。",
			"Warning: one more wrong PIN locks your card. A locked card must be reset at your municipal office. If you are not sure of your PIN, press Esc to stop.").In(l)) + tagOff + "\n")
	}
	if !v.msg.Empty() {
		b.WriteString("\n" + tagWarn + esc(v.msg.In(l)) + tagOff + "\n")
	}
	if v.guard.asking {
		b.WriteString("\n" + tagWarn + esc(v.guard.question(Text{}).In(l)) + tagOff + "\n")
	}
	b.WriteString("\n" + tagDim + esc(T("暗証番号は画面に表示されません。周りの人に見られないようご注意ください。",
		"Your PIN is never shown. Make sure nobody is watching.").In(l)) + tagOff + "\n")
	v.tv.SetText(b.String())
}

// bindings is the PIN screen's key table: digits, Backspace erasing one
// (never cancelling), Enter, and Esc behind the cancel guard.
func (v *pinView) bindings() []binding {
	if v.answer == nil {
		return nil
	}
	cancel := func() {
		v.clear()
		v.answer(pinAnswer{back: true})
	}
	if v.guard.asking {
		return v.guard.bindings(Text{}, cancel)
	}
	return append([]binding{
		shown("0-9", T("入力", "Digit"), func(k key) {
			if v.n < pinLen {
				v.buf[v.n] = byte(k.R)
				v.n++
			}
		}, uikit.Digits(0, 9)...),
		shown("BS", T("1桁消す", "Erase"), func(key) {
			if v.n > 0 {
				v.n--
				v.buf[v.n] = 0
			}
		}, uikit.K(uikit.Backspace)),
		shown("Enter", T("決定", "OK"), func(key) { v.submit() }, uikit.K(uikit.Enter)),
	}, v.guard.bindings(T("中止", "Cancel"), cancel)...)
}

func (v *pinView) hints(Locale) []hint { return hintsOf(v.bindings()) }

func (v *pinView) handle(k key) {
	if v.answer == nil {
		return
	}
	v.msg = Text{}
	dispatch(k, v.bindings())
}

// submit hands the PIN over when it has its 4 digits.
func (v *pinView) submit() {
	if v.n != pinLen {
		v.msg = T("暗証番号は数字4桁です。", "The PIN has 4 digits.")
		return
	}
	pin := make([]byte, pinLen)
	copy(pin, v.buf[:])
	v.clear()
	v.answer(pinAnswer{pin: pin})
}
