package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"kofu/internal/bench"
)

const unit = "systemd/kofu-kiosk.service"

// TestUnitDirectives: the unit is a notify service with a watchdog, a
// restart policy, a stop timeout above the kiosk's, and the hardening
// the operator guide promises.
func TestUnitDirectives(t *testing.T) {
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Type=notify", "NotifyAccess=main", "WatchdogSec=30s", "Restart=on-failure",
		"NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/kofu", "ProtectHome=yes",
		"ExecStart=/usr/local/bin/kiosk run --config /etc/kofu/kiosk.toml --stop-timeout 90s", "TimeoutStopSec=120s",
		"CapabilityBoundingSet=\n", "DevicePolicy=closed", "StandardInput=tty", "TTYPath=/dev/tty1", "StandardError=journal",
		"Environment=GOMEMLIMIT=" + bench.DeployedMemLimit + "\n", "MemoryMax="} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("unit lacks %q", want)
		}
	}
}

// TestUnitVerify runs systemd-analyze verify on the unit (its binary
// path pointed at an executable that exists here): no error and no
// warning. systemd-analyze security must rate it OK (≤ 3.0).
func TestUnitVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd): unit not verified")
	}
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kofu-kiosk.service")
	os.WriteFile(path, bytes.ReplaceAll(b, []byte("/usr/local/bin/kiosk"), []byte(self)), 0o644)
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, _ = exec.Command(sa, "security", "--offline=yes", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for kofu-kiosk\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Logf("systemd-analyze security gave no rating (older systemd?):\n%s", out)
		return
	}
	if v, _ := strconv.ParseFloat(string(m[1]), 64); v > 3.0 {
		t.Fatalf("exposure %s > 3.0:\n%s", m[1], out)
	}
}

// TestVerifyCatchesMistakes: the verify step is not blind — a misspelt
// directive is reported.
func TestVerifyCatchesMistakes(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	b, _ := os.ReadFile(unit)
	self, _ := os.Executable()
	b = bytes.ReplaceAll(b, []byte("/usr/local/bin/kiosk"), []byte(self))
	b = bytes.Replace(b, []byte("WatchdogSec="), []byte("WatchdogSecs="), 1)
	path := filepath.Join(t.TempDir(), "kofu-kiosk.service")
	os.WriteFile(path, b, 0o644)
	out, _ := exec.Command(sa, "verify", path).CombinedOutput()
	if !bytes.Contains(out, []byte("WatchdogSecs")) {
		t.Fatalf("a misspelt key went unreported: %q", out)
	}
}

// TestMakeInstall runs `make install` into a staging root (DESTDIR) with
// another PREFIX and checks every file and mode; the default PREFIX's
// paths are checked on a dry run.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiosk")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	// The default PREFIX, from a dry run (one real build is enough).
	dry, err := exec.Command("make", "-n", "-C", "..", "install", "DESTDIR=/stage").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n install: %v\n%s", err, dry)
	}
	for _, want := range []string{"-o /stage/usr/local/bin/kiosk ./cmd/kiosk", "> /stage/etc/systemd/system/kofu-kiosk.service",
		"/stage/etc/kofu/kiosk.toml.example", "install -d -m 0700 /stage/var/lib/kofu", "/stage/usr/local/share/doc/kofu/operator.md"} {
		if !strings.Contains(string(dry), want) {
			t.Errorf("make install with the default PREFIX does not do %q:\n%s", want, dry)
		}
	}
	for _, tc := range []struct{ prefix, bin, doc string }{
		{"/opt/kofu", "/opt/kofu/bin/kiosk", "/opt/kofu/share/doc/kofu/operator.md"},
	} {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			dest := t.TempDir()
			args := []string{"-C", "..", "install", "DESTDIR=" + dest}
			if tc.prefix != "" {
				args = append(args, "PREFIX="+tc.prefix)
			}
			if out, err := exec.Command("make", args...).CombinedOutput(); err != nil {
				t.Fatalf("make install: %v\n%s", err, out)
			}
			for _, f := range []struct {
				path string
				mode os.FileMode
			}{
				{tc.bin, 0o755}, {"/etc/systemd/system/kofu-kiosk.service", 0o644},
				{"/etc/kofu/kiosk.toml.example", 0o644}, {"/etc/kofu/municipalities.toml.example", 0o644},
				{tc.doc, 0o644}, {filepath.Join(filepath.Dir(tc.doc), "technician.md"), 0o644}, {filepath.Join(filepath.Dir(tc.doc), "fleet", "kofu-rules.yml"), 0o644}, {"/var/lib/kofu", os.ModeDir | 0o700},
			} {
				fi, err := os.Stat(filepath.Join(dest, f.path))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode() != f.mode {
					t.Errorf("%s: mode %v, want %v", f.path, fi.Mode(), f.mode)
				}
			}
			u, _ := os.ReadFile(filepath.Join(dest, "etc/systemd/system/kofu-kiosk.service"))
			if !strings.Contains(string(u), "ExecStart="+tc.bin+" run --config /etc/kofu/kiosk.toml") {
				t.Errorf("unit does not start %s:\n%s", tc.bin, u)
			}
			ex, _ := os.ReadFile(filepath.Join(dest, "etc/kofu/kiosk.toml.example"))
			src, _ := os.ReadFile("../terminal/config/kiosk.example.toml")
			if !bytes.Equal(ex, src) {
				t.Error("example configuration differs from terminal/config/kiosk.example.toml")
			}
			// The installed binary is the kiosk: it checks the example
			// configuration (whose files do not exist here) and names them.
			out, _ := exec.Command(filepath.Join(dest, tc.bin), "config", "check", "--config",
				filepath.Join(dest, "etc/kofu/kiosk.toml.example")).CombinedOutput()
			if !strings.Contains(string(out), "center.tls_ca") {
				t.Errorf("installed binary: %s", out)
			}
			// Built from a git checkout, its identity names the revision.
			if exec.Command("git", "-C", "..", "rev-parse", "HEAD").Run() == nil {
				cfg := validConfig(t)
				out, err := exec.Command(filepath.Join(dest, tc.bin), "config", "check", "--config", cfg).CombinedOutput()
				if err != nil || !regexp.MustCompile(`: sw kofu-kiosk/[^+ ]+\+[0-9a-f]{12}(\.dirty)? cfg=[0-9a-f]{16}\n`).Match(out) {
					t.Errorf("installed binary's sw does not name the revision: %v %s", err, out)
				}
			}
		})
	}
}

// validConfig writes a configuration naming the test PKI.
func validConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	pki, _ := filepath.Abs("../testdata/pki")
	os.WriteFile(filepath.Join(dir, "journal.key"), bytes.Repeat([]byte{5}, 32), 0o600)
	// The device key installed 0600, as the operator guide says (the
	// checkout's 0644 copy fails the key-mode check of config check).
	if b, err := os.ReadFile(pki + "/terminal/T0001.key.pem"); err == nil {
		os.WriteFile(filepath.Join(dir, "terminal.key"), b, 0o600)
	}
	src := `[center]
url = "https://center.example.jp:8443"
tls_ca = "` + pki + `/ca/operator-ca.crt.pem"
center_ca = "` + pki + `/ca/center-ca.crt.pem"
issuer_ca = "` + pki + `/ca/issuer-ca.crt.pem"
[terminal]
id = "T0001"
store = "S0001"
cert = "` + pki + `/terminal/T0001.crt.pem"
key = "terminal.key"
[printer]
spec = "usb"
[journal]
path = "journal"
key = "journal.key"
[profile]
name = "store-multi"
`
	path := filepath.Join(dir, "kiosk.toml")
	os.WriteFile(path, []byte(src), 0o600)
	return path
}
