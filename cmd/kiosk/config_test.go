package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kofu/internal/cli"
)

func TestConfigCheck(t *testing.T) {
	base := testConfig(t, "laptop", "")
	dir := filepath.Dir(base)
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	good := string(b)
	munisFile, _ := filepath.Abs("../../terminal/config/municipalities.example.toml")
	badMunis := filepath.Join(dir, "bad-munis.toml")
	os.WriteFile(badMunis, []byte("[[municipality]]\ncode = \"1\"\nname = \"x\"\n"), 0o600)
	cases := []struct {
		name, src string
		code      int
		want      string
	}{
		{"good", good, 0, "ok (terminal T0001, store S0001"},
		{"two problems, both named", strings.Replace(strings.Replace(good, `spec = "emulator"`, `spec = "lpt1"`, 1),
			`url = "https://127.0.0.1:8443"`, `url = "http://x"`, 1), 1, `center.url: "http://x" is not allowed`},
		{"municipality list", good + "[ui]\nmunicipalities = \"" + munisFile + "\"\n", 0, "ok (terminal T0001"},
		{"municipality list missing", good + "[ui]\nmunicipalities = \"nowhere.toml\"\n", 1, `ui.municipalities: "` + dir + `/nowhere.toml" is not allowed; a readable file`},
		{"municipality list bad", good + "[ui]\nmunicipalities = \"" + badMunis + "\"\n", 1, `municipality[0].code: "1" is not allowed; 6 digits`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".toml")
			os.WriteFile(path, []byte(tc.src), 0o600)
			var out, errw bytes.Buffer
			code := cli.Main(context.Background(), "kiosk", commands(), []string{"config", "check", "--config", path}, &out, &errw)
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("exit %d, output %q", code, out.String())
			}
			if tc.code == 0 && !regexp.MustCompile(`: sw kofu-kiosk/\S+ cfg=[0-9a-f]{16}\n$`).MatchString(out.String()) {
				t.Fatalf("no attested sw line: %q", out.String())
			}
			if tc.name == "two problems, both named" && !strings.Contains(out.String(), `printer.spec: "lpt1"`) {
				t.Fatalf("second problem not reported: %q", out.String())
			}
		})
	}
}

// TestConfigCheckKeyModes: a device key other users may read fails
// `kiosk config check` and the store machine's selftest, each with the fix.
func TestConfigCheckKeyModes(t *testing.T) {
	cfg := testConfig(t, "laptop", "")
	key := filepath.Join(filepath.Dir(cfg), "terminal.key")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw bytes.Buffer
	code := cli.Main(context.Background(), "kiosk", commands(), []string{"config", "check", "--config", cfg}, &out, &errw)
	if code != 1 || !strings.Contains(out.String(), "terminal.key") || !strings.Contains(out.String(), "chmod 0640") {
		t.Fatalf("config check with a 0644 key: exit %d, %q", code, out.String())
	}
	out.Reset()
	code = cli.Main(context.Background(), "kiosk", commands(), []string{"selftest", "--config", cfg, "--printer", "emulator"}, &out, &errw)
	if code != 1 || !regexp.MustCompile(`FAIL +keys +.*terminal\.key`).MatchString(out.String()) {
		t.Fatalf("selftest with a 0644 key: exit %d\n%s", code, out.String())
	}
	if err := os.Chmod(key, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := cli.Main(context.Background(), "kiosk", commands(), []string{"config", "check", "--config", cfg}, &out, &errw); code != 0 {
		t.Fatalf("config check with a 0600 key: exit %d, %q", code, out.String())
	}
}
