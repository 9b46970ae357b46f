package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"kofu/internal/testclock"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// TestKillInEveryState SIGKILLs the real kiosk process on entering each
// state of a session, then starts it again: the journal verifies, the
// killed session is reported and recorded unknown, and nothing of it is
// printed again. The money: from fetch on the killed session has a hold
// open in the persisted coin unit (OUT/coins.json); the restart resolves
// it by the journal — released, the session being unknown — and journals
// that; no coin is lost (every yen inserted is in the cash box, returned
// or still credited) and only the restarted session's printed fee is in
// the cash box. The center hears the killed session's outcome once: one
// reported record, and a third start sends nothing more.
func TestKillInEveryState(t *testing.T) {
	bin := buildKiosk(t)
	// holdOpen is how many holds the killed session has open in the coin
	// unit when killed on entering each state: the hold is taken in fee
	// and settled only at the session's end. hasTicket: killed on entering
	// these states, the session has a ticket, so its unknown outcome is
	// owed to the center.
	holdOpen := map[string]int{"fetch": 1, "print": 1, "settle": 1}
	hasTicket := map[string]bool{"fee": true, "fetch": true, "print": true, "settle": true, crashCaptured: true}
	// earned: killed after the printer confirmed every page (the settle
	// record carries journal.IntentCapture), before or after the unit
	// captured: the session is closed printed and the fee captured — the
	// books agree with the paper and with the coin unit.
	earned := map[string]bool{"settle": true, crashCaptured: true}
	for _, state := range []string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle", crashCaptured} {
		t.Run(state, func(t *testing.T) {
			out := t.TempDir()
			run := func(extra ...string) (*exec.Cmd, []byte, []byte, error) {
				cmd := exec.Command(bin, append([]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out}, extra...)...)
				var so, se bytes.Buffer
				cmd.Stdout, cmd.Stderr = &so, &se
				err := cmd.Run()
				return cmd, so.Bytes(), se.Bytes(), err
			}
			cmd, _, _, err := run("--crash-at", state)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || cmd.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("the kiosk was not killed in state %s: %v", state, err)
			}
			rep, err := journal.Verify(filepath.Join(out, "journal"))
			if err != nil || len(rep.Open) != 1 {
				t.Fatalf("after the kill: %+v %v", rep, err)
			}
			killed := rep.Open[0]
			pagesBefore := pngs(t, out)
			holds := holdsOf(t, out, killed)
			coins, err := payment.ReadCoinsFile(filepath.Join(out, "coins.json"))
			if err != nil {
				t.Fatal(err)
			}
			wantJournaled := holdOpen[state]
			if state == crashCaptured {
				wantJournaled = 1 // journaled, taken, and captured before the kill
			}
			if wantOpen := holdOpen[state]; coins.OpenHolds != wantOpen || len(holds) != wantJournaled {
				t.Fatalf("killed in %s: %d holds open in the coin unit, %d journaled; want %d, %d", state, coins.OpenHolds, len(holds), wantOpen, wantJournaled)
			}
			if state == crashCaptured && (coins.Cashbox == 0 || settledAny(t, out, holds[0])) {
				t.Fatalf("killed after the capture: cashbox %d, settled record %v; want the fee in the cashbox and no settled record yet",
					coins.Cashbox, settledAny(t, out, holds[0]))
			}

			_, so, se, err := run()
			if err != nil {
				t.Fatalf("restart: %v\n%s", err, se)
			}
			if !strings.Contains(string(se), "session "+killed+" was left unfinished") {
				t.Fatalf("restart did not report the killed session: %s", se)
			}
			if got := strings.Contains(string(se), "recorded as printed, its fee captured"); got != earned[state] {
				t.Fatalf("killed in %s: restart says printed %v, want %v: %s", state, got, earned[state], se)
			}
			var line struct{ TID string }
			json.Unmarshal(so, &line)
			rep, err = journal.Verify(filepath.Join(out, "journal"))
			wantUnknown, wantPrinted := 1, 1
			if earned[state] {
				wantUnknown, wantPrinted = 0, 2
			}
			if err != nil || len(rep.Open) != 0 || rep.Outcomes["unknown"] != wantUnknown || rep.Outcomes["printed"] != wantPrinted {
				t.Fatalf("after restart: %+v %v; want %d unknown, %d printed", rep, err, wantUnknown, wantPrinted)
			}
			after := pngs(t, out)
			if len(after) != len(pagesBefore)+1 || !contains(after, line.TID) {
				t.Fatalf("pages before %v, after %v: the restart printed more than its own page", pagesBefore, after)
			}
			switch {
			case earned[state] && len(pagesBefore) != 1:
				t.Fatalf("killed in %s: want the one page printed before, got %v", state, pagesBefore)
			case !earned[state] && len(pagesBefore) != 0:
				t.Fatalf("pages written before printing began: %v", pagesBefore)
			}

			var res struct{ Fee int }
			json.Unmarshal(so, &res)
			coins, err = payment.ReadCoinsFile(filepath.Join(out, "coins.json"))
			if err != nil {
				t.Fatal(err)
			}
			wantCaptured := res.Fee // the restart's own printed session
			if earned[state] {
				wantCaptured = 2 * res.Fee // and the killed one's
			}
			if coins.OpenHolds != 0 || coins.Cashbox != wantCaptured || res.Fee == 0 ||
				coins.Cashbox+coins.Returned+coins.Credit+coins.Held != coins.Inserted {
				t.Fatalf("coin unit after restart %+v: want no hold open, %d captured, every coin accounted for", coins, wantCaptured)
			}
			for _, id := range holds {
				want := "released" // the session is unknown
				switch {
				case state == crashCaptured:
					want = "" // captured before the kill: nothing left to resolve
				case earned[state]:
					want = "captured"
				}
				if got := settledAtStart(t, out, id); got != want {
					t.Fatalf("hold %s of the killed session: resolved at start %q, want %q", id, got, want)
				}
			}
			if got := reportedResult(t, out, killed); hasTicket[state] && got != map[bool]string{true: "printed", false: "unknown"}[earned[state]] {
				t.Fatalf("the killed session was queued for the center as %q", got)
			}
			wantReported := 0
			if hasTicket[state] {
				wantReported = 1
			}
			if n := reported(t, out, killed); n != wantReported {
				t.Fatalf("the killed session was reported %d times at restart, want %d", n, wantReported)
			}
			if _, _, se, err := run(); err != nil {
				t.Fatalf("third start: %v\n%s", err, se)
			}
			if n := reported(t, out, killed); n != wantReported {
				t.Fatalf("after a third start the killed session was reported %d times, want %d", n, wantReported)
			}
			if coins, err := payment.ReadCoinsFile(filepath.Join(out, "coins.json")); err != nil || coins.OpenHolds != 0 ||
				coins.Cashbox != wantCaptured+res.Fee || coins.Cashbox+coins.Returned+coins.Credit+coins.Held != coins.Inserted {
				t.Fatalf("coin unit after a third start %+v %v", coins, err)
			}
		})
	}
}

// holdsOf lists the hold ids session journaled.
func holdsOf(t *testing.T, out, session string) []string {
	t.Helper()
	var ids []string
	eachRecord(t, out, func(r journal.Record) {
		if r.Kind == journal.KindHold && r.Session == session {
			ids = append(ids, r.Note)
		}
	})
	return ids
}

// settledAtStart is how the start-up recovery resolved hold id ("" if not).
func settledAtStart(t *testing.T, out, id string) string {
	t.Helper()
	got := ""
	eachRecord(t, out, func(r journal.Record) {
		if r.Kind == journal.KindSettled && r.Note == id && r.Reason == "recovered-at-start" {
			got = r.Billing
		}
	})
	return got
}

// settledAny reports whether any settled record names hold id.
func settledAny(t *testing.T, out, id string) bool {
	t.Helper()
	found := false
	eachRecord(t, out, func(r journal.Record) {
		if r.Kind == journal.KindSettled && r.Note == id {
			found = true
		}
	})
	return found
}

// reportedResult is the result the outbox sent the center for session
// and the center answered (the journal's reported record; "" if none),
// with the billing the center answered.
func reportedResult(t *testing.T, out, session string) string {
	t.Helper()
	got := ""
	eachRecord(t, out, func(r journal.Record) {
		if r.Kind == journal.KindReported && r.Session == session {
			got = r.State
		}
	})
	return got
}

// reported counts the journal's reported records for session.
func reported(t *testing.T, out, session string) int {
	t.Helper()
	n := 0
	eachRecord(t, out, func(r journal.Record) {
		if r.Kind == journal.KindReported && r.Session == session {
			n++
		}
	})
	return n
}

func eachRecord(t *testing.T, out string, fn func(journal.Record)) {
	t.Helper()
	if err := journal.Each(filepath.Join(out, "journal"), func(r journal.Record) error { fn(r); return nil }); err != nil {
		t.Fatal(err)
	}
}

func pngs(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	return m
}

func contains(paths []string, tid string) bool {
	for _, p := range paths {
		if strings.HasPrefix(filepath.Base(p), tid) {
			return true
		}
	}
	return false
}
