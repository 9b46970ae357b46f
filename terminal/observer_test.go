package terminal_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// recorder is an Observer that keeps what it was told.
type recorder struct {
	moves []string
	ends  []terminal.Result
	last  terminal.State
}

func (r *recorder) Transition(_ string, from, to terminal.State, spent time.Duration) {
	if spent < 0 {
		r.moves = append(r.moves, "negative")
	}
	r.moves = append(r.moves, string(from)+">"+string(to))
}

func (r *recorder) End(_ string, last terminal.State, _ time.Duration, res terminal.Result) {
	r.last, r.ends = last, append(r.ends, res)
}

// TestObserversAndAdmit: observers see every transition, in order, and
// the end; Admit refusing print (the machine stopping) ends the session
// cancelled with reason shutdown before a byte is printed, the fee
// released.
func TestObserversAndAdmit(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	order := terminal.Order{Muni: res.Muni, Doc: doc}
	for _, tc := range []struct {
		name    string
		admit   func(terminal.State) error
		moves   []string
		last    terminal.State
		outcome protocol.Result
		reason  string
		payment string
		printed bool
	}{
		{"printed", nil, []string{"idle>card", "card>choose", "choose>pin", "pin>submit", "submit>fee", "fee>fetch", "fetch>print", "print>settle"},
			terminal.StateSettle, protocol.ResultPrinted, "", "captured", true},
		{"stopping before print", func(st terminal.State) error {
			if st == terminal.StatePrint {
				return terminal.ErrShutdown
			}
			return nil
		}, []string{"idle>card", "card>choose", "choose>pin", "pin>submit", "submit>fee", "fee>fetch"},
			terminal.StateFetch, protocol.ResultCancelled, "shutdown", "released", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			printed := false
			s := &sink{confirm: -1, onPrint: func() { printed = true }}
			r, recs := serveWith(t, w, emulator.NewSoftCard(res), &scripted{order: order, pins: []string{res.PIN}}, s,
				func(k *terminal.Kiosk) {
					k.Observers = []terminal.Observer{rec}
					k.Admit = tc.admit
				})
			if !slices.Equal(rec.moves, tc.moves) || len(rec.ends) != 1 || rec.last != tc.last {
				t.Fatalf("moves %v, ends %d, last %s", rec.moves, len(rec.ends), rec.last)
			}
			if r.Outcome != tc.outcome || string(r.Reason) != tc.reason || r.Payment != tc.payment || printed != tc.printed ||
				rec.ends[0].Outcome != r.Outcome {
				t.Fatalf("result %+v, printed %v", r, printed)
			}
			if got := states(recs); got[len(got)-1] != string(outcomeState(tc.outcome)) {
				t.Fatalf("journal %v", got)
			}
		})
	}
}

// serveWith runs one session on a kiosk that edit adjusts and returns the
// result and the session's journal records.
func serveWith(t *testing.T, w *world, card terminal.Card, panel *scripted, s terminal.Sink, edit func(*terminal.Kiosk)) (terminal.Result, []journal.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal")
	j, _, err := journal.Open(path, bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	coins := payment.NewCoins()
	panel.coins = coins
	k := w.env.Kiosk(s, coins, j)
	edit(k)
	r := k.Serve(context.Background(), card, panel)
	j.Close()
	var recs []journal.Record
	journal.Each(path, func(rec journal.Record) error {
		if rec.Session == r.Session {
			recs = append(recs, rec)
		}
		return nil
	})
	return r, recs
}
