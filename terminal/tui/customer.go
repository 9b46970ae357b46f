// Package tui is the kiosk's customer UI: a tview application that walks a
// resident through document, PIN, fee, printing and reminders, in Japanese
// or, chosen with the L key, English, Chinese, Korean, Portuguese or
// Vietnamese (text.go). Customer is a terminal.Panel; views only show and
// ask.
package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/localgov"
	"kofu/terminal/payment"
	"kofu/terminal/uikit"
)

// Municipality is a local government as the UI shows it: its 6-digit code,
// its name, and (optionally) its fees per document type for the estimate
// shown before the PIN. The fee the resident pays is always the one in the
// center's ticket.
type Municipality struct {
	Code, Name         string
	Fees               map[string]int
	KosekiWeekdaysOnly bool
	// Hours are the hours ("HH:MM-HH:MM", Japan time) a document type is
	// issued, where the municipality issues it for less than the service's
	// 6:30–23:00.
	Hours map[string]string
}

// Options configure a Customer.
type Options struct {
	// App is the tview application to draw in; nil: a new one on Screen.
	// The Customer takes over its root, input capture and after-draw hook.
	App *tview.Application
	// Screen is used when App is nil; nil: the terminal. Tests pass
	// tcell.NewSimulationScreen.
	Screen tcell.Screen
	// Coins is the emulated coin unit the payment screen inserts into;
	// nil: a payment device outside this UI takes the money.
	Coins *payment.Coins
	// Municipalities are the names (and fees) shown.
	Municipalities []Municipality
	// Muni is the resident's municipality, the default recipient of every
	// request (the kiosk cannot read the address from the card).
	// HonsekiMuni, when it differs, is offered for koseki documents.
	Muni, HonsekiMuni string
	// Lang is the language a session starts in; every session starts in
	// it again.
	Lang Lang
	// Languages are the languages the resident may choose on the L key,
	// in the order the list shows them (config ui.languages); nil: all
	// of AllLangs. Lang must be one of them.
	Languages []Lang
	// Hours are the service hours shown on the welcome screen; zero: the
	// real service's 6:30–23:00.
	Hours Text
	// Note is shown on the welcome screen (emulator: the test resident).
	Note Text
	// IdleKeys are the keys the welcome screen answers to (see Idle). Not
	// digits, not L.
	IdleKeys []IdleKey
	// Card, when set, is the emulator's card on a key (see CardKey).
	Card *CardKey
	// Linger is how long the finish screen stays once the card has left
	// the reader (WithCard); zero: 10s. Enter closes it sooner.
	Linger time.Duration
	// Tick is how often reminders and progress animate; zero: 500ms.
	Tick time.Duration
	// Helpdesk is who the store clerk calls (config ui.helpdesk), shown
	// where the screen asks for staff; "": not shown.
	Helpdesk string
	// Now is the clock the timeout countdown reads (its deadline is the
	// session's stage deadline); nil: the wall clock. Tests pin it.
	Now func() time.Time
}

// ErrStopped is returned by Idle once the UI has stopped.
var ErrStopped = errors.New("customer UI stopped")

// Customer is the customer UI. Create it with NewCustomer, run it with
// Run, and hand it to terminal.Kiosk.Serve as the Panel; Panel methods
// may be called from any goroutine while Run runs.
type Customer struct {
	app       *tview.Application
	munis     map[string]Municipality
	home      string   // the resident's municipality; "" on a store machine: the resident chooses
	muniOrder []string // the municipality list's order
	dir       *localgov.Directory
	honseki   string
	defLang   Lang
	langs     []Lang    // the languages offered
	cats      *catalogs // the translations, parsed once
	tickEach  time.Duration
	card      *CardKey      // the emulator's card key; nil: none
	linger    time.Duration // the finish screen once the card has left
	now       func() time.Time
	stopped   chan struct{} // closed when Run returns
	running   atomic.Bool
	// seen is what the finish screen needs of the session beyond its
	// result: written on the event loop, read by Finish.
	seenMu sync.Mutex
	seen   seen

	// Owned by the event loop.
	lang      Locale
	frame     *frame
	cur       view
	lastTries int             // tries left at the last PIN question of this session
	screen    tcell.Screen    // as last drawn
	q         context.Context // the open question's context, for its deadline (nil: none)
	order     []summaryRow    // the session's request, once chosen

	welcome  *welcomeView
	docs     *docsView
	options  *optionsView
	picker   *pickerView
	pin      *pinView
	members  *membersView // 世帯の一部: who is listed (members.go)
	pay      *payView
	progress *progressView
	finish   *finishView
	langList *langView // the language list, over the current view while open

	outOfService *outOfServiceView
}

var _ terminal.Panel = (*Customer)(nil)

// NewCustomer builds the UI; nothing is drawn until Run.
func NewCustomer(o Options) (*Customer, error) {
	if o.Muni == "" && len(o.Municipalities) == 0 {
		return nil, errors.New("tui: the resident's municipality or the municipality list is required")
	}
	o.IdleKeys = append([]IdleKey(nil), o.IdleKeys...)
	for i, k := range o.IdleKeys {
		r := []rune(strings.ToUpper(string(k.Key)))[0]
		if r == 'L' || (r >= '0' && r <= '9') {
			return nil, fmt.Errorf("tui: idle key %q is reserved", k.Key)
		}
		o.IdleKeys[i].Key = r
	}
	langs, err := offered(o.Lang, o.Languages)
	if err != nil {
		return nil, err
	}
	cats, err := loadCatalogs()
	if err != nil {
		return nil, fmt.Errorf("tui: %w", err)
	}
	if o.Hours.Empty() {
		o.Hours = T("6:30〜23:00（12月29日〜1月3日を除く）", "6:30–23:00 (closed Dec 29 – Jan 3)")
	}
	if o.Tick <= 0 {
		o.Tick = 500 * time.Millisecond
	}
	card, err := checkCardKey(o.Card, o.IdleKeys)
	if err != nil {
		return nil, err
	}
	if o.Linger <= 0 {
		o.Linger = defaultLinger
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	app := o.App
	if app == nil {
		app = tview.NewApplication()
		if o.Screen != nil {
			app.SetScreen(o.Screen)
		}
	}
	c := &Customer{
		app: app, munis: map[string]Municipality{}, home: o.Muni, honseki: o.HonsekiMuni,
		defLang: o.Lang, langs: langs, cats: cats, langList: newLangView(langs), tickEach: o.Tick, card: card, linger: o.Linger, now: o.Now, stopped: make(chan struct{}), frame: newFrame(),
		welcome: newWelcome(o.Hours, o.Note, o.IdleKeys, langs),
		pin:     newPIN(), members: newMembers(), pay: newPay(o.Coins), progress: newProgress(), finish: newFinish(o.Helpdesk),
		outOfService: newOutOfService(o.IdleKeys, o.Helpdesk),
	}
	dir, err := localgov.Load()
	if err != nil {
		return nil, fmt.Errorf("tui: %w", err)
	}
	c.dir = dir
	for _, m := range o.Municipalities {
		c.munis[m.Code] = m
		c.muniOrder = append(c.muniOrder, m.Code)
	}
	c.docs = newDocs(c.docNote)
	c.options = newOptions(c.estimate, c.availableNow, c.muniText)
	c.picker = newPicker(dir, c.availableNow)
	for _, v := range c.views() {
		c.frame.add(v)
	}
	app.SetRoot(c.frame.root, true)
	app.SetInputCapture(c.onKey)
	app.SetAfterDrawFunc(func(s tcell.Screen) { c.screen = s })
	c.wipe()
	return c, nil
}

func (c *Customer) views() []view {
	return []view{c.welcome, c.docs, c.options, c.picker, c.pin, c.members, c.pay, c.progress, c.finish, c.outOfService, c.langList}
}

// Run runs the UI until ctx ends or Stop is called. It may be called once.
func (c *Customer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("tui: Run called twice")
	}
	defer close(c.stopped)
	if err := ctx.Err(); err != nil {
		return err
	}
	go func() {
		// Stop only once the loop runs: Stop before Run would make Run
		// open the real terminal.
		if !c.update(context.Background(), func() {}, false) {
			return
		}
		select {
		case <-ctx.Done():
			c.app.Stop()
		case <-c.stopped:
		}
	}()
	go c.ticks()
	return c.app.Run()
}

// Stop ends Run; Panel methods then return at once.
func (c *Customer) Stop() { c.app.Stop() }

// Done is closed when Run has returned.
func (c *Customer) Done() <-chan struct{} { return c.stopped }

// ticks animates the current view.
func (c *Customer) ticks() {
	t := time.NewTicker(c.tickEach)
	defer t.Stop()
	for {
		select {
		case <-c.stopped:
			return
		case <-t.C:
			c.update(context.Background(), func() {
				if tk, ok := c.cur.(ticker); ok {
					tk.tick()
					if c.cur == view(c.pay) && c.pay.moneyIn() && c.q != nil {
						// Money inserted is the resident at the machine.
						terminal.Extend(c.q)
					}
					c.paint()
				} else if c.q != nil {
					c.paint() // the countdown
				}
			}, true)
		}
	}
}

// update runs f on the event loop and waits for it, unless ctx ends or
// the UI stops first (then f may still run later, or never).
func (c *Customer) update(ctx context.Context, f func(), draw bool) bool {
	select {
	case <-c.stopped:
		return false
	default:
	}
	done := make(chan struct{})
	go func() {
		if draw {
			c.app.QueueUpdateDraw(f)
		} else {
			c.app.QueueUpdate(f)
		}
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
	case <-c.stopped:
	}
	return false
}

// ask opens a question on the event loop and waits for the resident's
// answer, ctx, or the UI stopping. answer is honoured once; a later or
// abandoned answer is dropped (drop zeroes what it holds). then runs on
// the loop right after an answer; an abandoned question leaves "please
// wait" on screen.
func ask[T any](ctx context.Context, c *Customer, open func(answer func(T)), then func(), drop func(T)) (T, error) {
	var zero T
	ch := make(chan T, 1)
	live := true // event loop only
	answer := func(v T) {
		if !live {
			if drop != nil {
				drop(v)
			}
			return
		}
		live = false
		c.q = nil
		ch <- v
		if then != nil {
			then()
		}
	}
	if !c.update(ctx, func() {
		c.q = ctx
		open(answer)
	}, true) {
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		return zero, ErrStopped
	}
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
	case <-c.stopped:
	}
	c.update(context.Background(), func() {
		if live {
			live = false
			c.q = nil
			c.drop()
			c.pause()
		}
	}, true)
	select {
	case v := <-ch:
		if drop != nil {
			drop(v)
		}
	default:
	}
	if ctx.Err() != nil {
		return zero, ctx.Err()
	}
	return zero, ErrStopped
}

// onKey routes every key through the key tables the keymap is drawn
// from: the card key's and the language key's (cardBindings,
// langBindings), then the language list's while it is open, else the
// current view's. Nothing reaches tview's own handlers (Ctrl-C
// included).
func (c *Customer) onKey(ev *tcell.EventKey) *tcell.EventKey {
	k := readKey(ev)
	switch {
	case c.extendOnKey(k):
		// The countdown warned: the key gave the question its time
		// again, and does nothing else.
	case k.Kind == uikit.Rune && typing(c.cur):
		c.cur.handle(k) // a search field: L and the card key are letters there
	case c.langList.shown && k.Kind != uikit.CtrlC:
		if !dispatch(k, c.cardBindings()) {
			c.langList.handle(k)
		}
	case dispatch(k, c.cardBindings(), c.langBindings()):
	default:
		c.cur.handle(k)
	}
	c.paint()
	return nil
}

// show makes v the current view; a new screen closes the language list.
func (c *Customer) show(v view) {
	if v != c.cur {
		c.langList.reset()
	}
	c.cur = v
	c.paint()
}

func (c *Customer) paint() {
	if c.screen != nil {
		c.frame.screenWidth, c.frame.screenHeight = c.screen.Size()
	}
	v := c.cur
	if c.langList.shown {
		c.langList.under = v
		v = c.langList
	}
	// The keymap: the card key, the screen's keys, the language key.
	hints := func() []hint {
		hs := append(hintsOf(c.cardBindings()), v.hints(c.lang)...)
		return append(hs, hintsOf(c.langBindings())...)
	}
	c.frame.paint(v, c.lang, c.countdown(), hints)
}

// warnBefore is how long before a question's deadline the screen starts
// counting down (a third of the question's time, when that is shorter).
const warnBefore = 20 * time.Second

// deadline is the open question's deadline, on the clock the countdown
// reads, and its full time; extendable: a key gives the question its
// full time again (terminal.Question). Zero when no question is open or
// it has no deadline.
func (c *Customer) deadline() (at time.Time, full time.Duration, extendable bool) {
	if c.q == nil {
		return time.Time{}, 0, false
	}
	if at, full, ok := terminal.QuestionDeadline(c.q); ok {
		return at, full, true
	}
	at, _ = c.q.Deadline()
	return at, 0, false
}

// countdown is the warning shown as a resident's question nears its
// deadline (PIN 60 s, choice 2 min, payment 3 min): the session would
// otherwise end with no warning (issue 17, item 10). Where the question
// can be extended it says how: any key. Empty when there is no deadline,
// it is far, or the screen asks nothing of the resident.
func (c *Customer) countdown() Text {
	at, full, extendable := c.deadline()
	if at.IsZero() {
		return Text{}
	}
	switch c.cur {
	case view(c.docs), view(c.options), view(c.picker), view(c.pin), view(c.members), view(c.pay):
	default:
		return Text{} // the finish screen's deadline is its reminder time
	}
	warn := warnBefore
	if full > 0 {
		warn = min(warn, full/3)
	}
	left := at.Sub(c.now())
	if left > warn || left < 0 {
		return Text{}
	}
	n := int((left + time.Second - 1) / time.Second)
	t := Tf("⏱ あと %d 秒で時間切れとなり、手続きを中止します。", "⏱ Time runs out in %d s and the request stops.", n)
	if extendable {
		t = Cat(t, T("続けるには、いずれかのキーを押してください。", "Press any key to continue."))
	}
	return t
}

// extendOnKey gives the open question its full time again when the
// countdown warns and k is a key on the panel (the emulator's card key
// stands for the card itself, not a key): then k does nothing else — not
// a PIN digit, not a menu item, not the language list — so that a
// resident who presses a key to go on sees the screen again before a
// key acts on it. It reports whether it took k.
func (c *Customer) extendOnKey(k key) bool {
	if c.card != nil && k.Key == uikit.R(c.card.Key) && !typing(c.cur) {
		return false
	}
	if _, _, extendable := c.deadline(); !extendable || c.countdown().Empty() {
		return false
	}
	return terminal.Extend(c.q)
}

// pause shows "please wait" between two questions.
func (c *Customer) pause() {
	c.progress.pause()
	c.show(c.progress)
}

// drop abandons every open question, zeroing what it holds (PIN digits).
func (c *Customer) drop() {
	if c.cur == view(c.pay) && c.pay.answer != nil {
		// The payment question abandoned (timeout, card pulled): what
		// is in goes back.
		c.sawInserted(c.pay.credit())
	}
	for _, v := range []view{c.docs, c.options, c.picker, c.pin, c.members, c.pay, c.finish} {
		v.reset()
	}
	c.welcome.reset()
}

// wipe forgets the session: every view's data, the language, the PIN
// state; the welcome screen is all that is left.
func (c *Customer) wipe() {
	c.lang, c.lastTries, c.order = c.cats.locale(c.defLang), 0, nil
	c.seenMu.Lock()
	c.seen = seen{known: c.pay.coins != nil}
	c.seenMu.Unlock()
	for _, v := range c.views() {
		v.reset()
		v.render(c.lang)
	}
	c.show(c.welcome)
}

// Idle shows the welcome screen and waits for one of Options.IdleKeys (or
// Ctrl-C, for the key marked Quit). It returns ctx's error when ctx ends
// first (a card reader saw a card) and ErrStopped once the UI stopped.
func (c *Customer) Idle(ctx context.Context) (IdleKey, error) {
	k, err := ask(ctx, c, func(answer func(IdleKey)) {
		c.wipe()
		c.welcome.open(answer)
		c.paint()
	}, c.pause, nil)
	return k, err
}

// Choose asks for the document, its options, copies and municipality.
func (c *Customer) Choose(ctx context.Context) (terminal.Order, error) {
	type choice struct {
		order terminal.Order
		back  bool
	}
	ch, err := ask(ctx, c, func(answer func(choice)) {
		c.docs.open(func(t protocol.DocType) {
			info, _ := protocol.LookupDoc(t)
			slot := c.muniSlot(t)
			c.options.open(info, slot, func(muni string, spec protocol.DocSpec) {
				o := terminal.Order{Muni: muni, Doc: spec}
				c.order = c.summarize(o)
				c.seenMu.Lock()
				c.seen.doc = o.Doc.Type
				c.seenMu.Unlock()
				answer(choice{order: o})
			}, func() { c.show(c.docs) }, func() {
				c.picker.open(slot.role, t, slot.presets, func(code string) {
					c.options.chose(code)
					c.show(c.options)
				}, func() { c.show(c.options) })
				c.show(c.picker)
			})
			c.show(c.options)
		}, func() { answer(choice{back: true}) })
		c.show(c.docs)
	}, c.pause, nil)
	switch {
	case err != nil:
		return terminal.Order{}, c.panelErr(ctx, err)
	case ch.back:
		return terminal.Order{}, terminal.ErrCancelled
	}
	return ch.order, nil
}

// PIN asks for the PIN. The returned slice is the only copy; the caller
// zeroes it.
func (c *Customer) PIN(ctx context.Context, triesLeft int) ([]byte, error) {
	a, err := ask(ctx, c, func(answer func(pinAnswer)) {
		wrong := c.lastTries > 0 && triesLeft < c.lastTries
		c.lastTries = triesLeft
		c.pin.open(triesLeft, wrong, answer)
		c.show(c.pin)
	}, func() {
		c.progress.show(terminal.Progress{State: terminal.StateSubmit})
		c.show(c.progress)
	}, func(a pinAnswer) { clear(a.pin) })
	switch {
	case err != nil:
		return nil, c.panelErr(ctx, err)
	case a.back:
		return nil, terminal.ErrCancelled
	}
	return a.pin, nil
}

// Pay shows the fee and waits until the resident has inserted it and
// pressed Enter.
func (c *Customer) Pay(ctx context.Context, fee int) error {
	paid, err := ask(ctx, c, func(answer func(bool)) {
		c.sawInserted(0)
		c.pay.open(fee, c.order, func(paid bool) {
			c.sawInserted(c.pay.credit())
			answer(paid)
		})
		c.show(c.pay)
	}, c.pause, nil)
	switch {
	case err != nil:
		return c.panelErr(ctx, err)
	case !paid:
		return terminal.ErrCancelled
	}
	return nil
}

// Progress shows what the session is doing.
func (c *Customer) Progress(p terminal.Progress) {
	switch p.State {
	case terminal.StateCard, terminal.StateSubmit, terminal.StateFetch, terminal.StatePrint, terminal.StateSettle:
	default:
		return // the question that follows shows itself
	}
	c.update(context.Background(), func() {
		c.progress.show(p)
		c.show(c.progress)
	}, true)
}

// Finish shows the outcome and reminds the resident to take the card
// (and paper) until each is acknowledged with Enter or ctx ends; then it
// wipes the screen. A session on a card the card loop follows uses the
// panel of WithCard instead, whose finish screen waits for the card to
// leave.
func (c *Customer) Finish(ctx context.Context, r terminal.Result) {
	_, _ = ask(ctx, c, func(answer func(struct{})) {
		c.finish.open(explain(r, c.sawn()), ref(r.Session), answer)
		c.show(c.finish)
	}, nil, nil)
	c.update(context.Background(), c.wipe, true)
}

// sawn is what the UI saw of this session (see seen).
func (c *Customer) sawn() seen {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	return c.seen
}

// sawInserted records the credit inserted as the payment screen closes.
func (c *Customer) sawInserted(yen int) {
	c.seenMu.Lock()
	c.seen.inserted = yen
	c.seenMu.Unlock()
}

// panelErr is what a Panel method returns when its question ended without
// an answer: ctx's error (the session reads its cause), or ErrCancelled
// once the UI has stopped.
func (c *Customer) panelErr(ctx context.Context, err error) error {
	if errors.Is(err, ErrStopped) {
		return terminal.ErrCancelled
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ref is the reference number shown for staff (terminal.Reference).
func ref(session string) string { return terminal.Reference(session) }

// muniText is a municipality's name: 神奈川県横浜市 for a reader of kanji,
// "Yokohama-shi, Kanagawa" for the others (issue 17, item 12); the
// configured name where the directory does not know the code, else the
// code.
func (c *Customer) muniText(code string) Text {
	if d, ok := c.dir.Lookup(code); ok {
		return Name(c.dir.FullName(d), c.dir.English(d))
	}
	if m, ok := c.munis[code]; ok && m.Name != "" {
		return Name(m.Name, m.Name)
	}
	return Name(code, code)
}

// muniSlot is where a request for t may go. A 住民票 and the like go to
// the 住所地: fixed when the kiosk knows it, else chosen by the resident.
// A family register document goes to the 本籍地, always chosen by the
// resident, with the 住所地 and the known 本籍地 offered first and no
// default (issue 17, item 1: a preselected 住所地 sent R0023's request to
// the wrong city).
func (c *Customer) muniSlot(t protocol.DocType) muniSlot {
	if !t.FamilyRegister() {
		return muniSlot{role: T("住所地", "residence"), fixed: c.home}
	}
	slot := muniSlot{role: T("本籍地", "registered domicile"), home: c.home}
	if c.honseki != "" {
		slot.presets = append(slot.presets, muniChoice{c.honseki,
			Tf("本籍地（%s）", "Registered domicile (%s)", c.muniText(c.honseki))})
	}
	if c.home != "" && c.home != c.honseki {
		slot.presets = append(slot.presets, muniChoice{c.home,
			Tf("住所地と同じ（%s）", "Same as residence (%s)", c.muniText(c.home))})
	}
	return slot
}

// availableNow is available at the UI's clock.
func (c *Customer) availableNow(code string, t protocol.DocType) availability {
	return c.available(code, t, c.now())
}

// estimate is the expected fee per copy of t at muni.
func (c *Customer) estimate(l Locale, muni string, t protocol.DocType) (int, string, bool) {
	m, ok := c.munis[muni]
	if !ok {
		return 0, "", false
	}
	fee, ok := m.Fees[string(t)]
	remark := ""
	if t.FamilyRegister() && m.KosekiWeekdaysOnly {
		remark = T("戸籍の証明書は平日のみ取得できます。", "Family register documents are issued on weekdays only.").In(l)
	}
	return fee, remark, ok
}

// docNote is the remark beside a document in the list: where the kiosk
// knows the municipality (the 住所地; the 本籍地 for a family register),
// the fee or why it cannot be had now; on a store machine, only what
// closes the whole service.
func (c *Customer) docNote(l Locale, t protocol.DocType) string {
	code := c.home
	if t.FamilyRegister() && c.honseki != "" {
		code = c.honseki
	}
	if code == "" {
		if why := serviceClosed(c.now()); !why.Empty() {
			return "× " + T("本日は発行できません", "not available now").In(l)
		}
		return ""
	}
	a := c.availableNow(code, t)
	switch {
	case a.ok:
		return yen(l, a.fee)
	case !a.short.Empty():
		return "× " + a.short.In(l)
	}
	return "× " + T("発行できません", "not available").In(l)
}

// textEntry is a view with a text field that takes letters.
type textEntry interface{ takesText() bool }

// typing reports whether v takes letters now: then no letter is a
// global key (language, card), and the keymap does not offer them.
func typing(v view) bool {
	t, ok := v.(textEntry)
	return ok && t.takesText()
}
