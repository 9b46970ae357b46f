package uikit

import (
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"
)

// TestRead: key presses are normalised the same for both UIs: letters
// upper-cased, Delete as Backspace, Ctrl-C its own kind.
func TestRead(t *testing.T) {
	cases := []struct {
		ev   *tcell.EventKey
		want Key
	}{
		{tcell.NewEventKey(tcell.KeyRune, 'q', tcell.ModNone), R('Q')},
		{tcell.NewEventKey(tcell.KeyRune, '7', tcell.ModNone), Key{Kind: Rune, R: '7'}},
		{tcell.NewEventKey(tcell.KeyRune, ' ', tcell.ModNone), R(' ')},
		{tcell.NewEventKey(tcell.KeyEnter, 0, tcell.ModNone), K(Enter)},
		{tcell.NewEventKey(tcell.KeyEscape, 0, tcell.ModNone), K(Esc)},
		{tcell.NewEventKey(tcell.KeyDelete, 0, tcell.ModNone), K(Backspace)},
		{tcell.NewEventKey(tcell.KeyBackspace2, 0, tcell.ModNone), K(Backspace)},
		{tcell.NewEventKey(tcell.KeyCtrlC, 0, tcell.ModCtrl), K(CtrlC)},
		{tcell.NewEventKey(tcell.KeyBacktab, 0, tcell.ModNone), K(Backtab)},
		{tcell.NewEventKey(tcell.KeyF5, 0, tcell.ModNone), Key{}},
	}
	for _, tc := range cases {
		if got := Read(tc.ev); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.ev.Name(), got, tc.want)
		}
	}
	if d, ok := R('7').Digit(); !ok || d != 7 {
		t.Errorf("digit %d %v", d, ok)
	}
	if _, ok := R('A').Digit(); ok {
		t.Error("A is a digit")
	}
}

// TestLookup: the first table that binds a key answers it; a key no
// table binds finds nothing.
func TestLookup(t *testing.T) {
	own := []Binding[string, int]{{Keys: []Key{K(Enter)}, Label: "Enter", Does: "open", Act: 1, Keymap: true}}
	global := []Binding[string, int]{
		{Keys: []Key{K(Enter), R('q')}, Label: "Q", Does: "quit", Act: 2, Keymap: true},
		{Keys: Digits(1, 3), Label: "1-3", Does: "show", Act: 3},
	}
	for _, tc := range []struct {
		k    Key
		act  int
		okay bool
	}{{K(Enter), 1, true}, {R('Q'), 2, true}, {R('2'), 3, true}, {R('4'), 0, false}, {K(Esc), 0, false}} {
		b, ok := Lookup(tc.k, own, global)
		if ok != tc.okay || b.Act != tc.act {
			t.Errorf("%+v: %+v %v", tc.k, b, ok)
		}
	}
	line := strings.Join(Entries(func(b Binding[string, int]) string { return b.Does }, "", "", own, global), " ")
	if line != "<Enter>\u00a0open <Q>\u00a0quit" {
		t.Errorf("keymap %q: only the bindings marked Keymap, in table order", line)
	}
}

// TestWrap: the keymap breaks between entries only, never between a key
// and what it does, and every line fits.
func TestWrap(t *testing.T) {
	var es []string
	for _, h := range [][2]string{{"C", "カードを抜く"}, {"1-2", "項目を切り替え"}, {"↑↓", "移動"}, {"←→", "変更"}, {"Enter", "次へ"}, {"Esc", "戻る"}, {"L", "Language / 言語"}} {
		es = append(es, Entry(h[0], h[1], "[aqua::b]", "[-:-:-]"))
	}
	for _, width := range []int{30, 45, 60, 80} {
		lines := strings.Split(Wrap(es, "   ", width), "\n")
		n := 0
		for _, l := range lines {
			if w := tview.TaggedStringWidth(l); w > width {
				t.Errorf("width %d: line %q is %d cells", width, l, w)
			}
			for _, part := range strings.Split(l, "   ") {
				if !strings.HasPrefix(part, "[aqua::b]<") {
					t.Errorf("width %d: line part %q does not start an entry", width, part)
				}
				n++
			}
		}
		if n != len(es) {
			t.Errorf("width %d: %d entries, want %d: %q", width, n, len(es), lines)
		}
	}
	if got := Wrap(es[:2], "   ", 0); strings.Contains(got, "\n") {
		t.Errorf("width 0 wrapped: %q", got)
	}
}

// TestCatchAll: AnyRune answers printable keys only, AnyKey every key;
// a key bound before them in the table wins.
func TestCatchAll(t *testing.T) {
	table := []Binding[string, int]{
		{Keys: []Key{K(Enter)}, Label: "Enter", Does: "open", Act: 1, Keymap: true},
		{Keys: []Key{AnyRune()}, Does: "type", Act: 2},
	}
	withAny := append(table[:1:1], Binding[string, int]{Keys: []Key{AnyKey()}, Does: "go on", Act: 3})
	for _, tc := range []struct {
		table []Binding[string, int]
		k     Key
		act   int
		ok    bool
	}{
		{table, K(Enter), 1, true}, {table, R('a'), 2, true}, {table, R('7'), 2, true}, {table, R('ア'), 2, true},
		{table, K(Esc), 0, false}, {table, Key{}, 0, false},
		{withAny, K(Enter), 1, true}, {withAny, K(Esc), 3, true}, {withAny, R('x'), 3, true}, {withAny, Key{}, 3, true},
	} {
		b, ok := Lookup(tc.k, tc.table)
		if ok != tc.ok || b.Act != tc.act {
			t.Errorf("%+v: %+v %v, want %d %v", tc.k, b, ok, tc.act, tc.ok)
		}
	}
}
