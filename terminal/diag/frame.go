package diag

import (
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// frame is the layout: a two-row header (what runs, and when it was last
// asked), the tabs, the screen, and at the bottom the keymap, or the
// command line, the filter prompt or a message above one keymap row.
type frame struct {
	root    *tview.Flex
	header  *tview.TextView
	tabs    *tview.TextView
	body    *tview.Pages
	bottom  *tview.Pages
	keymap  *keymapBox // two rows
	keymap1 *keymapBox // one row, under the prompt or a message
	input   *tview.InputField
	msg     *tview.TextView
	pages   map[string]bool
}

func newFrame() *frame {
	f := &frame{
		header:  tview.NewTextView().SetDynamicColors(true).SetWrap(false),
		tabs:    tview.NewTextView().SetDynamicColors(true).SetWrap(false),
		body:    tview.NewPages(),
		bottom:  tview.NewPages(),
		keymap:  &keymapBox{Box: tview.NewBox()},
		keymap1: &keymapBox{Box: tview.NewBox()},
		input:   tview.NewInputField(),
		msg:     tview.NewTextView().SetDynamicColors(true).SetWrap(false),
		pages:   map[string]bool{},
	}
	f.header.SetBackgroundColor(tcell.ColorDarkGreen)
	f.input.SetFieldBackgroundColor(tcell.ColorBlack).SetLabelColor(tcell.ColorAqua)
	withInput := tview.NewFlex().SetDirection(tview.FlexRow).AddItem(f.input, 1, 0, true).AddItem(f.keymap1, 1, 0, false)
	withMsg := tview.NewFlex().SetDirection(tview.FlexRow).AddItem(f.msg, 1, 0, false).AddItem(tview.NewBox(), 1, 0, false)
	f.bottom.AddPage("keys", f.keymap, true, true)
	f.bottom.AddPage("input", withInput, true, false)
	f.bottom.AddPage("msg", withMsg, true, false)
	f.root = tview.NewFlex().SetDirection(tview.FlexRow).
		AddItem(f.header, 2, 0, false).
		AddItem(f.tabs, 1, 0, false).
		AddItem(f.body, 0, 1, true).
		AddItem(f.bottom, 2, 0, false)
	return f
}

// show puts v's pane in the body.
func (f *frame) show(v view) {
	name := v.name()
	if !f.pages[name] {
		f.body.AddPage(name, v.pane(), true, false)
		f.pages[name] = true
	}
	f.body.SwitchToPage(name)
}

// rename drops a page whose view changed its name (a session view).
func (f *frame) drop(name string) {
	if f.pages[name] {
		f.body.RemovePage(name)
		delete(f.pages, name)
	}
}

// headerText is the two header rows.
func headerText(title, profile, sw, up, refreshed string) string {
	row1 := " [white:darkgreen:b]kofu technician diagnostics" + tagOff + "[white:darkgreen]   " + esc(title)
	if profile != "" {
		row1 += "   profile " + esc(profile)
	}
	row2 := " refreshed " + esc(refreshed)
	if up != "" {
		row2 += "   up " + esc(up)
	}
	row2 += "   sw " + esc(sw)
	return row1 + "\n[white:darkgreen]" + row2
}

// tabsText is the tab row, the current tab highlighted.
func tabsText(names []string, cur int) string {
	var tabs []string
	for i, n := range names {
		label := fmt.Sprintf("%d %s", i+1, n)
		if i == cur {
			label = tagSel + " " + esc(label) + " " + tagOff
		} else {
			label = " " + esc(label) + " "
		}
		tabs = append(tabs, label)
	}
	return strings.Join(tabs, "")
}

// keymapBox lays keymap entries out in rows, never breaking one.
type keymapBox struct {
	*tview.Box
	entries []string
}

func (k *keymapBox) set(entries []string) { k.entries = entries }

func (k *keymapBox) Draw(screen tcell.Screen) {
	k.Box.DrawForSubclass(screen, k)
	x, y, w, h := k.GetInnerRect()
	col, row := 0, 0
	for _, e := range k.entries {
		ew := tview.TaggedStringWidth(e)
		if col > 0 && col+2+ew > w {
			col, row = 0, row+1
		}
		if row >= h {
			return
		}
		if col > 0 {
			col += 2
		}
		tview.Print(screen, e, x+col, y+row, w-col, tview.AlignLeft, tcell.ColorWhite)
		col += ew
	}
}
