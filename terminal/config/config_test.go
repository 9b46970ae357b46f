package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func example(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("kiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestExampleParses(t *testing.T) {
	c, err := Parse(strings.NewReader(example(t)), "/etc/kofu/")
	if err != nil {
		t.Fatal(err)
	}
	if c.Metrics.Listen != "127.0.0.1:9464" || c.Metrics.AllowRemote || c.Log.Format != "json" || c.Log.Level != "info" {
		t.Fatalf("metrics/log parsed %+v %+v", c.Metrics, c.Log)
	}
	remote := strings.Replace(strings.Replace(example(t), `listen = "127.0.0.1:9464"`, `listen = "192.0.2.7:9464"`, 1),
		"allow_remote = false", "allow_remote = true", 1)
	if _, err := Parse(strings.NewReader(remote), "/etc/kofu/"); err != nil {
		t.Fatalf("remote metrics explicitly allowed: %v", err)
	}
	if c.Center.TLSCA != "/etc/kofu/operator-ca.crt.pem" || c.Journal.Path != "/var/lib/kofu/journal" ||
		c.Center.Timeouts.Document.Seconds() != 90 || c.Profile.Name != "store-multi" {
		t.Fatalf("parsed %+v", c)
	}
}

// TestErrors: each mistake gets a message naming the key, the bad value
// and what is allowed — exactly.
func TestErrors(t *testing.T) {
	cases := []struct {
		name     string
		from, to string
		want     string
	}{
		{"bad quirk", `spec = "usb"`, "spec = \"usb\"\nquirks = [\"0x04f9 bidir\"]",
			`printer.quirks: "0x04f9 bidir" is not allowed; "0xVVVV [0xPPPP] FLAG…" with the flags unidir, no-reattach, soft-reset, delay-close, no-alt-set, blacklist`},
		{"status interval too short", `spec = "usb"`, "spec = \"usb\"\nstatus_interval = \"100ms\"",
			`printer.status_interval: "100ms" is not allowed; between 200ms and 30s (or leave it out for the default)`},
		{"ground pattern off on a store profile", `spec = "usb"`, "spec = \"usb\"\nground_pattern = false",
			`printer.ground_pattern: false is not allowed; true (or leave it out): profile "store-multi" prints the copy-evident ground pattern`},
		{"duplex off on a store profile", `spec = "usb"`, "spec = \"usb\"\nduplex = false",
			`printer.duplex: false is not allowed; true (or leave it out): profile "store-multi" prints documents on both sides, as the real service does`},
		{"unknown key", `[card]`, "[card]\ncolour = \"red\"",
			`card.colour: an unknown key is not allowed; see kiosk.example.toml for the keys`},
		{"http URL", `url = "https://center.example.jp:8443"`, `url = "http://center.example.jp"`,
			`center.url: "http://center.example.jp" is not allowed; must be https://host[:port] with no path`},
		{"URL with a path", `url = "https://center.example.jp:8443"`, `url = "https://center.example.jp/v1"`,
			`center.url: "https://center.example.jp/v1" is not allowed; must be https://host[:port] with no path`},
		{"missing anchor", `issuer_ca = "issuer-ca.crt.pem"    # signs documents (must differ from center_ca)`, ``,
			`center.issuer_ca: missing; a file path`},
		{"same CA for tickets and documents", `issuer_ca = "issuer-ca.crt.pem"`, `issuer_ca = "center-ca.crt.pem"`,
			`center.issuer_ca: "center-ca.crt.pem" is not allowed; must differ from center.center_ca: tickets and documents are signed under distinct CAs`},
		{"duration as a number", `page = "20s"`, `page = 20`,
			`center.timeouts.page (line 12): "20" is not a duration like "90s" or "2m"`},
		{"bad duration", `page = "20s"`, `page = "twenty"`,
			`center.timeouts.page (line 12): "twenty" is not a duration like "90s" or "2m"`},
		{"wrong type", `max_skew = "2m"`, "max_skew = \"2m\"\nmax_pages = \"twelve\"",
			`center.max_pages: a value of the wrong type is not allowed; incompatible types: TOML value has type string; destination has type integer`},
		{"duration out of range", `document = "90s"`, `document = "3h"`,
			`center.timeouts.document: "3h0m0s" is not allowed; between 1s and 10m0s (or leave it out for the default)`},
		{"members timeout too short", `pin = "1m"`, "pin = \"1m\"\nmembers = \"2s\"",
			`session.members: "2s" is not allowed; between 5s and 30m0s (or leave it out for the default)`},
		{"printer", `spec = "usb"`, `spec = "lpt1"`,
			`printer.spec: "lpt1" is not allowed; one of "usb", "usb:VID:PID" (hex), "emulator", "file:PATH.pcl", "file:PATH.pwg"`},
		{"printer margin", `spec = "usb"`, "spec = \"usb\"\nmargin_mm = 3",
			`printer.margin_mm: 3 is not allowed; 0 (default: 5 mm) or 5 to 25 millimetres`},
		{"language", `languages = ["ja", "en", "zh", "ko", "pt", "vi"]`, `languages = ["ja", "fr"]`,
			`ui.languages: "fr" is not allowed; one of "ja", "en", "zh", "ko", "pt", "vi"`},
		{"default language", `default = "ja"`, `default = "zh-tw"`,
			`ui.default: "zh-tw" is not allowed; one of "ja", "en", "zh", "ko", "pt", "vi"`},
		{"default language not offered", "languages = [\"ja\", \"en\", \"zh\", \"ko\", \"pt\", \"vi\"]   # offered on the L key, in this order (the default: all six)\ndefault = \"ja\"",
			"languages = [\"ja\", \"en\"]\ndefault = \"ko\"",
			`ui.default: "ko" is not allowed; one of ui.languages`},
		{"the implicit default not offered", "languages = [\"ja\", \"en\", \"zh\", \"ko\", \"pt\", \"vi\"]   # offered on the L key, in this order (the default: all six)\ndefault = \"ja\"",
			`languages = ["vi", "en"]`, `ui.default: missing; one of ui.languages (the default, "ja", is not offered)`},
		{"helpdesk on two lines", `helpdesk = "コンビニ交付ヘルプデスク 0120-000-000（9:00〜17:30）"`, "helpdesk = \"0120\\n000\"",
			`ui.helpdesk: "0120\n000" is not allowed; one line of at most 120 bytes`},
		{"terminal id", `id = "T0001"`, `id = "T 0001"`,
			`terminal.id: "T 0001" is not allowed; 1–32 of A–Z a–z 0–9 . _ -`},
		{"no profile", `name = "store-multi"`, ``,
			`profile.name: missing; the deployment profile the operator attested for this machine: "laptop", "store-single", "store-multi"`},
		{"unknown profile", `name = "store-multi"`, `name = "store-multy"`,
			`profile.name: "store-multy" is not allowed; one of "laptop", "store-single", "store-multi"`},
		{"metrics on all interfaces", `listen = "127.0.0.1:9464"`, `listen = "0.0.0.0:9464"`,
			`metrics.listen: "0.0.0.0:9464" is not allowed; must be a loopback address (127.0.0.1, ::1, localhost) unless metrics.allow_remote = true: the endpoint has no authentication`},
		{"metrics without port", `listen = "127.0.0.1:9464"`, `listen = "127.0.0.1"`,
			`metrics.listen: "127.0.0.1" is not allowed; must be host:port, e.g. "127.0.0.1:9464"`},
		{"metrics bad port", `listen = "127.0.0.1:9464"`, `listen = "127.0.0.1:http"`,
			`metrics.listen: "127.0.0.1:http" is not allowed; the port must be a number from 0 to 65535`},
		{"log format", `format = "json"`, `format = "xml"`,
			`log.format: "xml" is not allowed; "json" or "text" (or leave it out: JSON unless on a terminal)`},
		{"log level", `level = "info"`, `level = "verbose"`,
			`log.level: "verbose" is not allowed; one of "debug", "info", "warn", "error"`},
		{"syntax", `[ui]`, `[ui`, `line `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := example(t)
			if !strings.Contains(src, tc.from) {
				t.Fatalf("example has no %q", tc.from)
			}
			src = strings.Replace(src, tc.from, tc.to, 1)
			_, err := Parse(strings.NewReader(src), "/etc/kofu/")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestLoadTrust uses the test PKI: a good set loads; a missing file, a
// non-CA anchor, a key of another certificate and an id that is not the
// certificate's CN are each named.
func TestLoadTrust(t *testing.T) {
	pki := "../../testdata/pki/"
	dir := t.TempDir()
	key := filepath.Join(dir, "journal.key")
	os.WriteFile(key, []byte("0123456789abcdef0123"), 0o600)
	good := func() *Config {
		return &Config{
			Center:   Center{TLSCA: pki + "ca/operator-ca.crt.pem", CenterCA: pki + "ca/center-ca.crt.pem", IssuerCA: pki + "ca/issuer-ca.crt.pem"},
			Terminal: Terminal{ID: "T0001", Store: "S0001", Cert: pki + "terminal/T0001.crt.pem", Key: pki + "terminal/T0001.key.pem"},
			Journal:  Journal{Path: filepath.Join(dir, "journal"), Key: key},
		}
	}
	if _, err := good().LoadTrust(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"missing anchor", func(c *Config) { c.Center.IssuerCA = dir + "/nope.pem" }, `center.issuer_ca: "` + dir + `/nope.pem" is not allowed; no such file: the trust anchor is missing`},
		{"leaf as anchor", func(c *Config) { c.Center.CenterCA = pki + "leaf/center-signer.crt.pem" }, `center.center_ca: "` + pki + `leaf/center-signer.crt.pem" is not allowed; must hold CA certificates only`},
		{"key of another device", func(c *Config) { c.Terminal.Key = pki + "terminal/T0002.key.pem" }, `terminal.key: "` + pki + `terminal/T0002.key.pem" is not allowed; must be the private key of terminal.cert`},
		{"id not the CN", func(c *Config) { c.Terminal.ID = "T0009" }, `terminal.id: "T0009" is not allowed; must equal the device certificate's CN "T0001"`},
		{"short journal key", func(c *Config) {
			os.WriteFile(filepath.Join(dir, "short"), []byte("x"), 0o600)
			c.Journal.Key = filepath.Join(dir, "short")
		}, `journal.key: "` + dir + `/short" is not allowed; must hold at least 16 random bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			tc.edit(c)
			_, err := c.LoadTrust()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}
