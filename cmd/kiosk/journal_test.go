package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kofu/internal/cli"
	"kofu/internal/testclock"
)

// TestJournalCommands: verify reports a good chain and its outcomes, show
// lists the records, and a tampered journal is reported broken.
func TestJournalCommands(t *testing.T) {
	out := t.TempDir()
	var so, se bytes.Buffer
	if code := cli.Main(context.Background(), "kiosk", commands(),
		[]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out}, &so, &se); code != 0 {
		t.Fatalf("run: %d %s", code, se.String())
	}
	jpath := filepath.Join(out, "journal")
	kiosk := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := cli.Main(context.Background(), "kiosk", commands(), args, &o, &e)
		return code, o.String() + e.String()
	}
	if code, text := kiosk("journal", "verify", "--journal", jpath); code != 0 || !strings.Contains(text, "chain verified") || !strings.Contains(text, "printed    1") {
		t.Fatalf("verify: %d %s", code, text)
	}
	if code, text := kiosk("journal", "show", "--journal", jpath); code != 0 || !strings.Contains(text, " end ") || strings.Count(text, "\n") < 9 {
		t.Fatalf("show: %d %s", code, text)
	}
	data, _ := os.ReadFile(jpath)
	os.WriteFile(jpath, bytes.Replace(data, []byte(`"state":"fee"`), []byte(`"state":"pin"`), 1), 0o600)
	if code, text := kiosk("journal", "verify", "--journal", jpath); code != 1 || !strings.Contains(text, "CHAIN BROKEN") {
		t.Fatalf("tampered: %d %s", code, text)
	}
}
