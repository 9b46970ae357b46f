package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/terminal/journal"
)

// The technician UI's tmux tests run the real binary as a technician
// would, at 80×24: the clock pinned by --clock, the zone by TZ, the
// journal written at pinned instants.

// diagClock is the instant the emulated world starts at.
func diagClock() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("JST", 9*3600)) }

// diagJournal writes a journal of five sessions with reference numbers,
// each record at a pinned instant before diagClock, one outcome waiting
// in the outbox.
func diagJournal(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "journal")
	var at time.Time
	j, _, err := journal.Open(path, make([]byte, 32), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	b := diagClock()
	bind := strings.Repeat("A", 43)
	for _, r := range []struct {
		at time.Duration
		r  journal.Record
	}{
		{-240 * time.Hour, journal.Record{Kind: journal.KindState, Session: "7777-0000-0003.dddddddddddddddd", State: "card"}},
		{-240*time.Hour + time.Minute, journal.Record{Kind: journal.KindEnd, Session: "7777-0000-0003.dddddddddddddddd", State: "failed", Reason: "center-busy"}},
		{-144 * time.Hour, journal.Record{Kind: journal.KindState, Session: "4821-9930-1177.aaaaaaaaaaaaaaaa", State: "card"}},
		{-144*time.Hour + time.Second, journal.Record{Kind: journal.KindState, Session: "4821-9930-1177.aaaaaaaaaaaaaaaa", State: "print", TID: "YWFhYWFhYWFhYWFhYWFhYQ", Binding: bind}},
		{-144*time.Hour + 9*time.Second, journal.Record{Kind: journal.KindEnd, Session: "4821-9930-1177.aaaaaaaaaaaaaaaa", State: "printed", Fee: 300, Billing: "captured", Pages: 1}},
		{-20 * time.Hour, journal.Record{Kind: journal.KindState, Session: "7777-0000-0004.eeeeeeeeeeeeeeee", State: "card"}},
		{-20*time.Hour + time.Minute, journal.Record{Kind: journal.KindEnd, Session: "7777-0000-0004.eeeeeeeeeeeeeeee", State: "cancelled", Reason: "pin-timeout"}},
		{-time.Hour, journal.Record{Kind: journal.KindState, Session: "5555-1234-0001.bbbbbbbbbbbbbbbb", State: "verify", TID: "YmJiYmJiYmJiYmJiYmJiYg", Binding: bind}},
		{-time.Hour + 5*time.Second, journal.Record{Kind: journal.KindEnd, Session: "5555-1234-0001.bbbbbbbbbbbbbbbb", State: "refused", Reason: "page-qr-mismatch", Billing: "released"}},
		{-30 * time.Minute, journal.Record{Kind: journal.KindState, Session: "5555-1234-0002.cccccccccccccccc", State: "print", TID: "Y2NjY2NjY2NjY2NjY2NjYw", Binding: bind}},
		{-30*time.Minute + 5*time.Second, journal.Record{Kind: journal.KindEnd, Session: "5555-1234-0002.cccccccccccccccc", State: "unknown", Reason: "print-paper-out", Billing: "released"}},
		{-30*time.Minute + 6*time.Second, journal.Record{Kind: journal.KindOutbox, Session: "5555-1234-0002.cccccccccccccccc", State: "unknown", Reason: "print-paper-out", TID: "Y2NjY2NjY2NjY2NjY2NjYw", Binding: bind}},
	} {
		at = b.Add(r.at)
		if err := j.Append(r.r); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// startTmuxDiag runs `kiosk diag --emulator` with args in a tmux pane of
// width×height and returns it once the overview's checks are in.
func startTmuxDiag(t *testing.T, bin string, width, height int, args ...string) (*tmuxPane, string) {
	t.Helper()
	tmux := needTmux(t)
	dir := t.TempDir()
	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	all := append([]string{"diag", "--emulator", "--clock", diagClock().Format(time.RFC3339), "--out", filepath.Join(dir, "out")}, args...)
	shell := fmt.Sprintf("TZ=Asia/Tokyo %s %s 2>%s; echo diag-exited $?; sleep 600", bin, strings.Join(all, " "), filepath.Join(dir, "stderr"))
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.close() })
	waitScreen(t, p.capture, 30*time.Second, "READY: no blocking check fails", "Overview · taken")
	return p, filepath.Join(dir, "out")
}

// esc sends Escape alone, then waits out tmux's and tcell's escape
// timeout, so that the next key is not read as Alt+key.
func escape(p *tmuxPane) {
	p.send("Escape")
	time.Sleep(700 * time.Millisecond)
}

// TestDiagTmux walks every binding of the technician UI in the real
// binary at 80×24: the screens, the help, the command line, the filter,
// a search by reference number, the drill-down and back, the counters'
// windows, sending the outbox, a test page saved in --out, and Q.
func TestDiagTmux(t *testing.T) {
	bin := buildKiosk(t)
	jdir := t.TempDir()
	jpath := diagJournal(t, jdir)
	p, out := startTmuxDiag(t, bin, 80, 24, "--journal", jpath)
	wait := func(want ...string) string { t.Helper(); return waitScreen(t, p.capture, 15*time.Second, want...) }
	s := wait("kofu technician diagnostics", "profile emulator (laptop)", "sw kofu-kiosk/", "refreshed 10:00:", "JST",
		"1 Overview", "7 Outbox", "<?> help", "<:> command", "<R> refresh", "<Q> quit")
	if n := len(strings.Split(strings.TrimSuffix(s, "\n"), "\n")); n != 24 {
		t.Fatalf("not 24 rows:\n%s", s)
	}

	// ? lists this screen's keys; Esc goes back.
	p.send("?")
	wait("Help", "Keys of the Overview screen", "Enter open the check's screen", "Keys on every screen", "1-7 switch to that screen")
	escape(p)
	wait("Overview · taken")

	// Every screen by its digit, Tab and Shift-Tab.
	for _, st := range []struct{ key, see string }{
		{"2", "Reader · taken"}, {"3", "Printer · taken"}, {"4", "Center · taken"}, {"5", "Journal · taken"},
		{"6", "Counters · taken"}, {"7", "Outbox · taken"}, {"Tab", "Overview · taken"}, {"BTab", "Outbox · taken"},
		{"1", "Overview · taken"},
	} {
		p.send(st.key)
		wait(st.see)
	}
	// Enter on a check opens its screen.
	p.send("Down", "Down", "Enter")
	wait("Printer · taken", "state ready")

	// R asks again now: the center's answer, a minute's interval, is
	// fresh after R.
	p.send("4")
	wait("Center · taken", "unknown-ticket")
	time.Sleep(2200 * time.Millisecond)
	wait("s ago)")
	p.send("R")
	wait("(0s ago)")

	// The journal: local time, fixed columns; / filters by reference
	// number as read out, by outcome, by reason.
	p.send("5")
	wait("TIME JST", "REFERENCE", "12-07 09:30:00 5555-1234-0002 unknown", "12-07 09:00:00 5555-1234-0001 refused", "12-01 10:00:00 4821-9930-1177 printed")
	p.send("/", "5555 1234", "Enter")
	s = wait("/5555 1234 2 of 5", "5555-1234-0001", "5555-1234-0002")
	absent(t, s, "4821-9930-1177")
	escape(p)
	wait("4821-9930-1177", "7777-0000-0003")
	p.send("/", "refused", "Enter")
	s = wait("/refused 1 of 5", "5555-1234-0001 refused")
	absent(t, s, "5555-1234-0002")
	escape(p)

	// Enter drills into a session; Esc goes back.
	p.send("Down", "Enter")
	wait("Session 5555-1234-0001", "outcome refused", "Why: page-qr-mismatch", "Refused because of a page", "tell the center operator at once")
	escape(p)
	wait("Journal · taken")

	// Search by reference number on the command line.
	p.send(":", "session 4821 9930 1177", "Enter")
	wait("Session 4821-9930-1177", "outcome printed", "the printer confirmed 1 page(s)")
	escape(p)

	// The counters' windows.
	p.send("6")
	wait("window", "today", "2 ended, 0 open", "Refused because of a page")
	p.send("W")
	wait("since 2026-11-30 10:00 JST; 4 ended")
	p.send("W")
	wait("since the first record; 5 ended", "failed 1")

	// The outbox, sent now: the emulated center no longer knows the
	// ticket, so it is taken out for good and journaled.
	p.send("7")
	wait("Outcomes the center has not heard yet (1)", "5555-1234-0002 unknown print-paper-out")
	p.send("S")
	wait("OK sent", "Outcomes the center has not heard yet (0)")
	var reported bool
	journal.Each(jpath, func(r journal.Record) error {
		reported = reported || (r.Kind == journal.KindReported && r.Session == "5555-1234-0002.cccccccccccccccc")
		return nil
	})
	if !reported {
		t.Error("the send was not journaled")
	}

	// A test page; it and its decoded image land in --out.
	p.send(":", "testpage", "Enter")
	wait("Printer · taken", "OK test page printed and confirmed by emulator (1 page", "saved in "+out)
	if prn, _ := filepath.Glob(filepath.Join(out, "testpage-*.prn")); len(prn) != 1 {
		t.Errorf("--out: %v", prn)
	}
	if png, _ := filepath.Glob(filepath.Join(out, "testpage-*-p1.png")); len(png) != 1 {
		t.Errorf("--out: %v", png)
	}

	// Q asks; n stays; Q y quits.
	p.send("Q")
	wait("Quit kiosk diag? Y quits, any other key stays.")
	p.send("n")
	wait("<Q> quit")
	p.send("Q", "y")
	wait("diag-exited 0")
}

// TestDiagTmuxPaperOut: a test page on a printer that runs out of paper
// ends FAIL with the reason within 5 s, and at 80×24 the printer's
// state and fault show without scrolling.
func TestDiagTmuxPaperOut(t *testing.T) {
	bin := buildKiosk(t)
	p, _ := startTmuxDiag(t, bin, 80, 24, "--printer", "emulator:paper-out@1")
	p.send("3")
	waitScreen(t, p.capture, 15*time.Second, "state ready", "<T> print a test page")
	start := time.Now()
	p.send("T")
	waitScreen(t, p.capture, 5*time.Second, "FAIL test page NOT printed on emulator:paper-out@1: paper out", "load A4 paper and close the tray")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("FAIL after %v", took)
	}
	s := waitScreen(t, p.capture, 10*time.Second, "state NOT READY", "fault PAPER OUT: load A4 paper and close the tray", "PJL 41101 \"LOAD PAPER\"")
	absent(t, s, "WARN test page", "not confirmed")
	t.Logf("paper out at 80×24:\n%s", s)
}

func absent(t *testing.T, s string, not ...string) {
	t.Helper()
	for _, n := range not {
		if strings.Contains(norm(s), norm(n)) {
			t.Errorf("screen shows %q:\n%s", n, s)
		}
	}
}

// TestDiagTmuxLogin: with --login the real binary asks for the
// technician's ID and PIN before anything shows, masks the PIN, refuses
// a wrong one, and journals the login, a test page and an export with
// who did them; the export lands in --out, codes only.
func TestDiagTmuxLogin(t *testing.T) {
	bin := buildKiosk(t)
	jpath := diagJournal(t, t.TempDir())
	tmux := needTmux(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	p := &tmuxPane{t: t, bin: tmux, sock: filepath.Join(dir, "tmux.sock")}
	shell := fmt.Sprintf("TZ=Asia/Tokyo %s diag --emulator --login --clock %s --journal %s --out %s 2>%s; echo diag-exited $?; sleep 600",
		bin, diagClock().Format(time.RFC3339), jpath, out, filepath.Join(dir, "stderr"))
	if o, err := p.cmd("new-session", "-d", "-s", "kofu", "-x", "80", "-y", "24", shell); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, o)
	}
	t.Cleanup(func() { p.close() })
	wait := func(want ...string) string { t.Helper(); return waitScreen(t, p.capture, 15*time.Second, want...) }
	s := wait("Technician login", "technician ID:")
	absent(t, s, "READY", "Overview · taken")
	p.send("tech-emu", "Enter")
	wait("PIN:")
	p.send("000000")
	s = wait("PIN: ******")
	absent(t, s, "000000")
	p.send("Enter")
	wait("wrong technician ID or PIN (2 tries left)")
	p.send("tech-emu", "Enter", emuTechPIN, "Enter")
	wait("Overview · taken", "READY: no blocking check fails")
	p.send(":", "testpage", "Enter")
	wait("OK test page printed and confirmed")
	p.send(":", "session 5555-1234-0001", "Enter")
	wait("Session 5555-1234-0001", "<E> export")
	p.send("E")
	wait("exported for the center (codes only):")
	p.send("Q", "y")
	wait("diag-exited 0")

	var got []string
	journal.Each(jpath, func(r journal.Record) error {
		if r.Kind == journal.KindDiag {
			got = append(got, r.State+" "+r.Reason+" "+r.Note+" "+r.Session)
		}
		return nil
	})
	want := []string{"login refused by:unknown ", "login ok by:tech-emu ", "testpage ok by:tech-emu ",
		"export ok by:tech-emu 5555-1234-0001.bbbbbbbbbbbbbbbb"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("journaled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	exports, _ := filepath.Glob(filepath.Join(out, "session-555512340001-*.jsonl"))
	if len(exports) != 1 {
		t.Fatalf("exports %v", exports)
	}
	data, _ := os.ReadFile(exports[0])
	if !strings.Contains(string(data), `"by":"tech-emu"`) || strings.Contains(string(data), `"binding"`) || strings.Contains(string(data), `"card"`) {
		t.Fatalf("export:\n%s", data)
	}
}

// TestDiagStoreNeedsAccount: on a store machine kiosk diag refuses to
// start without a technician account; --hash-pin makes a hash.
func TestDiagStoreNeedsAccount(t *testing.T) {
	cfg := testConfig(t, "laptop", "")
	var stderr strings.Builder
	code, err := runDiag(t.Context(), []string{"--config", cfg}, &strings.Builder{}, &stderr)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "no [[technician.account]]") {
		t.Fatalf("exit %d: %v", code, err)
	}
	var out strings.Builder
	code, err = hashPINStdin(strings.NewReader("246810\n"), &out)
	if code != 0 || err != nil || !strings.HasPrefix(out.String(), "argon2id$v=19$") {
		t.Fatalf("hash-pin: %d %v %q", code, err, out.String())
	}
	if code, _ := hashPINStdin(strings.NewReader("12"), &out); code != 2 {
		t.Fatalf("a short PIN: exit %d", code)
	}
}
