package terminal_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// centerOutcomes reads the center's own count of outcomes it recorded.
func centerOutcomes(t *testing.T, srv *center.Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Center.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	var lines []string
	for _, l := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(l, "kofu_center_outcomes_total{") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// TestOutboxLostReport: the outcome report is lost (the network fails on
// the POST); the session still settles locally, the center has recorded
// nothing, and the outcome waits in the journaled outbox. The next
// session's end sends it: the center records it once, and a kiosk started
// again on the same journal finds nothing left to send.
func TestOutboxLostReport(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	var cut atomic.Bool
	var lost atomic.Int32
	w := newWorld(t, emulator.Options{Fixtures: fx, Transport: func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if cut.Load() && strings.HasSuffix(r.URL.Path, "/outcome") {
				lost.Add(1)
				return nil, errors.New("network partition")
			}
			return rt.RoundTrip(r)
		})
	}})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	path := filepath.Join(w.dir, "journal")
	key := bytes.Repeat([]byte{1}, 32)

	serve := func(t *testing.T) (terminal.Result, *terminal.Kiosk, *journal.Journal) {
		t.Helper()
		j, _, err := journal.Open(path, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		ob, err := terminal.LoadOutbox(path)
		if err != nil {
			t.Fatal(err)
		}
		coins := payment.NewCoins()
		k := w.env.Kiosk(&sink{confirm: -1}, coins, j)
		k.Outbox = ob
		panel := &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}, coins: coins}
		return k.Serve(context.Background(), emulator.NewSoftCard(res), panel), k, j
	}

	cut.Store(true)
	r1, k, j := serve(t)
	if r1.Outcome != protocol.ResultPrinted || r1.Payment != "captured" || r1.Billing != "" || lost.Load() == 0 {
		t.Fatalf("first session %+v (outcome posts lost: %d)", r1, lost.Load())
	}
	if got := centerOutcomes(t, w.env.Center); got != "" {
		t.Fatalf("the center recorded an outcome it never received:\n%s", got)
	}
	if k.Outbox.Len() != 1 {
		t.Fatalf("outbox holds %d", k.Outbox.Len())
	}
	j.Close()

	// Restarted: the outbox comes back from the journal; the network is
	// back; the next session's end sends both outcomes.
	cut.Store(false)
	r2, k, j := serve(t)
	if r2.Outcome != protocol.ResultPrinted || r2.Billing != "captured" {
		t.Fatalf("second session %+v", r2)
	}
	if k.Outbox.Len() != 0 {
		t.Fatalf("outbox still holds %d", k.Outbox.Len())
	}
	if got := centerOutcomes(t, w.env.Center); !strings.Contains(got, `kofu_center_outcomes_total{billing="captured",result="printed"} 2`) {
		t.Fatalf("center outcomes:\n%s", got)
	}
	j.Close()
	var reported []string
	journal.Each(path, func(r journal.Record) error {
		if r.Kind == journal.KindReported {
			reported = append(reported, r.TID+"/"+r.Billing)
		}
		return nil
	})
	if len(reported) != 1 || reported[0] != r1.TID+"/captured" {
		t.Fatalf("reported records %v, want the first ticket captured", reported)
	}
	if ob, err := terminal.LoadOutbox(path); err != nil || ob.Len() != 0 {
		t.Fatalf("outbox after restart: %v, %v", ob.Len(), err)
	}
}

// TestOutboxRecoveredSession: the kiosk dies after the ticket was
// verified (while printing); at the next start the session is recovered
// unknown and the outbox tells the center so: the fee there is voided.
func TestOutboxRecoveredSession(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, emulator.Options{Fixtures: fx})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	path := filepath.Join(w.dir, "journal")
	key := bytes.Repeat([]byte{1}, 32)
	j, _, err := journal.Open(path, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	// "Crash" in print: the job hangs there and the journal is closed
	// under the session, as a SIGKILL leaves it: nothing after print is
	// journaled or reported.
	hang, crashed := make(chan struct{}), make(chan struct{})
	defer close(hang)
	coins := payment.NewCoins()
	k := w.env.Kiosk(&sink{confirm: -1, onPrint: func() { j.Close(); close(crashed); <-hang }}, coins, j)
	panel := &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}, coins: coins}
	go k.Serve(context.Background(), emulator.NewSoftCard(res), panel)
	<-crashed

	j2, rep, err := journal.Open(path, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if len(rep.Recovered) != 1 {
		t.Fatalf("recovered %v", rep.Recovered)
	}
	ob, err := terminal.LoadOutbox(path)
	if err != nil || ob.Len() != 1 {
		t.Fatalf("outbox %d, %v", ob.Len(), err)
	}
	k2 := w.env.Kiosk(&sink{confirm: -1}, payment.NewCoins(), j2)
	k2.Outbox = ob
	if n, err := k2.FlushOutbox(context.Background()); n != 1 || err != nil {
		t.Fatalf("flush: %d, %v", n, err)
	}
	if got := centerOutcomes(t, w.env.Center); !strings.Contains(got, `kofu_center_outcomes_total{billing="voided",result="unknown"} 1`) {
		t.Fatalf("center outcomes:\n%s", got)
	}
}

// TestOutboxDrainsAfterCardTaken: the report of a session is lost, the
// resident takes the card at the reminders (in store mode that ends the
// session's context), and the outbox is still sent before Serve returns,
// under its own deadline. On the code before this test it waited for the
// next session with a card in the reader, or the next start.
func TestOutboxDrainsAfterCardTaken(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	var cut atomic.Bool
	var lost, heard atomic.Int32
	w := newWorld(t, emulator.Options{Fixtures: fx, Transport: func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.HasSuffix(r.URL.Path, "/outcome") {
				if cut.Load() {
					lost.Add(1)
					return nil, errors.New("network partition")
				}
				heard.Add(1)
			}
			return rt.RoundTrip(r)
		})
	}})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	j, _, err := journal.Open(filepath.Join(w.dir, "journal"), bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	coins := payment.NewCoins()
	k := w.env.Kiosk(&sink{confirm: -1}, coins, j)
	k.Outbox = &terminal.Outbox{}
	card, takeCard := context.WithCancelCause(context.Background())
	defer takeCard(nil)
	panel := &takesCard{scripted: scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}, coins: coins},
		finish: func() {
			takeCard(terminal.ErrCardRemoved) // the resident takes the card as asked
			cut.Store(false)                  // and the network is back
		}}
	cut.Store(true)
	r := k.Serve(card, emulator.NewSoftCard(res), panel)
	if r.Outcome != protocol.ResultPrinted || lost.Load() == 0 {
		t.Fatalf("setup: %s/%s, %d reports lost", r.Outcome, r.Reason, lost.Load())
	}
	if heard.Load() != 1 || k.Outbox.Len() != 0 {
		t.Fatalf("after the card was taken: the center heard %d reports, %d wait in the outbox", heard.Load(), k.Outbox.Len())
	}
}

// takesCard is a scripted panel whose reminders end with finish.
type takesCard struct {
	scripted
	finish func()
}

func (p *takesCard) Finish(ctx context.Context, r terminal.Result) {
	p.scripted.Finish(ctx, r)
	p.finish()
}

// TestGetsJournaled: a page GET lost to a reset is asked again, the
// session prints, and its end record counts the GETs and the retry.
func TestGetsJournaled(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	var resetOnce atomic.Bool
	resetOnce.Store(true)
	w := newWorld(t, emulator.Options{Fixtures: fx, Transport: func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if strings.Contains(r.URL.Path, "/pages/") && resetOnce.CompareAndSwap(true, false) {
				return nil, syscall.ECONNRESET
			}
			return rt.RoundTrip(r)
		})
	}})
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	path := filepath.Join(w.dir, "journal")
	j, _, err := journal.Open(path, bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	coins := payment.NewCoins()
	k := w.env.Kiosk(&sink{confirm: -1}, coins, j)
	r := k.Serve(context.Background(), emulator.NewSoftCard(res),
		&scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}, coins: coins})
	j.Close()
	if r.Outcome != protocol.ResultPrinted || resetOnce.Load() {
		t.Fatalf("%s/%s (reset used: %v)", r.Outcome, r.Reason, !resetOnce.Load())
	}
	var note string
	if err := journal.Each(path, func(rec journal.Record) error {
		if rec.Kind == journal.KindEnd {
			note = rec.Note
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^gets:e[1-9][0-9]*r0\.p2r1$`).MatchString(note) {
		t.Fatalf("end record note %q, want the envelope's GETs and 2 page GETs, 1 of them again", note)
	}
}
