package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/payment"
	"kofu/terminal/uikit"
)

// household is R0001's household as the center lists it.
func household() []terminal.Member {
	return []terminal.Member{
		{Name: "山田 太郎", Relation: "世帯主", Self: true},
		{Name: "山田 花子", Relation: "妻"},
		{Name: "山田 翔太", Relation: "子"},
		{Name: "山田 さくら", Relation: "子"},
	}
}

type membersResult struct {
	picked []int
	err    error
}

// askMembers opens the members question on h and returns its answer's
// channel.
func askMembers(h *harness, ctx context.Context, list []terminal.Member) chan membersResult {
	got := make(chan membersResult, 1)
	go func() {
		p, err := h.c.Members(ctx, list)
		got <- membersResult{p, err}
	}()
	return got
}

// TestMembersScreen: the members screen lists the household with a box
// each and the holder marked; the keymap is what the keys do — a digit
// ticks its row (again: unticks), ↑↓ move, → ticks the selected row,
// Enter goes on only once someone is ticked, one Esc asks and a second
// cancels.
func TestMembersScreen(t *testing.T) {
	h := newHarness(t, Options{})
	got := askMembers(h, context.Background(), household())
	s := h.waitFor("住民票に記載する方を選んでください。", "1 [ ] 山田 太郎 世帯主（ご本人）", "2 [ ] 山田 花子 妻",
		"4 [ ] 山田 さくら 子", "0人を選んでいます。", "<1-4> 選ぶ・外す", "<↑↓> 移動", "<Enter> 次へ", "<Esc> 中止")
	absent(t, s, "[●]")

	h.press(tcell.KeyEnter)
	h.waitFor("記載する方を1人以上選んでください。")
	h.press('1', '3')
	h.waitFor("1 [●] 山田 太郎", "2 [ ] 山田 花子", "3 [●] 山田 翔太", "2人を選んでいます。")
	h.press('3') // again: unticked
	h.waitFor("3 [ ] 山田 翔太", "1人を選んでいます。")
	h.press(tcell.KeyDown, tcell.KeyRight) // the selection moves from 3 to 4; → ticks it
	h.waitFor("4 [●] 山田 さくら", "2人を選んでいます。")
	h.press('9') // no ninth member: nothing
	h.waitFor("2人を選んでいます。")
	select {
	case r := <-got:
		t.Fatalf("answered %v before Enter", r)
	default:
	}
	h.press(tcell.KeyEnter)
	r := <-got
	if r.err != nil || !slices.Equal(r.picked, []int{0, 3}) {
		t.Fatalf("got %v %v, want [0 3]", r.picked, r.err)
	}
	// The summary before paying names them; the view forgot them.
	h.loop(func() {
		if h.c.members.list != nil || h.c.members.answer != nil {
			t.Error("the view still holds the list")
		}
		i := slices.IndexFunc(h.c.order, func(r summaryRow) bool { return r.label.JA == "記載する方" })
		if i < 0 || h.c.order[i].value.In(h.c.lang) != "山田 太郎、山田 さくら" {
			t.Errorf("summary %v", h.c.order)
		}
	})

	// Esc asks, another key withdraws the question, Esc Esc cancels.
	got = askMembers(h, context.Background(), household())
	h.waitFor("0人を選んでいます。")
	h.press(tcell.KeyEscape)
	h.waitFor("手続きを中止しますか", "<Esc> 中止する", "<Enter> 続ける")
	h.press('2')
	s = h.waitFor("2 [ ] 山田 花子", "<1-4> 選ぶ・外す")
	absent(t, s, "手続きを中止しますか")
	h.press(tcell.KeyEscape, tcell.KeyEscape)
	if r := <-got; !errors.Is(r.err, terminal.ErrCancelled) || r.picked != nil {
		t.Fatalf("Esc Esc: %v %v", r.picked, r.err)
	}

	// The question ends with its context: nothing is answered.
	ctx, cancel := context.WithCancel(context.Background())
	got = askMembers(h, ctx, household())
	h.waitFor("0人を選んでいます。")
	h.press('1')
	cancel()
	if r := <-got; !errors.Is(r.err, context.Canceled) || r.picked != nil {
		t.Fatalf("after ctx ended: %v %v", r.picked, r.err)
	}
}

// TestMembersKeyTable: every key the members screen binds acts on it,
// and every other key leaves it as it was: the keymap is the dispatch.
func TestMembersKeyTable(t *testing.T) {
	var probes []key
	for _, kind := range []uikit.Kind{uikit.Up, uikit.Down, uikit.Left, uikit.Right, uikit.PgUp, uikit.PgDn, uikit.Home,
		uikit.End, uikit.Tab, uikit.Enter, uikit.Esc, uikit.Backspace, uikit.CtrlC} {
		probes = append(probes, key{uikit.K(kind)})
	}
	for r := '0'; r <= '9'; r++ {
		probes = append(probes, key{uikit.R(r)})
	}
	for _, r := range "ACLQX" {
		probes = append(probes, key{uikit.R(r)})
	}
	for _, asking := range []bool{false, true} {
		for _, k := range probes {
			answers := 0
			v := newMembers()
			v.open(household(), func(membersAnswer) { answers++ })
			v.checked[1] = true // Enter has something to answer
			v.guard.asking = asking
			_, bound := uikit.Lookup(k.Key, v.bindings())
			before := fmt.Sprint(v.checked, v.sel, v.guard.asking)
			v.handle(k)
			acted := answers > 0 || fmt.Sprint(v.checked, v.sel, v.guard.asking) != before
			if bound != acted {
				t.Errorf("asking %v, key %+v: bound %v, acted %v", asking, k, bound, acted)
			}
		}
	}
	// What the keymap shows comes from the same table.
	v := newMembers()
	v.open(household(), func(membersAnswer) {})
	var labels []string
	for _, h := range v.hints(Locale{}) {
		labels = append(labels, h.Keys)
	}
	if !slices.Equal(labels, []string{"1-4", "↑↓", "Enter", "Esc"}) {
		t.Errorf("keymap %v", labels)
	}
}

// TestMembersPages: a household larger than nine is shown nine to a
// page; ↑↓ turn pages with the selection, and a digit ticks its row of
// the page shown.
func TestMembersPages(t *testing.T) {
	var big []terminal.Member
	for i := range 12 {
		big = append(big, terminal.Member{Name: fmt.Sprintf("鈴木 %02d", i+1), Relation: "子", Self: i == 0})
	}
	h := newHarness(t, Options{})
	got := askMembers(h, context.Background(), big)
	s := h.waitFor("1 / 2 ページ", "9 [ ] 鈴木 09", "<1-9> 選ぶ・外す")
	absent(t, s, "鈴木 10")
	h.press(tcell.KeyUp) // round the end: the last member, on page 2
	s = h.waitFor("2 / 2 ページ", "1 [ ] 鈴木 10", "3 [ ] 鈴木 12", "<1-3> 選ぶ・外す")
	absent(t, s, "鈴木 09")
	h.press('2', tcell.KeyEnter)
	if r := <-got; r.err != nil || !slices.Equal(r.picked, []int{10}) {
		t.Fatalf("got %v %v, want [10]", r.picked, r.err)
	}
}

// TestMembersScreenLanguages: at 80×24 the members screen shows the whole
// household and its keys in each language; the holder is marked in the
// reader's words, and the usual relationships too.
func TestMembersScreenLanguages(t *testing.T) {
	marks := map[Lang]string{Japanese: "世帯主（ご本人）", English: "Head of household (you)", Chinese: "户主（本人）",
		Korean: "세대주(본인)", Portuguese: "Chefe do domicílio (você)", Vietnamese: "Chủ hộ (bản thân)"}
	for _, l := range AllLangs() {
		t.Run(l.String(), func(t *testing.T) {
			h := newHarnessAt(t, Options{Lang: l}, 80, 24)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			askMembers(h, ctx, household())
			want := []string{marks[l], "山田 さくら", "<Enter>", "<Esc>", "<1-4>"}
			s := h.waitFor(want...)
			if l != Japanese {
				absent(t, s, "住民票に記載する方を選んでください")
			}
		})
	}
}

// TestMembersPaySummary: the payment screen's summary names the members
// chosen; the end of the session wipes them.
func TestMembersPaySummary(t *testing.T) {
	h := newHarness(t, Options{Coins: payment.NewCoins()})
	got := askMembers(h, context.Background(), household())
	h.waitFor("0人を選んでいます。")
	h.press('2', '4', tcell.KeyEnter)
	if r := <-got; r.err != nil {
		t.Fatal(r.err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = h.c.Pay(ctx, 300) }()
	h.waitFor("記載する方", "山田 花子、山田 さくら", "手数料300円")
	cancel()
	// The payment question abandoned, then the session's end.
	h.waitFor("お待ちください…")
	h.c.update(context.Background(), h.c.wipe, true)
	s := h.waitFor("カード置き場に置いてください")
	if strings.Contains(s, "山田") {
		t.Errorf("a name on the welcome screen:\n%s", s)
	}
	h.loop(func() {
		if len(h.c.order) != 0 || h.c.members.list != nil {
			t.Error("the names outlived the session")
		}
	})
}

// TestMembersSummaryPlace: the members' row follows the document's
// details in the summary.
func TestMembersSummaryPlace(t *testing.T) {
	rows := []summaryRow{{T("証明書", "Certificate"), T("住民票の写し", "")}, {T("内容", "Details"), T("記載範囲", "")},
		{T("部数", "Copies"), T("1通", "")}}
	got := withChosen(rows, chosenRow(household(), []int{1, 2}))
	var labels []string
	for _, r := range got {
		labels = append(labels, r.label.JA)
	}
	if !slices.Equal(labels, []string{"証明書", "内容", "記載する方", "部数"}) || len(rows) != 3 {
		t.Errorf("summary rows %v", labels)
	}
	if v := got[2].value.In(Locale{}); v != "山田 花子、山田 翔太" {
		t.Errorf("members row %q", v)
	}
}

// TestOptionsSayMembersAfterPIN: with 世帯の一部 chosen as the scope of
// a 住民票 (or its 記載事項証明書), the options screen says the members
// are chosen after the PIN, in the resident's language; with any other
// scope it says nothing of it. At 60×20 it is on screen too.
func TestOptionsSayMembersAfterPIN(t *testing.T) {
	note := T("世帯の一部：暗証番号の入力後に、記載する方を選びます。",
		"Household members: you choose who is listed after entering your PIN.")
	usual, short := screenSize{100, 32}, screenSize{60, 20}
	cases := []struct {
		name  string
		size  screenSize
		keys  []any  // on the document list: the document, then row 1 (the scope) cycled
		scope string // the scope then on screen
		lang  rune   // the L key's digit; 0: Japanese
	}{
		{name: "only me", size: usual, keys: []any{'1'}, scope: "self"},
		{name: "whole household", size: usual, keys: []any{'1', '1'}, scope: "household"},
		{name: "some members", size: usual, keys: []any{'1', '1', '1'}, scope: protocol.ScopeMembers},
		{name: "some members, then only me", size: usual, keys: []any{'1', '1', '1', '1'}, scope: "self"},
		{name: "resident record items: some members", size: usual, keys: []any{'2', '1', '1'}, scope: protocol.ScopeMembers},
		{name: "some members in English", size: usual, keys: []any{'1', '1', '1'}, scope: protocol.ScopeMembers, lang: '2'},
		{name: "some members in Vietnamese at 60×20", size: short, keys: []any{'1', '1', '1'}, scope: protocol.ScopeMembers, lang: '6'},
	}
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessAt(t, Options{}, tc.size.w, tc.size.h)
			go h.c.Choose(t.Context())
			h.waitFor("取得する証明書を選んでください")
			l := cats.locale(Japanese)
			if tc.lang != 0 {
				h.press('L', tc.lang)
				l = cats.locale(AllLangs()[tc.lang-'1'])
			}
			h.press(tc.keys...)
			s := h.waitFor("◀ " + valueLabel("scope", tc.scope).In(l) + " ▶")
			if tc.scope == protocol.ScopeMembers {
				s = h.waitFor(note.In(l))
			} else {
				absent(t, h.settled(), note.In(l))
			}
			if cut := h.cut(); cut != "" {
				t.Errorf("%s:\n%s", cut, s)
			}
		})
	}
}

// bigHousehold is a household of n, the card's holder first.
func bigHousehold(n int) []terminal.Member {
	list := []terminal.Member{{Name: "森 正和", Relation: "世帯主", Self: true}}
	for i := 1; i < n; i++ {
		list = append(list, terminal.Member{Name: fmt.Sprintf("森 %s", []string{"春子", "一郎", "二郎", "三郎", "四郎", "五郎", "花", "梅", "桜", "菊", "蘭"}[i-1]), Relation: "子"})
	}
	return list
}

// TestMembersScreenFits: a full page of members (9), with a member
// ticked and the cancel question open, shows every row of the page and
// the question whole at every size and in every language.
func TestMembersScreenFits(t *testing.T) {
	list := bigHousehold(12)
	var names []string
	for _, m := range list {
		names = append(names, m.Name)
	}
	for _, esc := range []bool{false, true} {
		keys := []any{'1', '9'}
		want := []Text{Tf("%d人を選んでいます。", "%d chosen.", 2)}
		if esc {
			keys = append(keys, tcell.KeyEscape)
			want = []Text{new(cancelGuard).question(Text{})}
		}
		t.Run(fmt.Sprintf("esc=%v", esc), func(t *testing.T) {
			inEverySize(t, languageScreen{
				name:  "members: a full page",
				open:  func(ctx context.Context, h *harness) { go func() { _, _ = h.c.Members(ctx, list) }() },
				ready: T("住民票に記載する方を選んでください。", "Choose who is listed on the certificate."),
				keys:  keys,
				names: names,
				want:  want,
				also: func(l Locale) []string {
					return []string{"1  [●]  森 正和", "9  [●]  " + list[8].Name}
				},
			})
		})
	}
}

// TestMembersShortPages: on a screen too short for nine rows the pages
// hold fewer, and the digit keys follow the page as drawn: on the second
// page, 1 ticks the first member of that page.
func TestMembersShortPages(t *testing.T) {
	h := newHarnessAt(t, Options{}, 60, 15)
	list := bigHousehold(12)
	got := askMembers(h, context.Background(), list)
	s := h.waitFor("1 / 2", "<1-7>", "<↑↓> 移動・ページ送り", "7  [ ]  "+list[6].Name)
	absent(t, s, list[7].Name)
	for range 7 {
		h.press(tcell.KeyDown)
	}
	h.waitFor("2 / 2", "1  [ ]  "+list[7].Name, "<1-5>")
	h.press('1', tcell.KeyEnter)
	if r := <-got; r.err != nil || !slices.Equal(r.picked, []int{7}) {
		t.Fatalf("got %v %v, want [7]", r.picked, r.err)
	}
}
