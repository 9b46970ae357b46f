package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"kofu/terminal/localgov"
)

// FuzzParseConfig: any text yields a configuration or an error, never
// both; every problem of a refused one names its key (a *FieldError) or
// the TOML line; an accepted one is valid, parses the same twice, and its
// metrics address is one CheckListen allows.
func FuzzParseConfig(f *testing.F) {
	for _, s := range exampleConfigs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(strings.NewReader(s), "/etc/kofu/")
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v with error %v", c != nil, err)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if errs := c.validate(); len(errs) != 0 {
			t.Fatalf("accepted an invalid configuration: %v", errors.Join(errs...))
		}
		if c.Metrics.Listen != "" && CheckListen(c.Metrics.Listen, c.Metrics.AllowRemote) != nil {
			t.Fatalf("metrics.listen %q accepted", c.Metrics.Listen)
		}
		again, err := Parse(strings.NewReader(s), "/etc/kofu/")
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("parses differently the second time: %v", err)
		}
	})
}

// FuzzParseMunicipalities: a municipality list is accepted or refused,
// never both; an accepted one has 6-digit codes, each once, names of
// 1–64 bytes and no negative fee.
func FuzzParseMunicipalities(f *testing.F) {
	f.Add("[[municipality]]\ncode = \"131016\"\nname = \"千代田区\"\nfees = { juminhyo = 300, inkan = 300 }\n")
	f.Add("[[municipality]]\ncode = \"131016\"\nname = \"x\"\n[[municipality]]\ncode = \"131016\"\nname = \"y\"\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMunicipalities(strings.NewReader(s))
		if err != nil {
			if ms != nil {
				t.Fatal("list with an error")
			}
			return
		}
		if len(ms) == 0 {
			t.Fatal("empty list accepted")
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if !muniCodeRe.MatchString(m.Code) || !localgov.ValidCode(m.Code) || seen[m.Code] || m.Name == "" || len(m.Name) > 64 {
				t.Fatalf("accepted %+v", m)
			}
			seen[m.Code] = true
			for doc, fee := range m.Fees {
				if fee < 0 {
					t.Fatalf("%s fee %d", doc, fee)
				}
			}
		}
	})
}

// exampleConfigs is the example configuration and variants of it a
// technician might write: each section left out, and values edited.
func exampleConfigs(tb testing.TB) map[string]string {
	tb.Helper()
	b, err := os.ReadFile("kiosk.example.toml")
	if err != nil {
		tb.Fatal(err)
	}
	ex := string(b)
	out := map[string]string{"example": ex}
	sections := strings.Split(ex, "\n[")
	for i := 1; i < len(sections); i++ {
		name := strings.SplitN(sections[i], "]", 2)[0]
		out["without-"+name] = strings.Join(append(append([]string{}, sections[:i]...), sections[i+1:]...), "\n[")
	}
	for name, edit := range map[string][2]string{
		"metrics-remote":     {`listen = "127.0.0.1:9464"`, `listen = "0.0.0.0:9464"`},
		"metrics-no-port":    {`listen = "127.0.0.1:9464"`, `listen = "127.0.0.1"`},
		"metrics-ipv6":       {`listen = "127.0.0.1:9464"`, `listen = "[::1]:9464"`},
		"url-http":           {`https://`, `http://`},
		"duration-bad":       {`"90s"`, `"ninety seconds"`},
		"wrong-type":         {`listen = "127.0.0.1:9464"`, `listen = 9464`},
		"unknown-key":        {`[metrics]`, "[metrics]\nlisten_all = true"},
		"duplicate-table":    {`[metrics]`, "[metrics]\n[metrics]"},
		"printer-file":       {`spec = "usb"`, `spec = "file:/var/spool/kofu/out.pcl"`},
		"printer-bad":        {`spec = "usb"`, `spec = "lpt1"`},
		"crlf":               {"\n", "\r\n"},
		"unterminated-value": {`"127.0.0.1:9464"`, `"127.0.0.1:9464`},
	} {
		if strings.Contains(ex, edit[0]) {
			out[name] = strings.Replace(ex, edit[0], edit[1], 1)
		}
	}
	return out
}
