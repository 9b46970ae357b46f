//go:build linux

package faultmatrix_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/cardreader/pcsctest"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/terminal"
	"kofu/terminal/host"
)

// pcscRow is a card or reader fault through the real PC/SC stack.
type pcscRow struct {
	name     string
	resident string
	doc      protocol.DocType
	wc       worldConfig
	// arm sets the fault up; f does the damage through the real stack.
	arm    func(w *world, p *panel, f *pcscFaults)
	want   want
	events []cardreader.EventKind // the watch saw these, in order
	bug    string
	gone   bool   // the host takes the card as gone (also when the reason does not say so)
	mark   string // the fault hook must have marked this (it saw the fault happen)
}

// pcscFaults are the faults of the real stack: the card pulled from the
// vpcd reader, pcscd restarted, the reader unplugged.
type pcscFaults struct {
	t      *testing.T
	stack  *pcsctest.Stack
	unplug func() // disconnects the card from vpcd
}

func (f *pcscFaults) pullCard()       { f.unplug() }
func (f *pcscFaults) restartPCSCD()   { f.stack.Restart(f.t) }
func (f *pcscFaults) unplugReader()   { f.stack.Unplug(f.t) }
func (f *pcscFaults) cardBack() error { return f.stack.WaitCard(0, 15*time.Second) }

// TestFaultMatrixPCSC runs the card and reader rows through pcscd +
// vsmartcard-vpcd with the emulated card on the wire, the card presented
// and watched (GetStatusChange) by the store machine's host loop.
func TestFaultMatrixPCSC(t *testing.T) {
	stack := pcsctest.Start(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	printed := want{outcome: protocol.ResultPrinted, payment: "captured", paper: -1, printJob: true, reported: "printed/captured"}
	rows := []pcscRow{
		{name: "no fault (control)", resident: "R0001", want: printed},
		{name: "card pulled @ choose (before PIN)", resident: "R0002",
			arm: func(w *world, p *panel, f *pcscFaults) {
				p.atChoose = func() bool { f.pullCard(); return true }
			},
			want:   want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"},
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.CardRemoved}},
		{name: "card pulled @ PIN pad (before PIN)", resident: "R0010",
			arm: func(w *world, p *panel, f *pcscFaults) {
				p.atPIN = func() bool { f.pullCard(); return true }
			},
			want:   want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"},
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.CardRemoved}},
		{name: "card pulled @ fee (coins in)", resident: "R0003",
			arm: func(w *world, p *panel, f *pcscFaults) {
				p.atPay = func() bool { _ = w.coins.Insert(100); f.pullCard(); return true }
			},
			want:   want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "returned", reported: "cancelled/voided"},
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.CardRemoved}},
		{name: "card pulled @ fetch (between PIN and print)", resident: "R0004",
			arm: func(w *world, p *panel, f *pcscFaults) {
				w.atState(terminal.StateFetch, func() { f.pullCard(); waitRemoved(w) })
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "released", reported: "cancelled/voided"}},
		{name: "card pulled @ print, mid-job", resident: "R0019", doc: protocol.DocKosekiZenbu,
			wc: worldConfig{scenario: "page-time=1s"}, // the job outlasts the watch's notice
			arm: func(w *world, p *panel, f *pcscFaults) {
				w.prn.BeforeJob(func(context.Context) {
					go func() {
						for len(w.prn.Emu.Jobs()) == 0 { // the printer has begun the job
							time.Sleep(5 * time.Millisecond)
						}
						f.pullCard()
						if jobs := w.prn.Emu.Jobs(); len(jobs) == 1 && !jobs[0].Ended {
							w.mark("pulled mid-job")
						}
					}()
				})
			},
			want:   printed, // the job is not stopped by the removal
			gone:   true,
			mark:   "pulled mid-job",
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.CardRemoved}},
		{name: "pcscd restarted @ choose (before PIN)", resident: "R0011",
			arm: func(w *world, p *panel, f *pcscFaults) {
				p.atChoose = func() bool {
					f.restartPCSCD()
					if err := f.cardBack(); err != nil {
						f.t.Errorf("card after the restart: %v", err)
					}
					return false
				}
			},
			want:   printed,
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.ServiceLost, cardreader.ServiceRestored, cardreader.CardInserted}},
		{name: "pcscd restarted @ fetch (after the card signed)", resident: "R0013",
			arm: func(w *world, p *panel, f *pcscFaults) {
				w.atState(terminal.StateFetch, func() {
					f.restartPCSCD()
					if err := f.cardBack(); err != nil {
						f.t.Errorf("card after the restart: %v", err)
					}
				})
			},
			want:   printed,
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.ServiceLost, cardreader.ServiceRestored, cardreader.CardInserted}},
		{name: "reader unplugged @ choose (before PIN)", resident: "R0014",
			arm: func(w *world, p *panel, f *pcscFaults) {
				p.atChoose = func() bool { f.unplugReader(); return true }
			},
			want:   want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"},
			events: []cardreader.EventKind{cardreader.CardInserted, cardreader.ServiceLost, cardreader.ServiceRestored}},
	}
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			if rw.bug != "" && os.Getenv("KOFU_FAULTMATRIX_BUGS") == "" {
				t.Skip("BUG: " + rw.bug + " (KOFU_FAULTMATRIX_BUGS=1 runs it)")
			}
			runPCSCRow(t, fx, stack, rw)
		})
	}
}

// waitRemoved waits until the host has cancelled the session.
func waitRemoved(w *world) {
	select {
	case <-w.ctx.Done():
	case <-time.After(10 * time.Second):
		w.t.Error("the host never noticed the card leaving")
	}
}

func runPCSCRow(t *testing.T, fx *fixtures.Set, stack *pcsctest.Stack, rw pcscRow) {
	if rw.doc == "" {
		rw.doc = protocol.DocJuminhyo
	}
	res, ok := fx.Resident(rw.resident)
	if !ok {
		t.Fatalf("no resident %s", rw.resident)
	}
	ec, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	unplug := stack.Insert(t, ec, 0)
	t.Cleanup(func() { stack.Plug(t) }) // the reader back for the next row, whatever this one did
	pc, err := cardreader.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The store machine's host loop (terminal/host) presents the card:
	// it opens it and watches the reader while the session runs.
	hr := &host.Reader{PC: pc, Filter: stack.Reader(0), Grace: 5 * time.Second}
	pres, err := hr.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pres.Close()

	w := newWorld(t, fx, rw.wc)
	w.ctx = pres.Ctx // the session runs under the host's context
	p := &panel{}
	f := &pcscFaults{t: t, stack: stack, unplug: unplug}
	if rw.arm != nil {
		rw.arm(w, p, f)
	}
	r := w.serve(pres.Card, res, rw.doc, "", nil, p)
	removed, events := pres.Removed(), pres.Events()
	var kinds []cardreader.EventKind
	var names []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
		names = append(names, ev.Kind.String())
	}
	t.Logf("%s/%s fee %d payment %s billing %q pages %d; reader events: %s", r.Outcome, r.Reason, r.Fee, r.Payment,
		r.Billing, r.Pages, strings.Join(names, " "))
	check(t, w, r, rw.want)
	if rw.mark != "" && !w.marked(rw.mark) {
		t.Errorf("the fault did not happen as the row says (%s)", rw.mark)
	}
	if !inOrder(kinds, rw.events) {
		t.Errorf("reader events %v, want %v in order", names, rw.events)
	}
	if gone := rw.gone || rw.want.reason == "card-removed"; removed != gone {
		t.Errorf("the host took the card as gone: %v, want %v", removed, gone)
	}
}

// inOrder reports whether want occurs in got as a subsequence.
func inOrder(got, want []cardreader.EventKind) bool {
	i := 0
	for _, k := range got {
		if i < len(want) && k == want[i] {
			i++
		}
	}
	return i == len(want) || slices.Equal(want, nil)
}
