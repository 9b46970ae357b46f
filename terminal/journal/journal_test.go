package journal

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func openT(t *testing.T, path string) (*Journal, *Report) {
	t.Helper()
	j, rep, err := Open(path, testKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return j, rep
}

// session writes a whole session: states, then an end.
func session(t *testing.T, j *Journal, sid string, end bool) {
	t.Helper()
	for _, st := range []string{"card", "choose", "pin", "sign", "ticket", "pay", "verify", "print"} {
		if err := j.Append(Record{Kind: KindState, Session: sid, State: st}); err != nil {
			t.Fatal(err)
		}
	}
	if end {
		if err := j.Append(Record{Kind: KindEnd, Session: sid, State: "printed", Pages: 1, Fee: 300, Billing: "captured"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendReopenVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, rep := openT(t, path)
	if rep.Records != 0 || len(rep.Recovered) != 0 {
		t.Fatalf("fresh journal: %+v", rep)
	}
	session(t, j, "s1", true)
	session(t, j, "s2", false) // the process "dies" here
	j.Close()

	rep2, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Records != 1+9+8 || len(rep2.Open) != 1 || rep2.Open[0] != "s2" || rep2.Outcomes["printed"] != 1 {
		t.Fatalf("verify: %+v", rep2)
	}
	j, rep3 := openT(t, path)
	if len(rep3.Recovered) != 1 || rep3.Recovered[0] != "s2" {
		t.Fatalf("open did not recover s2: %+v", rep3)
	}
	j.Close()
	rep4, err := Verify(path)
	if err != nil || len(rep4.Open) != 0 || rep4.Outcomes["unknown"] != 1 {
		t.Fatalf("after recovery: %+v %v", rep4, err)
	}
	// Reopening again recovers nothing more: s2 stays unknown, never resumed.
	j, rep5 := openT(t, path)
	j.Close()
	if len(rep5.Recovered) != 0 {
		t.Fatalf("recovered twice: %+v", rep5)
	}
}

func TestTamperDetected(t *testing.T) {
	cases := []struct {
		name string
		edit func([][]byte) [][]byte
	}{
		{"field changed", func(l [][]byte) [][]byte {
			l[3] = bytes.Replace(l[3], []byte(`"state":"pin"`), []byte(`"state":"pay"`), 1)
			return l
		}},
		{"line deleted", func(l [][]byte) [][]byte { return append(l[:4], l[5:]...) }},
		{"lines swapped", func(l [][]byte) [][]byte { l[4], l[5] = l[5], l[4]; return l }},
		{"hash rewritten", func(l [][]byte) [][]byte {
			l[2] = bytes.Replace(l[2], []byte(`"h":"`), []byte(`"h":"0`), 1)
			return l
		}},
		{"record appended by hand", func(l [][]byte) [][]byte {
			return append(l, []byte(`{"seq":99,"t":"2026-01-01T00:00:00Z","kind":"end","sid":"s1","state":"printed","prev":"x","h":"y"}`))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal")
			j, _ := openT(t, path)
			session(t, j, "s1", true)
			j.Close()
			data, _ := os.ReadFile(path)
			lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
			lines = tc.edit(lines)
			os.WriteFile(path, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600)
			var ce *ErrCorrupt
			if _, err := Verify(path); !errors.As(err, &ce) {
				t.Fatalf("verify: %v, want ErrCorrupt", err)
			}
			if _, _, err := Open(path, testKey, nil); !errors.As(err, &ce) {
				t.Fatalf("open: %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestTornTailCut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	session(t, j, "s1", true)
	j.Close()
	before, _ := Verify(path)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(`{"seq":10,"t":"2026-11-23T00:00:00Z","kind":"sta`)) // crash mid-write
	f.Close()
	rep, err := Verify(path)
	if err != nil || !rep.Torn || rep.Records != before.Records {
		t.Fatalf("verify torn: %+v %v", rep, err)
	}
	j, rep = openT(t, path)
	j.Close()
	if !rep.Repaired {
		t.Fatal("torn tail not repaired")
	}
	after, err := Verify(path)
	if err != nil || after.Torn || after.Records != before.Records+2 { // + repair + open
		t.Fatalf("after repair: %+v %v", after, err)
	}
}

func TestNoFreeText(t *testing.T) {
	j, _ := openT(t, filepath.Join(t.TempDir(), "journal"))
	defer j.Close()
	bad := []Record{
		{Kind: KindState, Session: "s1", State: "山田 太郎"},
		{Kind: KindEnd, Session: "s1", Reason: "PIN 1234 wrong"},
		{Kind: KindState, Session: "s1", Card: "not-a-hash"},
		{Kind: "whatever", Session: "s1"},
	}
	for _, r := range bad {
		if err := j.Append(r); err == nil {
			t.Errorf("accepted %+v", r)
		}
	}
}

func TestLockAndCardHash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	defer j.Close()
	if _, _, err := Open(path, testKey, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	j2 := &Journal{key: []byte("another-key-another-key")}
	cert := []byte("certificate DER")
	a, b := j.CardHash(cert), j.CardHash(append([]byte(nil), cert...))
	if a != b || a == j2.CardHash(cert) || len(a) != 64 {
		t.Fatal("card hash must be stable under one key and differ under another")
	}
}

// TestSIGKILLDuringWrites kills a child process that appends records as
// fast as it can, at varying instants, then reopens: the chain verifies and
// every record the child reported committed is there.
func TestSIGKILLDuringWrites(t *testing.T) {
	if os.Getenv("KOFU_JOURNAL_CHILD") != "" {
		childWriter(os.Getenv("KOFU_JOURNAL_CHILD"))
		return
	}
	path := filepath.Join(t.TempDir(), "journal")
	committed := 0
	for round, delay := range []time.Duration{5, 17, 31, 53, 77} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLDuringWrites$")
		cmd.Env = append(os.Environ(), "KOFU_JOURNAL_CHILD="+path)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lastSeq := -1
		deadline := time.After(delay * time.Millisecond)
		killed := false
		for !killed && sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed ")); err == nil {
				lastSeq = n
			}
			select {
			case <-deadline:
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			default:
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		rep, err := Verify(path)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if rep.Records <= lastSeq {
			t.Fatalf("round %d: child committed seq %d, journal has %d records", round, lastSeq, rep.Records)
		}
		j, _ := openT(t, path) // repairs a torn tail, recovers the open session
		j.Close()
		committed = rep.Records
		t.Logf("round %d: killed after %v, child reported seq %d, journal has %d records (torn tail: %v)", round, delay*time.Millisecond, lastSeq, rep.Records, rep.Torn)
	}
	if committed < 20 {
		t.Fatalf("only %d records written across rounds: the child did not run", committed)
	}
}

// childWriter appends states forever, printing each committed seq.
func childWriter(path string) {
	j, _, err := Open(path, testKey, nil)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		r := Record{Kind: KindState, Session: "child" + strconv.Itoa(os.Getpid()), State: "print"}
		if err := j.Append(r); err != nil {
			os.Exit(4)
		}
		fmt.Printf("committed %d\n", j.seq-1)
	}
}

// TestRecoverByIntent: a session stopped after its last state record
// carried IntentCapture (every page confirmed) is closed printed with that
// record's pages; one whose last record carried IntentRelease, or an
// IntentCapture followed by a later state, is closed unknown.
func TestRecoverByIntent(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tail  []Record
		state string
		pages int
	}{
		{"all pages confirmed", []Record{{State: "settle", Billing: IntentCapture, Pages: 3}}, "printed", 3},
		{"some pages confirmed", []Record{{State: "settle", Billing: IntentRelease, Pages: 2}}, "unknown", 0},
		{"printing", []Record{{State: "print"}}, "unknown", 0},
		{"capture intent, then another state", []Record{{State: "settle", Billing: IntentCapture, Pages: 1}, {State: "print"}}, "unknown", 0},
		{"no intent on a settle record", []Record{{State: "settle", Pages: 1}}, "unknown", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal")
			j, _ := openT(t, path)
			session(t, j, "s1", false)
			for _, r := range tc.tail {
				r.Kind, r.Session = KindState, "s1"
				if err := j.Append(r); err != nil {
					t.Fatal(err)
				}
			}
			j.Close()
			rep, err := Verify(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, earned := rep.Earned["s1"]; earned != (tc.state == "printed") {
				t.Fatalf("verify: earned %v, want %v", rep.Earned, tc.state == "printed")
			}
			j, rep = openT(t, path)
			j.Close()
			if len(rep.Recovered) != 1 {
				t.Fatalf("open: %+v", rep)
			}
			var got Record
			if err := Each(path, func(r Record) error {
				if r.Kind == KindRecovered {
					got = r
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got.State != tc.state || got.Pages != tc.pages {
				t.Fatalf("recovered as %s with %d pages, want %s with %d", got.State, got.Pages, tc.state, tc.pages)
			}
			if rep, err := Verify(path); err != nil || rep.Outcomes[tc.state] != 1 {
				t.Fatalf("after open: %+v %v", rep, err)
			}
		})
	}
}
