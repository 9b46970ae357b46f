package config

import (
	"errors"
	"strings"
	"testing"
)

// TestProfileCheck: each profile accepts the machine it describes and
// names every way another machine differs.
func TestProfileCheck(t *testing.T) {
	store := Detected{PrinterKind: "usb", PrinterMFG: "EPSON", PrinterMDL: "LP-S180", Readers: []string{"SCM SCR 3310 00 00"},
		CenterHost: "center.example.jp", CenterAddrs: []string{"192.0.2.10"}}
	multi := store
	multi.CenterAddrs = []string{"192.0.2.10", "192.0.2.11", "2001:db8::10"}
	dualStackSingle := store
	dualStackSingle.CenterAddrs = []string{"192.0.2.10", "2001:db8::10"}
	laptop := Detected{PrinterKind: "emulator", PrinterMFG: "kofu", PrinterMDL: "Emulated Laser 5",
		Readers: []string{"kofu emulated reader 00"}, CenterHost: "127.0.0.1", CenterAddrs: []string{"127.0.0.1"}}
	noReader := store
	noReader.Readers = nil
	noID := store
	noID.PrinterMFG, noID.PrinterMDL = "", ""
	cases := []struct {
		profile string
		d       Detected
		want    []string // each mismatch message, in order; none: accepted
	}{
		{"store-single", store, nil},
		{"store-single", dualStackSingle, nil},
		{"store-multi", multi, nil},
		{"laptop", laptop, nil},
		{"store-single", multi, []string{`center: center.example.jp resolves to 2 endpoint(s) [192.0.2.10 192.0.2.11 2001:db8::10], the profile requires exactly 1`}},
		{"store-multi", store, []string{`center: center.example.jp resolves to 1 endpoint(s) [192.0.2.10], the profile requires at least 2`}},
		{"store-single", laptop, []string{`printer: found "emulator", the profile requires usb`}},
		{"store-single", noReader, []string{`card reader: found [], the profile requires one named /\S/`}},
		{"store-multi", noID, []string{`printer device ID MFG: found "", the profile requires /\S/`,
			`printer device ID MDL: found "", the profile requires /\S/`,
			`center: center.example.jp resolves to 1 endpoint(s) [192.0.2.10], the profile requires at least 2`}},
		{"laptop", store, nil},
		{"laptop", Detected{PrinterKind: "emulator", CenterHost: "center.invalid"}, []string{`center: center.invalid resolves to 0 endpoint(s) [], the profile requires at least 1`}},
	}
	for _, tc := range cases {
		t.Run(tc.profile+"/"+tc.d.PrinterKind+"/"+strings.Join(tc.d.CenterAddrs, ","), func(t *testing.T) {
			p, ok := LookupProfile(tc.profile)
			if !ok {
				t.Fatalf("no profile %q", tc.profile)
			}
			err := p.Check(tc.d)
			var pm *ProfileMismatch
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == nil:
				return
			case !errors.As(err, &pm):
				t.Fatalf("got %v, want a *ProfileMismatch", err)
			}
			if strings.Join(pm.Mismatches, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("mismatches\n%s\nwant\n%s", strings.Join(pm.Mismatches, "\n"), strings.Join(tc.want, "\n"))
			}
			if !strings.HasPrefix(err.Error(), `profile "`+tc.profile+`" does not match this machine: `) {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct {
		addrs []string
		n     int
	}{
		{nil, 0}, {[]string{"127.0.0.1"}, 1}, {[]string{"127.0.0.1", "::1"}, 1},
		{[]string{"10.0.0.1", "10.0.0.1"}, 1}, {[]string{"10.0.0.1", "10.0.0.2"}, 2},
		{[]string{"2001:db8::1", "2001:db8::2", "10.0.0.1"}, 2}, {[]string{"not-an-ip"}, 0},
	} {
		if n := Endpoints(tc.addrs); n != tc.n {
			t.Errorf("Endpoints(%v) = %d, want %d", tc.addrs, n, tc.n)
		}
	}
}
