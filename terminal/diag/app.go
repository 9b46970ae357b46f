package diag

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"kofu/internal/screentext"
	"kofu/terminal/health"
)

// Refresh is how often each screen asks again while it is shown.
type Refresh struct {
	Checks  time.Duration // the overview's checks (they include the center)
	Reader  time.Duration // the readers and the card
	Printer time.Duration // the printer's status
	Center  time.Duration // the center probe
	Journal time.Duration // the journal, the counters and the outbox
}

// DefaultRefresh: the printer and the reader every few seconds, the
// center every minute.
func DefaultRefresh() Refresh {
	return Refresh{Checks: time.Minute, Reader: 5 * time.Second, Printer: 5 * time.Second, Center: time.Minute, Journal: 10 * time.Second}
}

func (r Refresh) orDefault() Refresh {
	d := DefaultRefresh()
	for _, p := range []struct{ v, def *time.Duration }{{&r.Checks, &d.Checks}, {&r.Reader, &d.Reader},
		{&r.Printer, &d.Printer}, {&r.Center, &d.Center}, {&r.Journal, &d.Journal}} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return r
}

// Options configure a Diag.
type Options struct {
	// Backend answers every question (required).
	Backend Backend
	// Title names what is being looked at: "emulator" or the
	// configuration file.
	Title string
	// SW is the kiosk's build ("kofu-kiosk/<version>+<revision>") and
	// Profile its deployment profile, for the header.
	SW, Profile string
	// Uptime is the machine's uptime (nil: not shown).
	Uptime func() time.Duration
	// Now is the clock results are stamped with (default time.Now).
	Now func() time.Time
	// Zone is the zone times are shown in (default: Zone()).
	Zone *time.Location
	// Refresh is how often each screen asks again (zero fields: the
	// defaults).
	Refresh Refresh
	// Screen is the terminal; nil: the real one. Tests pass
	// tcell.NewSimulationScreen.
	Screen tcell.Screen
	// Who is the technician, journaled with every action that changes
	// something; Login, when set, asks for the credential first and Who
	// becomes whoever logged in.
	Who   string
	Login Login
}

// screen is a view with what feeds it: its load, how often it runs,
// when the shown answer was taken.
type screen struct {
	v     view
	load  func(ctx context.Context) func() // ask the backend, return what to show; nil: nothing to ask
	every time.Duration
	taken time.Time // when the shown answer was asked; zero: never
	asked time.Time // when the load in flight began; zero: none
	gen   int
	// shares is the screen its load also feeds (journal and counters).
	shares *screen
}

// longAction is an action that takes a while (a test page, a send): it
// shows its progress on its screen and Esc there cancels it.
type longAction struct {
	what    string
	owner   *screen
	started time.Time
	cancel  context.CancelFunc
}

// Diag is the technician UI.
type Diag struct {
	app     *tview.Application
	be      Backend
	o       Options
	frame   *frame
	stopped chan struct{}
	running atomic.Bool
	ctx     context.Context // Run's context: loads end with it

	// Owned by the event loop.
	tabs    []*screen
	stack   []*screen // drilled into from the current tab (a session, the help)
	cur     int
	long    *longAction
	prompt  rune // ':' or '/' while the command line or the filter is open; 'i', 'p' at the login
	who     string
	locked  bool   // the login has not succeeded yet
	loginID string // the ID typed at the login
	failed  error  // why Run ends (the login failed)
	finding string // :session REF waits for the journal
	confirm bool   // Q was pressed: the next key says whether to quit
	message string
	screen  tcell.Screen

	overview *overviewView
	reader   *readerView
	printer  *printerView
	center   *centerView
	journal  *journalView
	counters *countersView
	outbox   *outboxView
	session  *sessionView
	help     *helpView
	login    *loginView
	gate     *screen // the login screen
}

// New builds the technician UI; nothing is drawn until Run.
func New(o Options) (*Diag, error) {
	if o.Backend == nil {
		return nil, errors.New("diag: no backend")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Zone == nil {
		o.Zone = Zone()
	}
	o.Refresh = o.Refresh.orDefault()
	app := tview.NewApplication()
	if o.Screen != nil {
		app.SetScreen(o.Screen)
	}
	d := &Diag{app: app, be: o.Backend, o: o, frame: newFrame(),
		stopped: make(chan struct{}), ctx: context.Background(),
		overview: newOverview(), reader: newReader(), printer: newPrinter(), center: newCenter(),
		journal: newJournal(), counters: newCounters(), outbox: newOutbox(), session: newSession(), help: newHelp(),
		who: o.Who, login: newLoginView()}
	d.gate = &screen{v: d.login}
	d.locked = o.Login != nil
	r := o.Refresh
	d.tabs = []*screen{
		{v: d.overview, load: d.loadOverview, every: r.Checks},
		{v: d.reader, load: d.loadReader, every: r.Reader},
		{v: d.printer, load: d.loadPrinter, every: r.Printer},
		{v: d.center, load: d.loadCenter, every: r.Center},
		{v: d.journal, load: d.loadJournal, every: r.Journal},
		{v: d.counters, load: d.loadJournal, every: r.Journal},
		{v: d.outbox, load: d.loadOutbox, every: r.Journal},
	}
	d.tabs[4].shares, d.tabs[5].shares = d.tabs[5], d.tabs[4]
	d.frame.input.SetDoneFunc(d.onPromptDone)
	d.frame.input.SetChangedFunc(d.onPromptChanged)
	app.SetRoot(d.frame.root, true)
	app.SetInputCapture(d.onKey)
	app.SetAfterDrawFunc(func(s tcell.Screen) { d.screen = s })
	d.paint()
	return d, nil
}

// Run runs the UI until ctx ends, Q is pressed (and confirmed) or Stop is
// called. It starts on the overview with every check running, and asks
// the shown screen again on its schedule.
func (d *Diag) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("diag: Run called twice")
	}
	defer close(d.stopped)
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d.ctx = ctx
	go func() {
		d.app.QueueUpdateDraw(func() {
			if d.locked {
				d.askLogin("")
				return
			}
			d.refresh(d.tabs[0])
		})
		t := time.NewTicker(d.tickEvery())
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				d.app.Stop()
				return
			case <-d.stopped:
				return
			case <-t.C:
				d.app.QueueUpdateDraw(d.tick)
			}
		}
	}()
	if err := d.app.Run(); err != nil {
		return fmt.Errorf("diag: %w", err)
	}
	return d.failed
}

// tickEvery is how often the schedule is looked at: a quarter of the
// shortest interval, between 50 ms and 1 s.
func (d *Diag) tickEvery() time.Duration {
	m := time.Second
	for _, s := range d.tabs {
		m = min(m, s.every/4)
	}
	return max(m, 50*time.Millisecond)
}

// Stop ends Run.
func (d *Diag) Stop() { d.app.Stop() }

func (d *Diag) now() time.Time { return d.o.Now() }

// top is the screen shown.
func (d *Diag) top() *screen {
	if d.locked {
		return d.gate
	}
	if n := len(d.stack); n > 0 {
		return d.stack[n-1]
	}
	return d.tabs[d.cur]
}

// tick runs the schedule (event loop): the shown screen is asked again
// when its answer is older than its interval; a long action's progress
// moves on.
func (d *Diag) tick() {
	s := d.top()
	if s.load != nil && s.asked.IsZero() && !d.suspended(s) && !s.taken.IsZero() && d.now().Sub(s.taken) >= s.every {
		d.refresh(s)
	}
	d.progress()
	d.paint()
}

// suspended: the printer is not asked while a test page holds it (its
// job asks the printer itself, every second).
func (d *Diag) suspended(s *screen) bool {
	return d.long != nil && d.long.owner == s && s.v == view(d.printer)
}

// refresh asks the backend for screen s again (event loop). The shown
// answer stays until the new one comes; an answer to an older question is
// dropped.
func (d *Diag) refresh(s *screen) {
	if s.load == nil || d.suspended(s) {
		return
	}
	s.gen++
	g := s.gen
	s.asked = d.now()
	load, ctx := s.load, d.ctx
	if s.taken.IsZero() && len(s.v.pane().lines) == 0 {
		s.v.pane().set([]line{loadingLine()})
	}
	go func() {
		apply := load(ctx)
		if ctx.Err() != nil {
			return
		}
		d.app.QueueUpdateDraw(func() {
			if s.gen != g {
				return
			}
			if s.shares != nil { // the journal feeds two screens
				s.shares.taken = s.asked
			}
			s.taken, s.asked = s.asked, time.Time{}
			apply()
			d.paint()
		})
	}()
}

// show switches to tab i, asking the backend when its answer is missing
// or older than its interval.
func (d *Diag) show(i int) {
	d.stack = nil
	d.cur = i
	s := d.tabs[i]
	if s.asked.IsZero() && (s.taken.IsZero() || d.now().Sub(s.taken) >= s.every) {
		d.refresh(s)
	}
}

// push shows s over the current tab.
func (d *Diag) push(s *screen) { d.stack = append(d.stack, s) }

// back goes back from a drill-down or the help.
func (d *Diag) back() bool {
	if len(d.stack) == 0 {
		return false
	}
	d.stack = d.stack[:len(d.stack)-1]
	return true
}

// paint draws the frame for the shown screen.
func (d *Diag) paint() {
	s := d.top()
	now := d.now()
	refreshed := "never"
	if !s.taken.IsZero() {
		refreshed = clockTime(s.taken, d.o.Zone) + " " + zoneName(d.o.Zone, now)
	}
	up := ""
	if d.o.Uptime != nil {
		up = uptime(d.o.Uptime())
	}
	d.frame.header.SetText(headerText(d.o.Title, d.o.Profile, d.o.SW, up, refreshed))
	names := make([]string, len(d.tabs))
	for i, t := range d.tabs {
		names[i] = t.v.name()
	}
	d.frame.tabs.SetText(tabsText(names, d.cur))
	d.frame.show(s.v)
	p := s.v.pane()
	title := " " + s.v.name()
	if !s.taken.IsZero() {
		title += " · taken " + clockTime(s.taken, d.o.Zone) + " (" + ago(s.taken, now) + ")"
	}
	if !s.asked.IsZero() {
		title += fmt.Sprintf(" · asking %ds…", int(now.Sub(s.asked).Seconds()))
	}
	if p.filter != "" {
		n, all := p.counts()
		title += fmt.Sprintf(" · /%s %d of %d", p.filter, n, all)
	}
	p.SetTitle(esc(title + " "))
	keys := keymapEntries(s.v.bindings(), d.globals())
	if d.locked {
		keys = keymapEntries(s.v.bindings())
	}
	d.frame.keymap.set(keys)
	d.frame.keymap1.set(keys)
	switch {
	case d.prompt != 0:
		d.frame.bottom.SwitchToPage("input")
	case d.confirm:
		d.frame.msg.SetText(tagWarn + "Quit kiosk diag? Y quits, any other key stays." + tagOff)
		d.frame.bottom.SwitchToPage("msg")
	case d.message != "":
		d.frame.msg.SetText(d.message)
		d.frame.bottom.SwitchToPage("msg")
	default:
		d.frame.bottom.SwitchToPage("keys")
	}
}

// say shows a message on the bottom row until the next key.
func (d *Diag) say(tag, msg string) { d.message = tag + esc(msg) + tagOff }

// Snapshot returns the text on screen as last drawn, one line per row,
// trailing spaces cut; "" once the UI stopped.
func (d *Diag) Snapshot() string {
	select {
	case <-d.stopped:
		return ""
	default:
	}
	ch := make(chan string, 1)
	go d.app.QueueUpdate(func() { ch <- screentext.Of(d.screen) })
	select {
	case s := <-ch:
		return s
	case <-d.stopped:
		return ""
	}
}

// The loads: each asks the backend and returns what to show.

func (d *Diag) loadOverview(ctx context.Context) func() {
	rep := health.Run(ctx, d.be.Checks(), 0)
	return func() { d.overview.set(rep) }
}

func (d *Diag) loadReader(ctx context.Context) func() {
	names, rr := d.be.Readers(ctx)
	tr := health.NewTrace(0) // this card operation's APDUs only
	info, cr := d.be.Card(ctx, tr)
	trace := tr.Lines()
	return func() { d.reader.set(names, rr, info, cr, trace) }
}

func (d *Diag) loadPrinter(ctx context.Context) func() {
	info, r := d.be.Printer(ctx)
	return func() { d.printer.set(info, r) }
}

func (d *Diag) loadCenter(ctx context.Context) func() {
	info, r := d.be.Center(ctx)
	return func() { d.center.set(info, r) }
}

// loadJournal feeds both the journal and the counters screens.
func (d *Diag) loadJournal(ctx context.Context) func() {
	s, r := d.be.Journal(ctx)
	return func() {
		now := d.now()
		d.journal.set(s, r, d.o.Zone, now)
		d.counters.set(s, r)
		d.counters.draw(d.o.Zone, now)
		if q := d.finding; q != "" && s != nil {
			d.finding = ""
			d.message = ""
			d.findSession(q)
		}
	}
}

func (d *Diag) loadOutbox(ctx context.Context) func() {
	pending, err := d.be.Outbox(ctx)
	return func() { d.outbox.set(pending, err) }
}
