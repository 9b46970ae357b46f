package diag

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"kofu/terminal/journal"
)

func testLogin(_ context.Context, id, pin string) (string, error) {
	if id == "tech-01" && pin == "246810" {
		return id, nil
	}
	return "", errors.New("wrong technician ID or PIN")
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.press(r)
	}
}

// TestLogin: with a login, nothing shows until the technician's ID and
// PIN are right; the PIN is masked; the login and what the technician
// then changes are journaled with the ID.
func TestLogin(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, 100, 30, func(o *Options) { o.Login = testLogin })
	h.waitFor("Technician login", "technician ID:", "<Ctrl-C> quit")
	absent(t, h.d.Snapshot(), "OK reader", "Overview · taken")
	h.press('1', '5', '?', ':') // no screen, no help, no command before the login
	h.press(tcell.KeyEscape)
	h.waitFor("technician ID:")
	h.typeText("tech-01")
	h.press(tcell.KeyEnter)
	h.waitFor("PIN:")
	h.typeText("111111")
	s := h.waitFor("PIN: ******")
	absent(t, s, "111111")
	h.press(tcell.KeyEnter)
	h.waitFor("wrong technician ID or PIN (2 tries left)", "technician ID:")
	h.typeText("tech-01")
	h.press(tcell.KeyEnter)
	h.typeText("246810")
	h.press(tcell.KeyEnter)
	h.waitFor("Overview · taken", "WARN center blocking")
	h.press('3', 'T')
	h.waitFor("OK test page printed and confirmed")
	deadline := time.Now().Add(5 * time.Second) // elapsed time only
	for len(f.audited()) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	want := []Audit{{Who: "unknown", Action: "login", Result: "refused"}, {Who: "tech-01", Action: "login", Result: "ok"},
		{Who: "tech-01", Action: "testpage", Result: "ok"}}
	got := f.audited()
	if len(got) != len(want) {
		t.Fatalf("audits %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("audit %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if r := want[1].Record(); r.Kind != journal.KindDiag || r.Note != "by:tech-01" || r.State != "login" {
		t.Errorf("record %+v", r)
	}
}

// TestLoginThreeWrong: three wrong credentials end kiosk diag.
func TestLoginThreeWrong(t *testing.T) {
	h := newHarness(t, newFake(t), 100, 30, func(o *Options) { o.Login = testLogin })
	for range loginTries {
		h.waitFor("technician ID:")
		h.typeText("x")
		h.press(tcell.KeyEnter)
		h.waitFor("PIN:")
		h.typeText("000000")
		h.press(tcell.KeyEnter)
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-h.done:
		if h.err == nil || !strings.Contains(h.err.Error(), "3 wrong technician credentials") {
			t.Fatalf("Run: %v", h.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("three wrong logins did not end diag")
	}
}

// TestExport: E on a session writes its records for the center, codes
// only, and journals the export.
func TestExport(t *testing.T) {
	f := newFake(t)
	h := newHarness(t, f, 120, 40, func(o *Options) { o.Who = "tech-02" })
	h.press(':')
	h.typeText("session 5555-1234-0002")
	h.press(tcell.KeyEnter)
	h.waitFor("Session 5555-1234-0002")
	h.press('E')
	h.waitFor("exported for the center (codes only):", "session-555512340002-20261207T0100")
	var path string
	for _, a := range f.audited() {
		if a.Action == "export" && a.Who == "tech-02" && a.Session == sidUnknown && a.Result == "ok" {
			path = "journaled"
		}
	}
	if path == "" {
		t.Fatalf("export not journaled: %+v", f.audited())
	}
	matches, _ := filepath.Glob(filepath.Join(f.exportDir(), "session-555512340002-*.jsonl"))
	if len(matches) != 1 {
		t.Fatalf("exports: %v", matches)
	}
	fh, err := os.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	var lines []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 6 || lines[0]["format"] != "kofu-session-export/1" || lines[0]["by"] != "tech-02" || lines[0]["sid"] != sidUnknown {
		t.Fatalf("export %v", lines)
	}
	for _, l := range lines[1:] {
		if _, ok := l["card"]; ok {
			t.Errorf("card hash exported: %v", l)
		}
		if _, ok := l["binding"]; ok {
			t.Errorf("binding exported: %v", l)
		}
		if l["sid"] != sidUnknown {
			t.Errorf("another session's record: %v", l)
		}
	}
}
