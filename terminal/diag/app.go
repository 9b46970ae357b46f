package diag

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"kofu/internal/screentext"
	"kofu/terminal/health"
)

// Options configure a Diag.
type Options struct {
	// Backend answers every question (required).
	Backend Backend
	// Title names what is being looked at, e.g. the configuration file.
	Title string
	// Screen is the terminal; nil: the real one. Tests pass
	// tcell.NewSimulationScreen.
	Screen tcell.Screen
}

// Diag is the technician UI.
type Diag struct {
	app     *tview.Application
	be      Backend
	title   string
	frame   *frame
	views   []view
	loads   []func(ctx context.Context) func() // per view: ask the backend, return what to show
	stopped chan struct{}
	running atomic.Bool
	ctx     context.Context // Run's context: loads end with it

	// Owned by the event loop.
	cur    int
	gen    []int // per view: the generation of the load whose answer counts
	screen tcell.Screen

	overview *overviewView
	reader   *readerView
	printer  *printerView
	center   *centerView
	journal  *journalView
	counters *countersView
}

// New builds the technician UI; nothing is drawn until Run.
func New(o Options) (*Diag, error) {
	if o.Backend == nil {
		return nil, errors.New("diag: no backend")
	}
	app := tview.NewApplication()
	if o.Screen != nil {
		app.SetScreen(o.Screen)
	}
	d := &Diag{app: app, be: o.Backend, title: o.Title, frame: newFrame(),
		stopped: make(chan struct{}), ctx: context.Background(),
		overview: newOverview(), reader: newReader(), printer: newPrinter(), center: newCenter(),
		journal: newJournal(), counters: newCounters()}
	d.views = []view{d.overview, d.reader, d.printer, d.center, d.journal, d.counters}
	d.loads = []func(context.Context) func(){d.loadOverview, d.loadReader, d.loadPrinter, d.loadCenter, d.loadJournal, d.loadJournal}
	d.gen = make([]int, len(d.views))
	for _, v := range d.views {
		d.frame.add(v)
	}
	app.SetRoot(d.frame.root, true)
	app.SetInputCapture(d.onKey)
	app.SetAfterDrawFunc(func(s tcell.Screen) { d.screen = s })
	d.frame.paint(d.views, d.cur, d.title)
	return d, nil
}

// Run runs the UI until ctx ends, Q is pressed or Stop is called. It
// starts on the overview with every check running.
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
		d.app.QueueUpdateDraw(func() { d.refresh(0) })
		select {
		case <-ctx.Done():
			d.app.Stop()
		case <-d.stopped:
		}
	}()
	return d.app.Run()
}

// Stop ends Run.
func (d *Diag) Stop() { d.app.Stop() }

// refresh asks the backend for screen i again (event loop only). An
// answer to an older question is dropped.
func (d *Diag) refresh(i int) {
	d.gen[i]++
	g := d.gen[i]
	d.views[i].pending()
	load := d.loads[i]
	ctx := d.ctx
	go func() {
		apply := load(ctx)
		if ctx.Err() != nil {
			return
		}
		d.app.QueueUpdateDraw(func() {
			if d.gen[i] == g {
				apply()
			}
		})
	}()
}

// onKey routes every key (event loop).
func (d *Diag) onKey(ev *tcell.EventKey) *tcell.EventKey {
	k := readKey(ev)
	switch {
	case k.kind == keyQuit || (k.kind == keyRune && k.r == 'Q'):
		d.app.Stop()
		return nil
	case k.kind == keyRune && k.r >= '1' && int(k.r-'1') < len(d.views):
		d.show(int(k.r - '1'))
	case k.kind == keyTab:
		d.show((d.cur + 1) % len(d.views))
	case k.kind == keyBacktab:
		d.show((d.cur + len(d.views) - 1) % len(d.views))
	case k.kind == keyRune && k.r == 'R':
		d.refresh(d.cur)
	default:
		if d.views[d.cur].handle(k) == actTestPage {
			d.testPage()
		}
	}
	d.frame.paint(d.views, d.cur, d.title)
	return nil
}

// show switches to screen i, asking the backend the first time.
func (d *Diag) show(i int) {
	d.cur = i
	if d.gen[i] == 0 {
		d.refresh(i)
	}
}

// testPage prints a test page, then reads the printer again.
func (d *Diag) testPage() {
	d.printer.printing()
	ctx := d.ctx
	go func() {
		r := d.be.TestPage(ctx)
		if ctx.Err() != nil {
			return
		}
		d.app.QueueUpdateDraw(func() {
			d.printer.setTestPage(r)
			d.refresh(2)
		})
	}()
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
		d.journal.set(s, r)
		d.counters.set(s, r)
	}
}

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
