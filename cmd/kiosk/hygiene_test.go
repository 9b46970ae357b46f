package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kofu/internal/fixtures"
	"kofu/internal/testclock"
)

// TestSecretHygiene runs the real kiosk binary for a resident and then
// looks everywhere it may have written: stdout, stderr, the journal and
// its key, and a private TMPDIR. The resident's name, kana, address and
// birth date appear nowhere (the printed pages in the emulator output
// directory are the one place document content may go), the journal's
// text fields carry only codes, the PIN is in none of them, and TMPDIR
// stays empty.
func TestSecretHygiene(t *testing.T) {
	bin := buildKiosk(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ resident, doc, fault string }{
		{"R0001", "juminhyo", ""},
		{"R0004", "koseki-zenbu", ""},
		{"R0002", "juminhyo", "wrong-record"},
	} {
		t.Run(tc.resident+"/"+tc.doc+"/"+tc.fault, func(t *testing.T) {
			res, _ := fx.Resident(tc.resident)
			out, tmp := t.TempDir(), t.TempDir()
			args := []string{"run", "--emulator", testclock.Flag(t), "--autopilot", "--resident", tc.resident, "--doc", tc.doc, "--out", out}
			if tc.fault != "" {
				args = append(args, "--fault", tc.fault)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var so, se bytes.Buffer
			cmd.Stdout, cmd.Stderr = &so, &se
			_ = cmd.Run() // refused runs exit 1

			canaries := map[string]string{"name": res.Name, "kana": res.Kana, "address": res.Address, "birth": res.Birth}
			places := map[string][]byte{"stdout": so.Bytes(), "stderr": se.Bytes()}
			for _, f := range []string{"journal", "journal.key"} {
				b, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				places[f] = b
			}
			for place, data := range places {
				for what, c := range canaries {
					if c != "" && bytes.Contains(data, []byte(c)) {
						t.Errorf("the resident's %s is in %s", what, place)
					}
				}
			}
			// Journal text fields are codes, never the PIN.
			code := regexp.MustCompile(`^[a-z0-9._:-]*$`)
			for _, line := range strings.Split(strings.TrimSpace(string(places["journal"])), "\n") {
				var r map[string]any
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatal(err)
				}
				for _, k := range []string{"kind", "state", "reason", "billing", "note"} {
					v, _ := r[k].(string)
					if !code.MatchString(v) || (v != "" && strings.Contains(v, res.PIN)) {
						t.Errorf("journal %s=%q is not a code", k, v)
					}
				}
			}
			if strings.Contains(so.String(), `"pin"`) || strings.Contains(se.String(), res.PIN) {
				t.Error("the PIN reached the kiosk's output")
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("files left in TMPDIR: %v", left)
			}
			allowed := regexp.MustCompile(`^(journal|journal\.key|coins\.json|[A-Za-z0-9_-]{22}\.prn|[A-Za-z0-9_-]{22}-p[0-9]+\.png)$`)
			entries, _ := os.ReadDir(out)
			for _, e := range entries {
				if !allowed.MatchString(e.Name()) {
					t.Errorf("unexpected file in the output directory: %s", e.Name())
				}
			}
		})
	}
}
