package diag

import (
	"context"
	"errors"
	"fmt"
	"kofu/terminal/uikit"
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/terminal/health"
)

// globals is the key table of every screen, after the screen's own.
func (d *Diag) globals() []binding {
	digits := make([]key, len(d.tabs))
	for i := range d.tabs {
		digits[i] = rk(rune('1' + i))
	}
	return []binding{
		{Keys: []key{rk('?')}, Label: "?", Does: "help: every key of this screen", Short: "help", Act: actHelp, Keymap: true},
		{Keys: []key{rk(':')}, Label: ":", Does: "command line (:printer, :journal, :session ID, :testpage, :selftest, :q)", Short: "command", Act: actCommand, Keymap: true},
		{Keys: []key{rk('R')}, Label: "R", Does: "ask again now (each screen also asks on its own schedule)", Short: "refresh", Act: actRefresh, Keymap: true},
		{Keys: digits, Label: fmt.Sprintf("1-%d", len(d.tabs)), Does: "switch to that screen", Act: actShow},
		{Keys: []key{kk(uikit.Tab), kk(uikit.Right)}, Label: "Tab →", Does: "next screen", Act: actNext},
		{Keys: []key{kk(uikit.Backtab), kk(uikit.Left)}, Label: "Shift-Tab ←", Does: "previous screen", Act: actPrev},
		{Keys: []key{rk('Q')}, Label: "Q", Does: "quit (asks first)", Short: "quit", Act: actQuit, Keymap: true},
		{Keys: []key{kk(uikit.CtrlC)}, Label: "Ctrl-C", Does: "quit at once", Act: actQuitNow},
	}
}

// onKey routes every key (event loop).
func (d *Diag) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if d.locked {
		switch {
		case ev.Key() == tcell.KeyCtrlC:
			d.app.Stop()
		case ev.Key() == tcell.KeyEscape && d.prompt != 0:
			d.askLogin("")
			d.paint()
		case d.prompt != 0:
			return ev
		}
		return nil
	}
	if d.prompt != 0 {
		if ev.Key() == tcell.KeyEscape {
			d.closePrompt(true)
			d.paint()
			return nil
		}
		return ev // the command line or the filter takes it
	}
	k := uikit.Read(ev)
	if d.confirm {
		d.confirm = false
		if k == rk('Y') || k == kk(uikit.CtrlC) {
			d.app.Stop()
			return nil
		}
		d.paint()
		return nil
	}
	d.message = ""
	s := d.top()
	if b, ok := lookup(k, s.v.bindings(), d.globals()); ok {
		d.do(b.Act, k)
	}
	d.paint()
	return nil
}

// do carries out an action of the shown screen (event loop).
func (d *Diag) do(a action, k key) {
	s := d.top()
	p := s.v.pane()
	switch a {
	case actShow:
		d.show(int(k.R - '1'))
	case actNext:
		d.show((d.cur + 1) % len(d.tabs))
	case actPrev:
		d.show((d.cur + len(d.tabs) - 1) % len(d.tabs))
	case actRefresh:
		if d.suspended(s) {
			d.say(tagWarn, "the printer is busy with the test page; its state shows when the job ends (Esc cancels it)")
			return
		}
		d.refresh(s)
	case actHelp:
		d.help.show(s.v.name(), s.v.bindings(), d.globals())
		d.push(&screen{v: d.help})
	case actCommand:
		d.openPrompt(':', "")
	case actFilter:
		d.openPrompt('/', p.filter)
	case actQuit:
		d.confirm = true
	case actQuitNow:
		d.app.Stop()
	case actUp:
		p.move(-1)
	case actDown:
		p.move(1)
	case actPgUp:
		p.move(-p.page())
	case actPgDn:
		p.move(p.page())
	case actTop:
		p.home()
	case actBottom:
		p.end()
	case actBack:
		d.escape(s)
	case actOpen:
		d.open(s)
	case actTestPage:
		d.testPage()
	case actSendOutbox:
		d.sendOutbox()
	case actExport:
		d.export()
	case actWindow:
		d.counters.nextWindow()
		d.counters.draw(d.o.Zone, d.now())
	}
}

// escape cancels the long action of this screen, else clears its
// filter, else goes back.
func (d *Diag) escape(s *screen) {
	switch {
	case d.long != nil && d.long.owner == s:
		d.long.cancel()
		d.say(tagWarn, "cancelling "+d.long.what+"…")
	case s.v.pane().filter != "":
		s.v.pane().setFilter("")
	default:
		d.back()
	}
}

// open drills into the selected row: a check opens its screen, a
// session its records.
func (d *Diag) open(s *screen) {
	id := s.v.pane().selected()
	if id == "" {
		return
	}
	if s.v == view(d.overview) {
		for i, names := range [][]string{nil, {"reader", "card"}, {"printer"}, {"center"}, {"journal", "disk", "keys"}} {
			for _, n := range names {
				if n == id {
					d.show(i)
					return
				}
			}
		}
		return
	}
	d.openSession(id)
}

// openSession drills into session id: every journal record of it.
func (d *Diag) openSession(id string) {
	old := d.session.name()
	d.session.loading(id)
	d.frame.drop(old)
	sum, listed := d.journal.session(id)
	zone := d.o.Zone
	sc := &screen{v: d.session, every: d.o.Refresh.Journal}
	sc.load = func(ctx context.Context) func() {
		recs, err := d.be.Session(ctx, id)
		return func() {
			s := sum
			if !listed || len(recs) > 0 {
				s = sessionOf(id, recs)
			}
			d.session.set(s, recs, err, zone, d.now(), "")
		}
	}
	d.push(sc)
	d.refresh(sc)
}

// Prompts: the command line (:) and the filter (/).

func (d *Diag) openPrompt(kind rune, text string) {
	d.prompt = kind
	label := string(kind)
	switch kind {
	case 'i':
		label = "technician ID: "
	case 'p':
		label = "PIN: "
	}
	var mask rune
	if kind == 'p' {
		mask = '*'
	}
	d.frame.input.SetLabel(label).SetText(text).SetMaskCharacter(mask)
	d.app.SetFocus(d.frame.input)
}

// closePrompt closes the prompt; cancel (Esc) of a filter clears it.
func (d *Diag) closePrompt(cancel bool) {
	if d.prompt == '/' && cancel {
		d.top().v.pane().setFilter("")
	}
	d.prompt = 0
	d.app.SetFocus(d.frame.body)
}

// onPromptChanged filters as the technician types.
func (d *Diag) onPromptChanged(text string) {
	if d.prompt == '/' {
		d.top().v.pane().setFilter(text)
		d.paint()
	}
}

// onPromptDone takes Enter in the prompt.
func (d *Diag) onPromptDone(k tcell.Key) {
	if k != tcell.KeyEnter {
		return
	}
	kind, text := d.prompt, d.frame.input.GetText()
	d.closePrompt(false)
	d.frame.input.SetText("")
	switch kind {
	case ':':
		d.command(text)
	case 'i':
		d.loginID = strings.TrimSpace(text)
		d.openPrompt('p', "")
	case 'p':
		d.checkLogin(d.loginID, text)
	}
	d.paint()
}

// commandHelp lists the commands for the help screen.
func commandHelp() [][2]string {
	return [][2]string{
		{"overview", "the checks (also :checks)"},
		{"reader", "the card reader and card (also :card)"},
		{"printer", "the printer"},
		{"center", "the center"},
		{"journal", "the journal's sessions"},
		{"counters", "the counters"},
		{"outbox", "what the center has not heard yet"},
		{"session REF", "a session by the resident's reference number (or its id)"},
		{"testpage", "print a test page"},
		{"selftest", "run every check again, on the overview"},
		{"send", "send the outbox now"},
		{"help", "this help"},
		{"q", "quit at once (also :quit)"},
	}
}

// command carries out a command line.
func (d *Diag) command(line string) {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	tabs := map[string]int{"overview": 0, "checks": 0, "reader": 1, "card": 1, "printer": 2, "center": 3,
		"journal": 4, "counters": 5, "outbox": 6}
	if i, ok := tabs[strings.ToLower(name)]; ok {
		d.show(i)
		return
	}
	switch strings.ToLower(name) {
	case "":
	case "q", "q!", "quit":
		d.app.Stop()
	case "help":
		d.do(actHelp, key{})
	case "selftest":
		d.show(0)
		d.refresh(d.tabs[0])
	case "testpage":
		d.show(2)
		d.testPage()
	case "send":
		d.show(6)
		d.sendOutbox()
	case "session":
		d.findSession(arg)
	default:
		d.say(tagFail, fmt.Sprintf("no command %q: ? lists them", name))
	}
}

// findSession opens the session a reference number names; several:
// the journal filtered to them.
func (d *Diag) findSession(q string) {
	if q == "" {
		d.say(tagFail, ":session needs the resident's reference number, e.g. :session 4821-9930-1177")
		return
	}
	found := findSessions(d.journal.sessions, q)
	switch len(found) {
	case 0:
		if d.tabs[4].taken.IsZero() {
			// The journal was not read yet: read it, then look.
			d.finding = q
			d.refresh(d.tabs[4])
			d.say(tagDim, "reading the journal…")
			return
		}
		d.say(tagFail, fmt.Sprintf("no session in the journal matches %q", q))
	case 1:
		d.openSession(found[0].ID)
	default:
		d.show(4)
		d.journal.p.setFilter(q)
		d.say(tagWarn, fmt.Sprintf("%d sessions match %q: Enter opens one", len(found), q))
	}
}

// Long actions.

// begin starts a long action owned by screen owner; false when another
// one runs.
func (d *Diag) begin(what string, owner *screen, run func(ctx context.Context) func()) bool {
	if d.long != nil {
		d.say(tagWarn, d.long.what+" is still running (Esc on its screen cancels it)")
		return false
	}
	ctx, cancel := context.WithCancel(d.ctx)
	d.long = &longAction{what: what, owner: owner, started: d.now(), cancel: cancel}
	me := d.long
	d.progress()
	go func() {
		defer cancel()
		apply := run(ctx)
		if d.ctx.Err() != nil {
			return
		}
		d.app.QueueUpdateDraw(func() {
			if d.long == me {
				d.long = nil
			}
			apply()
			d.paint()
		})
	}()
	return true
}

// progress shows how long the long action has run.
func (d *Diag) progress() {
	l := d.long
	if l == nil {
		return
	}
	msg := fmt.Sprintf("%s… %ds (Esc cancels)", l.what, int(d.now().Sub(l.started).Seconds()))
	switch l.owner.v {
	case view(d.printer):
		d.printer.printing(msg)
	case view(d.outbox):
		d.outbox.sending = msg
		d.outbox.sentProgress()
	}
}

// testPage prints a test page; the printer is read again after it.
func (d *Diag) testPage() {
	owner := d.tabs[2]
	d.begin("printing a test page", owner, func(ctx context.Context) func() {
		r := d.be.TestPage(ctx)
		if errors.Is(ctx.Err(), context.Canceled) && r.Status != health.OK {
			r.Detail = "cancelled by the technician: " + r.Detail
		}
		result := strings.ToLower(r.Status.String())
		if errors.Is(ctx.Err(), context.Canceled) {
			result = "cancelled"
		}
		auditErr := d.be.Audit(context.WithoutCancel(ctx), Audit{Who: d.who, Action: "testpage", Result: result})
		return func() {
			d.printer.printed(r)
			d.refresh(owner)
			d.sayErr(auditErr)
		}
	})
}

// sendOutbox sends what the center has not heard; the outbox is read
// again after it.
func (d *Diag) sendOutbox() {
	owner := d.tabs[6]
	d.begin("sending the outbox", owner, func(ctx context.Context) func() {
		start := time.Now()
		n, err := d.be.SendOutbox(ctx)
		took := time.Since(start).Round(time.Millisecond)
		result := "ok"
		if err != nil {
			result = "failed"
		}
		auditErr := d.be.Audit(context.WithoutCancel(ctx), Audit{Who: d.who, Action: "outbox-send", Result: result, Count: n})
		return func() {
			d.sayErr(auditErr)
			if err != nil {
				d.outbox.sent(fmt.Sprintf("FAIL the center acknowledged %d, then: %v (%v); the rest stays in the outbox", n, err, took), true)
			} else {
				d.outbox.sent(fmt.Sprintf("OK sent (%v): the center acknowledged %d; an outcome it refused for good (an expired or closed ticket) is taken out, journaled", took, n), false)
			}
			d.refresh(owner)
		}
	})
}

// sayErr shows an error of a journal write.
func (d *Diag) sayErr(err error) {
	if err != nil {
		d.say(tagFail, err.Error())
	}
}

// export writes the shown session's records for the center, codes only.
func (d *Diag) export() {
	owner := d.top()
	id := d.session.id
	d.begin("exporting the session's records", owner, func(ctx context.Context) func() {
		path, err := d.be.Export(ctx, id, d.who)
		result := "ok"
		if err != nil {
			result = "failed"
		}
		auditErr := d.be.Audit(context.WithoutCancel(ctx), Audit{Who: d.who, Action: "export", Result: result, Session: id})
		return func() {
			if err != nil {
				d.say(tagFail, "export failed: "+err.Error())
				return
			}
			d.say(tagOK, "exported for the center (codes only): "+path)
			d.sayErr(auditErr)
			d.refresh(owner)
		}
	})
}

// askLogin asks for the technician's ID, saying why the last try failed.
func (d *Diag) askLogin(why string) {
	d.login.why = why
	d.login.draw(false)
	d.openPrompt('i', "")
}

// checkLogin checks the credential off the event loop; three wrong ones
// end kiosk diag. Both outcomes are journaled.
func (d *Diag) checkLogin(id, pin string) {
	d.login.draw(true)
	login, ctx := d.o.Login, d.ctx
	go func() {
		who, err := login(ctx, id, pin)
		// A refused login is journaled without the ID typed: it may be
		// a PIN typed in the wrong field.
		a := Audit{Who: "unknown", Action: "login", Result: "refused"}
		if err == nil {
			a.Who, a.Result = who, "ok"
		}
		auditErr := d.be.Audit(ctx, a)
		d.app.QueueUpdateDraw(func() {
			if err == nil {
				d.locked, d.who = false, who
				d.app.SetFocus(d.frame.body)
				d.refresh(d.tabs[0])
				d.sayErr(auditErr)
				d.paint()
				return
			}
			d.login.left--
			if d.login.left <= 0 {
				d.failed = fmt.Errorf("diag: %d wrong technician credentials: %w", loginTries, err)
				d.app.Stop()
				return
			}
			d.askLogin(fmt.Sprintf("%v (%d tries left)", err, d.login.left))
			d.paint()
		})
	}()
}
