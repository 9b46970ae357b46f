package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// close ends the tmux server and waits until every process its panes
// ran has exited. kill-server returns as soon as the panes got their
// hangup; a kiosk still writing its journal while t.TempDir's cleanup
// runs makes that cleanup fail ("unlinkat …/out: directory not empty"),
// which failed TestChoiceCountdownTmux once under load.
func (p *tmuxPane) close() {
	var procs []proc
	if out, err := p.cmd("list-panes", "-a", "-F", "#{pane_pid}"); err == nil {
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil {
				procs = append(procs, descendants(pid)...)
			}
		}
	}
	p.cmd("kill-server")
	if waitGone(procs, 10*time.Second) {
		return
	}
	for _, pr := range procs {
		if pr.running() {
			_ = syscall.Kill(pr.pid, syscall.SIGKILL)
		}
	}
	if !waitGone(procs, 5*time.Second) {
		p.t.Errorf("processes of the tmux panes outlived SIGKILL: %v", procs)
	}
}

// proc is one process, told from a later one that reuses its pid by its
// start time.
type proc struct {
	pid   int
	start string // field 22 of /proc/PID/stat, in clock ticks since boot
}

// stat reads /proc/PID/stat: the state, the parent and the start time
// (the fields after the command, which may hold spaces and parentheses).
func stat(pid int) (state string, ppid int, start string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0, "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0, "", false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return "", 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, f[19], err == nil
}

// running reports whether p is still alive: there, not a zombie, and
// not another process that got its pid.
func (p proc) running() bool {
	state, _, start, ok := stat(p.pid)
	return ok && state != "Z" && start == p.start
}

// descendants is pid and every process below it.
func descendants(pid int) []proc {
	children := map[int][]proc{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		child, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if _, ppid, start, ok := stat(child); ok {
			children[ppid] = append(children[ppid], proc{child, start})
		}
	}
	_, _, start, ok := stat(pid)
	if !ok {
		return nil
	}
	out := []proc{{pid, start}}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].pid]...)
	}
	return out
}

// waitGone polls until none of procs runs, or d has passed; it reports
// whether they all went.
func waitGone(procs []proc, d time.Duration) bool {
	deadline := time.Now().Add(d) // a deadline for polling: elapsed time only
	for {
		running := false
		for _, p := range procs {
			running = running || p.running()
		}
		if !running {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
