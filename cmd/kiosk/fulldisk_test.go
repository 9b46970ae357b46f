package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"kofu/internal/cli"
	"kofu/internal/testclock"
	"kofu/terminal/journal"
)

// TestFullDiskThroughBinary runs the real binary's customer UI (emulator
// mode, in tmux) with its output directory, journal included, on a real
// 300 MiB tmpfs, and fills that filesystem twice:
//   - below the 256 MiB the kiosk keeps free: the gate closes the customer
//     UI with the disk named, and reopens it when the space returns;
//   - to the last byte while a resident's session runs: the next journal
//     append fails (ENOSPC), the journal fails closed, the session ends
//     without printing, the kiosk goes out of service naming the journal,
//     and when the space returns the journal heals by itself, the kiosk
//     serves again, and `kiosk journal verify` passes on the journal.
//
// It needs root (mount) and tmux, and skips without them.
func TestFullDiskThroughBinary(t *testing.T) {
	bin := buildKiosk(t)
	tmux := needTmux(t)
	disk := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=300m,mode=0700", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s): the journal's own tests cover ENOSPC with RLIMIT_FSIZE", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })

	dir := t.TempDir()
	cfg := testConfig(t, "laptop", "[ui]\nrecheck = \"1s\"\n")
	out := filepath.Join(disk, "out")
	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	stderr := filepath.Join(dir, "stderr")
	shell := fmt.Sprintf("%s run --emulator %s --config %s --out %s 2>%s; echo kiosk-exited $?; sleep 600",
		bin, testclock.Flag(t), cfg, out, stderr)
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "100", "-y", "35", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.close() })
	screen := func(want ...string) string {
		t.Helper()
		s := p.capture()
		if strings.Contains(s, "kiosk-exited") {
			msg, _ := os.ReadFile(stderr)
			t.Fatalf("kiosk exited:\n%s\nstderr: %s", s, msg)
		}
		return waitScreen(t, p.capture, 30*time.Second, want...)
	}
	welcome := "カード置き場に置いてください"
	screen(welcome)

	// 1. Free space below the kiosk's minimum: out of service, then back.
	filler := filepath.Join(disk, "filler")
	fill(t, filler, freeBytes(t, disk)-100<<20)
	s := screen("休止中", "disk")
	t.Logf("out of service with the disk short:\n%s", s)
	os.Remove(filler)
	screen(welcome)

	// 2. The journal's next append refused by the kernel (RLIMIT_FSIZE
	// set on the running kiosk just above the journal's size: a full
	// filesystem takes small appends into the file's last, partly used
	// page, so it cannot make the next append fail on cue). The journal
	// fails closed, the session ends without printing, and the kiosk
	// takes no resident until the journal can be written again.
	screen(welcome)
	pid := pidOf(t, bin)
	jpath := filepath.Join(out, "journal")
	fi, err := os.Stat(jpath)
	if err != nil {
		t.Fatal(err)
	}
	prlimit(t, pid, fmt.Sprintf("%d:unlimited", fi.Size()+64))
	closed := func(s string) bool {
		return strings.Contains(norm(s), norm("休止中")) && strings.Contains(norm(s), norm("● 取引の記録"))
	}
	p.send("C")
	deadline := time.Now().Add(60 * time.Second) // a deadline for polling: elapsed time only
	pulled := false
	for s = p.capture(); !closed(s); s = p.capture() {
		if strings.Contains(s, "暗証番号（数字4桁）") {
			t.Fatalf("the session went on to the PIN with its journal failed:\n%s", s)
		}
		if time.Now().After(deadline) {
			t.Fatalf("never out of service for the journal:\n%s", s)
		}
		switch {
		case !pulled && strings.Contains(norm(s), norm("カードをお取りください")):
			p.send("C") // take the card: the finish screen waits for it to leave
			pulled = true
		case strings.Contains(s, "<Enter>"):
			p.send("Enter") // close whatever the session ended on
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Logf("out of service with the journal failed:\n%s", s)
	if !strings.Contains(s, "file too large") {
		t.Errorf("the technician's line does not say why the journal failed:\n%s", s)
	}
	p.send("C") // a resident placing a card now is not served
	time.Sleep(1500 * time.Millisecond)
	if s := p.capture(); !closed(s) {
		t.Fatalf("a card was served with the journal failed:\n%s", s)
	}
	if pngs, _ := filepath.Glob(filepath.Join(out, "*.png")); len(pngs) != 0 {
		t.Fatalf("printed with the journal failed: %v", pngs)
	}
	prlimit(t, pid, "unlimited:unlimited") // the space returns
	screen(welcome)
	p.send("Q")
	waitScreen(t, p.capture, 20*time.Second, "kiosk-exited 0")

	// The journal: a healed chain, the failed write undone and recorded.
	var so, se bytes.Buffer
	if code := cli.Main(context.Background(), "kiosk", commands(), []string{"journal", "verify", "--journal", filepath.Join(out, "journal")}, &so, &se); code != 0 {
		t.Fatalf("journal verify: exit %d\n%s%s", code, so.String(), se.String())
	}
	repaired := false
	if err := journal.Each(filepath.Join(out, "journal"), func(r journal.Record) error {
		repaired = repaired || strings.HasPrefix(r.Note, "append-failed-undone")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !repaired {
		t.Fatal("no record of the undone append in the journal")
	}
	printed := 0
	if err := journal.Each(filepath.Join(out, "journal"), func(r journal.Record) error {
		if r.Kind == journal.KindEnd && r.State == "printed" {
			printed++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if pngs, _ := filepath.Glob(filepath.Join(out, "*-p1.png")); len(pngs) != printed {
		t.Fatalf("%d documents on paper, %d recorded printed in the journal", len(pngs), printed)
	}
}

// pidOf finds the process running the binary at bin.
func pidOf(t *testing.T, bin string) int {
	t.Helper()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err == nil && bytes.HasPrefix(cmd, []byte(bin+"\x00")) {
			var pid int
			fmt.Sscan(filepath.Base(d), &pid)
			return pid
		}
	}
	t.Fatalf("no process runs %s", bin)
	return 0
}

// prlimit sets the file size limit (soft:hard) of a running process.
func prlimit(t *testing.T, pid int, fsize string) {
	t.Helper()
	if out, err := exec.Command("prlimit", "--pid", fmt.Sprint(pid), "--fsize="+fsize).CombinedOutput(); err != nil {
		t.Fatalf("prlimit: %v: %s", err, out)
	}
}

// freeBytes is the space an unprivileged write can still use on the
// filesystem of path.
func freeBytes(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// fill writes up to n bytes to path, stopping quietly at ENOSPC.
func fill(t *testing.T, path string, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for n > 0 {
		w := buf
		if int64(len(w)) > n {
			w = w[:n]
		}
		k, err := f.Write(w)
		n -= int64(k)
		if errors.Is(err, syscall.ENOSPC) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
