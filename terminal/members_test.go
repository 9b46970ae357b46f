package terminal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
	"kofu/terminal"
)

// ---- 世帯の一部: household members chosen individually (issue 17) ----

// keepSink is a printer that keeps a copy of every bitmap it is given.
type keepSink struct {
	mu    sync.Mutex
	pages []*pages.Bitmap
	calls int
}

func (s *keepSink) ID() protocol.PrinterID { return protocol.PrinterID{MFG: "t", MDL: "keep", SN: "1"} }
func (s *keepSink) Print(ctx context.Context, _ []byte, vp []*protocol.VerifiedPage) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	for _, p := range vp {
		s.pages = append(s.pages, p.Bitmap())
	}
	return len(vp), ctx.Err()
}

// membersOrder is res's 住民票 of household members chosen individually.
func membersOrder(res *fixtures.Resident) terminal.Order {
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	doc.Opts["scope"] = protocol.ScopeMembers
	return terminal.Order{Muni: res.Muni, Doc: doc}
}

// apduCard is res's emulated card opened through the real card reader
// code: the key it unlocks signs once unless asked to keep the card.
func apduCard(t *testing.T, fx *fixtures.Set, res *fixtures.Resident) (*cardreader.Card, *emucard.Card) {
	t.Helper()
	ec, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cardreader.Open(context.Background(), ec.Dialer("kofu test reader"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ec
}

// TestWholeSessionHouseholdMembers: G0002 (a generation-2 card, ES384, in
// a household of three) asks for 世帯の一部 and chooses two of the three
// members. One PIN; the card signs the household query and then the
// request in the same PIN-verified session and is logged out after; the
// panel was shown the household as the register has it; the journal
// holds the members state and no name. What came out of the printer is,
// bit for bit, the page the center rendered from rows that name exactly
// the two members chosen — and not the page of all three.
func TestWholeSessionHouseholdMembers(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("G0002")
	if len(res.Household) != 3 {
		t.Fatalf("G0002's household has %d members, the test wants 3", len(res.Household))
	}
	card, ec := apduCard(t, w.fx, res)
	var shown []terminal.Member
	panel := &scripted{order: membersOrder(res), pins: []string{res.PIN},
		membersFn: func(ctx context.Context, list []terminal.Member) ([]int, error) {
			shown = slices.Clone(list)
			if _, verified := ec.PINState(); !verified {
				t.Error("the card is not PIN-verified while the resident chooses")
			}
			return []int{0, 2}, nil
		}}
	s := &keepSink{}
	r, ledger, recs := w.serve(t, context.Background(), card, panel, s, terminal.Timeouts{})
	if r.Outcome != protocol.ResultPrinted || r.Payment != "captured" || ledger.Cashbox != r.Fee {
		t.Fatalf("got %s/%s, payment %s, cash box %d of %d", r.Outcome, r.Reason, r.Payment, ledger.Cashbox, r.Fee)
	}
	if _, verified := ec.PINState(); verified {
		t.Error("the card is still PIN-verified after the session")
	}
	if len(panel.tries) != 1 {
		t.Errorf("the PIN was asked %d times", len(panel.tries))
	}
	want := []string{"card", "choose", "pin", "members", "submit", "fee", "fetch", "print", "settle", "printed"}
	if got := states(recs); !slices.Equal(got, want) {
		t.Errorf("states %v, want %v", got, want)
	}
	for i, m := range res.Household {
		if i >= len(shown) || shown[i].Name != m.Name || shown[i].Relation != m.Relation || shown[i].Self != (i == 0) {
			t.Fatalf("the panel was shown %+v, the household is %+v", shown, res.Household)
		}
	}
	raw, err := os.ReadFile(filepath.Join(w.dir, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Household {
		for _, part := range strings.Fields(m.Name) {
			if bytes.Contains(raw, []byte(part)) {
				t.Errorf("the journal holds %q", part)
			}
		}
	}

	// What the center rendered names exactly the two chosen.
	tid, err := protocol.B64Decode(r.TID)
	if err != nil {
		t.Fatal(err)
	}
	specs, ok := w.env.Center.Center.Rendered(tid)
	if !ok || len(specs) != len(s.pages) || len(specs) == 0 {
		t.Fatalf("%d specs rendered (%v), %d pages printed", len(specs), ok, len(s.pages))
	}
	var named []string
	for _, sp := range specs {
		for _, row := range sp.Rows {
			if row.Label == "氏名" {
				name, _, _ := strings.Cut(row.Value, "（")
				named = append(named, name)
			}
		}
	}
	if chosen := []string{res.Household[0].Name, res.Household[2].Name}; !slices.Equal(named, chosen) {
		t.Fatalf("the document names %v, the resident chose %v", named, chosen)
	}

	// What was printed is those pages, bit for bit.
	ttf, err := w.fx.FontTTF()
	if err != nil {
		t.Fatal(err)
	}
	rr, err := pages.NewRenderer(ttf)
	if err != nil {
		t.Fatal(err)
	}
	for i, sp := range specs {
		img, err := rr.Render(sp)
		if err != nil {
			t.Fatal(err)
		}
		if !pages.Binarize(img).Equal(s.pages[i]) {
			t.Errorf("printed page %d is not the page naming the two chosen", i+1)
		}
	}
	// The check tells the difference: the page of all three is another.
	all := specs[0]
	all.Rows = slices.Clone(all.Rows)
	for j, row := range all.Rows {
		if row.Label == "氏名" && strings.HasPrefix(row.Value, res.Household[2].Name) {
			m := res.Household[1]
			extra := []pages.Row{{Label: "氏名", Value: m.Name + "（" + m.Kana + "）"}, all.Rows[j+1]}
			all.Rows = slices.Insert(all.Rows, j, extra...)
			break
		}
	}
	img, err := rr.Render(all)
	if err != nil {
		t.Fatal(err)
	}
	if pages.Binarize(img).Equal(s.pages[0]) {
		t.Error("the page of all three compares equal to the page printed")
	}
}

// TestMembersSessionEdges: every way a 世帯の一部 session can end before
// the request, and a center that renders the wrong members: the reason,
// the states, the money, the card logged out, nothing printed.
func TestMembersSessionEdges(t *testing.T) {
	res := func(w *world) *fixtures.Resident { r, _ := w.fx.Resident("R0001"); return r }
	cases := []struct {
		name    string
		faults  []center.Fault
		members func(ctx context.Context, list []terminal.Member) ([]int, error)
		tm      terminal.Timeouts
		removal bool // the card leaves the reader at the members question
		outcome protocol.Result
		reason  string
		states  []string
		asked   bool // the panel was shown the list
		payment string
	}{
		{name: "backs out", members: func(context.Context, []terminal.Member) ([]int, error) { return nil, terminal.ErrCancelled },
			outcome: protocol.ResultCancelled, reason: "members-cancelled", asked: true, payment: "none",
			states: []string{"card", "choose", "pin", "members", "cancelled"}},
		{name: "walks away", tm: terminal.Timeouts{Members: 150 * time.Millisecond},
			members: func(ctx context.Context, _ []terminal.Member) ([]int, error) { <-ctx.Done(); return nil, ctx.Err() },
			outcome: protocol.ResultCancelled, reason: "members-timeout", asked: true, payment: "none",
			states: []string{"card", "choose", "pin", "members", "cancelled"}},
		{name: "takes the card", removal: true,
			outcome: protocol.ResultCancelled, reason: "card-removed", asked: true, payment: "none",
			states: []string{"card", "choose", "pin", "members", "cancelled"}},
		{name: "a panel that chooses nobody", members: func(context.Context, []terminal.Member) ([]int, error) { return nil, nil },
			outcome: protocol.ResultFailed, reason: "members-error", asked: true, payment: "none",
			states: []string{"card", "choose", "pin", "members", "failed"}},
		{name: "another household's list", faults: []center.Fault{{Name: center.FaultHouseholdWrongRecord}},
			outcome: protocol.ResultRefused, reason: "household-subject", asked: false, payment: "none",
			states: []string{"card", "choose", "pin", "members", "refused"}},
		{name: "another query's list", faults: []center.Fault{{Name: center.FaultHouseholdOtherList}},
			outcome: protocol.ResultRefused, reason: "household-qid", asked: false, payment: "none",
			states: []string{"card", "choose", "pin", "members", "refused"}},
		{name: "a member not chosen rendered", faults: []center.Fault{{Name: center.FaultMemberExtra}},
			members: func(context.Context, []terminal.Member) ([]int, error) { return []int{0, 2}, nil },
			outcome: protocol.ResultRefused, reason: "envelope-members", asked: true, payment: "released",
			states: []string{"card", "choose", "pin", "members", "submit", "fee", "fetch", "refused"}},
		{name: "a member chosen dropped", faults: []center.Fault{{Name: center.FaultMemberDropped}},
			members: func(context.Context, []terminal.Member) ([]int, error) { return []int{1, 3}, nil },
			outcome: protocol.ResultRefused, reason: "envelope-members", asked: true, payment: "released",
			states: []string{"card", "choose", "pin", "members", "submit", "fee", "fetch", "refused"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, emulator.Options{Faults: tc.faults})
			r0 := res(w)
			card, ec := apduCard(t, w.fx, r0)
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			asked := false
			panel := &scripted{order: membersOrder(r0), pins: []string{r0.PIN},
				membersFn: func(c context.Context, list []terminal.Member) ([]int, error) {
					asked = true
					if tc.removal {
						cancel(terminal.ErrCardRemoved)
						<-c.Done()
						return nil, c.Err()
					}
					return tc.members(c, list)
				}}
			s := &keepSink{}
			r, ledger, recs := w.serve(t, ctx, card, panel, s, tc.tm)
			if r.Outcome != tc.outcome || string(r.Reason) != tc.reason || r.Payment != tc.payment {
				t.Fatalf("got %s/%s payment %s, want %s/%s %s", r.Outcome, r.Reason, r.Payment, tc.outcome, tc.reason, tc.payment)
			}
			if got := states(recs); !slices.Equal(got, tc.states) {
				t.Errorf("states %v, want %v", got, tc.states)
			}
			if asked != tc.asked {
				t.Errorf("the panel was asked: %v, want %v", asked, tc.asked)
			}
			if s.calls != 0 || ledger.Cashbox != 0 || ledger.OpenHolds != 0 {
				t.Errorf("printed %d times, cash box %d, holds %d", s.calls, ledger.Cashbox, ledger.OpenHolds)
			}
			if _, verified := ec.PINState(); verified {
				t.Error("the card is still PIN-verified after the session")
			}
			if tc.reason == "envelope-members" {
				inj := w.env.Center.Center.Injections()
				if len(inj) != 1 || inj[0].Fault != tc.faults[0].Name || !inj[0].Delivered {
					t.Errorf("the fault was not served: %+v", inj)
				}
			}
		})
	}
}

// TestOrdersWithoutMembersUnchanged: a session that does not ask for
// 世帯の一部 never enters the members state nor asks the panel, and its
// request names no members.
func TestOrdersWithoutMembersUnchanged(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	for _, scope := range []string{"self", "household"} {
		doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
		doc.Opts["scope"] = scope
		panel := &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN},
			membersFn: func(context.Context, []terminal.Member) ([]int, error) {
				return nil, errors.New("asked for members")
			}}
		r, _, recs := w.serve(t, context.Background(), emulator.NewSoftCard(res), panel, &keepSink{}, terminal.Timeouts{})
		if r.Outcome != protocol.ResultPrinted || len(panel.members) != 0 || slices.Contains(states(recs), "members") {
			t.Errorf("scope %s: %s/%s, members asked %d times, states %v", scope, r.Outcome, r.Reason, len(panel.members), states(recs))
		}
	}
}
