package usbtest

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
)

// Verdict reads the marker lines of a run (the guest's console) and
// checks them: every host check passed, the host's result is PASS, the
// bytes of the confirmed job arrived at the gadget intact (same length and
// SHA-256 on both sides), the page the gadget decoded is the page the host
// rendered, the two-sided job was confirmed as its faces on its sheets,
// duplex, and the gadget reported paper out. The two-sided job's faces
// are checked against want, what the build machine established from its
// session, not against what the guest says: each face the gadget decoded
// has want's bitmap (and so does the face the host loaded), side and
// KOFU symbol text. It returns a summary of the checks.
func Verdict(log string, want []Face) ([]string, error) {
	var summary, fails []string
	kv := map[string]string{}
	result := ""
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, Marker)
		if i < 0 {
			continue
		}
		f := strings.Fields(line[i+len(Marker):])
		switch {
		case len(f) >= 4 && f[0] == "host" && f[1] == "check":
			summary = append(summary, strings.Join(f[2:], " "))
			if f[3] != "ok" {
				fails = append(fails, "host check "+strings.Join(f[2:], " "))
			}
		case len(f) >= 3 && f[0] == "host" && f[1] == "result":
			result = f[2]
		case len(f) >= 4 && (f[0] == "host" || f[0] == "gadget") && (f[1] == "job" || f[1] == "page"):
			for _, a := range f[3:] {
				if k, v, ok := strings.Cut(a, "="); ok {
					kv[f[0]+" "+f[1]+" "+f[2]+" "+k] = v
				}
			}
		case len(f) >= 3 && f[0] == "gadget" && f[1] == "status":
			kv["gadget status "+f[2]] = "seen"
		}
	}
	if result != "PASS" {
		fails = append(fails, fmt.Sprintf("host result %q", result))
	}
	same := func(what, a, b string) {
		va, vb := kv[a], kv[b]
		if va == "" || va != vb {
			fails = append(fails, fmt.Sprintf("%s: host %q, gadget %q", what, va, vb))
			return
		}
		summary = append(summary, fmt.Sprintf("%s: %s on both sides", what, va))
	}
	same("job 1 length", "host job 1 bytes", "gadget job 1 bytes")
	same("job 1 SHA-256", "host job 1 sha256", "gadget job 1 sha256")
	same("page 1 pixels", "host page 1 bitmap", "gadget page 1 bitmap")
	if kv["gadget job 1 result"] != "OK" || kv["gadget job 1 pages"] != "1" {
		fails = append(fails, fmt.Sprintf("gadget job 1: pages %q result %q", kv["gadget job 1 pages"], kv["gadget job 1 result"]))
	}
	same("job 2 (two-sided) length, cumulative", "host job 2 bytes", "gadget job 2 bytes")
	same("job 2 (two-sided) SHA-256, cumulative", "host job 2 sha256", "gadget job 2 sha256")
	faces, sheets := len(want), len(want)/2
	if faces == 0 || faces%2 != 0 {
		fails = append(fails, fmt.Sprintf("%d faces expected: not a two-sided job", faces))
	}
	if g := "gadget job 2 "; kv[g+"result"] != "OK" || kv[g+"pages"] != fmt.Sprint(faces) ||
		kv[g+"sheets"] != fmt.Sprint(sheets) || kv[g+"duplex"] != "true" {
		fails = append(fails, fmt.Sprintf("gadget job 2: pages %q sheets %q duplex %q result %q; want %d faces on %d sheets, duplex, OK",
			kv[g+"pages"], kv[g+"sheets"], kv[g+"duplex"], kv[g+"result"], faces, sheets))
	} else {
		summary = append(summary, fmt.Sprintf("job 2: %d faces on %d sheets, duplex, confirmed", faces, sheets))
	}
	is := func(what, key, v string) {
		if got := kv[key]; v == "" || got != v {
			fails = append(fails, fmt.Sprintf("%s: %s %q, want %q", what, key, got, v))
			return
		}
		summary = append(summary, fmt.Sprintf("%s: %s", what, v))
	}
	for i, f := range want {
		n := i + 2 // the printer's pages since it started: job 1 had one
		is(fmt.Sprintf("face %d loaded by the host", i+1), fmt.Sprintf("host page %d bitmap", n), f.Bitmap)
		is(fmt.Sprintf("face %d bitmap at the gadget", i+1), fmt.Sprintf("gadget page %d bitmap", n), f.Bitmap)
		is(fmt.Sprintf("face %d side", i+1), fmt.Sprintf("gadget page %d side", n), f.Side)
		is(fmt.Sprintf("face %d symbol", i+1), fmt.Sprintf("gadget page %d qr", n), f.QR)
	}
	if kv["gadget status 0x30"] != "seen" {
		fails = append(fails, "the gadget never reported paper out (status 0x30)")
	}
	if len(fails) > 0 {
		return summary, errors.New(strings.Join(fails, "\n"))
	}
	return summary, nil
}
