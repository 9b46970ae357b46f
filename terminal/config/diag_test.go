package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDiagRefresh: the [diag] intervals are read, and refused outside
// 1s–1h with the key named.
func TestDiagRefresh(t *testing.T) {
	b, err := os.ReadFile("kiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(strings.NewReader(string(b)), "/etc/kofu/")
	if err != nil {
		t.Fatal(err)
	}
	if c.Diag.RefreshPrinter.Duration != 5*time.Second || c.Diag.RefreshCenter.Duration != time.Minute ||
		c.Diag.RefreshJournal.Duration != 10*time.Second || c.Diag.RefreshReader.Duration != 5*time.Second ||
		c.Diag.RefreshChecks.Duration != time.Minute {
		t.Fatalf("diag %+v", c.Diag)
	}
	for _, tc := range []struct{ set, want string }{
		{`refresh_printer = "500ms"`, `diag.refresh_printer: "500ms" is not allowed; between 1s and 1h0m0s`},
		{`refresh_center = "2h"`, `diag.refresh_center: "2h0m0s" is not allowed`},
		{`refresh_journal = "0s"`, ""},
		{`refresh_reader = "soon"`, `"soon" is not a duration`},
		{`refresh_everything = "5s"`, `diag.refresh_everything: an unknown key`},
	} {
		key, _, _ := strings.Cut(tc.set, " ")
		cfg := regexp.MustCompile(`(?m)^`+key+` = .*$`).ReplaceAllString(string(b), "")
		cfg = strings.Replace(cfg, "[diag]", "[diag]\n"+tc.set, 1)
		_, err := Parse(strings.NewReader(cfg), "/etc/kofu/")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.set, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.set, err, tc.want)
		}
	}
}

// TestTechnicianAccounts: accounts need an id and a PIN hash, never a
// PIN; a bad one is named without echoing what was written.
func TestTechnicianAccounts(t *testing.T) {
	b, err := os.ReadFile("kiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	const hash = "argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	for _, tc := range []struct{ accounts, want string }{
		{`[[technician.account]]` + "\nid = \"tech-01\"\npin_hash = \"" + hash + "\"\n", ""},
		{`[[technician.account]]` + "\nid = \"tech 01\"\npin_hash = \"" + hash + "\"\n", `technician.account[0].id: "tech 01" is not allowed`},
		{`[[technician.account]]` + "\nid = \"t1\"\npin_hash = \"246810\"\n", `technician.account[0].pin_hash: a value that is not an Argon2id hash is not allowed`},
		{`[[technician.account]]` + "\nid = \"t1\"\npin_hash = \"" + hash + "\"\n[[technician.account]]\nid = \"t1\"\npin_hash = \"" + hash + "\"\n",
			`technician.account[1].id: "t1" is not allowed; 1–32 of A–Z a–z 0–9 . _ -, each account its own`},
	} {
		c, err := Parse(strings.NewReader(string(b)+"\n"+tc.accounts), "/etc/kofu/")
		switch {
		case tc.want == "" && (err != nil || len(c.Technician.Accounts) != 1 || c.Technician.Accounts[0].PINHash != hash):
			t.Errorf("%s: %v", tc.accounts, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.accounts, err, tc.want)
		case tc.want != "" && strings.Contains(err.Error(), "246810"):
			t.Errorf("the PIN is echoed: %v", err)
		}
	}
}
