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

// Journal is an open, writable journal. Append is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	key  []byte
	now  func() time.Time
	seq  uint64 // next sequence number
	prev string // hash of the last record
	open map[string]bool
}

// Report describes what Open or Verify found.
type Report struct {
	Records   int            // committed records read
	Torn      bool           // an uncommitted partial record was found at the end
	Repaired  bool           // ... and cut (Open only)
	Open      []string       // sessions without an end when read
	Recovered []string       // sessions Open closed as unknown
	Outcomes  map[string]int // ended sessions by outcome
	Last      string         // hash of the last record
}

// Open opens (creating if needed) the journal at path for appending: it
// takes an exclusive lock, verifies the whole chain, cuts a torn tail
// left by a crash mid-write (never a committed record), records the
// opening, and closes every session left without an end as "unknown"
// (the kiosk never resumes or reprints them). key is the secret for card
// hashes.
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
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, nil, err
	}
	j := &Journal{f: f, key: append([]byte(nil), key...), now: now, seq: uint64(rep.Records), prev: rep.Last,
		open: map[string]bool{}}
	if rep.Repaired {
		if err := j.Append(Record{Kind: KindRepair, Note: "torn-tail-cut"}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	if err := j.Append(Record{Kind: KindOpen}); err != nil {
		f.Close()
		return nil, nil, err
	}
	for _, sid := range rep.Open {
		if err := j.Append(Record{Kind: KindRecovered, Session: sid, State: "unknown", Note: "unfinished-at-start"}); err != nil {
			f.Close()
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
			return &ErrCorrupt{Line: line, Err: perr}
		}
		if err := fn(r); err != nil {
			return err
		}
		prev, seq = r.Hash, seq+1
	}
}

// scan verifies every committed line of r and returns the report and the
// offset just past the last committed line.
func scan(r io.Reader) (*Report, int64, error) {
	rep := &Report{Outcomes: map[string]int{}, Last: zeroHash}
	open := map[string]bool{}
	br := bufio.NewReaderSize(r, 64<<10)
	var good int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			rep.Torn = len(b) > 0
			break
		}
		if err != nil {
			return nil, 0, err
		}
		rec, perr := parseLine(bytes.TrimSuffix(b, []byte("\n")), rep.Last, uint64(rep.Records))
		if perr != nil {
			return nil, 0, &ErrCorrupt{Line: line, Err: perr}
		}
		good += int64(len(b))
		rep.Records++
		rep.Last = rec.Hash
		switch rec.Kind {
		case KindState:
			open[rec.Session] = true
		case KindEnd, KindRecovered:
			delete(open, rec.Session)
			rep.Outcomes[rec.State]++
		}
	}
	for sid := range open {
		rep.Open = append(rep.Open, sid)
	}
	sort.Strings(rep.Open)
	return rep, good, nil
}

// Append commits one record: it fills in seq, time and the chain, writes
// the line and fsyncs before returning. A record is committed when Append
// returns nil.
func (j *Journal) Append(r Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("journal closed")
	}
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
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("journal write: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal fsync: %w", err)
	}
	j.seq, j.prev = j.seq+1, r.Hash
	switch r.Kind {
	case KindState:
		j.open[r.Session] = true
	case KindEnd, KindRecovered:
		delete(j.open, r.Session)
	}
	return nil
}

// CardHash is the keyed hash under which a card appears in the journal.
func (j *Journal) CardHash(certDER []byte) string {
	m := hmac.New(sha256.New, j.key)
	m.Write(certDER)
	return hex.EncodeToString(m.Sum(nil))
}

// Close releases the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
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
