package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kofu/terminal/journal"
)

// stateFunc is a JournalState whose answer the test chooses.
type stateFunc func() error

func (f stateFunc) Healthy() error { return f() }

// TestLiveJournalCheck: the gate's journal check fails, with the cause in
// plain words, while the open journal cannot be written, and otherwise
// judges the file as JournalCheck does.
func TestLiveJournalCheck(t *testing.T) {
	path := writeJournal(t, t.TempDir())
	enospc := &journal.ErrFailed{Err: &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, Undone: true}
	cases := []struct {
		name  string
		state error
		st    Status
		want  []string
	}{
		{"writable", nil, OK, []string{"8 records, chain verified", "writable"}},
		{"append failed, undone", enospc, Fail, []string{"journal cannot be written: write " + path + ": no space left on device",
			"takes no residents", "free space"}},
		{"append failed, cut failed too", &journal.ErrFailed{Err: enospc.Err, UndoErr: syscall.EIO}, Fail,
			[]string{"no space left on device", "could not be cut: input/output error"}},
		{"closed", journal.ErrClosed, Fail, []string{"journal " + path + ": journal closed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := LiveJournalCheck(path, stateFunc(func() error { return tc.state }))
			if c.Name != "journal" || !c.Blocking {
				t.Fatalf("check %q blocking=%v", c.Name, c.Blocking)
			}
			expect(t, c.Run(context.Background()), tc.st, tc.want...)
		})
	}
	t.Run("a real open journal", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "journal")
		j, _, err := journal.Open(path, make([]byte, 32), nil)
		if err != nil {
			t.Fatal(err)
		}
		expect(t, LiveJournalCheck(path, j).Run(context.Background()), OK, "1 records, chain verified")
		j.Close()
		r := LiveJournalCheck(path, j).Run(context.Background())
		expect(t, r, Fail, "journal closed")
		if !errors.Is(j.Healthy(), journal.ErrClosed) {
			t.Fatal("a closed journal reports healthy")
		}
	})
}

// TestJournalCheckTornTail: the path check (selftest, another process)
// warns about a torn tail with its size and does not block: the kiosk
// cuts it before writing again.
func TestJournalCheckTornTail(t *testing.T) {
	path := writeJournal(t, t.TempDir())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(`{"seq":8,"t":"2026-11-23T0`)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	expect(t, JournalCheck(path).Run(context.Background()), Warn, "8 records, chain verified", "a partial record of 26 bytes", "cuts it before it writes again")
}

// fsizeChildEnv names the journal a re-executed test binary checks under
// a file-size limit (see TestLiveJournalCheckFileSizeLimit).
const fsizeChildEnv = "KOFU_HEALTH_FSIZE_CHILD"

// TestLiveJournalCheckFileSizeLimit runs the gate's check on a real
// journal whose append failed for real: a child process lowers
// RLIMIT_FSIZE below the next record, the append fails with EFBIG, and
// the check fails saying the journal cannot be written; once the limit
// is lifted the check itself heals the journal and passes, and the
// journal verifies.
func TestLiveJournalCheckFileSizeLimit(t *testing.T) {
	if path := os.Getenv(fsizeChildEnv); path != "" {
		if err := fsizeChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(5)
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "journal")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveJournalCheckFileSizeLimit$")
	cmd.Env = append(os.Environ(), fsizeChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	rep, err := journal.Verify(path)
	if err != nil || rep.Torn {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// fsizeChild is the child's side: it prints both verdicts and returns
// the first that is wrong.
func fsizeChild(path string) error {
	j, _, err := journal.Open(path, make([]byte, 32), nil)
	if err != nil {
		return err
	}
	defer j.Close()
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	orig := lim
	lim.Cur = uint64(st.Size() + 10)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		return err
	}
	aerr := j.Append(journal.Record{Kind: journal.KindState, Session: "s1", State: "card"})
	fmt.Printf("append: %v\n", aerr)
	check := LiveJournalCheck(path, j)
	r := check.Run(context.Background())
	fmt.Printf("check while the limit holds: %v %s\n", r.Status, r.Detail)
	if r.Status != Fail || !errors.Is(aerr, syscall.EFBIG) ||
		!strings.HasPrefix(r.Detail, "journal cannot be written: write "+path+": file too large") {
		return errors.New("the check did not fail with the cause")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		return err
	}
	r = check.Run(context.Background())
	fmt.Printf("check after the limit is lifted: %v %s\n", r.Status, r.Detail)
	if r.Status != OK || !strings.Contains(r.Detail, "2 records, chain verified") { // open + the repair record
		return errors.New("the check did not heal the journal")
	}
	return nil
}
