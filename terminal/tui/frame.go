package tui

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// step is where the resident is, shown in the crumbs at the top.
type step int

const (
	stepNone step = iota
	stepCard
	stepChoose
	stepPIN
	stepPay
	stepPrint
	stepTake
)

func steps() []Text {
	return []Text{
		stepCard:   T("カード", "Card"),
		stepChoose: T("証明書の選択", "Document"),
		stepPIN:    T("暗証番号", "PIN"),
		stepPay:    T("お支払い", "Payment"),
		stepPrint:  T("印刷", "Printing"),
		stepTake:   T("お受け取り", "Take"),
	}
}

// view is one screen of the customer UI. Views only show and ask: they
// keep what is on screen and call back with the resident's answer. All
// their methods run on the tview event loop.
type view interface {
	name() string
	primitive() tview.Primitive
	title(l Locale) string
	step() step
	render(l Locale)
	hints(l Locale) []hint
	handle(k key)
	// reset forgets everything the view holds about a session.
	reset()
}

// sizedView is a view that lays its text out for the body's size: its
// width and height in cells (0 before the first draw), which the frame
// tells it before each render.
type sizedView interface {
	setSize(width, height int)
}

// ticker is a view that changes with time (spinner, reminder, coins).
type ticker interface {
	tick()
}

// The frame's largest size. On a larger screen (160×45) the frame keeps
// this size in the middle of the screen rather than stretching its box
// over it with the text in the top-left corner (issue 17, item 13): a
// resident reading from half a metre finds the text where they look, in
// lines no longer than about 47 full-width characters or 94 Latin
// letters. 100×32, the kiosk's usual pane, is the largest frame: there
// and on smaller screens (80×24) the frame fills the screen as before.
const (
	maxFrameWidth  = 100
	maxFrameHeight = 32
)

// compactHeight is the height (80×24's rows) below which the frame is
// compact: on a short screen (60×20) the title bar gives its row to the
// steps (it stays where there are no steps: the welcome screen), the
// box's text starts on its first row, and the keymap takes only the rows
// it needs. The text then has what rows there are (fitText).
const compactHeight = 24

// frame is the layout around every view: a title bar, the crumbs, the
// view in a bordered box, and the keymap, centered on the screen at most
// maxFrameWidth×maxFrameHeight cells large.
type frame struct {
	root   *centered
	header *tview.TextView
	crumbs *tview.TextView
	body   *tview.Pages
	notice *tview.TextView // one line above the keymap while a countdown runs
	keymap *tview.TextView
	// screenWidth and screenHeight are the screen's size as last drawn
	// (0: not yet).
	screenWidth, screenHeight int
}

func newFrame() *frame {
	f := &frame{
		header: tview.NewTextView().SetDynamicColors(true),
		crumbs: tview.NewTextView().SetDynamicColors(true),
		body:   tview.NewPages(),
		notice: tview.NewTextView().SetDynamicColors(true),
		keymap: tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true),
	}
	f.header.SetBackgroundColor(tcell.ColorNavy)
	f.body.SetBorder(true).SetTitleAlign(tview.AlignLeft).SetBorderPadding(0, 0, 1, 1)
	f.root = &centered{Flex: tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(f.header, 1, 0, false).
		AddItem(f.crumbs, 1, 0, false).
		AddItem(f.body, 0, 1, true).
		AddItem(f.notice, 0, 0, false).
		AddItem(f.keymap, 2, 0, false),
		maxW: maxFrameWidth, maxH: maxFrameHeight}
	return f
}

// centered is the frame's root: it lays the frame out in a rectangle of
// at most maxW×maxH cells in the middle of the area tview gives it (the
// whole screen); the cells around it stay blank.
type centered struct {
	*tview.Flex
	maxW, maxH int
}

// SetRect places the frame in the middle of x, y, w, h.
func (c *centered) SetRect(x, y, w, h int) {
	cw, ch := min(w, c.maxW), min(h, c.maxH)
	c.Flex.SetRect(x+(w-cw)/2, y+(h-ch)/2, cw, ch)
}

// width is the frame's width on the screen as last drawn (0: not yet
// drawn).
func (f *frame) width() int { return min(f.screenWidth, maxFrameWidth) }

// height is the frame's height on the screen as last drawn (0: not yet
// drawn).
func (f *frame) height() int { return min(f.screenHeight, maxFrameHeight) }

// compact says whether the screen is short (compactHeight).
func (f *frame) compact() bool { return f.screenHeight > 0 && f.screenHeight < compactHeight }

func (f *frame) add(v view) { f.body.AddPage(v.name(), v.primitive(), true, false) }

// paint shows v with everything around it in language l, the notice
// line when there is one, and the keymap of hints. A view's keymap may
// follow its layout (a list too long for a short screen turns pages):
// when the keys differ once the view is laid out, it is laid out again
// for them.
func (f *frame) paint(v view, l Locale, notice Text, hints func() []hint) {
	f.header.SetText(" [white:navy:b]" + esc(T("行政サービス　証明書の交付", "Government services · Certificates").In(l)) +
		tagOff + "[white:navy]   kofu")
	crumbs := crumbLine(v.step(), l, f.width())
	f.crumbs.SetText(crumbs)
	// The rows around the box: the title bar and the steps (on a short
	// screen one of them), the countdown's notice, the keymap.
	header, crumbRows, padding := 1, 1, 1
	if f.compact() {
		header, crumbRows, padding = 0, 1, 0
		if crumbs == "" {
			header, crumbRows = 1, 0
		}
	}
	f.root.ResizeItem(f.header, header, 0)
	f.root.ResizeItem(f.crumbs, crumbRows, 0)
	noticeRows := 0
	if notice.Empty() {
		f.notice.SetText("")
	} else {
		// The countdown and how to go on: one line, or two on a
		// narrow screen, wrapped between phrases.
		text := " " + tagError + esc(notice.In(l)) + tagOff
		if f.width() > 0 {
			text = wrapText(text, f.width()-1)
		}
		f.notice.SetText(text)
		noticeRows = strings.Count(text, "\n") + 1
	}
	f.root.ResizeItem(f.notice, noticeRows, 0)
	f.body.SetTitle(" " + v.title(l) + " ")
	f.body.SwitchToPage(v.name())
	tv, isText := v.primitive().(*tview.TextView)
	if isText {
		tv.SetBorderPadding(padding, 0, 1, 1)
	}
	keys := keymap(l, hints(), f.width()-1)
	for pass := 0; pass < 2; pass++ {
		keyRows := strings.Count(keys, "\n") + 1
		if !f.compact() {
			keyRows = max(keyRows, 2)
		}
		f.keymap.SetText(keys)
		f.root.ResizeItem(f.keymap, keyRows, 0)
		// The body is the frame less the rows above and below the box,
		// the box's border and padding and the text view's own padding;
		// before the first draw its size is unknown.
		width, height := 0, 0
		if f.width() > 0 {
			width = f.width() - 6
		}
		if f.height() > 0 {
			height = max(f.height()-header-crumbRows-noticeRows-keyRows-2-padding, 0)
		}
		if s, ok := v.(sizedView); ok {
			s.setSize(width, height)
		}
		v.render(l)
		if isText {
			// Break lines at phrase boundaries, not inside a word, and
			// on a short screen give up blank lines and what may be
			// left out (fitText). Before the first draw tview wraps
			// (wrapText only drops the marks).
			w := -1
			if width > 0 {
				w = width
			}
			tv.SetText(fitText(tv.GetText(false), w, height))
		}
		again := keymap(l, hints(), f.width()-1)
		if again == keys {
			break
		}
		keys = again
	}
}

// crumbLine renders the steps in width cells (0: not known yet, all of
// them), the current one highlighted. Where the whole bar does not fit —
// below about 64 columns, and sooner in the longer languages — it gives
// way rather than being cut (issue 17, item 13): the step's number of
// the six, the current step and the next; then the number and the
// current step alone; then that, its label cut to the width as a last
// resort.
func crumbLine(cur step, l Locale, width int) string {
	if cur == stepNone {
		return ""
	}
	all := steps()
	var parts []string
	for i, s := range all {
		if i == int(stepNone) {
			continue
		}
		label := esc(s.In(l))
		switch {
		case step(i) == cur:
			label = tagSel + " " + label + " " + tagOff
		case step(i) < cur:
			label = tagDim + label + tagOff
		}
		parts = append(parts, label)
	}
	full := " " + strings.Join(parts, " ▸ ")
	if width <= 0 || tview.TaggedStringWidth(full) <= width {
		return full
	}
	count := fmt.Sprintf(" %s%d/%d%s ", tagDim, cur, len(all)-1, tagOff)
	here := all[cur].In(l)
	current := tagSel + " " + esc(here) + " " + tagOff
	if int(cur)+1 < len(all) {
		next := count + current + " ▸ " + esc(all[cur+1].In(l))
		if tview.TaggedStringWidth(next) <= width {
			return next
		}
	}
	if line := count + current; tview.TaggedStringWidth(line) <= width {
		return line
	}
	// Not even the current step fits: cut its label.
	room := width - tview.TaggedStringWidth(count) - 2
	var b strings.Builder
	w := 0
	for _, r := range here {
		rw := runeWidth(r)
		if w+rw > room-1 {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		w += rw
	}
	return count + tagSel + " " + esc(b.String()) + " " + tagOff
}

// newBody is the text view every screen draws into.
func newBody() *tview.TextView {
	tv := tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true)
	tv.SetBorderPadding(1, 0, 1, 1)
	return tv
}
