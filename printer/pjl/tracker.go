package pjl

import (
	"fmt"
	"strconv"
)

// State is where a tracked job stands.
type State int

// Job states as the Tracker sees them.
const (
	Waiting State = iota // no decision yet (not synchronised, or no END)
	Printed              // END for this job, RESULT OK or absent, PAGES ≥ expected, no fault
	NotOK                // END came but the job is not confirmed (see Verdict)
)

func (s State) String() string {
	switch s {
	case Waiting:
		return "waiting"
	case Printed:
		return "printed"
	case NotOK:
		return "not-ok"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Fault is a status code that arrived after the job began.
type Fault struct {
	Code    int
	Class   Class
	Display string
}

func (f Fault) String() string {
	if f.Display != "" {
		return fmt.Sprintf("%d %s (%q)", f.Code, f.Class, f.Display)
	}
	return fmt.Sprintf("%d %s", f.Code, f.Class)
}

// Verdict is the Tracker's current answer.
type Verdict struct {
	State  State
	Synced bool   // the ECHO came back: later readback belongs to this job
	Start  bool   // USTATUS JOB START for this job seen
	End    bool   // USTATUS JOB END for this job seen
	Pages  int    // PAGES of the END (−1 if absent)
	Out    int    // pages the printer reported out (USTATUS PAGE) since START: progress only, never proof
	Result string // RESULT of the END ("" if absent)
	Fault  *Fault // first fatal status code since the job began
	Last   *Fault // last status code of any class since the job began
	Reason string // why NotOK
}

// Tracker decides whether one job printed, from the readback messages in
// order. Everything before the job's ECHO comes back is stale and
// ignored; after it, the job is Printed only on a USTATUS JOB END naming
// this job with RESULT=OK or no RESULT, PAGES at least the pages sent,
// and no fatal status code (Class.Fatal) since the ECHO. Ends of other
// jobs are ignored.
type Tracker struct {
	job   Job
	pages int
	v     Verdict
}

// NewTracker tracks job, which sends pages pages.
func NewTracker(job Job, pages int) *Tracker {
	return &Tracker{job: job, pages: pages, v: Verdict{Pages: -1}}
}

// Verdict returns the current verdict.
func (t *Tracker) Verdict() Verdict { return t.v }

// Observe takes one message and returns the verdict after it.
func (t *Tracker) Observe(m Message) Verdict {
	v := &t.v
	if v.State != Waiting {
		return *v
	}
	if !v.Synced {
		if m.Kind == KindEcho && m.Text == t.job.Echo {
			v.Synced = true
		}
		return *v
	}
	if code, ok := m.Code(); ok && (m.Kind == KindUStatus || m.Kind == KindInfo) {
		f := &Fault{Code: code, Class: Classify(code), Display: m.Fields["DISPLAY"]}
		v.Last = f
		if f.Class.Fatal() && v.Fault == nil {
			v.Fault = f
		}
	}
	if m.Kind == KindUStatus && m.Category == "PAGE" && v.Start && !v.End {
		// USTATUS PAGE names no job; only pages after our START count, and
		// only for the screen: the END's PAGES alone confirms the job.
		for _, w := range m.Words {
			if n, err := strconv.Atoi(w); err == nil && n > v.Out && n <= t.pages {
				v.Out = n
			}
		}
		return *v
	}
	if m.Kind != KindUStatus || m.Category != "JOB" || m.Fields["NAME"] != t.job.Name {
		return *v
	}
	if m.Has("START") {
		v.Start = true
	}
	if !m.Has("END") {
		return *v
	}
	v.End = true
	v.Result = m.Fields["RESULT"]
	if p, ok := m.Fields["PAGES"]; ok {
		if n, err := strconv.Atoi(p); err == nil && n >= 0 {
			v.Pages = n
		}
	}
	switch {
	case v.Fault != nil:
		v.State, v.Reason = NotOK, "status "+v.Fault.String()+" during the job"
	case v.Result != "" && v.Result != "OK":
		v.State, v.Reason = NotOK, "job ended with RESULT="+v.Result
	case v.Pages < 0:
		v.State, v.Reason = NotOK, "job ended without a page count"
	case v.Pages < t.pages:
		v.State, v.Reason = NotOK, fmt.Sprintf("job ended with %d of %d pages", v.Pages, t.pages)
	default:
		v.State = Printed
	}
	return *v
}
