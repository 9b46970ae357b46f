package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParseLine: no input panics the record parser, and whatever it
// accepts re-seals to the same hash, has fields that are codes, and is
// exactly the bytes Append would have written for it.
func FuzzParseLine(f *testing.F) {
	r := Record{Seq: 0, Time: "2026-11-23T00:00:00Z", Kind: KindState, Session: "s1", State: "pin", Prev: zeroHash}
	r.Hash = r.seal()
	line, _ := jsonLine(r)
	f.Add(line)
	f.Add([]byte(`{"seq":0}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := parseLine(b, zeroHash, 0)
		if err != nil {
			return
		}
		if rec.seal() != rec.Hash || rec.validate() != nil || rec.Seq != 0 || rec.Prev != zeroHash {
			t.Fatalf("accepted %+v", rec)
		}
		if canon, err := jsonLine(rec); err != nil || !bytes.Equal(canon, b) {
			t.Fatalf("accepted %q, which Append writes as %q", b, canon)
		}
	})
}

// FuzzScan: any journal text is verified to a report or refused as
// corrupt, never both. A report counts exactly the committed lines, says
// torn exactly when bytes follow them — bytes after the last newline, or
// a last line that is not JSON — and how many, ends its chain on the
// last record's hash, lists open sessions sorted and unique, and reading
// the committed part alone gives the same report, untorn.
func FuzzScan(f *testing.F) {
	j := journalText(f, func(j *Journal) {
		for _, st := range []string{"card", "choose", "pin"} {
			j.Append(Record{Kind: KindState, Session: "s1", State: st})
		}
		j.Append(Record{Kind: KindEnd, Session: "s1", State: "printed", Pages: 1, Fee: 300, Billing: "captured"})
		j.Append(Record{Kind: KindState, Session: "s2", State: "card"})
	})
	f.Add(j)
	f.Add(j[:len(j)-7])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, good, err := scan(bytes.NewReader(data))
		if err != nil {
			var ce *ErrCorrupt
			if rep != nil || !errors.As(err, &ce) || ce.Line < 1 {
				t.Fatalf("report %+v with error %v", rep, err)
			}
			return
		}
		// The tail after the committed part is either bytes after the last
		// newline, or one last newline-ended line that is not JSON.
		complete := bytes.LastIndexByte(data, '\n') + 1
		tail := data[good:]
		if good != int64(complete) {
			prev := bytes.LastIndexByte(data[:complete-1], '\n') + 1
			if good != int64(prev) || json.Valid(data[prev:complete-1]) {
				t.Fatalf("good %d for %d bytes, %d complete: cut a line that is not the last or is JSON", good, len(data), complete)
			}
		}
		if rep.Records != bytes.Count(data[:good], []byte("\n")) || rep.Torn != (len(tail) > 0) || rep.TornTail != int64(len(tail)) {
			t.Fatalf("good %d records %d torn %v (%d bytes) for %d bytes, %d complete", good, rep.Records, rep.Torn, rep.TornTail, len(data), complete)
		}
		if !slices.IsSorted(rep.Open) || len(slices.Compact(slices.Clone(rep.Open))) != len(rep.Open) {
			t.Fatalf("open sessions %v", rep.Open)
		}
		if rep.Records == 0 && rep.Last != zeroHash {
			t.Fatal("empty chain with a last hash")
		}
		again, g2, err := scan(bytes.NewReader(data[:good]))
		if err != nil || g2 != good || again.Torn || again.Records != rep.Records || again.Last != rep.Last ||
			!slices.Equal(again.Open, rep.Open) {
			t.Fatalf("the committed part reads differently: %+v %v", again, err)
		}
	})
}

// journalText is the text of a real journal: opened, fn's appends, closed.
func journalText(tb testing.TB, fn func(*Journal)) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "journal")
	j, _, err := Open(path, []byte("0123456789abcdef0123456789abcdef"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	fn(j)
	j.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
