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

// Count is what one job puts on paper, and how the printer counts it in
// USTATUS PAGE and the END's PAGES.
//
// HP's reference ("Status Readback", and "Programming Tips": "the page
// count is incremented by one for each simplex page formatted, and by two
// for each duplex page formatted") counts faces; other vendors' PJL
// emulations count sheets. Which one a printer does is a quirk of the
// printer (PagesCountSheets). A two-sided job is confirmed only on a
// PAGES exactly equal to the count the printer's semantics expects: with
// 3 sheets and 6 faces, PAGES=3 on a printer that counts faces is half
// the faces, and PAGES=6 on one that counts sheets is six sheets — each
// face on a sheet of its own — and neither is the document.
type Count struct {
	Faces  int  // impressions the job sends
	Sheets int  // sheets: Faces for a one-sided job
	Duplex bool // the job is two-sided
	// PagesCountSheets: the printer's PAGES counts sheets (a quirk);
	// false, as on HP, it counts faces.
	PagesCountSheets bool
}

// Simplex is the Count of a one-sided job of n pages.
func Simplex(n int) Count { return Count{Faces: n, Sheets: n} }

// Pages is the PAGES a printer with this count's semantics reports for
// the whole job.
func (c Count) Pages() int {
	if c.Duplex && c.PagesCountSheets {
		return c.Sheets
	}
	return c.Faces
}

// FacesOf turns a count the printer reported (USTATUS PAGE, PAGES) into
// faces, at most Faces: a sheet-counting printer's sheet n of a duplex
// job has put both its faces on paper.
func (c Count) FacesOf(n int) int {
	if c.Duplex && c.PagesCountSheets {
		n *= 2
	}
	return min(max(n, 0), c.Faces)
}

// SheetsOf is FacesOf in sheets: the sheets whose every face a count the
// printer reported covers.
func (c Count) SheetsOf(n int) int {
	if !c.Duplex {
		return min(max(n, 0), c.Sheets)
	}
	if c.PagesCountSheets {
		return min(max(n, 0), c.Sheets)
	}
	return min(max(n, 0)/2, c.Sheets)
}

// Tracker decides whether one job printed, from the readback messages in
// order. Everything before the job's ECHO comes back is stale and
// ignored; after it, the job is Printed only on a USTATUS JOB END naming
// this job with RESULT=OK or no RESULT, PAGES at least the pages sent,
// and no fatal status code (Class.Fatal) since the ECHO. Ends of other
// jobs are ignored. A two-sided job (Count.Duplex) needs PAGES exactly
// the count the printer's semantics expects (Count).
type Tracker struct {
	job   Job
	count Count
	pages int // PAGES expected
	v     Verdict
}

// NewTracker tracks job, which sends pages pages on one side each.
func NewTracker(job Job, pages int) *Tracker { return NewCountTracker(job, Simplex(pages)) }

// NewCountTracker tracks job, which puts c on paper.
func NewCountTracker(job Job, c Count) *Tracker {
	return &Tracker{job: job, count: c, pages: c.Pages(), v: Verdict{Pages: -1}}
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
	case t.count.Duplex && v.Pages < t.pages:
		v.State, v.Reason = NotOK, t.ambiguous(v.Pages)
	case v.Pages < t.pages:
		v.State, v.Reason = NotOK, fmt.Sprintf("job ended with %d of %d pages", v.Pages, t.pages)
	case t.count.Duplex && v.Pages != t.pages:
		v.State, v.Reason = NotOK, t.ambiguous(v.Pages)
	default:
		v.State = Printed
	}
	return *v
}

// ambiguous says why PAGES=n does not confirm a two-sided job.
func (t *Tracker) ambiguous(n int) string {
	c := t.count
	unit := "faces"
	if c.PagesCountSheets {
		unit = "sheets"
	}
	s := fmt.Sprintf("two-sided job of %d sheets (%d faces) ended with PAGES=%d; the printer counts %s, so %d was expected", c.Sheets, c.Faces, n, unit, t.pages)
	switch {
	case !c.PagesCountSheets && n == c.Sheets:
		s += ": the sheet count, half the faces"
	case c.PagesCountSheets && n == c.Faces:
		s += ": the face count, as if every face were a sheet of its own"
	}
	return s
}
