package journal

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"
)

// ErrCorrupt means a committed record fails the chain: the journal was
// altered or damaged. The kiosk must not run on it; a technician decides.
type ErrCorrupt struct {
	Line int
	Err  error
}

func (e *ErrCorrupt) Error() string { return fmt.Sprintf("journal line %d: %v", e.Line, e.Err) }
func (e *ErrCorrupt) Unwrap() error { return e.Err }

// ErrLocked means another process has the journal open.
var ErrLocked = errors.New("journal is in use by another process")

// ErrFailed means the journal could not be written: an append's write or
// fsync failed (disk full, file size limit, I/O error). The failed append
// was undone — the file cut back to the end of the last committed record
// and synced — when Undone is true; otherwise the cut failed too and bytes
// of the failed record may remain past it, and the journal writes nothing
// more until they are cut. Every later Append (and Healthy) first probes:
// it cuts any such bytes and commits a repair record; until that succeeds
// it returns an *ErrFailed and writes nothing else, so the kiosk must take
// no resident (it cannot record them). Callers branch with errors.As;
// errors.Is reaches the cause (e.g. syscall.ENOSPC).
type ErrFailed struct {
	Err     error // what failed: the write or fsync (an *os.PathError)
	Undone  bool  // the file ends at the last committed record again
	UndoErr error // why the cut back failed, when it did
}

func (e *ErrFailed) Error() string {
	s := "journal cannot be written: " + e.Err.Error()
	if !e.Undone {
		s += fmt.Sprintf(" (and the partial record could not be cut: %v)", e.UndoErr)
	}
	return s
}

// Unwrap gives the cause and, when the cut back failed, its error.
func (e *ErrFailed) Unwrap() []error {
	if e.UndoErr != nil {
		return []error{e.Err, e.UndoErr}
	}
	return []error{e.Err}
}

// ErrClosed is returned by a closed journal.
var ErrClosed = errors.New("journal closed")

// Journal is an open, writable journal. Append is safe for concurrent use.
type Journal struct {
	mu    sync.Mutex
	f     *os.File
	key   []byte
	now   func() time.Time
	seq   uint64     // next sequence number
	prev  string     // hash of the last record
	end   int64      // file offset just past the last committed record: where the next is written
	fault *ErrFailed // the last failed append, until a probe succeeds
	dirty bool       // bytes of a failed append may lie past end (its cut failed)
	open  map[string]bool
}

// Report describes what Open or Verify found.
type Report struct {
	Records   int            // committed records read
	Torn      bool           // an uncommitted partial record was found at the end
	TornTail  int64          // ... its length in bytes
	Repaired  bool           // ... and cut (Open only)
	Open      []string       // sessions without an end when read
	Earned    map[string]int // ... of those, the ones whose last state record earned printed (IntentCapture): pages confirmed
	Recovered []string       // sessions Open closed (as unknown, or printed when earned)
	Outcomes  map[string]int // ended sessions by outcome
	Last      string         // hash of the last record
}

// Open opens (creating if needed) the journal at path for appending: it
// takes an exclusive lock, verifies the whole chain, cuts a torn tail
// left by a crash or a failed write (see scan: only ever the last line,
// never a committed record), records the cut and the opening, and closes
// every session left without an end (the kiosk never resumes or reprints
// them): as "printed" when its last state record carries IntentCapture —
// every page was confirmed before the stop, so the outcome was already
// decided and the fee is to be captured — and as "unknown" otherwise. key is the secret for card hashes. If the
// journal cannot be written (a full disk), Open fails with an *ErrFailed
// and leaves the file ending at its last committed record.
func Open(path string, key []byte, now func() time.Time) (*Journal, *Report, error) {
	if len(key) < 16 {
		return nil, nil, errors.New("journal key must be at least 16 bytes")
	}
	if now == nil {
		now = time.Now
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, ErrLocked)
	}
	rep, good, err := scan(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if rep.Torn {
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("cut torn tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
		rep.Repaired = true
	}
	j := &Journal{f: f, key: append([]byte(nil), key...), now: now, seq: uint64(rep.Records), prev: rep.Last,
		end: good, open: map[string]bool{}}
	if rep.Repaired {
		if err := j.Append(Record{Kind: KindRepair, Note: "torn-tail-cut"}); err != nil {
			j.Close()
			return nil, nil, err
		}
	}
	if err := j.Append(Record{Kind: KindOpen}); err != nil {
		j.Close()
		return nil, nil, err
	}
	for _, sid := range rep.Open {
		r := Record{Kind: KindRecovered, Session: sid, State: "unknown", Note: "unfinished-at-start"}
		if pages, ok := rep.Earned[sid]; ok {
			r.State, r.Pages, r.Billing, r.Note = "printed", pages, IntentCapture, "confirmed-before-stop"
		}
		if err := j.Append(r); err != nil {
			j.Close()
			return nil, nil, err
		}
		rep.Recovered = append(rep.Recovered, sid)
	}
	return j, rep, nil
}

// Verify reads the journal at path without changing it and checks the
// whole chain.
func Verify(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, _, err := scan(f)
	return rep, err
}

// Each calls fn for every committed record in order (for `journal show`).
func Each(path string, fn func(Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	prev, seq := zeroHash, uint64(0)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			return nil // a torn tail is not a committed record
		}
		if err != nil {
			return err
		}
		r, perr := parseLine(bytes.TrimSuffix(b, []byte("\n")), prev, seq)
		if perr != nil {
			torn, err := tornLast(br, b)
			if err != nil {
				return err
			}
			if torn {
				return nil
			}
			return &ErrCorrupt{Line: line, Err: perr}
		}
		if err := fn(r); err != nil {
			return err
		}
		prev, seq = r.Hash, seq+1
	}
}

// scan verifies every committed line of r and returns the report and the
// offset just past the last committed line. What follows it is a torn
// tail, reported and not an error: bytes after the last newline (a crash
// mid-write), or a last line that is not JSON at all (a failed write's
// bytes completed by a later one, as journals written before appends were
// undone can end). Any other line that fails — one in the middle, or a
// last line that is JSON but not the chain's next record — is corruption:
// a write is never torn into valid JSON, so that is an alteration.
func scan(r io.Reader) (*Report, int64, error) {
	rep := &Report{Outcomes: map[string]int{}, Earned: map[string]int{}, Last: zeroHash}
	open := map[string]Record{} // session → its last state record
	br := bufio.NewReaderSize(r, 64<<10)
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			rep.Torn, rep.TornTail = len(b) > 0, int64(len(b))
			break
		}
		if err != nil {
			return nil, 0, err
		}
		rec, perr := parseLine(bytes.TrimSuffix(b, []byte("\n")), rep.Last, uint64(rep.Records))
		if perr != nil {
			torn, err := tornLast(br, b)
			if err != nil {
				return nil, 0, err
			}
			if torn {
				rep.Torn, rep.TornTail = true, int64(len(b))
				break
			}
			return nil, 0, &ErrCorrupt{Line: line, Err: perr}
		}
		good += int64(len(b))
		rep.Records++
		rep.Last = rec.Hash
		switch rec.Kind {
		case KindState:
			open[rec.Session] = rec
		case KindEnd, KindRecovered:
			delete(open, rec.Session)
			rep.Outcomes[rec.State]++
		}
	}
	for sid, last := range open {
		rep.Open = append(rep.Open, sid)
		if last.Billing == IntentCapture {
			rep.Earned[sid] = last.Pages
		}
	}
	sort.Strings(rep.Open)
	return rep, good, nil
}

// tornLast reports whether line, which failed to parse, is a torn tail:
// the input's last line, and not JSON.
func tornLast(br *bufio.Reader, line []byte) (bool, error) {
	if _, err := br.Peek(1); err != io.EOF {
		return false, err // more follows (err nil), or the read failed
	}
	return !json.Valid(bytes.TrimSuffix(line, []byte("\n"))), nil
}

// Append commits one record: it fills in seq, time and the chain, writes
// the line at the end of the last committed record and fsyncs before
// returning. A record is committed when Append returns nil.
//
// An append whose write or fsync fails is undone (the file is cut back to
// the last committed record and synced) and returns an *ErrFailed; the
// journal is then failed. A failed journal probes on every later Append
// (and Healthy): it cuts what a failed cut left, then commits a repair
// record (note "append-failed-undone", reason the errno, e.g. ENOSPC);
// only once that is written is r appended. Until then each Append
// returns an *ErrFailed and nothing is written after uncommitted bytes.
// A record whose line was wholly written before its fsync failed may
// survive a crash that happens before it is cut: it is then a valid
// record the caller was told failed (never a broken chain).
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if j.fault != nil {
		if err := j.heal(); err != nil {
			return err
		}
	}
	return j.commit(r)
}

// Healthy reports whether the journal can be written: nil, ErrClosed,
// or an *ErrFailed for the failed append that has not been healed. While
// failed it probes as Append does — cutting leftover bytes and
// committing a repair record — so a gate that polls Healthy puts the
// kiosk back in service once the disk has room again, without waiting
// for a resident's append. A healthy journal writes nothing here.
func (j *Journal) Healthy() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return ErrClosed
	}
	if j.fault == nil {
		return nil
	}
	return j.heal()
}

// heal probes a failed journal (j.fault set): it cuts the bytes a failed
// cut left and commits a repair record. On success the journal is
// healthy again; otherwise the journal stays failed and the error says
// why. Called with j.mu held.
func (j *Journal) heal() error {
	if j.dirty {
		if err := j.cut(); err != nil {
			return &ErrFailed{Err: j.fault.Err, UndoErr: err}
		}
		j.dirty = false
		j.fault.Undone, j.fault.UndoErr = true, nil
	}
	cause := j.fault
	j.fault = nil
	if err := j.commit(Record{Kind: KindRepair, Note: "append-failed-undone", Reason: errnoCode(cause.Err)}); err != nil {
		return err // commit failed the journal again
	}
	return nil
}

// commit writes r at j.end and fsyncs; on failure it undoes the write and
// marks the journal failed. Called with j.mu held.
func (j *Journal) commit(r Record) error {
	r.Seq, r.Prev = j.seq, j.prev
	r.Time = j.now().UTC().Format(time.RFC3339Nano)
	r.Hash = r.seal()
	if err := r.validate(); err != nil {
		return fmt.Errorf("journal record: %w", err)
	}
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if len(line) > maxLine {
		return errors.New("journal record too long")
	}
	line = append(line, '\n')
	if _, err := j.f.WriteAt(line, j.end); err != nil {
		return j.failed(err)
	}
	if err := j.f.Sync(); err != nil {
		return j.failed(err)
	}
	j.end += int64(len(line))
	j.seq, j.prev = j.seq+1, r.Hash
	switch r.Kind {
	case KindState:
		j.open[r.Session] = true
	case KindEnd, KindRecovered:
		delete(j.open, r.Session)
	}
	return nil
}

// failed undoes a failed append and marks the journal failed with cause.
// Called with j.mu held.
func (j *Journal) failed(cause error) error {
	e := &ErrFailed{Err: cause}
	if err := j.cut(); err != nil {
		e.UndoErr, j.dirty = err, true
	} else {
		e.Undone, j.dirty = true, false
	}
	j.fault = e
	return e
}

// cut truncates the file to the end of the last committed record and
// syncs it.
func (j *Journal) cut() error {
	if err := j.f.Truncate(j.end); err != nil {
		return err
	}
	return j.f.Sync()
}

// errnoCode names the errno behind err as a journal code (ENOSPC, EFBIG,
// EIO …), or "io" when there is none.
func errnoCode(err error) string {
	var no syscall.Errno
	if !errors.As(err, &no) {
		return "io"
	}
	switch no {
	case syscall.ENOSPC:
		return "ENOSPC"
	case syscall.EFBIG:
		return "EFBIG"
	case syscall.EDQUOT:
		return "EDQUOT"
	case syscall.EIO:
		return "EIO"
	case syscall.EROFS:
		return "EROFS"
	case syscall.EBADF:
		return "EBADF"
	}
	return fmt.Sprintf("errno-%d", int(no))
}

// CardHash is the keyed hash under which a card appears in the journal.
func (j *Journal) CardHash(certDER []byte) string {
	m := hmac.New(sha256.New, j.key)
	m.Write(certDER)
	return hex.EncodeToString(m.Sum(nil))
}

// Close releases the journal. It first tries once more to cut bytes a
// failed append left (the next Open cuts a partial record anyway).
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	if j.dirty && j.cut() == nil {
		j.dirty = false
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// KeyFile returns the card-hash key kept at path, creating a random one
// (0600) when the file does not exist. A store machine's key comes from
// its configuration; emulator mode keeps one beside its journal.
func KeyFile(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) < 16 {
			return nil, fmt.Errorf("%s: key shorter than 16 bytes", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	return key, errors.Join(f.Sync(), f.Close())
}
