package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"kofu/internal/cli"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/terminal"
	"kofu/terminal/config"
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
		// The document GET is sent again after each dropped connection until
		// the Document deadline, shortened here by a configuration.
		{"drop", []string{"--doc", "juminhyo", "--fault", "drop", "--config", "[center.timeouts]\ndocument = \"2s\"\n"}, 1, "failed", "document-transport", 0},
		{"wrong PIN", []string{"--doc", "juminhyo", "--pin", "0000"}, 1, "cancelled", "pin-cancelled", 0},
		{"revoked card", []string{"--doc", "juminhyo", "--resident", "R0005"}, 1, "failed", "center-card-revoked", 0},
		{"paper out on the first page", []string{"--doc", "koseki-zenbu", "--resident", "R0019", "--printer", "emulator:paper-out@1"}, 1, "unknown", "print-paper-out", 0},
		// 世帯の一部: --members ticks places on the list released after the PIN.
		{"household members 1 and 3", []string{"--members", "1,3"}, 0, "printed", "", 1},
		{"scope members, the holder alone", []string{"--opt", "scope=members"}, 0, "printed", "", 1},
		{"a place not on the list", []string{"--members", "1,9"}, 1, "failed", "members-error", 0},
		{"member-extra", []string{"--members", "1,3", "--fault", "member-extra"}, 1, "refused", "envelope-members", 0},
		{"member-dropped", []string{"--members", "2", "--fault", "member-dropped"}, 1, "refused", "envelope-members", 0},
		{"household-other-list", []string{"--members", "1,2", "--fault", "household-other-list"}, 1, "refused", "household-qid", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--out", out}, tc.args...)
			for i, a := range args {
				if a == "--config" { // the next argument is extra TOML for testConfig
					args[i+1] = testConfig(t, "laptop", args[i+1])
				}
			}
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

// TestRunAutopilotPINStdin: `kiosk run --autopilot --pin-stdin` takes the
// PIN from one line of stdin — the right one prints, a wrong one is the
// card's refusal (so the line, not the resident's default, reached the
// card) — and a command line that names the PIN twice, or an empty line,
// is a usage error before anything starts.
func TestRunAutopilotPINStdin(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, ok := fx.Resident("R0001")
	if !ok {
		t.Fatal("no resident R0001")
	}
	for _, tc := range []struct {
		name    string
		args    []string
		stdin   string
		code    int
		outcome string // "" = no result line (usage error)
		reason  string
	}{
		{"right PIN on stdin", []string{"--pin-stdin"}, res.PIN + "\n", 0, "printed", ""},
		{"right PIN, CRLF and no more lines", []string{"--pin-stdin"}, res.PIN + "\r\n", 0, "printed", ""},
		{"wrong PIN on stdin", []string{"--pin-stdin"}, "0000\n", 1, "cancelled", "pin-cancelled"},
		{"empty line", []string{"--pin-stdin"}, "\n", 2, "", ""},
		{"nothing on stdin", []string{"--pin-stdin"}, "", 2, "", ""},
		{"--pin and --pin-stdin", []string{"--pin-stdin", "--pin", res.PIN}, res.PIN + "\n", 2, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"--emulator", testclock.Flag(t), "--autopilot", "--doc", "juminhyo", "--out", out}, tc.args...)
			var stdout, stderr bytes.Buffer
			code, err := runWith(context.Background(), args, &stdout, &stderr, runHooks{stdin: strings.NewReader(tc.stdin)})
			if code != tc.code {
				t.Fatalf("exit %d (%v), want %d; stderr %s", code, err, tc.code, stderr.String())
			}
			if err != nil && strings.Contains(err.Error(), res.PIN) {
				t.Errorf("the error shows the PIN: %v", err)
			}
			if tc.outcome == "" {
				if err == nil || stdout.Len() != 0 {
					t.Fatalf("want a usage error and no result; err %v, stdout %q", err, stdout.String())
				}
				return
			}
			var line struct{ Outcome, Reason string }
			if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &line); err != nil {
				t.Fatalf("stdout is not a JSON line: %q", stdout.String())
			}
			if line.Outcome != tc.outcome || line.Reason != tc.reason {
				t.Fatalf("got %+v, want %s %q", line, tc.outcome, tc.reason)
			}
		})
	}
	// --pin-stdin outside the autopilot: the customer UI asks the resident.
	var stdout, stderr bytes.Buffer
	if code, err := runWith(context.Background(), []string{"--emulator", testclock.Flag(t), "--pin-stdin"}, &stdout, &stderr,
		runHooks{stdin: strings.NewReader("1234\n")}); code != 2 || err == nil {
		t.Errorf("--pin-stdin without --autopilot: exit %d, %v", code, err)
	}
}

// TestRunPINHelpSaysTestsOnly: --pin's help warns that it is visible in
// the process list; --pin-stdin is offered.
func TestRunPINHelpSaysTestsOnly(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"card", "sign", "--help"}} {
		var stdout, stderr bytes.Buffer
		cli.Main(context.Background(), "kiosk", commands(), args, &stdout, &stderr)
		help := stdout.String() + stderr.String()
		if !strings.Contains(help, "FOR TESTS ONLY") || !strings.Contains(help, "-pin-stdin") {
			t.Errorf("kiosk %s: the help does not say --pin is for tests only:\n%s", strings.Join(args, " "), help)
		}
	}
}

// TestSessionTimeouts: each session.* key reaches the session, and a key
// left out takes terminal's default (session.members came last and was
// once dropped on the way).
func TestSessionTimeouts(t *testing.T) {
	d := terminal.DefaultTimeouts()
	cases := []struct {
		name string
		set  config.Session
		want func(terminal.Timeouts) terminal.Timeouts
	}{
		{"defaults", config.Session{}, func(t terminal.Timeouts) terminal.Timeouts { return t }},
		{"members", config.Session{Members: config.Duration{Duration: 45 * time.Second}},
			func(t terminal.Timeouts) terminal.Timeouts { t.Members = 45 * time.Second; return t }},
		{"pin and pay", config.Session{PIN: config.Duration{Duration: 30 * time.Second}, Pay: config.Duration{Duration: 4 * time.Minute}},
			func(t terminal.Timeouts) terminal.Timeouts { t.PIN, t.Pay = 30*time.Second, 4*time.Minute; return t }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := &runContext{cfg: &config.Config{Session: tc.set}}
			got, want := rc.sessionTimeouts(), tc.want(d)
			want.Outbox = 0 // not a session.* key: the kiosk fills it
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestAutopilotDoc: --doc, --opt and --members make the autopilot's
// order, refused before anything starts when the center would refuse it
// or the places cannot be on a household list.
func TestAutopilotDoc(t *testing.T) {
	cases := []struct {
		name    string
		doc     string
		opts    []string
		members string
		want    map[string]string // options that must be set
		chosen  []int
		err     string // a substring; "" = accepted
	}{
		{"defaults", "juminhyo", nil, "", map[string]string{"scope": "self"}, nil, ""},
		{"an option", "juminhyo", []string{"zokugara=include"}, "", map[string]string{"zokugara": "include"}, nil, ""},
		{"members", "juminhyo", nil, "1, 3", map[string]string{"scope": "members"}, []int{0, 2}, ""},
		{"members with scope written out", "juminhyo", []string{"scope=members"}, "2", map[string]string{"scope": "members"}, []int{1}, ""},
		{"scope members alone", "juminhyo", []string{"scope=members"}, "", map[string]string{"scope": "members"}, nil, ""},
		{"members with the whole household", "juminhyo", []string{"scope=household"}, "1", nil, nil, "chosen with scope members"},
		{"members of a 戸籍", "koseki-zenbu", nil, "1", nil, nil, "only the 住民票"},
		{"place 0", "juminhyo", nil, "0", nil, nil, "1 to 30"},
		{"place 31", "juminhyo", nil, "31", nil, nil, "1 to 30"},
		{"place twice", "juminhyo", nil, "2,2", nil, nil, "given twice"},
		{"not a number", "juminhyo", nil, "one", nil, nil, "places on the household list"},
		{"unknown option", "juminhyo", []string{"colour=red"}, "", nil, nil, `no option "colour"`},
		{"no value", "juminhyo", []string{"zokugara="}, "", nil, nil, "KEY=VALUE"},
		{"a value the type has not", "juminhyo", []string{"zokugara=maybe"}, "", nil, nil, "maybe"},
		{"unknown type", "passport", nil, "", nil, nil, "passport"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, chosen, err := autopilotDoc(tc.doc, tc.opts, tc.members)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got, _ := doc.Opt(k); got != v {
					t.Errorf("option %s = %q, want %q", k, got, v)
				}
			}
			if !slices.Equal(chosen, tc.chosen) {
				t.Errorf("chosen %v, want %v", chosen, tc.chosen)
			}
		})
	}
}
