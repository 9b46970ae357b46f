package tui

import (
	"fmt"
	"testing"

	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/localgov"
	"kofu/terminal/payment"
	"kofu/terminal/uikit"
)

// boundView is a view whose keymap and dispatch come from its key table.
type boundView interface {
	view
	bindings() []binding
}

// probeKeys are the keys a resident can press on the panel, as readKey
// reads them: every kind of key uikit tells apart, the digits, and
// letters (the card key, the language key, an idle key, others).
func probeKeys() []key {
	var ks []key
	for _, kind := range []uikit.Kind{uikit.None, uikit.Up, uikit.Down, uikit.Left, uikit.Right, uikit.PgUp, uikit.PgDn,
		uikit.Home, uikit.End, uikit.Tab, uikit.Backtab, uikit.Enter, uikit.Esc, uikit.Backspace, uikit.CtrlC} {
		ks = append(ks, key{uikit.K(kind)})
	}
	for r := '0'; r <= '9'; r++ {
		ks = append(ks, key{uikit.R(r)})
	}
	for _, r := range "ACELQXア" {
		ks = append(ks, key{uikit.R(r)})
	}
	return ks
}

// TestKeyTablesActAsShown: on each converted screen, in each state that
// changes its table, the keymap is the table's shown bindings, each of
// them complete; every key the table binds acts (the screen changes or
// an answer is given) and every key it does not bind does nothing.
func TestKeyTablesActAsShown(t *testing.T) {
	dir, err := localgov.Load()
	if err != nil {
		t.Fatal(err)
	}
	open := func(string, protocol.DocType) availability { return availability{known: true, ok: true, fee: 300} }
	type state struct {
		name string
		make func(calls *int) boundView
	}
	count := func(calls *int) func() { return func() { *calls++ } }
	label := func(code string) Text { return Name(code, code) }
	states := []state{
		{"welcome", func(calls *int) boundView {
			v := newWelcome(T("6:30〜23:00", "6:30–23:00"), Text{}, []IdleKey{{Key: 'E', Label: T("エミュ", "Emu")},
				{Key: 'Q', Label: T("終了", "Quit"), Quit: true}}, AllLangs())
			v.open(func(IdleKey) { *calls++ })
			return v
		}},
		{"out of service", func(calls *int) boundView {
			v := newOutOfService([]IdleKey{{Key: 'E', Label: T("エミュ", "Emu")}, {Key: 'Q', Label: T("終了", "Quit"), Quit: true}}, "")
			v.open([]Fault{{What: T("プリンタ", "Printer")}}, func(IdleKey) { *calls++ })
			return v
		}},
		{"documents", func(calls *int) boundView {
			v := newDocs(nil)
			v.open(func(protocol.DocType) { *calls++ }, count(calls))
			return v
		}},
		{"language list", func(calls *int) boundView {
			v := newLangView(AllLangs())
			v.open(English, func(Lang) { *calls++ })
			return v
		}},
		{"PIN with two digits", func(calls *int) boundView {
			v := newPIN()
			v.open(3, false, func(pinAnswer) { *calls++ })
			v.handle(key{uikit.R('1')})
			v.handle(key{uikit.R('2')})
			return v
		}},
		{"PIN asking to cancel", func(calls *int) boundView {
			v := newPIN()
			v.open(3, false, func(pinAnswer) { *calls++ })
			v.handle(key{uikit.K(uikit.Esc)})
			return v
		}},
		{"payment with coins", func(calls *int) boundView {
			v := newPay(payment.NewCoins())
			v.open(500, nil, func(bool) { *calls++ })
			return v
		}},
		{"payment asking to cancel", func(calls *int) boundView {
			v := newPay(payment.NewCoins())
			v.open(500, nil, func(bool) { *calls++ })
			v.handle(key{uikit.K(uikit.Esc)})
			return v
		}},
		{"finish, reminders by Enter", func(calls *int) boundView {
			v := newFinish("")
			v.open(words{Title: T("完了", "Done"), Paper: T("証明書をお取りください", "Please take your certificate")}, "", func(struct{}) { *calls++ })
			return v
		}},
		{"finish, the card followed and out", func(calls *int) boundView {
			v := newFinish("")
			v.openCard(words{Title: T("完了", "Done"), Paper: T("証明書をお取りください", "Please take your certificate")}, "", func(struct{}) { *calls++ }, true)
			return v
		}},
		{"finish, the card followed and in", func(calls *int) boundView {
			v := newFinish("")
			v.openCard(words{Title: T("完了", "Done")}, "", func(struct{}) { *calls++ }, false)
			return v
		}},
		{"picker, the presets", func(calls *int) boundView {
			v := newPicker(dir, open)
			v.open(T("本籍地", "registered domicile"), protocol.DocKosekiZenbu, []muniChoice{{"362018", T("本籍地", "Domicile")}, {"141003", T("住所地", "Residence")}},
				func(string) { *calls++ }, count(calls))
			return v
		}},
		{"picker, a prefecture's second page", func(calls *int) boundView {
			v := newPicker(dir, open)
			v.open(T("住所地", "residence"), protocol.DocJuminhyo, nil, func(string) { *calls++ }, count(calls))
			v.pref, v.sel = "13", v.page()+1
			return v
		}},
		{"picker, a search", func(calls *int) boundView {
			v := newPicker(dir, open)
			v.open(T("住所地", "residence"), protocol.DocJuminhyo, nil, func(string) { *calls++ }, count(calls))
			v.query, v.sel = []rune("to"), 1
			return v
		}},
		{"options, the residence fixed", func(calls *int) boundView {
			v := newOptions(nil, open, label)
			info, _ := protocol.LookupDoc(protocol.DocJuminhyo)
			v.open(info, muniSlot{role: T("住所地", "residence"), fixed: "141003"}, func(string, protocol.DocSpec) { *calls++ }, count(calls), count(calls))
			return v
		}},
		{"options, one row", func(calls *int) boundView {
			v := newOptions(nil, open, label)
			info, _ := protocol.LookupDoc(protocol.DocInkan)
			v.open(info, muniSlot{role: T("住所地", "residence"), fixed: "141003"}, func(string, protocol.DocSpec) { *calls++ }, count(calls), count(calls))
			return v
		}},
		{"options, the domicile not chosen", func(calls *int) boundView {
			v := newOptions(nil, open, label)
			info, _ := protocol.LookupDoc(protocol.DocKosekiFuhyo)
			v.open(info, muniSlot{role: T("本籍地", "registered domicile")}, func(string, protocol.DocSpec) { *calls++ }, count(calls), count(calls))
			return v
		}},
		{"options, asking for the domicile", func(calls *int) boundView {
			v := newOptions(nil, open, label)
			info, _ := protocol.LookupDoc(protocol.DocKosekiFuhyo)
			v.open(info, muniSlot{role: T("本籍地", "registered domicile")}, func(string, protocol.DocSpec) { *calls++ }, count(calls), count(calls))
			v.handle(key{uikit.K(uikit.Enter)}) // on row 1, not the municipality: the screen asks for it
			if v.msg.Empty() {
				panic("the options screen did not ask for the municipality")
			}
			return v
		}},
		{"options, the domicile chosen", func(calls *int) boundView {
			v := newOptions(nil, open, label)
			info, _ := protocol.LookupDoc(protocol.DocKosekiFuhyo)
			v.open(info, muniSlot{role: T("本籍地", "registered domicile")}, func(string, protocol.DocSpec) { *calls++ }, count(calls), count(calls))
			v.chose("362018")
			return v
		}},
		{"progress, printing", func(*int) boundView {
			v := newProgress()
			v.show(terminal.Progress{State: terminal.StatePrint, Page: 2, Pages: 3})
			return v
		}},
		{"progress, printing stopped", func(*int) boundView {
			v := newProgress()
			v.show(terminal.Progress{State: terminal.StatePrint, Page: 1, Pages: 3, Stopped: "print-paper-out"})
			return v
		}},
		{"progress, between screens", func(*int) boundView {
			v := newProgress()
			v.pause()
			return v
		}},
	}
	l := Locale{Lang: English}
	look := func(v boundView) string {
		v.render(l)
		return v.primitive().(*tview.TextView).GetText(false) + fmt.Sprint(v.hints(l))
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			var calls int
			v := st.make(&calls)
			if got, want := fmt.Sprint(v.hints(l)), fmt.Sprint(hintsOf(v.bindings())); got != want {
				t.Errorf("keymap %s, table %s", got, want)
			}
			for _, b := range v.bindings() {
				if len(b.Keys) == 0 || b.Act == nil || (b.Keymap && (b.Label == "" || b.Does.Empty())) {
					t.Errorf("incomplete binding %+v", b)
				}
			}
			for _, k := range probeKeys() {
				calls = 0
				v := st.make(&calls)
				_, bound := uikit.Lookup(k.Key, v.bindings())
				before := look(v)
				calls = 0
				v.handle(k)
				acted := calls > 0 || look(v) != before
				switch {
				case bound && !acted:
					t.Errorf("key %+v is in the table and did nothing", k)
				case !bound && acted:
					t.Errorf("key %+v is not in the table and acted", k)
				}
			}
		})
	}
}

// TestCardKeyTable: the card key places the card where the screen
// allows, pulls it wherever it is, and the keymap says which; on the
// out-of-service screen with no card it is not offered and does nothing.
func TestCardKeyTable(t *testing.T) {
	present, toggles := false, 0
	ck := &CardKey{Key: 'C', Present: func() bool { return present }, Toggle: func() { present = !present; toggles++ }}
	for _, tc := range []struct {
		present, outOfService bool
		want                  string // the keymap entry; "" none
	}{
		{false, false, "Place card"}, {true, false, "Pull card"}, {true, true, "Pull card"}, {false, true, ""},
	} {
		present, toggles = tc.present, 0
		bs := ck.bindings(tc.outOfService)
		hs := hintsOf(bs)
		got := ""
		if len(hs) > 0 {
			got = hs[0].Keys + " " + hs[0].Does.In(Locale{Lang: English})
		}
		if want := map[bool]string{true: "C " + tc.want, false: ""}[tc.want != ""]; got != want {
			t.Errorf("%+v: keymap %q, want %q", tc, got, want)
		}
		dispatch(key{uikit.R('C')}, bs)
		if wantToggles := map[bool]int{true: 1, false: 0}[tc.want != ""]; toggles != wantToggles {
			t.Errorf("%+v: %d toggles", tc, toggles)
		}
	}
	if bs := (*CardKey)(nil).bindings(false); bs != nil {
		t.Errorf("no card key: %+v", bs)
	}
}
