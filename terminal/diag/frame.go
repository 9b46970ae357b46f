package diag

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// view is one screen of the technician UI. Views only show: the
// controller (Diag) asks the Backend off the event loop and hands them
// what it got. Their methods run on the event loop.
type view interface {
	name() string
	primitive() tview.Primitive
	// hints are the screen's own keys.
	hints() []hint
	// pending shows that the backend is being asked.
	pending()
	// handle takes a key meant for the screen and says what the
	// controller should do about it.
	handle(k key) action
}

// action is what a screen key asks the controller to do.
type action int

const (
	actNone     action = iota
	actTestPage        // print a test page (printer screen)
)

// frame is the layout: a title bar, the tabs, the screen, the keymap.
type frame struct {
	root   *tview.Flex
	header *tview.TextView
	tabs   *tview.TextView
	body   *tview.Pages
	keymap *tview.TextView
}

func newFrame() *frame {
	f := &frame{
		header: tview.NewTextView().SetDynamicColors(true),
		tabs:   tview.NewTextView().SetDynamicColors(true),
		body:   tview.NewPages(),
		keymap: tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true),
	}
	f.header.SetBackgroundColor(tcell.ColorDarkGreen)
	f.body.SetBorder(true).SetTitleAlign(tview.AlignLeft)
	f.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(f.header, 1, 0, false).
		AddItem(f.tabs, 1, 0, false).
		AddItem(f.body, 0, 1, true).
		AddItem(f.keymap, 2, 0, false)
	return f
}

func (f *frame) add(v view) { f.body.AddPage(v.name(), v.primitive(), true, false) }

// paint shows screen cur of views.
func (f *frame) paint(views []view, cur int, title string) {
	f.header.SetText(" [white:darkgreen:b]kofu technician diagnostics" + tagOff + "[white:darkgreen]   " + esc(title))
	var tabs []string
	for i, v := range views {
		label := fmt.Sprintf("%d %s", i+1, v.name())
		if i == cur {
			label = tagSel + " " + label + " " + tagOff
		} else {
			label = " " + label + " "
		}
		tabs = append(tabs, label)
	}
	f.tabs.SetText(strings.Join(tabs, " "))
	v := views[cur]
	f.body.SetTitle(" " + esc(v.name()) + " ")
	f.body.SwitchToPage(v.name())
	f.keymap.SetText(keymapLine(append(v.hints(), globalHints()...)))
}
