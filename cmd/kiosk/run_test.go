package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"kofu/internal/cli"
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
		{"wrong PIN", []string{"--doc", "juminhyo", "--pin", "0000"}, 1, "cancelled", "pin-cancelled", 0},
		{"revoked card", []string{"--doc", "juminhyo", "--resident", "R0005"}, 1, "failed", "center-card-revoked", 0},
		{"paper out on the first page", []string{"--doc", "koseki-zenbu", "--resident", "R0019", "--printer", "emulator:paper-out@1"}, 1, "unknown", "print-paper-out", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"run", "--emulator", "--autopilot", "--out", out}, tc.args...)
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), "kiosk", commands(), args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			var line struct {
				Outcome, Reason, TID string
				Pages                int
				Files                []string
			}
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &line); err != nil || bytes.Count(stdout.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("stdout is not one JSON line: %q", stdout.String())
			}
			if line.Outcome != tc.outcome || line.Reason != tc.reason || len(line.Files) != tc.files {
				t.Fatalf("got %+v", line)
			}
			entries, _ := filepath.Glob(filepath.Join(out, "*.png"))
			if len(entries) != tc.files {
				t.Fatalf("%d files in the output directory, want %d", len(entries), tc.files)
			}
		})
	}
}
