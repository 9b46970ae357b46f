package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"kofu/terminal/journal"
)

// JournalCheck checks that the journal's chain verifies and that it can
// be written: the file opens for appending and a probe file can be
// created, synced and removed in its directory. It takes no lock and
// writes no record, so it can run beside the kiosk that holds the
// journal. Blocking: the kiosk must not serve anyone it cannot record.
func JournalCheck(path string) Check {
	return Check{Name: "journal", Blocking: true, Run: func(ctx context.Context) Result {
		return probeJournal(ctx, path)
	}}
}

// JournalState is what the running kiosk's open journal says about
// itself; *journal.Journal implements it. Healthy returns nil when the
// journal can be written, else why not (a *journal.ErrFailed after an
// append failed); while failed, each call retries (see
// (*journal.Journal).Healthy), so polling it also heals.
type JournalState interface {
	Healthy() error
}

// LiveJournalCheck is JournalCheck for the process that holds the journal
// open (the kiosk's out-of-service gate): it first asks the open journal
// whether it can be written — a failed append (disk full, file size limit,
// I/O error) leaves it failed until a retry succeeds, and the kiosk must
// not take a resident it cannot record — then checks the file as
// JournalCheck does. A separate process (selftest) cannot see that state
// and uses JournalCheck.
func LiveJournalCheck(path string, j JournalState) Check {
	return Check{Name: "journal", Blocking: true, Run: func(ctx context.Context) Result {
		if err := j.Healthy(); err != nil {
			var fe *journal.ErrFailed
			if errors.As(err, &fe) {
				return fail("%v: the kiosk takes no residents until the journal can be written again; free space on the filesystem of %s or check the disk (the kiosk retries at every check and comes back in service by itself)",
					err, path)
			}
			return fail("journal %s: %v", path, err)
		}
		return probeJournal(ctx, path)
	}}
}

func probeJournal(ctx context.Context, path string) Result {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fail("the journal's directory %s does not exist: create it, owned by the kiosk's user", dir)
	}
	rep, err := journal.Verify(path)
	exists := true
	var ce *journal.ErrCorrupt
	switch {
	case errors.Is(err, os.ErrNotExist):
		exists = false
	case errors.As(err, &ce):
		return fail("%s: chain broken at line %d (%v): the journal was altered or damaged and the kiosk will not run on it; keep the file unchanged for the operator (`kiosk journal verify`)",
			path, ce.Line, ce.Err)
	case err != nil:
		return fail("%s cannot be read: %v", path, err)
	}
	if err := ctx.Err(); err != nil {
		return fail("interrupted: %v", err)
	}
	if exists {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fail("%s is not writable (%v): fix its owner and mode (0600, the kiosk's user)", path, err)
		}
		f.Close()
	}
	if err := probeWrite(dir); err != nil {
		return fail("cannot write in %s (%v): the filesystem is read-only or full, or the directory's permissions are wrong", dir, err)
	}
	if !exists {
		return ok("%s does not exist yet; its directory is writable and the kiosk creates it on start", path)
	}
	s := fmt.Sprintf("%s: %d records, chain verified (last %s…), writable", path, rep.Records, rep.Last[:12])
	if rep.Torn {
		return warn("%s; a partial record of %d bytes ends the file (a crash or a failed write mid-record): the kiosk cuts it before it writes again", s, rep.TornTail)
	}
	return ok("%s", s)
}

// probeWrite creates, syncs and removes a file in dir.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".kofu-selftest-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_, err = f.Write([]byte("kofu selftest\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// Session is one session as the journal recorded it: no personal data,
// only codes.
type Session struct {
	ID      string
	Start   string   // RFC 3339 time of its first record
	End     string   // of its end record, "" while open
	States  []string // states entered, in order
	Outcome string   // printed, refused, failed, cancelled, unknown; "" while open
	Reason  string
	TID     string
	Fee     int
	Billing string
	Pages   int
}

// Summary is the journal as the technician UI shows it.
type Summary struct {
	Path     string
	Records  int
	Sessions []Session      // newest first
	Outcomes map[string]int // ended sessions by outcome
	Refusals map[string]int // refused sessions by reason
	Failures map[string]int // failed and unknown sessions by reason
	Opens    int            // kiosk starts recorded
	Chain    error          // nil: every committed record verifies
	Last     string         // hash of the last good record
}

// ReadJournal reads the journal at path without changing it: sessions
// (the newest limit, 0 for all), counters, and the chain check. Records
// up to a break are still shown; Chain says where it broke.
func ReadJournal(ctx context.Context, path string, limit int) (*Summary, error) {
	s := &Summary{Path: path, Outcomes: map[string]int{}, Refusals: map[string]int{}, Failures: map[string]int{}}
	byID := map[string]*Session{}
	var order []string
	err := journal.Each(path, func(r journal.Record) error {
		s.Records++
		s.Last = r.Hash
		switch r.Kind {
		case journal.KindOpen:
			s.Opens++
			return ctx.Err()
		case journal.KindState, journal.KindEnd, journal.KindRecovered:
		default:
			return ctx.Err()
		}
		ss := byID[r.Session]
		if ss == nil {
			ss = &Session{ID: r.Session, Start: r.Time}
			byID[r.Session] = ss
			order = append(order, r.Session)
		}
		if r.TID != "" {
			ss.TID = r.TID
		}
		switch r.Kind {
		case journal.KindState:
			ss.States = append(ss.States, r.State)
		case journal.KindEnd, journal.KindRecovered:
			ss.Outcome, ss.End, ss.Reason = r.State, r.Time, r.Reason
			ss.Fee, ss.Billing, ss.Pages = r.Fee, r.Billing, r.Pages
			if r.Kind == journal.KindRecovered && ss.Reason == "" {
				ss.Reason = r.Note
			}
			s.Outcomes[r.State]++
			switch r.State {
			case "refused":
				s.Refusals[ss.Reason]++
			case "failed", "unknown":
				s.Failures[ss.Reason]++
			}
		}
		return ctx.Err()
	})
	var ce *journal.ErrCorrupt
	switch {
	case errors.As(err, &ce):
		s.Chain = err
	case err != nil:
		return nil, err
	}
	slices.Reverse(order)
	if limit > 0 && len(order) > limit {
		order = order[:limit]
	}
	for _, id := range order {
		s.Sessions = append(s.Sessions, *byID[id])
	}
	return s, nil
}

// Counted is one counter line: a key and its count.
type Counted struct {
	Key   string
	Count int
}

// Sorted returns a counter's entries, largest first, then by key.
func Sorted(m map[string]int) []Counted {
	out := make([]Counted, 0, len(m))
	for k, v := range m {
		out = append(out, Counted{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	return out
}
