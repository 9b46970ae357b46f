package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fsizeChildEnv names the journal a re-executed test binary writes under
// a file-size limit (see fsizeChild).
const fsizeChildEnv = "KOFU_JOURNAL_FSIZE_CHILD"

// TestAppendFailsClosedUnderFileSizeLimit fills the journal's "disk" for
// real: a child process lowers RLIMIT_FSIZE to the middle of the next
// record, so write(2) writes part of the line and then fails with EFBIG
// (Go ignores SIGXFSZ; the child would die of it otherwise). It checks,
// in the child: the append fails with an *ErrFailed wrapping EFBIG, the
// file ends at the last committed record again, Healthy reports it, a
// second append fails the same way and writes nothing; then the limit is
// lifted (space returns) and the next append succeeds. Here: the journal
// verifies untorn, holds a repair record with reason EFBIG and the record
// appended after the failure but neither failed one, and reopens.
func TestAppendFailsClosedUnderFileSizeLimit(t *testing.T) {
	if path := os.Getenv(fsizeChildEnv); path != "" {
		if err := fsizeChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(5)
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "journal")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendFailsClosedUnderFileSizeLimit$")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("child killed by %v: SIGXFSZ was not ignored", ws.Signal())
	}
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	checkHealed(t, path, "EFBIG", "after-limit-lifted", "refused-1", "refused-2")
}

// fsizeChild runs the file-size-limit scenario on the journal at path;
// it reports each step on stdout and returns the first broken promise.
func fsizeChild(path string) error {
	j, _, err := Open(path, testKey, nil)
	if err != nil {
		return err
	}
	defer j.Close()
	for _, st := range []string{"card", "choose", "pin"} {
		if err := j.Append(Record{Kind: KindState, Session: "s1", State: st}); err != nil {
			return err
		}
	}
	good := fileSize(path)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	orig := lim
	lim.Cur = uint64(good + 40) // the next line is ~200 bytes: 40 of them fit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	for i, sid := range []string{"refused-1", "refused-2"} {
		err := j.Append(Record{Kind: KindState, Session: sid, State: "fetch"})
		fmt.Printf("append %d under the limit: %v\n", i+1, err)
		if err := expectFailed(err, syscall.EFBIG, "file too large"); err != nil {
			return err
		}
		if got := fileSize(path); got != good {
			return fmt.Errorf("after failed append %d the file has %d bytes, the last record ends at %d", i+1, got, good)
		}
		herr := j.Healthy()
		fmt.Printf("healthy: %v\n", herr)
		if err := expectFailed(herr, syscall.EFBIG, "journal cannot be written"); err != nil {
			return fmt.Errorf("healthy: %w", err)
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		return err
	}
	err = j.Append(Record{Kind: KindState, Session: "after-limit-lifted", State: "card"})
	fmt.Printf("append after the limit is lifted: %v\n", err)
	if err != nil {
		return err
	}
	if err := j.Healthy(); err != nil {
		return fmt.Errorf("healthy after a good append: %w", err)
	}
	return nil
}

// expectFailed checks err is an *ErrFailed that was undone, wraps errno,
// and says want.
func expectFailed(err error, errno syscall.Errno, want string) error {
	var fe *ErrFailed
	if !errors.As(err, &fe) || !fe.Undone || !errors.Is(err, errno) || !strings.Contains(err.Error(), want) {
		return fmt.Errorf("got %v (%T), want an undone *ErrFailed wrapping %v saying %q", err, err, errno, want)
	}
	return nil
}

// fileSize is path's size, -1 if it cannot be read.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// checkHealed checks the journal at path after a write failure was
// healed: it verifies untorn, has exactly one repair record for the
// failure (reason errno), has the session present and none of absent,
// and reopens.
func checkHealed(t *testing.T, path, errno, present string, absent ...string) {
	t.Helper()
	rep, err := Verify(path)
	if err != nil || rep.Torn {
		t.Fatalf("verify after healing: %+v %v", rep, err)
	}
	repairs, sessions := 0, map[string]bool{}
	if err := Each(path, func(r Record) error {
		if r.Kind == KindRepair {
			if r.Note != "append-failed-undone" || r.Reason != errno {
				return fmt.Errorf("repair record %+v, want note append-failed-undone reason %s", r, errno)
			}
			repairs++
		}
		sessions[r.Session] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if repairs != 1 || !sessions[present] {
		t.Fatalf("%d repair records, session %s present: %v", repairs, present, sessions[present])
	}
	for _, sid := range absent {
		if sessions[sid] {
			t.Fatalf("the failed append of %s is in the journal", sid)
		}
	}
	j, orep, err := Open(path, testKey, nil)
	if err != nil {
		t.Fatalf("reopen after healing: %v", err)
	}
	j.Close()
	if orep.Repaired || orep.Records != rep.Records {
		t.Fatalf("reopen after healing: %+v", orep)
	}
}

// TestAppendFailsClosedOnFullTmpfs fills a small tmpfs (a real
// filesystem, mounted for the test; skipped where mount is not allowed)
// until an append fails with ENOSPC, and checks the same promises as the
// file-size test, then removes the filler: the gate's Healthy brings the
// journal back by itself, the next append succeeds, the journal verifies.
func TestAppendFailsClosedOnFullTmpfs(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): needs root or CAP_SYS_ADMIN; the file-size-limit test covers the same promises", err)
	}
	t.Cleanup(func() { // before TempDir's removal: cleanups run last first
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	path := filepath.Join(mnt, "journal")
	j, _ := openT(t, path)
	defer j.Close()
	session(t, j, "s1", true)

	filler := filepath.Join(mnt, "filler")
	fillUp(t, filler)
	good, failed := fileSize(path), 0
	for i := 0; failed == 0; i++ { // fill the journal's last page, then one more
		if i > 100 {
			t.Fatal("100 appends on a full filesystem all succeeded")
		}
		err := j.Append(Record{Kind: KindState, Session: fmt.Sprintf("full-%d", i), State: "fetch"})
		switch {
		case err == nil:
			good = fileSize(path)
		default:
			t.Logf("append %d on a full filesystem: %v", i, err)
			if err := expectFailed(err, syscall.ENOSPC, "no space left on device"); err != nil {
				t.Fatal(err)
			}
			failed = i
		}
	}
	if got := fileSize(path); got != good {
		t.Fatalf("after the failed append the file has %d bytes, the last record ends at %d", got, good)
	}
	if err := expectFailed(j.Healthy(), syscall.ENOSPC, "journal cannot be written"); err != nil {
		t.Fatalf("healthy while full: %v", err)
	}
	if err := expectFailed(j.Append(Record{Kind: KindState, Session: "still-full", State: "card"}), syscall.ENOSPC, "no space"); err != nil {
		t.Fatalf("second append while full: %v", err)
	}
	if got := fileSize(path); got != good {
		t.Fatalf("after the second failed append the file has %d bytes, want %d", got, good)
	}

	if err := os.Remove(filler); err != nil { // space returns
		t.Fatal(err)
	}
	if err := j.Healthy(); err != nil {
		t.Fatalf("healthy once space returned: %v", err)
	}
	if err := j.Append(Record{Kind: KindState, Session: "after-space-returned", State: "card"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	checkHealed(t, path, "ENOSPC", "after-space-returned", fmt.Sprintf("full-%d", failed), "still-full")
}

// fillUp writes path until the filesystem is full.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{'x'}, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	for _, n := range []int{512, 64, 1} { // and the last page's slack
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
}

// TestTornTailAtOpen: a torn tail — bytes after the last newline, or a
// last line that is not JSON (a failed write's bytes completed by a later
// append, as journals written before appends were undone end) — is
// reported by Verify, cut by Open and recorded; any other bad line still
// fails the chain.
func TestTornTailAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	session(t, j, "s1", true)
	j.Close()
	base, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(bytes.TrimSuffix(base, []byte("\n")), []byte("\n"))
	last := lines[len(lines)-1]
	next := nextLine(t, path)
	cases := []struct {
		name string
		tail []byte // appended to the journal
		torn bool   // cut; else ErrCorrupt
	}{
		{"half a record, no newline", next[:len(next)/2], true},
		{"one byte", next[:1], true},
		{"part of a record, then a whole one (write failed, later append succeeded)", append(bytes.Clone(next[:50]), next...), true},
		{"garbage line", []byte("\x00\x00\x00\n"), true},
		{"empty line", []byte("\n"), true},
		{"a torn line in the middle", append(append(bytes.Clone(next[:50]), '\n'), next...), false},
		{"a last line that is JSON but not the next record", []byte(`{"seq":99,"kind":"end"}` + "\n"), false},
		{"the last record repeated", append(bytes.Clone(last), '\n'), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "journal")
			if err := os.WriteFile(p, append(bytes.Clone(base), tc.tail...), 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(p)
			if !tc.torn {
				var ce *ErrCorrupt
				if !errors.As(err, &ce) {
					t.Fatalf("verify: %+v %v, want ErrCorrupt", rep, err)
				}
				if _, _, err := Open(p, testKey, nil); !errors.As(err, &ce) {
					t.Fatalf("open: %v, want ErrCorrupt", err)
				}
				return
			}
			want := len(bytes.Split(bytes.TrimSuffix(base, []byte("\n")), []byte("\n")))
			if err != nil || !rep.Torn || rep.TornTail != int64(len(tc.tail)) || rep.Records != want {
				t.Fatalf("verify: %+v %v, want %d records and a torn tail of %d bytes", rep, err, want, len(tc.tail))
			}
			n := 0
			if err := Each(p, func(Record) error { n++; return nil }); err != nil || n != want {
				t.Fatalf("each: %d records, %v", n, err)
			}
			j, orep, err := Open(p, testKey, nil)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			j.Close()
			if !orep.Repaired || orep.TornTail != int64(len(tc.tail)) {
				t.Fatalf("open: %+v", orep)
			}
			after, err := Verify(p)
			if err != nil || after.Torn || after.Records != want+2 { // + repair + open
				t.Fatalf("after the cut: %+v %v", after, err)
			}
		})
	}
}

// nextLine is the line Append would write next to the journal at path
// (with its newline).
func nextLine(t *testing.T, path string) []byte {
	t.Helper()
	rep, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	r := Record{Seq: uint64(rep.Records), Time: "2026-11-23T07:00:00.123456789Z", Kind: KindState, Session: "torn", State: "print", Prev: rep.Last}
	r.Hash = r.seal()
	line, err := jsonLine(r)
	if err != nil {
		t.Fatal(err)
	}
	return append(line, '\n')
}

// crashHalfEnv names the journal a re-executed test binary writes half a
// record to before it kills itself (see TestCrashMidRecord).
const crashHalfEnv = "KOFU_JOURNAL_CRASH_HALF"

// TestCrashMidRecord: a process holding the journal writes half of its
// next record and dies by SIGKILL (as a kill inside write(2) leaves it).
// The next Open takes the lock, cuts exactly the half record, records the
// cut and closes the open session as unknown; nothing committed is lost.
func TestCrashMidRecord(t *testing.T) {
	if path := os.Getenv(crashHalfEnv); path != "" {
		j, _, err := Open(path, testKey, nil)
		if err != nil {
			os.Exit(3)
		}
		for _, st := range []string{"card", "choose", "pin"} {
			if err := j.Append(Record{Kind: KindState, Session: "s1", State: st}); err != nil {
				os.Exit(4)
			}
		}
		j.mu.Lock()
		r := Record{Seq: j.seq, Time: "2026-11-23T07:00:00Z", Kind: KindState, Session: "s1", State: "submit", Prev: j.prev}
		r.Hash = r.seal()
		line, _ := jsonLine(r)
		j.f.WriteAt(line[:len(line)/2], fileSize(path)) // the kill lands here
		os.Stdout.WriteString(fmt.Sprintf("%d\n", len(line)/2))
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	path := filepath.Join(t.TempDir(), "journal")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidRecord$")
	cmd.Env = append(os.Environ(), crashHalfEnv+"="+path)
	out, _ := cmd.Output()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", cmd.ProcessState)
	}
	var half int64
	if _, err := fmt.Sscan(string(out), &half); err != nil || half == 0 {
		t.Fatalf("child wrote %q", out)
	}
	rep, err := Verify(path)
	if err != nil || !rep.Torn || rep.TornTail != half || rep.Records != 4 || len(rep.Open) != 1 {
		t.Fatalf("verify after the crash: %+v %v", rep, err)
	}
	j, orep, err := Open(path, testKey, nil)
	if err != nil {
		t.Fatalf("open after the crash: %v", err)
	}
	j.Close()
	if !orep.Repaired || orep.TornTail != half || len(orep.Recovered) != 1 || orep.Recovered[0] != "s1" {
		t.Fatalf("open after the crash: %+v", orep)
	}
	final, err := Verify(path)
	if err != nil || final.Torn || final.Records != 4+3 || final.Outcomes["unknown"] != 1 { // + repair, open, recovered
		t.Fatalf("after reopen: %+v %v", final, err)
	}
}

// TestNeverWritesAfterTornBytes: when the cut back fails too, the
// journal stays failed — every Append and Healthy returns an *ErrFailed
// that says the partial record could not be cut, and nothing is written
// after it — until a cut succeeds; then a repair record, the next append,
// and a journal that verifies. The failing descriptor is a read-only one
// swapped in for the journal's (write and truncate fail with EBADF/EINVAL).
func TestNeverWritesAfterTornBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	defer j.Close()
	session(t, j, "s1", true)
	good := fileSize(path)
	torn := nextLine(t, path)[:60]
	w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(torn); err != nil { // what a failed write left
		t.Fatal(err)
	}
	w.Close()
	ro, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	j.mu.Lock()
	rw := j.f
	j.f = ro
	j.mu.Unlock()

	for i, call := range []func() error{
		func() error { return j.Append(Record{Kind: KindState, Session: "s2", State: "card"}) },
		func() error { return j.Append(Record{Kind: KindState, Session: "s3", State: "card"}) },
		j.Healthy,
	} {
		err := call()
		var fe *ErrFailed
		if !errors.As(err, &fe) || fe.Undone || fe.UndoErr == nil || !strings.Contains(err.Error(), "could not be cut") {
			t.Fatalf("call %d: %v, want an *ErrFailed that could not be cut", i, err)
		}
		if got := fileSize(path); got != good+int64(len(torn)) {
			t.Fatalf("call %d: the file has %d bytes, want the %d committed plus the %d torn, untouched", i, got, good, len(torn))
		}
	}

	j.mu.Lock()
	j.f = rw // the disk works again
	j.mu.Unlock()
	if err := j.Healthy(); err != nil {
		t.Fatalf("healthy once the disk works: %v", err)
	}
	if err := j.Append(Record{Kind: KindState, Session: "s4", State: "card"}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	checkHealed(t, path, "EBADF", "s4", "s2", "s3")
}
