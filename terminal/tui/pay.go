package tui

import (
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/payment"
	"kofu/terminal/uikit"
)

// coinKey is a key that inserts a coin or note into the emulated unit.
type coinKey struct {
	r   rune
	yen int
}

func coinKeys() []coinKey {
	return []coinKey{{'1', 10}, {'2', 50}, {'3', 100}, {'4', 500}, {'5', 1000}}
}

// payView shows the fee and the amount inserted. With an emulated coin
// unit, number keys insert coins; Enter starts printing once enough is in.
type payView struct {
	tv     *tview.TextView
	coins  *payment.Coins // nil: a payment device outside this UI takes the money
	fee    int
	order  []summaryRow // what the resident asked for, shown before paying
	msg    Text
	guard  cancelGuard
	answer func(bool) // true: paid; false: back. nil when nobody waits.
	seen   int        // the credit when moneyIn last looked
}

func newPay(coins *payment.Coins) *payView { return &payView{tv: newBody(), coins: coins} }

func (v *payView) name() string               { return "pay" }
func (v *payView) primitive() tview.Primitive { return v.tv }
func (v *payView) step() step                 { return stepPay }
func (v *payView) title(l Locale) string {
	return esc(T("手数料のお支払い", "Payment").In(l))
}

func (v *payView) open(fee int, order []summaryRow, answer func(bool)) {
	v.fee, v.order, v.answer, v.msg = fee, order, answer, Text{}
	v.guard.reset()
	v.seen = v.credit()
}

// moneyIn reports whether money has gone in since it last looked (or
// the screen opened): the resident is at the machine.
func (v *payView) moneyIn() bool {
	in := v.credit()
	more := v.answer != nil && in > v.seen
	v.seen = in
	return more
}

func (v *payView) reset() {
	v.fee, v.order, v.answer, v.msg, v.seen = 0, nil, nil, Text{}, 0
	v.guard.reset()
}

// credit is what has been inserted and not yet held.
func (v *payView) credit() int {
	if v.coins == nil {
		return 0
	}
	return v.coins.Ledger().Credit
}

func (v *payView) render(l Locale) {
	var b strings.Builder
	if len(v.order) > 0 {
		// The summary's heading: a short screen may leave it out, the
		// summary and the fee stay.
		b.WriteString(optional + esc(T("ご請求の内容をご確認ください。", "Please check your request.").In(l)) + "\n")
		// With the cancel question open, the question needs the room
		// more than the summary does (60×20, the members listed).
		mark := ""
		if v.guard.asking {
			mark = spare
		}
		writeSummary(&b, v.order, l, mark)
		b.WriteString("\n")
	}
	b.WriteString(tagTitle + esc(Tf("手数料　%s", "Fee: %s", Yen(v.fee)).In(l)) + tagOff + "\n\n")
	if v.coins != nil {
		in := v.credit()
		b.WriteString(esc(Tf("投入金額　%s", "Inserted: %s", Yen(in)).In(l)) + "\n")
		switch {
		case in == 0:
			b.WriteString(tagWarn + esc(Tf("%s を投入してください。", "Please insert %s.", Yen(v.fee)).In(l)) + tagOff + "\n")
		case in < v.fee:
			b.WriteString(tagWarn + esc(Tf("あと %s を投入してください。", "Please insert %s more.", Yen(v.fee-in)).In(l)) + tagOff + "\n")
		default:
			if in > v.fee {
				b.WriteString(esc(Tf("おつり　%s（印刷後にお返しします）", "Change: %s (returned after printing)", Yen(in-v.fee)).In(l)) + "\n")
			}
			b.WriteString(tagOK + esc(T("Enter を押すと印刷を始めます。", "Press Enter to start printing.").In(l)) + tagOff + "\n")
		}
		if !v.guard.asking {
			// While the question is open it needs the room (80×24);
			// a short screen (60×20) leaves it out, after the summary's
			// heading, when the summary needs the room.
			b.WriteString("\n" + spare + tagDim + esc(T("料金は、印刷が完了してからいただきます。印刷できなかった場合はお返しします。",
				"You are only charged once printing is complete; otherwise your money is returned.").In(l)) + tagOff + "\n")
		}
	} else {
		b.WriteString(esc(T("精算機で料金をお支払いのうえ、Enter を押してください。",
			"Please pay at the payment unit, then press Enter.").In(l)) + "\n")
	}
	if !v.msg.Empty() {
		b.WriteString("\n" + tagWarn + esc(v.msg.In(l)) + tagOff + "\n")
	}
	if v.guard.asking {
		var refund Text
		if in := v.credit(); in > 0 {
			refund = Tf("投入された %s はお返しします。", "The %s you inserted will be returned.", Yen(in))
		}
		b.WriteString("\n" + tagWarn + esc(v.guard.question(refund).In(l)) + tagOff + "\n")
	}
	v.tv.SetText(b.String())
}

// bindings is the payment screen's key table: with an emulated coin unit
// a key per coin or note, Enter once the fee is in, and Esc behind the
// cancel guard (the money inserted goes back).
func (v *payView) bindings() []binding {
	if v.answer == nil {
		return nil
	}
	cancel := func() { v.answer(false) }
	if v.guard.asking {
		return v.guard.bindings(Text{}, cancel)
	}
	var bs []binding
	if v.coins != nil {
		for _, c := range coinKeys() {
			bs = append(bs, shown(string(c.r), valueText(Yen(c.yen)), func(key) { v.insert(c.yen) }, uikit.R(c.r)))
		}
	}
	bs = append(bs, shown("Enter", T("印刷開始", "Start printing"), func(key) {
		if v.coins != nil && v.credit() < v.fee {
			v.msg = T("投入金額が足りません。", "Not enough money inserted yet.")
			return
		}
		v.answer(true)
	}, uikit.K(uikit.Enter)))
	return append(bs, v.guard.bindings(T("中止", "Cancel"), cancel)...)
}

// insert puts a coin or note into the emulated unit, unless the fee is
// covered (a real unit's shutter closes then).
func (v *payView) insert(yen int) {
	if v.credit() >= v.fee {
		v.msg = T("料金は投入済みです。これ以上投入しないでください。", "The fee is covered. Please do not insert more.")
		return
	}
	if err := v.coins.Insert(yen); err != nil {
		v.msg = T("この硬貨・紙幣は使えません。", "This coin or note cannot be used.")
	}
}

func (v *payView) hints(Locale) []hint { return hintsOf(v.bindings()) }

func (v *payView) handle(k key) {
	if v.answer == nil {
		return
	}
	v.msg = Text{}
	dispatch(k, v.bindings())
}

// tick lets the amount inserted refresh: coins may come from the device.
func (v *payView) tick() {}
