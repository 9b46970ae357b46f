package faultmatrix_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"kofu/cardreader"
	"kofu/cardreader/emucard"
	"kofu/internal/emulator"
	"kofu/internal/faultmatrix"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// rowTimeouts are the kiosk's protocol deadlines in the matrix: long
// enough for a healthy exchange on a loaded machine. A row whose fault
// is about a deadline shortens that one deadline (short), with the fault
// lasting well beyond it.
func rowTimeouts() protocol.Timeouts {
	return protocol.Timeouts{Request: 15 * time.Second, Document: 20 * time.Second, Page: 15 * time.Second,
		Outcome: 15 * time.Second, PollMin: 50 * time.Millisecond, PollMax: 300 * time.Millisecond}
}

// short is rowTimeouts with edit applied.
func short(edit func(*protocol.Timeouts)) protocol.Timeouts {
	t := rowTimeouts()
	edit(&t)
	return t
}

// world is one kiosk with everything real — the session, the protocol
// client over mutual TLS to the emulated center, the journal, the coin
// unit, kofu's printer code on the emulated printer — and the fault
// injectors around it: a TCP proxy on the path to the center, the wire
// steps, the printer's scenario, and the session's context, which the
// kiosk host cancels when the card leaves.
type world struct {
	t      *testing.T
	fx     *fixtures.Set
	env    *emulator.Env
	reg    *prometheus.Registry
	proxy  *faultmatrix.Proxy
	prn    *faultmatrix.Printer
	j      *journal.Journal
	jpath  string
	coins  *payment.Coins
	k      *terminal.Kiosk
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	onStep  map[string]func() // wire step → fault, run once before its first request
	onState map[terminal.State]func()
	steps   map[string]int // requests seen per wire step
	marks   map[string]bool
	shown   []string // the names of the household list the panel was shown (世帯の一部)
}

// worldConfig is what a row changes in the world.
type worldConfig struct {
	center   func(*center.Config)
	timeouts protocol.Timeouts // zero: rowTimeouts
	scenario string            // printer scenario; a faulty printer gets short waits
	skew     time.Duration     // center clock offset
}

func newWorld(t *testing.T, fx *fixtures.Set, wc worldConfig) *world {
	t.Helper()
	w := &world{t: t, fx: fx, reg: prometheus.NewRegistry(), onStep: map[string]func(){},
		onState: map[terminal.State]func(){}, steps: map[string]int{}, marks: map[string]bool{}}
	p, err := faultmatrix.NewProxy()
	if err != nil {
		t.Fatal(err)
	}
	w.proxy = p
	t.Cleanup(func() { p.Close() })
	to := wc.timeouts
	if to == (protocol.Timeouts{}) {
		to = rowTimeouts()
	}
	now := testclock.Now(t) // the kiosk's clock: an open service day
	env, err := emulator.Start(context.Background(), emulator.Options{Now: now, Fixtures: fx, Timeouts: to,
		Center: func(c *center.Config) {
			c.Registry = w.reg
			if wc.skew != 0 {
				c.Now = func() time.Time { return now().Add(wc.skew) } // the center's, skewed from it
			}
			if wc.center != nil {
				wc.center(c)
			}
		},
		Transport: func(rt http.RoundTripper) http.RoundTripper {
			tr := rt.(*http.Transport).Clone()
			tr.DialContext = p.Dial // every connection to the center goes through the proxy
			return faultmatrix.NewSteps(tr, w.beforeStep, w.countStep)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	u, _ := url.Parse(env.Center.URL)
	p.SetUpstream(u.Host)
	w.env = env

	opts := faultmatrix.Patient()
	if wc.scenario != "" && !strings.HasPrefix(wc.scenario, "page-time") {
		opts = faultmatrix.FastConfirm()
	}
	prn, err := faultmatrix.NewPrinter(context.Background(), wc.scenario, 0, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prn.Close() })
	w.prn = prn

	dir := t.TempDir()
	w.jpath = filepath.Join(dir, "journal")
	key, err := journal.KeyFile(w.jpath + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if w.j, _, err = journal.Open(w.jpath, key, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.j.Close() })
	w.coins = payment.NewCoins()
	w.k = env.Kiosk(prn, w.coins, w.j)
	w.k.Timeouts = terminal.Timeouts{Print: 20 * time.Second, Finish: time.Second}
	w.k.OnState = w.enterState
	w.ctx, w.cancel = context.WithCancelCause(context.Background())
	t.Cleanup(func() { w.cancel(nil) })
	return w
}

func (w *world) beforeStep(step string) {
	w.mu.Lock()
	fn := w.onStep[step]
	delete(w.onStep, step)
	w.mu.Unlock()
	if fn != nil {
		fn()
	}
}

func (w *world) countStep(step string) {
	w.mu.Lock()
	w.steps[step]++
	w.mu.Unlock()
}

func (w *world) enterState(st terminal.State) {
	w.mu.Lock()
	fn := w.onState[st]
	delete(w.onState, st)
	w.mu.Unlock()
	if fn != nil {
		fn()
	}
}

// atStep arms fn to run before the first request of a wire step.
func (w *world) atStep(step string, fn func()) {
	w.mu.Lock()
	w.onStep[step] = fn
	w.mu.Unlock()
}

// atState arms fn to run as the session enters st (after it is journaled).
func (w *world) atState(st terminal.State, fn func()) {
	w.mu.Lock()
	w.onState[st] = fn
	w.mu.Unlock()
}

func (w *world) stepCount(step string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.steps[step]
}

// mark notes that a fault hook did its part (for the row's proof).
func (w *world) mark(name string) {
	w.mu.Lock()
	w.marks[name] = true
	w.mu.Unlock()
}

func (w *world) marked(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.marks[name]
}

// cardRemoved is what the kiosk host does when the reader reports the
// card gone: it cancels the session with terminal.ErrCardRemoved.
func (w *world) cardRemoved() { w.cancel(terminal.ErrCardRemoved) }

// slot is the resident's card in an in-process reader, opened through
// the real cardreader code.
type slot struct {
	ec  *emucard.Card
	res *fixtures.Resident
}

func newSlot(t *testing.T, fx *fixtures.Set, id string) *slot {
	t.Helper()
	res, ok := fx.Resident(id)
	if !ok {
		t.Fatalf("no resident %s", id)
	}
	ec, err := emucard.New(fx, res, emucard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &slot{ec: ec, res: res}
}

// pull takes the card out of the reader.
func (s *slot) pull() { s.ec.Remove() }

// serve runs one session with the autopilot behind panel hooks and
// returns its result. With members the document is 世帯の一部 (scope
// "members") and the autopilot chooses the members at those places of
// the household list; the names the panel is shown are kept (shownNames).
func (w *world) serve(card terminal.Card, res *fixtures.Resident, doc protocol.DocType, sides protocol.Sides, members []int, pnl *panel) terminal.Result {
	w.t.Helper()
	spec, err := protocol.NewDocSpec(doc)
	if err != nil {
		w.t.Fatal(err)
	}
	spec.Sides = sides
	if members != nil {
		spec.Opts["scope"] = protocol.ScopeMembers
	}
	pnl.Autopilot = terminal.NewAutopilot(emulator.OrderFor(res, spec), []byte(res.PIN), w.coins)
	pnl.Autopilot.Chosen = members
	pnl.shown = w.showList
	return w.k.Serve(w.ctx, card, pnl)
}

// showList records the household list the panel was shown.
func (w *world) showList(list []terminal.Member) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range list {
		w.shown = append(w.shown, m.Name)
	}
}

// shownNames are the names of the household list the panel was shown
// (none when no list reached it).
func (w *world) shownNames() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.shown)
}

// openCard opens the in-process card for a session.
func (w *world) openCard(s *slot) *cardreader.Card {
	w.t.Helper()
	c, err := cardreader.Open(context.Background(), s.ec.Dialer("kofu fault-matrix reader 00"), nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { c.Close() })
	return c
}

// panel is the autopilot with a hook at each of the resident's steps:
// a fault can hit while the resident chooses, types the PIN, or pays.
// A hook that returns true makes the resident wait there until the
// session gives up (the host cancelled it, or the stage timed out).
type panel struct {
	*terminal.Autopilot
	atChoose, atPIN, atPay func() (wait bool)
	shown                  func([]terminal.Member) // told the household list the resident is shown
}

func hold(ctx context.Context, fn func() bool) error {
	if fn != nil && fn() {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (p *panel) Choose(ctx context.Context) (terminal.Order, error) {
	if err := hold(ctx, p.atChoose); err != nil {
		return terminal.Order{}, err
	}
	return p.Autopilot.Choose(ctx)
}

func (p *panel) PIN(ctx context.Context, tries int) ([]byte, error) {
	if err := hold(ctx, p.atPIN); err != nil {
		return nil, err
	}
	return p.Autopilot.PIN(ctx, tries)
}

// Members notes the list the resident is shown, then chooses as the
// autopilot does (its Chosen places).
func (p *panel) Members(ctx context.Context, list []terminal.Member) ([]int, error) {
	if p.shown != nil {
		p.shown(list)
	}
	return p.Autopilot.Members(ctx, list)
}

func (p *panel) Pay(ctx context.Context, fee int) error {
	if err := hold(ctx, p.atPay); err != nil {
		return err
	}
	return p.Autopilot.Pay(ctx, fee)
}

// centerOutcomes reads what the center recorded of outcome reports:
// "result/billing" → count, from its own metrics.
func (w *world) centerOutcomes() map[string]int {
	return w.counter("kofu_center_outcomes_total", "result", "billing")
}

// counter sums a center counter by the values of labels.
func (w *world) counter(name string, labels ...string) map[string]int {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var key []string
			for _, l := range labels {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == l {
						key = append(key, lp.GetValue())
					}
				}
			}
			out[strings.Join(key, "/")] += int(m.GetCounter().GetValue())
		}
	}
	return out
}

// lastEnd returns the journal's end record of the session, after
// verifying the whole journal.
func (w *world) lastEnd(session string) (journal.Record, *journal.Report) {
	w.t.Helper()
	if err := w.j.Close(); err != nil {
		w.t.Fatal(err)
	}
	rep, err := journal.Verify(w.jpath)
	if err != nil {
		w.t.Fatalf("journal does not verify: %v", err)
	}
	var end journal.Record
	found := false
	err = journal.Each(w.jpath, func(r journal.Record) error {
		if r.Session == session && r.Kind == journal.KindEnd {
			if found {
				return errors.New("two end records for one session")
			}
			end, found = r, true
		}
		return nil
	})
	if err != nil || !found {
		w.t.Fatalf("journal: no single end record for session %s: %v", session, err)
	}
	return end, rep
}
