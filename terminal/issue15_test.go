package terminal_test

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// run15 is one session on a kiosk of w that tweak may change first (Admit,
// Outbox, Log …); it returns the result, the coin unit's ledger, the
// journal's records for the session, and the kiosk (to serve again).
type run15 struct {
	r     terminal.Result
	l     payment.Ledger
	recs  []journal.Record
	k     *terminal.Kiosk
	coins *payment.Coins
}

// panel is the scripted one unless wrap puts another in front of it.
func (w *world) serve15(t *testing.T, card terminal.Card, panel *scripted, s terminal.Sink, tweak func(*terminal.Kiosk)) run15 {
	t.Helper()
	return w.serveWrapped(t, card, panel, nil, s, tweak)
}

func (w *world) serveWrapped(t *testing.T, card terminal.Card, panel *scripted, wrap func(*scripted) terminal.Panel,
	s terminal.Sink, tweak func(*terminal.Kiosk)) run15 {
	t.Helper()
	path := filepath.Join(w.dir, "journal")
	j, _, err := journal.Open(path, bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	ob, err := terminal.LoadOutbox(path)
	if err != nil {
		t.Fatal(err)
	}
	coins := payment.NewCoins()
	panel.coins = coins
	k := w.env.Kiosk(s, coins, j)
	k.Outbox = ob
	if tweak != nil {
		tweak(k)
	}
	var front terminal.Panel = panel
	if wrap != nil {
		front = wrap(panel)
	}
	r := k.Serve(context.Background(), card, front)
	var recs []journal.Record
	journal.Each(path, func(rec journal.Record) error {
		if rec.Session == r.Session {
			recs = append(recs, rec)
		}
		return nil
	})
	return run15{r: r, l: coins.Ledger(), recs: recs, k: k, coins: coins}
}

// countingSink is a sink that counts jobs and confirms every page.
type countingSink struct {
	sink
	jobs atomic.Int32
}

func (s *countingSink) Print(ctx context.Context, tid []byte, p []*protocol.VerifiedPage) (int, error) {
	s.jobs.Add(1)
	return s.sink.Print(ctx, tid, p)
}

// TestPrintedThenSettleFails: the printer confirmed every page, then the
// move to settle fails (Admit refuses it, as a failed journal append
// would): the session ends unknown, never failed, the fee is released
// rather than captured without a settle record, and the center is told
// unknown.
func TestPrintedThenSettleFails(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	s := &countingSink{sink: sink{confirm: -1}}
	got := w.serve15(t, emulator.NewSoftCard(res), &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}}, s,
		func(k *terminal.Kiosk) {
			k.Admit = func(to terminal.State) error {
				if to == terminal.StateSettle {
					return errors.New("disk full")
				}
				return nil
			}
		})
	r := got.r
	if s.jobs.Load() != 1 || r.Pages != 1 {
		t.Fatalf("the sink printed %d jobs, %d pages confirmed: the fault did not happen", s.jobs.Load(), r.Pages)
	}
	if r.Outcome != protocol.ResultUnknown || r.Reason != "journal-error" {
		t.Fatalf("outcome %s/%s, want unknown/journal-error", r.Outcome, r.Reason)
	}
	if r.Payment != "released" || got.l.Cashbox != 0 || got.l.Held != 0 {
		t.Errorf("payment %s ledger %+v: want the fee released", r.Payment, got.l)
	}
	if r.Billing != "voided" {
		t.Errorf("billing %q: the center was not told unknown", r.Billing)
	}
	want := []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "unknown"}
	if st := states(got.recs); !slices.Equal(st, want) {
		t.Errorf("journal states %v, want %v", st, want)
	}
}

// readySink is a sink whose printer says before the job whether it can
// take one (terminal.Preflighter).
type readySink struct {
	sink
	ready error
	jobs  int
}

func (s *readySink) Ready(context.Context) error { return s.ready }
func (s *readySink) Print(ctx context.Context, tid []byte, p []*protocol.VerifiedPage) (int, error) {
	s.jobs++
	return s.sink.Print(ctx, tid, p)
}

var _ terminal.Preflighter = (*readySink)(nil)

// TestPreflightBeforePrint: a printer that says, before any byte, that it
// cannot take the job ends the session failed in fetch (nothing can be on
// paper), the fee released and no job sent; a ready printer prints.
func TestPreflightBeforePrint(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	for _, c := range []struct {
		name    string
		ready   error
		outcome protocol.Result
		reason  string
		states  []string
		payment string
		jobs    int
	}{
		{"printer offline", errors.New("offline"), protocol.ResultFailed, "print-error",
			[]string{"card", "choose", "pin", "submit", "fee", "fetch", "failed"}, "released", 0},
		{"printer ready", nil, protocol.ResultPrinted, "",
			[]string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle", "printed"}, "captured", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &readySink{sink: sink{confirm: -1}, ready: c.ready}
			got := w.serve15(t, emulator.NewSoftCard(res), &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}}, s, nil)
			if got.r.Outcome != c.outcome || string(got.r.Reason) != c.reason || got.r.Payment != c.payment || s.jobs != c.jobs {
				t.Fatalf("%s/%s payment %s jobs %d; want %s/%s %s %d", got.r.Outcome, got.r.Reason, got.r.Payment, s.jobs,
					c.outcome, c.reason, c.payment, c.jobs)
			}
			if st := states(got.recs); !slices.Equal(st, c.states) {
				t.Errorf("journal states %v, want %v", st, c.states)
			}
		})
	}
}

// panicky panics with a value carrying personal data when armed.
const personal = "PERSONAL 山田太郎 1-2-3"

type panicSink struct{ sink }

func (*panicSink) Print(context.Context, []byte, []*protocol.VerifiedPage) (int, error) {
	panic(errors.New(personal))
}

// syncBuffer is a log sink safe for the printer's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSessionPanic: a panic on the session's path — the panel while
// paying (no hold yet), the panel as the document is fetched (fee held),
// the printer (the job handed over), with the center reachable or not —
// ends the session failed before print and unknown from print on, with
// every coin given back, the outcome reported to the center or queued in
// the outbox, the panic logged without its value, and the kiosk serving
// the next resident.
func TestSessionPanic(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	order := terminal.Order{Muni: res.Muni, Doc: doc}
	for _, c := range []struct {
		name     string
		panel    func() *scripted
		wrap     func(*scripted) terminal.Panel
		sink     terminal.Sink
		cut      bool // the outcome report is lost
		outcome  protocol.Result
		states   []string
		payment  string
		billing  string
		outboxed int
	}{
		{name: "panel panics while paying, coins inserted",
			panel: func() *scripted {
				p := &scripted{order: order, pins: []string{res.PIN}}
				p.payFn = func(context.Context, int) error { p.coins.Insert(100); panic(personal) }
				return p
			},
			sink: &sink{confirm: -1}, outcome: protocol.ResultFailed,
			states:  []string{"card", "choose", "pin", "submit", "fee", "failed"},
			payment: "returned", billing: "voided"},
		{name: "panel panics as the document is fetched, fee held",
			panel: func() *scripted {
				return &scripted{order: order, pins: []string{res.PIN}}
			},
			wrap: func(p *scripted) terminal.Panel { return fetchPanic{p} },
			sink: &sink{confirm: -1}, outcome: protocol.ResultFailed,
			states:  []string{"card", "choose", "pin", "submit", "fee", "fetch", "failed"},
			payment: "released", billing: "voided"},
		{name: "printer panics",
			panel: func() *scripted { return &scripted{order: order, pins: []string{res.PIN}} },
			sink:  &panicSink{}, outcome: protocol.ResultUnknown,
			states:  []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "unknown"},
			payment: "released", billing: "voided"},
		{name: "printer panics, center unreachable for the report",
			panel: func() *scripted { return &scripted{order: order, pins: []string{res.PIN}} },
			sink:  &panicSink{}, cut: true, outcome: protocol.ResultUnknown,
			states:  []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "unknown"},
			payment: "released", outboxed: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cut atomic.Bool
			cut.Store(c.cut)
			w := newWorld(t, emulator.Options{Fixtures: fx, Transport: func(rt http.RoundTripper) http.RoundTripper {
				return roundTripFunc(func(r *http.Request) (*http.Response, error) {
					if cut.Load() && strings.HasSuffix(r.URL.Path, "/outcome") {
						return nil, errors.New("network partition")
					}
					return rt.RoundTrip(r)
				})
			}})
			var log syncBuffer
			panel := c.panel()
			got := w.serveWrapped(t, emulator.NewSoftCard(res), panel, c.wrap, c.sink, func(k *terminal.Kiosk) {
				k.Log = slog.New(slog.NewJSONHandler(&log, nil))
			})
			r := got.r
			if r.Outcome != c.outcome || r.Reason != "internal-panic" {
				t.Fatalf("outcome %s/%s, want %s/internal-panic", r.Outcome, r.Reason, c.outcome)
			}
			if r.Payment != c.payment || r.Billing != c.billing {
				t.Errorf("payment %q billing %q, want %q %q", r.Payment, r.Billing, c.payment, c.billing)
			}
			if got.l.Cashbox != 0 || got.l.Held != 0 || got.l.Credit != 0 || got.l.OpenHolds != 0 {
				t.Errorf("money left in the machine: %+v", got.l)
			}
			var moves []journal.Record // the outbox's own records aside
			for _, rec := range got.recs {
				if rec.Kind == journal.KindState || rec.Kind == journal.KindEnd {
					moves = append(moves, rec)
				}
			}
			if st := states(moves); !slices.Equal(st, c.states) {
				t.Errorf("journal states %v, want %v", st, c.states)
			}
			if !panel.finished {
				t.Error("the resident was never shown the outcome")
			}
			if n := got.k.Outbox.Len(); n != c.outboxed {
				t.Errorf("outbox holds %d, want %d", n, c.outboxed)
			}
			logged := log.String()
			t.Logf("log: %s", logged)
			if !strings.Contains(logged, "session panicked") || !strings.Contains(logged, r.Session) {
				t.Errorf("the panic was not logged with its session: %q", logged)
			}
			if strings.Contains(logged, "山田") || strings.Contains(logged, "PERSONAL") {
				t.Errorf("the log carries the panic's value: %q", logged)
			}

			// The kiosk goes on: the next resident on the same kiosk,
			// the network back, prints, and the queued outcome is sent.
			cut.Store(false)
			next := &scripted{order: order, pins: []string{res.PIN}, coins: got.coins}
			got.k.Sink = &sink{confirm: -1}
			r2 := got.k.Serve(context.Background(), emulator.NewSoftCard(res), next)
			if r2.Outcome != protocol.ResultPrinted || r2.Payment != "captured" {
				t.Fatalf("next session %s/%s payment %s", r2.Outcome, r2.Reason, r2.Payment)
			}
			if n := got.k.Outbox.Len(); n != 0 {
				t.Errorf("outbox still holds %d after the next session", n)
			}
		})
	}
}

// fetchPanic wraps a scripted panel: Progress panics at fetch.
type fetchPanic struct{ *scripted }

func (f fetchPanic) Progress(g terminal.Progress) {
	if g.State == terminal.StateFetch {
		panic(personal)
	}
	f.scripted.Progress(g)
}

// TestFeeZero: a ticket with fee 0 is valid (protocol §3.1): the session
// takes no hold, prints, reports the outcome, and captures nothing. The
// emulated center computes the fee from its municipality's fee table
// (protocol/center requests.go): the test gives it a municipality whose
// 住民票 costs nothing, through the Center hook, leaving the defaults alone.
func TestFeeZero(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	w := newWorld(t, emulator.Options{Fixtures: fx, Center: func(c *center.Config) {
		free := *c.Fixtures // Fees is shared: copy the set, the list and the one table changed
		free.Municipalities = slices.Clone(free.Municipalities)
		for i, m := range free.Municipalities {
			if m.Code == res.Muni {
				m.Fees = maps.Clone(m.Fees)
				m.Fees[string(protocol.DocJuminhyo)] = 0
				free.Municipalities[i] = m
			}
		}
		c.Fixtures = &free
	}})
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	panel := &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}}
	var paid []int
	panel.payFn = func(_ context.Context, fee int) error { paid = append(paid, fee); return nil }
	got := w.serve15(t, emulator.NewSoftCard(res), panel, &sink{confirm: -1}, nil)
	r := got.r
	if r.Outcome != protocol.ResultPrinted || r.Fee != 0 || r.Pages != 1 {
		t.Fatalf("%s/%s fee %d pages %d, want printed with fee 0", r.Outcome, r.Reason, r.Fee, r.Pages)
	}
	if !slices.Equal(paid, []int{0}) {
		t.Errorf("the resident was shown fees %v, want [0]", paid)
	}
	if r.Payment != "none" || got.l.Cashbox != 0 || len(got.l.Events) != 0 {
		t.Errorf("payment %s, ledger %+v: nothing to hold or capture", r.Payment, got.l)
	}
	if r.Billing != string(protocol.BillingCaptured) {
		t.Errorf("billing %q: the center did not hear printed", r.Billing)
	}
	if got := centerOutcomes(t, w.env.Center); !strings.Contains(got, `result="printed"} 1`) {
		t.Errorf("center outcomes:\n%s", got)
	}
}

// TestOrderValidatedBeforePIN: an order the kiosk cannot send (municipality
// code, document options, copies, the kiosk's own ids) ends the session
// before the PIN is asked, so no key is ever unlocked for it.
func TestOrderValidatedBeforePIN(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	badCopies := doc
	badCopies.Copies = 0
	for _, c := range []struct {
		name   string
		order  terminal.Order
		tweak  func(*terminal.Kiosk)
		reason string
	}{
		{name: "municipality of 5 digits", order: terminal.Order{Muni: "12345", Doc: doc}, reason: "choose-invalid"},
		{name: "municipality with a letter", order: terminal.Order{Muni: "12345x", Doc: doc}, reason: "choose-invalid"},
		{name: "no copies", order: terminal.Order{Muni: res.Muni, Doc: badCopies}, reason: "choose-invalid"},
		{name: "kiosk's terminal id malformed", order: terminal.Order{Muni: res.Muni, Doc: doc},
			tweak: func(k *terminal.Kiosk) { k.Identity.Term = "T 0001" }, reason: "request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := &keyCard{SoftCard: emulator.NewSoftCard(res)}
			panel := &scripted{order: c.order, pins: []string{res.PIN}}
			got := w.serve15(t, card, panel, &sink{confirm: -1}, c.tweak)
			if got.r.Outcome != protocol.ResultFailed || string(got.r.Reason) != c.reason {
				t.Fatalf("%s/%s, want failed/%s", got.r.Outcome, got.r.Reason, c.reason)
			}
			if len(panel.tries) != 0 || card.unlocked.Load() != 0 {
				t.Errorf("PIN asked %v, key unlocked %d times: the order was checked after the PIN", panel.tries, card.unlocked.Load())
			}
			if st := states(got.recs); !slices.Equal(st, []string{"card", "choose", "failed"}) {
				t.Errorf("journal states %v", st)
			}
		})
	}
}

// keyCard hands out keys that say when they are released (as the card
// reader's Key does: Close logs out and gives the card back).
type keyCard struct {
	*emulator.SoftCard
	unlocked, released atomic.Int32
}

type closingKey struct {
	crypto.Signer
	released *atomic.Int32
}

func (k closingKey) Close() error { k.released.Add(1); return nil }

func (c *keyCard) AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error) {
	k, err := c.SoftCard.AuthKey(ctx, pin)
	if err != nil {
		return nil, err
	}
	c.unlocked.Add(1)
	return closingKey{k, &c.released}, nil
}

// TestCardKeyReleased: once the PIN has unlocked the key, every way out of
// the session releases it — the journal refusing the next move, the
// machine stopping, a panic before the card signs, the normal path —
// instead of leaving it to the card's timer.
func TestCardKeyReleased(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	order := terminal.Order{Muni: res.Muni, Doc: doc}
	refuse := func(at terminal.State, err error) func(*terminal.Kiosk) {
		return func(k *terminal.Kiosk) {
			k.Admit = func(to terminal.State) error {
				if to == at {
					return err
				}
				return nil
			}
		}
	}
	for _, c := range []struct {
		name    string
		tweak   func(*terminal.Kiosk)
		outcome protocol.Result
	}{
		{name: "journal refuses submit", tweak: refuse(terminal.StateSubmit, errors.New("disk full")), outcome: protocol.ResultFailed},
		{name: "machine stopping at submit", tweak: refuse(terminal.StateSubmit, terminal.ErrShutdown), outcome: protocol.ResultCancelled},
		{name: "panic as the request is submitted", tweak: func(k *terminal.Kiosk) {
			k.OnState = func(st terminal.State) {
				if st == terminal.StateSubmit {
					panic(personal)
				}
			}
		}, outcome: protocol.ResultFailed},
		{name: "printed", outcome: protocol.ResultPrinted},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := &keyCard{SoftCard: emulator.NewSoftCard(res)}
			got := w.serve15(t, card, &scripted{order: order, pins: []string{res.PIN}}, &sink{confirm: -1}, func(k *terminal.Kiosk) {
				k.Log = slog.New(slog.DiscardHandler)
				if c.tweak != nil {
					c.tweak(k)
				}
			})
			r := got.r
			if r.Outcome != c.outcome {
				t.Fatalf("%s/%s, want %s", r.Outcome, r.Reason, c.outcome)
			}
			if card.unlocked.Load() != 1 || card.released.Load() == 0 {
				t.Fatalf("unlocked %d, released %d: the key was left to the card's timer", card.unlocked.Load(), card.released.Load())
			}
		})
	}
}

// reportingSink reports each page out from its own goroutine, as the
// printer's status reader does, then confirms the job.
type reportingSink struct{ sink }

func (s *reportingSink) PrintReporting(ctx context.Context, tid []byte, p []*protocol.VerifiedPage, out func(int)) (int, error) {
	done := make(chan struct{})
	go func() { defer close(done); out(len(p)) }()
	<-done
	return s.Print(ctx, tid, p)
}

// pagePanic panics when shown a page count while printing.
type pagePanic struct{ *scripted }

func (p pagePanic) Progress(g terminal.Progress) {
	if g.State == terminal.StatePrint && g.Page > 0 {
		panic(personal)
	}
	p.scripted.Progress(g)
}

// TestProgressPanicOnPrinterGoroutine: the screen panicking on a page
// report, which comes on the printer's goroutine where no recover of the
// session reaches, neither takes the kiosk down nor stops the job.
func TestProgressPanicOnPrinterGoroutine(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	got := w.serveWrapped(t, emulator.NewSoftCard(res), &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}},
		func(p *scripted) terminal.Panel { return pagePanic{p} }, &reportingSink{sink{confirm: -1}},
		func(k *terminal.Kiosk) { k.Log = slog.New(slog.DiscardHandler) })
	if got.r.Outcome != protocol.ResultPrinted || got.r.Payment != "captured" {
		t.Fatalf("%s/%s payment %s, want printed and captured", got.r.Outcome, got.r.Reason, got.r.Payment)
	}
}

// failingReturn is a coin unit whose refund of unheld coins fails.
type failingReturn struct{ *payment.Coins }

func (failingReturn) Return(context.Context) (int, error) { return 0, errors.New("escrow jammed") }

// TestReturnFailsAfterCapture: a refund that fails after the fee was
// captured does not hide the capture (found by the soak's payment
// faults: the result said return-failed, the screen "you have not been
// charged" for a resident who had paid). Payment stays captured, Refund
// says return-failed, and the journal records both.
func TestReturnFailsAfterCapture(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	got := w.serve15(t, emulator.NewSoftCard(res), &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}},
		&countingSink{sink: sink{confirm: -1}}, func(k *terminal.Kiosk) { k.Payment = failingReturn{k.Payment.(*payment.Coins)} })
	r := got.r
	if r.Outcome != protocol.ResultPrinted || r.Payment != "captured" || r.Refund != "return-failed" {
		t.Fatalf("outcome %s payment %q refund %q: want printed, captured, return-failed", r.Outcome, r.Payment, r.Refund)
	}
	if got.l.Cashbox != r.Fee || r.Fee == 0 {
		t.Fatalf("ledger %+v for fee %d", got.l, r.Fee)
	}
	var settled []string
	end := ""
	for _, rec := range got.recs {
		switch rec.Kind {
		case journal.KindSettled:
			settled = append(settled, rec.Billing)
		case journal.KindEnd:
			end = rec.Billing
		}
	}
	if !slices.Equal(settled, []string{"captured", "return-failed"}) || end != "captured" {
		t.Fatalf("journal: settled %v, end billing %q; want [captured return-failed], captured", settled, end)
	}
}
