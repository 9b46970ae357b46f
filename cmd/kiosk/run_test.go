package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"kofu/internal/cli"
	"kofu/internal/testclock"
)

// TestRunAutopilot checks the DESIGN §8 contract of `kiosk run --emulator
// --autopilot`: one JSON line, exit 0 only when printed, page files only
// for a printed document.
func TestRunAutopilot(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		outcome string
		reason  string
		files   int
	}{
		{"printed", []string{"--doc", "juminhyo"}, 0, "printed", "", 1},
		{"koseki three pages", []string{"--doc", "koseki-zenbu", "--resident", "R0019"}, 0, "printed", "", 3},
		{"wrong record refused", []string{"--doc", "juminhyo", "--fault", "wrong-record"}, 1, "refused", "envelope-subject", 0},
		{"lock-timeout-release", []string{"--doc", "koseki-zenbu", "--fault", "lock-timeout-release"}, 1, "refused", "envelope-tid", 0},
		{"same-second-overwrite", []string{"--doc", "koseki-zenbu", "--fault", "same-second-overwrite"}, 1, "refused", "envelope-tid", 0},
		{"sync-overwrite", []string{"--doc", "koseki-zenbu", "--fault", "sync-overwrite"}, 1, "refused", "page-qr-mismatch", 0},
		{"single-server-build", []string{"--doc", "koseki-zenbu", "--fault", "single-server-build"}, 1, "refused", "envelope-rid", 0},
		{"fifo-dispatch", []string{"--doc", "koseki-zenbu", "--fault", "fifo-dispatch"}, 1, "refused", "envelope-tid", 0},
		{"page-swap", []string{"--doc", "koseki-zenbu", "--fault", "page-swap"}, 1, "refused", "page-qr-mismatch", 0},
		{"stale-replay", []string{"--doc", "koseki-zenbu", "--fault", "stale-replay"}, 1, "refused", "envelope-tid", 0},
		{"foreign-terminal", []string{"--doc", "koseki-zenbu", "--fault", "foreign-terminal"}, 1, "refused", "envelope-tid", 0},
		{"bad-signature", []string{"--doc", "juminhyo", "--fault", "bad-signature"}, 1, "refused", "envelope-signature", 0},
		{"expired", []string{"--doc", "juminhyo", "--fault", "expired"}, 1, "refused", "envelope-expired", 0},
		{"error-with-document", []string{"--doc", "juminhyo", "--fault", "error-with-document"}, 1, "refused", "envelope-error-flagged", 0},
		{"drop", []string{"--doc", "juminhyo", "--fault", "drop"}, 1, "failed", "document-transport", 0},
		{"wrong PIN", []string{"--doc", "juminhyo", "--pin", "0000"}, 1, "cancelled", "pin-cancelled", 0},
		{"revoked card", []string{"--doc", "juminhyo", "--resident", "R0005"}, 1, "failed", "center-card-revoked", 0},
		{"paper out on the first page", []string{"--doc", "koseki-zenbu", "--resident", "R0019", "--printer", "emulator:paper-out@1"}, 1, "unknown", "print-paper-out", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out}, tc.args...)
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), "kiosk", commands(), args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			var line struct {
				Outcome, Reason, TID, Payment string
				Pages                         int
				Files                         []string
			}
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &line); err != nil || bytes.Count(stdout.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("stdout is not one JSON line: %q", stdout.String())
			}
			if line.Outcome != tc.outcome || line.Reason != tc.reason || len(line.Files) != tc.files {
				t.Fatalf("got %+v", line)
			}
			if (line.Payment == "captured") != (tc.outcome == "printed") {
				t.Fatalf("payment %q for a %s session", line.Payment, line.Outcome)
			}
			entries, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if len(entries) != tc.files {
				t.Fatalf("%d files in the output directory, want %d", len(entries), tc.files)
			}
		})
	}
}
