// Package buildinfo says which build of kofu is running: module version and
// VCS revision, as sent in every request's "sw" (DESIGN §3.1).
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// SW returns "kofu-kiosk/<version>+<vcs revision>" ("devel" and "unknown"
// when the build carries no such information, e.g. under go test or
// GOFLAGS=-buildvcs=false; `make install` builds with -buildvcs=auto).
func SW() string {
	version, rev, dirty := "devel", "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			// A VCS-stamped build's version may carry build metadata
			// ("+dirty"); the revision part below says that already.
			version, _, _ = strings.Cut(strings.TrimPrefix(v, "v"), "+")
			if len(version) > 48 {
				version = version[:48]
			}
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if dirty {
		rev += ".dirty"
	}
	return "kofu-kiosk/" + version + "+" + rev
}

// Attested returns the "sw" a kiosk sends: its build, SW(), followed by
// the digest of its effective configuration and deployment profile,
// "kofu-kiosk/<version>+<revision> cfg=<digest>". Protocol v1 has no
// field for the configuration, and "sw" is free-form (at most
// protocol.MaxSWString bytes): a center that attests deployments
// compares the whole string, build and configuration together.
func Attested(sw, cfgDigest string) string {
	if cfgDigest == "" {
		return sw
	}
	return sw + " cfg=" + cfgDigest
}
