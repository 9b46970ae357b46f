package emuprinter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Scenario is what an emulated printer does wrong, if anything.
type Scenario struct {
	PaperOutAt  int           // paper runs out instead of printing page k (1-based, counted since the printer started)
	JamAt       int           // the paper jams instead of printing page k
	NoEnd       bool          // never report the job's end (PJL END / IPP completion)
	Result      string        // PJL END RESULT, e.g. HOST_CANCELED (IPP: the job is canceled)
	OmitResult  bool          // PJL END without RESULT
	ShortPages  int           // report this many pages fewer than printed
	Interleave  bool          // readback mixes in stale and other jobs' messages and garbage
	NoEcho      bool          // the printer ignores @PJL ECHO
	NoUStatus   bool          // the printer never reports its state unasked (ignores USTATUS DEVICE=ON)
	NoInfo      bool          // the printer ignores @PJL INFO STATUS
	UnplugAfter int64         // vanish after this many bytes of job data (0: never)
	TruncateID  int           // cut the GET_DEVICE_ID reply to this many bytes (0: no cut)
	PageTime    time.Duration // time to print one page
	// PagesCountSheets: the printer's PJL USTATUS PAGE and END PAGES
	// count sheets (a two-sided sheet is 1), as some vendors' PJL does;
	// by default they count faces, as HP's (a two-sided sheet is 2).
	PagesCountSheets bool
	// NoDuplex: the printer has no duplex unit: it prints every face on
	// a sheet of its own whatever the job asks, and an IPP printer's
	// sides-supported offers one-sided only.
	NoDuplex bool
	// SheetsAsImpressions: an IPP printer that reports sheets as
	// job-impressions-completed (a wrong count kofu must not accept).
	SheetsAsImpressions bool
	// NoInfoConfig: the printer ignores @PJL INFO CONFIG, as many PJL
	// printers do (it answers the ECHO after it). By default it answers
	// with its trays, papers, languages and DUPLEX=INSTALLED, or
	// DUPLEX=NOTINSTALLED with NoDuplex.
	NoInfoConfig bool
	// BadInfoConfig: the printer's INFO CONFIG answer is malformed (a
	// feature announces more options than follow, and a returned option
	// stands before any feature), though it names its duplex unit.
	BadInfoConfig bool
}

// ParseScenario parses comma-separated scenario names: paper-out@K,
// jam@K, no-end, result=VALUE (e.g. result=HOST_CANCELED), no-result,
// short=N, interleave, no-echo, no-ustatus, no-info, unplug@BYTES,
// truncate-id@N, page-time=DUR, pages-sheets (PJL PAGES counts sheets),
// no-duplex, ipp-sheets-as-impressions, no-info-config, bad-info-config.
func ParseScenario(s string) (Scenario, error) {
	var sc Scenario
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, arg, _ := strings.Cut(f, "@")
		if n, v, ok := strings.Cut(f, "="); ok {
			name, arg = n, v
		}
		num := func() (int64, error) {
			n, err := strconv.ParseInt(arg, 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("scenario %q: want a count", f)
			}
			return n, nil
		}
		var err error
		var n int64
		switch name {
		case "paper-out":
			n, err = num()
			sc.PaperOutAt = int(n)
		case "jam":
			n, err = num()
			sc.JamAt = int(n)
		case "no-end":
			sc.NoEnd = true
		case "result":
			sc.Result = strings.ToUpper(arg)
		case "no-result":
			sc.OmitResult = true
		case "short":
			n, err = num()
			sc.ShortPages = int(n)
		case "interleave":
			sc.Interleave = true
		case "no-echo":
			sc.NoEcho = true
		case "no-ustatus":
			sc.NoUStatus = true
		case "no-info":
			sc.NoInfo = true
		case "unplug":
			sc.UnplugAfter, err = num()
		case "truncate-id":
			n, err = num()
			sc.TruncateID = int(n)
		case "page-time":
			sc.PageTime, err = time.ParseDuration(arg)
		case "pages-sheets":
			sc.PagesCountSheets = true
		case "no-duplex":
			sc.NoDuplex = true
		case "ipp-sheets-as-impressions":
			sc.SheetsAsImpressions = true
		case "no-info-config":
			sc.NoInfoConfig = true
		case "bad-info-config":
			sc.BadInfoConfig = true
		default:
			return Scenario{}, fmt.Errorf("unknown emulator scenario %q", f)
		}
		if err != nil {
			return Scenario{}, err
		}
	}
	return sc, nil
}
