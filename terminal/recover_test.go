package terminal_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// TestRecoverHolds: holds a killed run left open in the persisted coin
// unit are resolved at the next start by the journal's outcome for their
// session — captured only for printed; released for an unknown (recovered)
// session, any other end, and a hold the journal does not know — and each
// resolution is journaled; a second start finds nothing left to do.
func TestRecoverHolds(t *testing.T) {
	ctx := context.Background()
	now := testclock.Now(t)
	dir := t.TempDir()
	path, coinsPath := filepath.Join(dir, "journal"), filepath.Join(dir, "coins.json")
	key := []byte("0123456789abcdef0123456789abcdef")

	// The killed run: four sessions, each with a hold journaled and taken.
	j, _, err := journal.Open(path, key, now)
	if err != nil {
		t.Fatal(err)
	}
	coins, err := payment.OpenCoins(coinsPath)
	if err != nil {
		t.Fatal(err)
	}
	type sess struct {
		sid, hold, end string // end "" : killed before its end
		journaled      bool
		want           string // captured or released
	}
	cases := []sess{
		{"sprinted", "hprinted", "printed", true, "captured"},
		{"skilled", "hkilled", "", true, "released"},
		{"sfailed", "hfailed", "unknown", true, "released"},
		{"sorphan", "horphan", "", false, "released"},
	}
	for _, c := range cases {
		if err := coins.Insert(500); err != nil {
			t.Fatal(err)
		}
		if err := j.Append(journal.Record{Kind: journal.KindState, Session: c.sid, State: "fee"}); err != nil {
			t.Fatal(err)
		}
		if c.journaled {
			if err := j.Append(journal.Record{Kind: journal.KindHold, Session: c.sid, TID: "t" + c.sid, Fee: 500, Note: c.hold}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := coins.Hold(ctx, c.hold, "t"+c.sid, 500); err != nil {
			t.Fatal(err)
		}
		if c.end != "" {
			if err := j.Append(journal.Record{Kind: journal.KindEnd, Session: c.sid, State: c.end}); err != nil {
				t.Fatal(err)
			}
		}
	}
	j.Close()
	coins = nil // killed

	// The restart.
	j, _, err = journal.Open(path, key, now)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	unit, err := payment.OpenCoins(coinsPath)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := terminal.RecoverHolds(ctx, path, j, unit)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, h := range rec.Captured {
		got[h.ID] = "captured"
	}
	for _, h := range rec.Released {
		got[h.ID] = "released"
	}
	settled := map[string]string{}
	if err := journal.Each(path, func(r journal.Record) error {
		if r.Kind == journal.KindSettled && r.Reason == "recovered-at-start" {
			settled[r.Note] = r.Billing
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if got[c.hold] != c.want || settled[c.hold] != c.want {
			t.Errorf("hold %s (session end %q): resolved %q, journaled %q, want %q", c.hold, c.end, got[c.hold], settled[c.hold], c.want)
		}
	}
	l, err := payment.ReadCoinsFile(coinsPath)
	if err != nil {
		t.Fatal(err)
	}
	if l.OpenHolds != 0 || l.Cashbox != 500 || l.Inserted != 2000 || l.Cashbox+l.Returned+l.Credit+l.Held != l.Inserted {
		t.Fatalf("coin unit after recovery %+v", l)
	}
	again, err := terminal.RecoverHolds(ctx, path, j, unit)
	if err != nil || len(again.Captured)+len(again.Released) != 0 {
		t.Fatalf("second recovery %+v %v: want nothing left", again, err)
	}
}

// TestHoldJournaled: a session journals its hold (id, ticket, fee) before
// the payment unit takes it — after its fee state, before fetch — and the
// settlement after (captured for printed, released otherwise), naming the
// same hold.
func TestHoldJournaled(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	order := terminal.Order{Muni: res.Muni, Doc: doc}
	cases := []struct {
		name    string
		sink    *sink
		billing string
	}{
		{"printed", &sink{confirm: -1}, "captured"},
		{"unknown", &sink{confirm: 0, err: errors.New("paper out")}, "released"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _, recs := w.serve(t, context.Background(), emulator.NewSoftCard(res),
				&scripted{order: order, pins: []string{res.PIN}}, c.sink, terminal.Timeouts{})
			var seq []string
			var hold journal.Record
			for _, rec := range recs {
				switch rec.Kind {
				case journal.KindHold:
					hold = rec
					seq = append(seq, "hold")
				case journal.KindSettled:
					if rec.Note != hold.Note || rec.Billing != c.billing {
						t.Errorf("settled %+v, want hold %s %s", rec, hold.Note, c.billing)
					}
					seq = append(seq, "settled")
				default:
					seq = append(seq, rec.State)
				}
			}
			want := "card choose pin submit fee hold fetch print settle settled " + string(r.Outcome)
			if strings.Join(seq, " ") != want {
				t.Fatalf("journal %v, want %s", seq, want)
			}
			if hold.Note == "" || hold.TID != r.TID || hold.Fee != r.Fee || r.Fee == 0 {
				t.Fatalf("hold record %+v for ticket %s fee %d", hold, r.TID, r.Fee)
			}
		})
	}
}
