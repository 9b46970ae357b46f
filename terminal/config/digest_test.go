package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDigest: the configuration digest changes with every key that changes
// issuance, and with none of the per-machine or observability keys;
// writing a default out changes nothing.
func TestDigest(t *testing.T) {
	pki := "../../testdata/pki/"
	base := func(t *testing.T, edit func(string) string) string {
		t.Helper()
		src := edit(example(t))
		src = strings.NewReplacer(`"operator-ca.crt.pem"`, `"`+pki+`ca/operator-ca.crt.pem"`,
			`"center-ca.crt.pem"`, `"`+pki+`ca/center-ca.crt.pem"`, `"issuer-ca.crt.pem"`, `"`+pki+`ca/issuer-ca.crt.pem"`).Replace(src)
		c, err := Parse(strings.NewReader(src), "")
		if err != nil {
			t.Fatal(err)
		}
		// Only the anchors are loaded: the example's device files do not exist.
		tr := &Trust{}
		tr.TLSCerts, _ = readCerts(c.Center.TLSCA)
		tr.CenterCerts, _ = readCerts(c.Center.CenterCA)
		tr.IssuerCerts, _ = readCerts(c.Center.IssuerCA)
		if len(tr.TLSCerts) == 0 || len(tr.CenterCerts) == 0 || len(tr.IssuerCerts) == 0 {
			t.Fatal("test PKI anchors not loaded")
		}
		return c.Digest(tr)
	}
	same := func(s string) string { return s }
	d0 := base(t, same)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(d0) {
		t.Fatalf("digest %q", d0)
	}
	if d := base(t, same); d != d0 {
		t.Fatalf("not deterministic: %s then %s", d0, d)
	}
	r := func(from, to string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, from) {
				t.Fatalf("example has no %q", from)
			}
			return strings.Replace(s, from, to, 1)
		}
	}
	cases := []struct {
		name    string
		edit    func(string) string
		changes bool
	}{
		{"center url", r(`url = "https://center.example.jp:8443"`, `url = "https://center2.example.jp:8443"`), true},
		{"issuer anchor content", r(`issuer_ca = "issuer-ca.crt.pem"`, `issuer_ca = "`+pki+`ca/jpki-ca.crt.pem"`), true},
		{"document timeout", r(`document = "90s"`, `document = "60s"`), true},
		{"session pin", r(`pin = "1m"`, `pin = "2m"`), true},
		{"session members", r(`pin = "1m"`, "pin = \"1m\"\nmembers = \"90s\""), true},
		{"session members default written out", r(`pin = "1m"`, "pin = \"1m\"\nmembers = \"2m\""), false},
		{"printer", r(`spec = "usb"`, `spec = "usb:04b8:0e28"`), true},
		{"reader", r(`reader = ""`, `reader = "SCM"`), true},
		{"languages", r(`languages = ["ja", "en", "zh", "ko", "pt", "vi"]`, `languages = ["ja", "en"]`), true},
		{"languages in another order", r(`languages = ["ja", "en", "zh", "ko", "pt", "vi"]`, `languages = ["ja", "vi", "pt", "ko", "zh", "en"]`), true},
		{"languages left out: all six", r(`languages = ["ja", "en", "zh", "ko", "pt", "vi"]`, ``), false},
		{"profile", r(`name = "store-multi"`, `name = "store-single"`), true},
		{"max pages", r(`max_skew = "2m"`, "max_skew = \"2m\"\nmax_pages = 6"), true},
		{"terminal id", r(`id = "T0001"`, `id = "T0002"`), false},
		{"store", r(`store = "S0001"`, `store = "S0002"`), false},
		{"journal path", r(`path = "/var/lib/kofu/journal"`, `path = "/srv/kofu/journal"`), false},
		{"metrics", r(`listen = "127.0.0.1:9464"`, `listen = "127.0.0.1:9999"`), false},
		{"log", r(`format = "json"`, `format = "text"`), false},
		{"default written out", r(`max_skew = "2m"`, "max_skew = \"2m\"\nmax_pages = 12"), false},
		{"printer margin", r(`spec = "usb"`, "spec = \"usb\"\nmargin_mm = 6"), true},
		{"printer margin at the floor", r(`spec = "usb"`, "spec = \"usb\"\nmargin_mm = 5"), false},
		{"default left out", r(`page = "20s"`, ``), false},
		{"municipality list", r(`municipalities = "municipalities.toml"`, "municipalities = \""+munis(t, 300)+"\""), true},
		{"printer quirks", r(`spec = "usb"`, "spec = \"usb\"\nquirks = [\"0x04f9 0x0042 unidir\"]"), true},
		{"printer quirks none", r(`spec = "usb"`, "spec = \"usb\"\nquirks = []"), false},
		{"printer status interval", r(`spec = "usb"`, "spec = \"usb\"\nstatus_interval = \"500ms\""), true},
		{"printer status interval default", r(`spec = "usb"`, "spec = \"usb\"\nstatus_interval = \"1s\""), false},
		{"ground pattern written out", r(`spec = "usb"`, "spec = \"usb\"\nground_pattern = true"), false},
		{"ground pattern off (laptop)", func(s string) string {
			return r(`name = "store-multi"`, `name = "laptop"`)(r(`spec = "usb"`, "spec = \"usb\"\nground_pattern = false")(s))
		}, true},
		{"duplex written out (store)", r(`spec = "usb"`, "spec = \"usb\"\nduplex = true"), false},
		{"duplex on (laptop)", func(s string) string {
			return r(`name = "store-multi"`, `name = "laptop"`)(r(`spec = "usb"`, "spec = \"usb\"\nduplex = true")(s))
		}, true},
		{"duplex quirk", r(`spec = "usb"`, "spec = \"usb\"\nquirks = [\"0x04f9 pjl-pages-counts-sheets\"]"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := base(t, tc.edit); (d != d0) != tc.changes {
				t.Fatalf("digest %s → %s; want changed=%v", d0, d, tc.changes)
			}
		})
	}
}

// munis writes a one-entry municipality list with the given fee.
func munis(t *testing.T, fee int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "munis.toml")
	src := fmt.Sprintf("[[municipality]]\ncode = \"131016\"\nname = \"千代田区\"\nfees = { juminhyo = %d }\n", fee)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDigestMunicipalities: the list counts by content — a fee changed is
// a new digest, the same list elsewhere is not.
func TestDigestMunicipalities(t *testing.T) {
	digest := func(path string) string {
		c := &Config{Profile: Profile{Name: "store-single"}, UI: UI{Municipalities: path}}
		return c.Digest(nil)
	}
	a, b, c := digest(munis(t, 300)), digest(munis(t, 300)), digest(munis(t, 350))
	if a != b || a == c || a == digest("") {
		t.Fatalf("300 %s, 300 elsewhere %s, 350 %s", a, b, c)
	}
}

// TestDigestQuirksCanonical: quirk rules count by what they do, not how
// they are spelt or ordered.
func TestDigestQuirksCanonical(t *testing.T) {
	digest := func(q ...string) string {
		c := &Config{Printer: Printer{Spec: "usb", Quirks: q}}
		return c.Digest(nil)
	}
	a := digest("0x04F9 0x0042 unidir soft-reset", "1008 blacklist")
	b := digest("0x03f0 BLACKLIST", "0x04f9 0x42 SOFT-RESET UNIDIR", "0x03f0 blacklist")
	if a != b {
		t.Fatalf("the same rules spelt differently: %s, %s", a, b)
	}
	if digest("0x04f9 0x0042 unidir") == digest("0x04f9 0x0042 soft-reset") {
		t.Fatal("different rules, one digest")
	}
	if digest() != (&Config{Printer: Printer{Spec: "usb"}}).Digest(nil) {
		t.Fatal("no rules and an empty list differ")
	}
}
