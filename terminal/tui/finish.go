package tui

import (
	"context"
	"strings"
	"time"

	"github.com/rivo/tview"

	"kofu/terminal"
	"kofu/terminal/uikit"
)

// defaultLinger is how long the finish screen stays once the card has
// left the reader, when Options.Linger is zero: time to take the paper
// and read the reference; Enter closes it sooner.
const defaultLinger = 10 * time.Second

// reminder is one thing the resident must not leave behind.
type reminder struct {
	text Text
	card bool // the card: ticked off by the card leaving the reader when the loop follows it
	done bool
}

// finishView shows how the session ended, in plain words, and reminds the
// resident to take the card (and the paper). Following a card (a card
// loop tells when it leaves) the card reminder is ticked off by the card
// leaving, never by a key, and a card left in the reader past the finish
// time turns the screen into one for the store's staff. Without a card
// to follow (a Customer used as the Panel directly), Enter acknowledges
// each reminder in turn.
type finishView struct {
	tv        *tview.TextView
	w         words
	ref       string // a reference for staff (the session id's head)
	reminders []reminder
	blink     int
	answer    func(struct{}) // nil when nobody waits
	gen       int            // counts the opens: a late event for an earlier one is dropped

	follow  bool // the card reminder follows the card
	cardOut bool // following: the card has left the reader
	left    bool // the card was left in the reader: the staff's screen

	helpdesk string // who the clerk calls ("": not configured)
}

func newFinish(helpdesk string) *finishView { return &finishView{tv: newBody(), helpdesk: helpdesk} }

func (v *finishView) name() string               { return "finish" }
func (v *finishView) primitive() tview.Primitive { return v.tv }
func (v *finishView) step() step                 { return stepTake }
func (v *finishView) tick()                      { v.blink++ }
func (v *finishView) title(l Locale) string {
	switch {
	case v.left:
		return esc(T("カードの取り忘れ", "Card left behind").In(l))
	case v.w.Level == levelOK:
		return esc(T("完了", "Done").In(l))
	}
	return esc(T("お知らせ", "Notice").In(l))
}

// open shows w and waits for Enter on each reminder; ref is a short
// reference the resident can give staff.
func (v *finishView) open(w words, ref string, answer func(struct{})) {
	v.start(w, ref, answer)
	v.reminders = append(v.reminders, reminder{text: T("カードをお取りください", "Please take your card"), card: true})
	v.addPaper()
}

// openCard shows w for a session whose card the loop follows; out: the
// card has left the reader already (pulled during the session), so the
// screen does not ask for it.
func (v *finishView) openCard(w words, ref string, answer func(struct{}), out bool) {
	v.start(w, ref, answer)
	v.follow, v.cardOut = true, out
	if !out {
		v.reminders = append(v.reminders, reminder{text: T("カードをお取りください", "Please take your card"), card: true})
	}
	v.addPaper()
}

// openLeft shows the staff's screen for a card left in the reader after
// the session that ended with w.
func (v *finishView) openLeft(w words, ref string, answer func(struct{})) {
	v.start(w, ref, answer)
	v.follow, v.left = true, true
}

func (v *finishView) start(w words, ref string, answer func(struct{})) {
	v.reset()
	v.gen++
	v.w, v.ref, v.answer = w, ref, answer
}

func (v *finishView) addPaper() {
	if !v.w.Paper.Empty() {
		v.reminders = append(v.reminders, reminder{text: v.w.Paper})
	}
}

// cardGone ticks off the card reminder: the card has left the reader.
func (v *finishView) cardGone() {
	v.cardOut, v.blink = true, 0
	for i := range v.reminders {
		if v.reminders[i].card {
			v.reminders[i].done = true
		}
	}
}

// current is the reminder to blink: the first one not done.
func (v *finishView) current() int {
	for i, r := range v.reminders {
		if !r.done {
			return i
		}
	}
	return -1
}

func (v *finishView) reset() {
	gen := v.gen
	*v = finishView{tv: v.tv, gen: gen, helpdesk: v.helpdesk}
}

func (v *finishView) render(l Locale) {
	switch {
	case v.left:
		v.renderLeft(l)
		return
	case v.answer == nil:
		v.tv.SetText("")
		return
	}
	var b strings.Builder
	color := map[level]string{levelOK: tagOK, levelNotice: tagWarn, levelError: tagError}[v.w.Level]
	b.WriteString(color + esc(v.w.Title.In(l)) + tagOff + "\n\n")
	for _, t := range []Text{v.w.What, v.w.Hint, v.w.Hint2, v.w.Do} {
		if !t.Empty() {
			b.WriteString(esc(t.In(l)) + "\n")
		}
	}
	b.WriteString("\n" + tagTitle + esc(v.w.Fee.In(l)) + tagOff + "\n")
	if (v.w.Staff || v.w.Level == levelError) && v.ref != "" {
		b.WriteString(tagDim + esc(Tf("お問い合わせ番号：%s", "Reference: %s", v.ref).In(l)) + tagOff + "\n")
	}
	if (v.w.Staff || v.w.Level == levelError) && v.helpdesk != "" {
		// Issue 17, item 6: the clerk needs someone to call, and the
		// reference to give them.
		b.WriteString(tagDim + esc(Tf("店員の方へ：%sにお問い合わせ番号をお伝えください。", "Staff: %s — give them the reference.", v.helpdesk).In(l)) + tagOff + "\n")
	}
	b.WriteString("\n")
	cur := v.current()
	for i, r := range v.reminders {
		switch {
		case r.done && r.card && v.follow:
			b.WriteString(tagDim + "✓ " + esc(T("カードが取り出されました", "Card taken").In(l)) + tagOff + "\n")
		case r.done:
			b.WriteString(tagDim + "✓ " + esc(r.text.In(l)) + tagOff + "\n")
		case i == cur:
			style := tagSel
			if v.blink%2 == 1 {
				style = tagWarn
			}
			b.WriteString(style + " ▶▶ " + esc(r.text.In(l)) + " ◀◀ " + tagOff + "\n")
			if v.blink >= 4 {
				b.WriteString(tagDim + esc(T("（くりかえしお知らせしています）", "(reminder repeating)").In(l)) + tagOff + "\n")
			}
		default:
			b.WriteString("   " + esc(r.text.In(l)) + "\n")
		}
	}
	v.tv.SetText(b.String())
}

// renderLeft is the staff's screen: the card stayed in the reader after
// the session ended and the resident may have gone.
func (v *finishView) renderLeft(l Locale) {
	var b strings.Builder
	style := tagError
	if v.blink%2 == 1 {
		style = tagSel
	}
	b.WriteString(style + " ▶▶ " + esc(T("カードが残っています", "A card has been left in the reader").In(l)) + " ◀◀ " + tagOff + "\n\n")
	b.WriteString(esc(T("マイナンバーカードがカード置き場に残っています。",
		"A My Number card is still on the card reader.").In(l)) + "\n\n")
	b.WriteString(tagTitle + esc(T("お客様へ：", "Customer: ").In(l)) + tagOff +
		esc(T("ご自分のカードでしたら、お取りください。", "if this is your card, please take it.").In(l)) + "\n")
	b.WriteString(tagTitle + esc(T("店員の方へ：", "Store staff: ").In(l)) + tagOff +
		esc(T("カードを取り出して保管し、持ち主の方にお返しください。", "take the card out and keep it for its owner.").In(l)) + "\n")
	b.WriteString(esc(T("持ち主の方が戻られないときは、遺失物として警察に届け出てください。",
		"If the owner does not come back, hand it in to the police as lost property.").In(l)) + "\n")
	if !v.w.Paper.Empty() {
		b.WriteString(esc(T("印刷された用紙が取り出し口に残っていれば、カードと一緒に保管してください。",
			"If printed paper is left in the output tray, keep it with the card.").In(l)) + "\n")
	}
	if v.ref != "" {
		b.WriteString("\n" + tagDim + esc(Tf("お問い合わせ番号：%s", "Reference: %s", v.ref).In(l)) + tagOff + "\n")
	}
	b.WriteString("\n" + tagDim + esc(T("カードを取り出すと、この画面は終わります。",
		"This screen closes when the card is taken out.").In(l)) + tagOff + "\n")
	v.tv.SetText(b.String())
}

// bindings is the finish screen's key table: Enter only, and not while
// the card itself must answer (the card loop follows it, or it was left
// in the reader). Following the card, Enter closes the screen once the
// card is out; otherwise it acknowledges the reminders one by one.
func (v *finishView) bindings() []binding {
	enter := uikit.K(uikit.Enter)
	switch {
	case v.answer == nil, v.left, v.follow && !v.cardOut:
		return nil // the card itself answers, not a key
	case v.follow && v.current() < 0:
		return []binding{shown("Enter", T("閉じる", "Close"), func(key) { v.answer(struct{}{}) }, enter)}
	case v.follow:
		return []binding{shown("Enter", T("受け取りました", "Taken"), func(key) { v.answer(struct{}{}) }, enter)}
	}
	return []binding{shown("Enter", T("受け取りました", "Taken"), func(key) {
		if cur := v.current(); cur >= 0 {
			v.reminders[cur].done = true
		}
		v.blink = 0
		if v.current() < 0 {
			v.answer(struct{}{})
		}
	}, enter)}
}

func (v *finishView) hints(Locale) []hint { return hintsOf(v.bindings()) }
func (v *finishView) handle(k key)        { dispatch(k, v.bindings()) }

// cardPanel is the Customer as the panel of one session whose card a
// card loop follows.
type cardPanel struct {
	*Customer
	gone <-chan struct{}
}

// Finish shows the outcome until the card has left the reader (see
// Customer.WithCard).
func (p cardPanel) Finish(ctx context.Context, r terminal.Result) {
	p.finishCard(ctx, r, p.gone)
}

// WithCard is the panel of one session on a card a card loop follows:
// gone is closed when the card leaves the reader. Its finish screen ticks
// off the card reminder when the card leaves, never on a key, and stays
// Options.Linger more (the paper reminder; Enter closes it sooner). When
// Finish's ctx ends with the card still in the reader, the screen turns
// into the staff's card-left screen (see CardLeft) instead of the
// welcome screen. A nil gone is the Customer itself.
func (c *Customer) WithCard(gone <-chan struct{}) terminal.Panel {
	if gone == nil {
		return c
	}
	return cardPanel{Customer: c, gone: gone}
}

// finishCard is Finish following the card.
func (c *Customer) finishCard(ctx context.Context, r terminal.Result, gone <-chan struct{}) {
	w, rf := explain(r, c.sawn()), ref(r.Session)
	out := isClosed(gone)
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	gen := -1 // the open's generation; event loop only
	opened := make(chan struct{})
	go func() {
		select {
		case <-opened:
		case <-wctx.Done():
			return
		}
		if !out {
			select {
			case <-gone:
			case <-wctx.Done():
				return
			}
			c.update(wctx, func() {
				if c.finish.gen == gen && c.finish.answer != nil {
					c.finish.cardGone()
					c.paint()
				}
			}, true)
		}
		select {
		case <-time.After(c.linger):
		case <-wctx.Done():
			return
		}
		c.update(wctx, func() {
			if c.finish.gen == gen && c.finish.answer != nil {
				c.finish.answer(struct{}{})
			}
		}, false)
	}()
	_, err := ask(ctx, c, func(answer func(struct{})) {
		c.finish.openCard(w, rf, answer, out)
		gen = c.finish.gen
		close(opened)
		c.show(c.finish)
	}, nil, nil)
	stop()
	if err != nil && !isClosed(gone) {
		// The finish time ran out with the card in the reader: the
		// resident walked away. Say so to the staff until the loop sees
		// the card go (CardLeft); never the welcome screen over a card.
		c.update(context.Background(), func() {
			c.finish.openLeft(w, rf, nil)
			c.show(c.finish)
		}, true)
		return
	}
	c.update(context.Background(), c.wipe, true)
}

// CardLeft shows the staff's card-left screen for the session that ended
// with r until ctx ends (the card loop saw the card taken out), then
// wipes the screen. No key ends it: only the card leaving does.
func (c *Customer) CardLeft(ctx context.Context, r terminal.Result) {
	w, rf := explain(r, c.sawn()), ref(r.Session)
	_, _ = ask(ctx, c, func(answer func(struct{})) {
		c.finish.openLeft(w, rf, answer)
		c.show(c.finish)
	}, nil, nil)
	c.update(context.Background(), c.wipe, true)
}

// isClosed reports whether ch is closed (nil: never).
func isClosed(ch <-chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
