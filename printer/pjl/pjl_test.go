package pjl

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

var testJob = Job{Name: "kofu-0123456789abcdef01234567", Echo: "kofu-sync-89abcdef0123456789abcdef", Language: "PCL"}

func TestNewJob(t *testing.T) {
	a, err := NewJob(nil, "PCL")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewJob(nil, "PCL")
	if err != nil {
		t.Fatal(err)
	}
	if a.Name == b.Name || a.Echo == b.Echo || a.Name == a.Echo {
		t.Fatalf("names not unique: %+v %+v", a, b)
	}
	if !strings.HasPrefix(a.Name, "kofu-") || len(a.Name) != len("kofu-")+24 {
		t.Fatalf("name %q", a.Name)
	}
	fixed, err := NewJob(bytes.NewReader(make([]byte, 24)), "PCL")
	if err != nil || fixed.Name != "kofu-000000000000000000000000" {
		t.Fatalf("from a fixed reader: %+v %v", fixed, err)
	}
	if _, err := NewJob(bytes.NewReader(nil), "PCL"); err == nil {
		t.Fatal("empty random source accepted")
	}
}

func TestHeaderFooter(t *testing.T) {
	h, f := string(testJob.Header()), string(testJob.Footer())
	want := UEL + "@PJL\r\n" +
		"@PJL ECHO kofu-sync-89abcdef0123456789abcdef\r\n" +
		"@PJL USTATUS DEVICE=ON\r\n" +
		"@PJL USTATUS JOB=ON\r\n" +
		"@PJL USTATUS PAGE=ON\r\n" +
		"@PJL INFO STATUS\r\n" +
		"@PJL JOB NAME=\"kofu-0123456789abcdef01234567\"\r\n" +
		"@PJL ENTER LANGUAGE=PCL\r\n"
	if h != want {
		t.Errorf("header\n%q\nwant\n%q", h, want)
	}
	if wantF := UEL + "@PJL EOJ NAME=\"kofu-0123456789abcdef01234567\"\r\n" + UEL; f != wantF {
		t.Errorf("footer %q, want %q", f, wantF)
	}
	// Every header line parses back as the printer would read it.
	for _, l := range strings.Split(strings.TrimPrefix(h, UEL), "\r\n") {
		if l == "" {
			continue
		}
		if _, ok := ParseCommand(l); !ok {
			t.Errorf("line %q does not parse", l)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		line string
		want Command
		ok   bool
	}{
		{"@PJL", Command{}, true},
		{"@PJL ECHO kofu-sync-1 two words\r\n", Command{Verb: "ECHO", Text: "kofu-sync-1 two words"}, true},
		{`@PJL JOB NAME="a b=c" START=1`, Command{Verb: "JOB", Options: map[string]string{"NAME": "a b=c", "START": "1"}}, true},
		{`@pjl eoj name = "x"`, Command{}, false},
		{`@PJL eoj name = "x"`, Command{Verb: "EOJ", Options: map[string]string{"NAME": "x"}}, true},
		{"@PJL USTATUS JOB=ON", Command{Verb: "USTATUS", Options: map[string]string{"JOB": "ON"}}, true},
		{"@PJL INFO STATUS", Command{Verb: "INFO", Words: []string{"STATUS"}}, true},
		{"@PJL ENTER LANGUAGE = PCL", Command{Verb: "ENTER", Options: map[string]string{"LANGUAGE": "PCL"}}, true},
		{`@PJL JOB NAME="unterminated`, Command{Verb: "JOB", Options: map[string]string{"NAME": "unterminated"}}, true},
		{"PJL JOB", Command{}, false},
	} {
		got, ok := ParseCommand(c.line)
		if ok != c.ok || (ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", c.line, got, ok, c.want, c.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		code  int
		class Class
	}{
		{10001, Info}, {10023, Info}, {11208, Info}, {12345, Info},
		{20001, Warning}, {25000, Warning}, {30016, Warning}, {35078, Warning},
		{40000, Info}, {40021, CoverOpen}, {40010, Intervention}, {40079, Intervention},
		{41101, PaperOut}, {41999, PaperOut},
		{42000, Jam}, {43201, Jam}, {44999, Jam},
		{45000, Intervention}, {50000, Hardware}, {59999, Hardware},
		{0, Unknown}, {9999, Unknown}, {60000, Unknown},
	} {
		if got := Classify(c.code); got != c.class {
			t.Errorf("Classify(%d) = %v, want %v", c.code, got, c.class)
		}
	}
	for cl, fatal := range map[Class]bool{Unknown: false, Info: false, Warning: false, Intervention: true, PaperOut: true, Jam: true, CoverOpen: true, Hardware: true} {
		if cl.Fatal() != fatal {
			t.Errorf("%v.Fatal() = %v", cl, !fatal)
		}
	}
}

const (
	echoMsg  = "@PJL ECHO kofu-sync-89abcdef0123456789abcdef\r\n\f"
	readyMsg = "@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"READY\"\r\nONLINE=TRUE\r\n\f"
	startMsg = "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\n\f"
	endMsg   = "@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\nPAGES=2\r\nRESULT=OK\r\n\f"
)

func TestParser(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		want []Message
	}{
		{"echo", echoMsg, []Message{{Kind: KindEcho, Text: testJob.Echo}}},
		{"info status", readyMsg, []Message{{Kind: KindInfo, Category: "STATUS",
			Fields: map[string]string{"CODE": "10001", "DISPLAY": "READY", "ONLINE": "TRUE"},
			Body:   "CODE=10001\nDISPLAY=\"READY\"\nONLINE=TRUE\n"}}},
		{"info config", "@PJL INFO CONFIG\r\nIN TRAYS [1 ENUMERATED]\r\n\tINTRAY1 MP\r\nDUPLEX\r\n\f",
			[]Message{{Kind: KindInfo, Category: "CONFIG", Words: []string{"IN TRAYS [1 ENUMERATED]", "INTRAY1 MP", "DUPLEX"},
				Body: "IN TRAYS [1 ENUMERATED]\n\tINTRAY1 MP\nDUPLEX\n"}}},
		{"job end", endMsg, []Message{{Kind: KindUStatus, Category: "JOB", Words: []string{"END"},
			Fields: map[string]string{"NAME": testJob.Name, "PAGES": "2", "RESULT": "OK"}}}},
		{"page", "@PJL USTATUS PAGE\r\n3\r\n\f", []Message{{Kind: KindUStatus, Category: "PAGE", Words: []string{"3"}}}},
		{"garbage around", "\x00\xffjunk@PJ" + "\r\n" + echoMsg + "more junk\f\f", []Message{{Kind: KindEcho, Text: testJob.Echo}}},
		{"bare LF lines", "@PJL USTATUS DEVICE\nCODE=41101\nDISPLAY=\"LOAD TRAY 1\"\n\f",
			[]Message{{Kind: KindUStatus, Category: "DEVICE", Fields: map[string]string{"CODE": "41101", "DISPLAY": "LOAD TRAY 1"}}}},
		{"truncated then whole", "@PJL USTATUS JOB\r\nEND\r\nNAME=\"x\"\r\n" + echoMsg, []Message{{Kind: KindEcho, Text: testJob.Echo}}},
		{"unterminated", "@PJL USTATUS JOB\r\nEND\r\n", nil},
		{"other", "@PJL FSQUERY NAME=\"0:\\\\x\"\r\n\f", []Message{{Kind: KindOther, Fields: nil}}},
		{"overlong", "@PJL USTATUS JOB\r\n" + strings.Repeat("x", MaxMessage) + "\f" + echoMsg, []Message{{Kind: KindEcho, Text: testJob.Echo}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Parser
			got := p.Feed([]byte(c.in))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Feed = %+v\nwant %+v", got, c.want)
			}
			// Any split of the stream gives the same messages.
			for cut := 0; cut <= len(c.in); cut++ {
				var p Parser
				got := append(p.Feed([]byte(c.in[:cut])), p.Feed([]byte(c.in[cut:]))...)
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("split at %d: %+v", cut, got)
				}
			}
		})
	}
}

func feedAll(t *testing.T, tr *Tracker, in string) Verdict {
	t.Helper()
	var p Parser
	v := tr.Verdict()
	for _, m := range p.Feed([]byte(in)) {
		v = tr.Observe(m)
	}
	return v
}

// TestTrackerPagesOut: USTATUS PAGE counts only after this job's START,
// only up to the pages sent, never falls, and never confirms the job.
func TestTrackerPagesOut(t *testing.T) {
	page := func(n string) string { return "@PJL USTATUS PAGE\r\n" + n + "\r\n\f" }
	for _, c := range []struct {
		name  string
		in    string
		out   int
		state State
	}{
		{"before START ignored", echoMsg + page("1") + startMsg, 0, Waiting},
		{"before ECHO ignored", page("1") + echoMsg + startMsg, 0, Waiting},
		{"one then two", echoMsg + startMsg + page("1") + page("2"), 2, Waiting},
		{"all out is not printed", echoMsg + startMsg + page("1") + page("2") + page("2"), 2, Waiting},
		{"never falls", echoMsg + startMsg + page("2") + page("1"), 2, Waiting},
		{"beyond the pages sent ignored", echoMsg + startMsg + page("7"), 0, Waiting},
		{"garbage ignored", echoMsg + startMsg + page("-1") + page("two"), 0, Waiting},
		{"END decides", echoMsg + startMsg + page("1") + page("2") + endMsg, 2, Printed},
		{"after END ignored", echoMsg + startMsg + page("1") + end2Pages1 + page("2"), 1, NotOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := feedAll(t, NewTracker(testJob, 2), c.in)
			if v.Out != c.out || v.State != c.state {
				t.Fatalf("verdict %+v, want out %d state %v", v, c.out, c.state)
			}
		})
	}
}

// end2Pages1 ends testJob with one page out of two.
const end2Pages1 = "@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\nPAGES=1\r\n\f"

func TestTracker(t *testing.T) {
	otherEnd := "@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-previous\"\r\nPAGES=9\r\n\f"
	otherStart := "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"kofu-next\"\r\n\f"
	paperOut := "@PJL USTATUS DEVICE\r\nCODE=41101\r\nDISPLAY=\"LOAD PAPER\"\r\n\f"
	jam := "@PJL USTATUS DEVICE\r\nCODE=42102\r\n\f"
	tonerLow := "@PJL USTATUS DEVICE\r\nCODE=30016\r\n\f"
	end := func(fields string) string {
		return "@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-0123456789abcdef01234567\"\r\n" + fields + "\f"
	}
	for _, c := range []struct {
		name   string
		in     string
		state  State
		reason string
	}{
		{"printed", echoMsg + readyMsg + startMsg + endMsg, Printed, ""},
		{"printed without RESULT", echoMsg + end("PAGES=2\r\n"), Printed, ""},
		{"more pages than sent", echoMsg + end("PAGES=3\r\n"), Printed, ""},
		{"no END", echoMsg + readyMsg + startMsg, Waiting, ""},
		{"no ECHO: END ignored", readyMsg + startMsg + endMsg, Waiting, ""},
		{"END before ECHO ignored", endMsg + echoMsg, Waiting, ""},
		{"stale paper-out before ECHO ignored", paperOut + echoMsg + endMsg, Printed, ""},
		{"paper out during the job", echoMsg + paperOut + "@PJL USTATUS DEVICE\r\nCODE=10001\r\n\f" + endMsg, NotOK, "41101 paper-out"},
		{"jam during the job", echoMsg + startMsg + jam + end("PAGES=1\r\n"), NotOK, "42102 jam"},
		{"warning does not block", echoMsg + tonerLow + endMsg, Printed, ""},
		{"host canceled", echoMsg + end("PAGES=2\r\nRESULT=HOST_CANCELED\r\n"), NotOK, "RESULT=HOST_CANCELED"},
		{"user canceled", echoMsg + end("PAGES=0\r\nRESULT=USER_CANCELED\r\n"), NotOK, "RESULT=USER_CANCELED"},
		{"short", echoMsg + end("PAGES=1\r\nRESULT=OK\r\n"), NotOK, "1 of 2 pages"},
		{"no page count", echoMsg + end("RESULT=OK\r\n"), NotOK, "without a page count"},
		{"bad page count", echoMsg + end("PAGES=two\r\n"), NotOK, "without a page count"},
		{"interleaved with two other jobs", otherStart + echoMsg + otherEnd + startMsg + otherStart + otherEnd + endMsg + otherEnd, Printed, ""},
		{"other job's END only", echoMsg + otherEnd + otherEnd, Waiting, ""},
		{"wrong echo token", "@PJL ECHO kofu-sync-stale\r\n\f" + endMsg, Waiting, ""},
		{"after a verdict nothing changes", echoMsg + endMsg + paperOut, Printed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := feedAll(t, NewTracker(testJob, 2), c.in)
			if v.State != c.state || !strings.Contains(v.Reason, c.reason) {
				t.Fatalf("verdict %+v, want %v with reason containing %q", v, c.state, c.reason)
			}
		})
	}
}
