package journal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashChildEnv names the journal a re-executed test binary appends to
// (see crashChild).
const crashChildEnv = "KOFU_JOURNAL_CRASH_CHILD"

// crashStates are the states a child session goes through before its end.
var crashStates = []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle"}

// TestCrashAtRandomInstants SIGKILLs a child process that appends whole
// sessions to one journal from two goroutines, at a random instant (after
// a random number of commits plus a random sub-millisecond delay, so the
// kill lands anywhere in write, fsync or between records), 50 times.
// After every kill:
//   - the journal verifies (a torn last line is reported, never an error);
//   - every record the child reported committed — it reports after Append
//     returned nil — is in the journal, in this and every earlier round;
//   - reopening cuts a torn tail (recording the repair), and closes exactly
//     the sessions that had no end as "unknown", each with a recovered
//     record, leaving no session open.
//
// Every fifth round also leaves a random prefix of a further record line
// behind, which is what a kill in the middle of write(2) leaves (the
// kernel rarely lets a SIGKILL split one small write, so it is forced
// here): Open must cut exactly it. KOFU_CRASH_SEED replays a run.
func TestCrashAtRandomInstants(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	seed := uint64(time.Now().UnixNano()) // a seed for randomness (logged, KOFU_CRASH_SEED replays it); the verdict does not depend on it
	if s := os.Getenv("KOFU_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("KOFU_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x6b6f6675))
	path := filepath.Join(t.TempDir(), "journal")
	committed := map[string]bool{} // kind/sid/state of every record reported committed
	rounds, torn, forced := 50, 0, 0
	if testing.Short() {
		rounds = 10
	}
	for round := range rounds {
		after := rng.IntN(80)
		delay := time.Duration(rng.IntN(2000)) * time.Microsecond
		got, err := runCrashChild(path, after, delay)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for _, k := range got {
			committed[k] = true
		}

		rep, err := Verify(path)
		if err != nil {
			t.Fatalf("round %d (killed after %d commits + %v): journal does not verify: %v", round, after, delay, err)
		}
		if rep.Torn {
			torn++
		}
		var recs []Record
		if err := Each(path, func(r Record) error { recs = append(recs, r); return nil }); err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range recs {
			have[recordKey(r.Kind, r.Session, r.State)] = true
		}
		for k := range committed {
			if !have[k] {
				t.Fatalf("round %d: record %s was reported committed and is not in the journal", round, k)
			}
		}
		wantOpen := openSessions(recs)
		if !slices.Equal(rep.Open, wantOpen) {
			t.Fatalf("round %d: Verify reports open sessions %v, the records say %v", round, rep.Open, wantOpen)
		}

		if round%5 == 4 && !rep.Torn {
			forced++
			forceTornTail(t, path, rng, rep)
			if rep, err = Verify(path); err != nil || !rep.Torn {
				t.Fatalf("round %d: forced torn tail: %+v %v", round, rep, err)
			}
		}

		j, orep, err := Open(path, testKey, nil)
		if err != nil {
			t.Fatalf("round %d: reopen after the kill: %v", round, err)
		}
		j.Close()
		if orep.Repaired != rep.Torn || orep.Records != rep.Records {
			t.Fatalf("round %d: reopen %+v after verify %+v", round, orep, rep)
		}
		if !slices.Equal(orep.Recovered, wantOpen) {
			t.Fatalf("round %d: recovered %v, want %v", round, orep.Recovered, wantOpen)
		}
		var tail []Record
		if err := Each(path, func(r Record) error {
			if r.Seq >= uint64(rep.Records) {
				tail = append(tail, r)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := checkRecoveryTail(tail, rep.Torn, wantOpen); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		final, err := Verify(path)
		if err != nil || final.Torn || len(final.Open) != 0 {
			t.Fatalf("round %d: after reopen %+v %v", round, final, err)
		}
	}
	final, _ := Verify(path)
	t.Logf("%d rounds: %d records reported committed, %d in the journal; torn tails: %d from kills, %d forced; unknown outcomes: %d",
		rounds, len(committed), final.Records, torn, forced, final.Outcomes["unknown"])
	if len(committed) < rounds {
		t.Fatalf("only %d records committed in %d rounds: the child hardly ran", len(committed), rounds)
	}
	if final.Outcomes["unknown"] == 0 {
		t.Fatal("no kill ever left a session open: the kills did not land inside sessions")
	}
}

// runCrashChild starts the child on path, SIGKILLs it delay after its
// after-th reported commit (for 0, delay after it started, which may be
// inside Open's own appends), and returns
// every record it reported committed, including reports that were under
// way when the signal landed.
func runCrashChild(path string, after int, delay time.Duration) ([]string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAtRandomInstants$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var got []string
	started, ready, killed := false, false, false
	kill := func() {
		if !killed {
			time.Sleep(delay)
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
		}
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "started":
			started = true
		case line == "ready":
			ready = true
		case strings.HasPrefix(line, "committed "):
			got = append(got, strings.TrimPrefix(line, "committed "))
		}
		if (after == 0 && started) || (ready && len(got) >= after) {
			kill() // for 0, anywhere in Open's own appends or after
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	werr := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		return nil, fmt.Errorf("child ended by itself (%v) before the kill:\n%s", werr, stderr.Bytes())
	}
	if !started {
		return nil, fmt.Errorf("child did not start:\n%s", stderr.Bytes())
	}
	return got, nil
}

// crashChild opens the journal and appends whole sessions from two
// goroutines until it is killed, writing "committed KIND/SID/STATE" to
// stdout after each Append that returned nil.
func crashChild(path string) {
	os.Stdout.WriteString("started\n")
	j, _, err := Open(path, testKey, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	report := func(k string) {
		mu.Lock()
		defer mu.Unlock()
		os.Stdout.WriteString("committed " + k + "\n") // one write: one line, whole
	}
	append1 := func(r Record) {
		if err := j.Append(r); err != nil {
			fmt.Fprintln(os.Stderr, "append:", err)
			os.Exit(4)
		}
		report(recordKey(r.Kind, r.Session, r.State))
	}
	os.Stdout.WriteString("ready\n")
	card := j.CardHash([]byte("certificate DER"))
	for g := range 2 {
		go func() {
			for n := 0; ; n++ {
				sid := fmt.Sprintf("p%d-g%d-s%d", os.Getpid(), g, n)
				for _, st := range crashStates {
					append1(Record{Kind: KindState, Session: sid, State: st, Card: card})
				}
				append1(Record{Kind: KindEnd, Session: sid, State: "printed", Pages: 1 + n%3, Fee: 300, Billing: "captured"})
			}
		}()
	}
	select {}
}

// recordKey names a record by what the child wrote: unique in a test run.
func recordKey(k Kind, sid, state string) string { return string(k) + "/" + sid + "/" + state }

// openSessions lists the sessions that have states and no end, sorted.
func openSessions(recs []Record) []string {
	open := map[string]bool{}
	for _, r := range recs {
		switch r.Kind {
		case KindState:
			open[r.Session] = true
		case KindEnd, KindRecovered:
			delete(open, r.Session)
		}
	}
	var ids []string
	for sid := range open {
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	return ids
}

// forceTornTail appends a random strict prefix of the next record's line,
// as a kill in the middle of its write would leave it.
func forceTornTail(t *testing.T, path string, rng *rand.Rand, rep *Report) {
	t.Helper()
	r := Record{Seq: uint64(rep.Records), Time: time.Now().UTC().Format(time.RFC3339Nano), Kind: KindState, // content of a torn line recovery discards unparsed; UTC
		Session: "torn", State: "print", Prev: rep.Last}
	r.Hash = r.seal()
	line, err := jsonLine(r)
	if err != nil {
		t.Fatal(err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(line[:1+rng.IntN(len(line)-1)]); err != nil { // never the newline: not committed
		t.Fatal(err)
	}
}

// checkRecoveryTail checks what a reopen after a crash appends: a repair
// record if the tail was torn, the open record, then one recovered
// (unknown) record per unfinished session, in order.
func checkRecoveryTail(tail []Record, torn bool, open []string) error {
	want := []Kind{}
	if torn {
		want = append(want, KindRepair)
	}
	want = append(want, KindOpen)
	for range open {
		want = append(want, KindRecovered)
	}
	if len(tail) != len(want) {
		return fmt.Errorf("reopen appended %d records, want %d (%v)", len(tail), len(want), want)
	}
	for i, r := range tail {
		if r.Kind != want[i] {
			return fmt.Errorf("reopen record %d is %s, want %s", i, r.Kind, want[i])
		}
		if r.Kind == KindRecovered {
			sid := open[i-len(want)+len(open)]
			if r.Session != sid || r.State != "unknown" {
				return fmt.Errorf("recovered record %+v, want session %s unknown", r, sid)
			}
		}
	}
	return nil
}
