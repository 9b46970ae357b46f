package printer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/printer/pdl"
	"kofu/printer/pjl"
)

func TestPrintConfirmed(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  EmulatorConfig
		dpi  int
		path Path
	}{
		{"PJL+PCL 300 dpi", EmulatorConfig{}, 300, PathPJLPCL},
		{"PJL+PCL 600 dpi", EmulatorConfig{}, 600, PathPJLPCL},
		{"PJL+PCL, interleaved readback", EmulatorConfig{Scenario: Scenario{Interleave: true}}, 300, PathPJLPCL},
		{"PJL+PCL, END without RESULT", EmulatorConfig{Scenario: Scenario{OmitResult: true}}, 300, PathPJLPCL},
		{"IPP-over-USB 300 dpi", EmulatorConfig{Protocol: 4}, 300, PathIPP},
		{"IPP-over-USB 600 dpi", EmulatorConfig{Protocol: 4}, 600, PathIPP},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, em := openEmulated(t, c.cfg, fastOptions(1))
			if p.Plan().Path != c.path || !p.Plan().Confirm {
				t.Fatalf("plan %+v", p.Plan())
			}
			pages := testPages(t, 2, c.dpi)
			n, err := p.Print(testCtx(t), []byte("tid"), pages)
			if err != nil || n != 2 {
				t.Fatalf("Print = %d, %v", n, err)
			}
			got := em.Pages()
			if len(got) != 2 {
				t.Fatalf("emulator printed %d pages", len(got))
			}
			for i, g := range got {
				if g.DPI != c.dpi {
					t.Errorf("page %d at %d dpi", i+1, g.DPI)
				}
				samePage(t, g, pages[i])
			}
			if err := em.Err(); err != nil {
				t.Fatal(err)
			}
			id := p.ID()
			if id.MFG != "kofu" || id.SN == "" {
				t.Errorf("ID %+v", id)
			}
		})
	}
}

// TestPrintScenarios: every fault ends the job unconfirmed or failed,
// never printed, with the right kind; nothing sent means not Sent.
func TestPrintScenarios(t *testing.T) {
	for _, c := range []struct {
		spec  string
		pages int
		kind  error
		sent  bool
		out   int // pages the printer reported out, returned with the error
	}{
		{"emulator:paper-out@1", 2, ErrPaperOut, true, 0},
		{"emulator:paper-out@2", 2, ErrPaperOut, true, 1},
		{"emulator:paper-out@2,no-ustatus", 3, ErrPaperOut, true, 1},
		{"emulator:paper-out@2,no-ustatus,no-info", 3, ErrPaperOut, true, 1},
		{"emulator:jam@2", 3, ErrJam, true, 1},
		{"emulator:jam@1,no-ustatus", 1, ErrJam, true, 0},
		{"emulator:no-end", 1, ErrUnconfirmed, true, 1},
		{"emulator:result=HOST_CANCELED", 2, ErrCanceled, true, 2},
		{"emulator:result=USER_CANCELED", 1, ErrCanceled, true, 1},
		{"emulator:short=1", 2, ErrUnconfirmed, true, 1},
		{"emulator:no-echo", 1, ErrUnconfirmed, true, 0},
		{"emulator:unplug@40000", 2, ErrOffline, true, 0},
		{"emulator:unplug@1", 1, ErrOffline, true, 0},
		{"emulator:unidir", 1, ErrUnconfirmed, true, 0},
		{"emulator:truncate-id@20", 1, ErrUnsupported, false, 0},
		{"emulator:ipp,paper-out@2", 2, ErrPaperOut, true, 1},
		{"emulator:ipp,jam@1", 2, ErrJam, true, 0},
		{"emulator:ipp,no-end", 1, ErrUnconfirmed, true, 1},
		{"emulator:ipp,result=HOST_CANCELED", 1, ErrCanceled, true, 1},
		{"emulator:ipp,short=1", 2, ErrUnconfirmed, true, 1},
	} {
		t.Run(c.spec, func(t *testing.T) {
			sp, err := ParseSpec(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			p, em := openEmulated(t, sp.Emulator, fastOptions(2))
			pages := testPages(t, c.pages, 300)
			n, err := p.Print(testCtx(t), nil, pages)
			if n != c.out || !errors.Is(err, c.kind) {
				t.Fatalf("Print = %d, %v; want %d, %v", n, err, c.out, c.kind)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Sent != c.sent || errors.Is(err, ErrUnconfirmed) != c.sent {
				t.Fatalf("error %#v: Sent %v, want %v", err, pe.Sent, c.sent)
			}
			if len(em.Pages()) > c.pages {
				t.Fatalf("emulator printed %d pages", len(em.Pages()))
			}
			t.Logf("%v", err)
		})
	}
}

func TestPreflight(t *testing.T) {
	for _, c := range []struct {
		status PortStatus
		kind   error
	}{
		{StatusPaperEmpty | StatusNotError, ErrPaperOut},
		{StatusJam, ErrJam},
		{StatusCoverOpen | StatusNotError, ErrCoverOpen},
		{0, ErrOffline},
	} {
		p, em := openEmulated(t, EmulatorConfig{}, fastOptions(3))
		em.SetStatus(c.status)
		n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300))
		if n != 0 || !errors.Is(err, c.kind) || errors.Is(err, ErrUnconfirmed) {
			t.Errorf("status %v: Print = %d, %v", c.status, n, err)
		}
		if got, _ := em.Received(); got != 0 {
			t.Errorf("status %v: %d bytes sent", c.status, got)
		}
		if s := p.Status(testCtx(t)); s.Ready() {
			t.Errorf("status %v: Status says ready: %+v", c.status, s)
		}
	}
}

func TestHostBasedRefused(t *testing.T) {
	p, em := openEmulated(t, EmulatorConfig{PNP: "MFG:Canon;MDL:LBP6030;CMD:LIPS4,UFR2,PJL;  "}, fastOptions(4))
	n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300))
	if n != 0 || !errors.Is(err, ErrUnsupported) || errors.Is(err, ErrUnconfirmed) {
		t.Fatalf("Print = %d, %v", n, err)
	}
	for _, want := range []string{"Canon LBP6030", "LIPS4", "UFR2", "host-based"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %q", err, want)
		}
	}
	if got, _ := em.Received(); got != 0 {
		t.Errorf("%d bytes sent to an unsupported printer", got)
	}
}

// TestFileMatchesWire: the file: printer writes exactly the bytes the
// emulated USB printer received for the same job.
func TestFileMatchesWire(t *testing.T) {
	dir := t.TempDir()
	pages := testPages(t, 2, 300)
	for _, c := range []struct {
		ext string
		pnp string
	}{{".pcl", ""}, {".pwg", "MFG:kofu;MDL:PWG only;CMD:PWG;  "}} {
		t.Run(c.ext, func(t *testing.T) {
			opts := fastOptions(5)
			opts.StatusInterval = time.Hour // no status query after the job: the wire holds the job alone
			p, em := openEmulated(t, EmulatorConfig{PNP: c.pnp}, opts)
			p.Print(testCtx(t), nil, pages)
			_, wire := em.Received()

			path := filepath.Join(dir, "job"+c.ext)
			fp, err := OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fp.opts = fastOptions(5)
			n, err := fp.Print(testCtx(t), nil, pages)
			if err != nil || n != 2 {
				t.Fatalf("file Print = %d, %v", n, err)
			}
			fp.Close()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if sha256.Sum256(data) != wire {
				t.Fatal("file bytes differ from the bytes on the wire")
			}
			var decoded int
			if c.ext == ".pcl" {
				if !bytes.HasPrefix(data, []byte(pjl.UEL+"@PJL")) || !bytes.HasSuffix(data, []byte(pjl.UEL)) {
					t.Fatal(".pcl file is not a PJL job")
				}
				err = pdl.DecodePCL(bytes.NewReader(data), pdl.Limits{}, func(pg *pdl.Page) error {
					samePage(t, pg, pages[decoded])
					decoded++
					return nil
				})
			} else {
				err = pdl.DecodePWG(bytes.NewReader(data), pdl.Limits{}, func(_ pdl.PWGHeader, pg *pdl.Page) error {
					samePage(t, pg, pages[decoded])
					decoded++
					return nil
				})
			}
			if err != nil || decoded != 2 {
				t.Fatalf("decoded %d pages: %v", decoded, err)
			}
		})
	}
	if _, err := OpenFile(filepath.Join(dir, "job.png")); err == nil {
		t.Error(".png accepted")
	}
}

func TestConcurrentJobsSerialised(t *testing.T) {
	p, em := openEmulated(t, EmulatorConfig{Scenario: Scenario{PageTime: 5 * time.Millisecond}}, fastOptions(6))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300))
			if err == nil && n != 1 {
				err = errors.New("wrong count")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if jobs := em.Jobs(); len(jobs) != 4 {
		t.Fatalf("%d jobs", len(jobs))
	}
	names := map[string]bool{}
	for _, j := range em.Jobs() {
		if names[j.Name] || !j.Ended || j.Pages != 1 {
			t.Fatalf("job %+v", j)
		}
		names[j.Name] = true
	}
}

func TestStatus(t *testing.T) {
	p, em := openEmulated(t, EmulatorConfig{}, fastOptions(7))
	s := p.Status(testCtx(t))
	if !s.Ready() || s.PortErr != nil || s.PJL == nil || s.PJL.Code != 10001 {
		t.Fatalf("status %+v", s)
	}
	em.SetStatus(StatusPaperEmpty)
	if s := p.Status(testCtx(t)); s.Problem != KindPaperOut {
		t.Fatalf("status %+v", s)
	}
	ip, _ := openEmulated(t, EmulatorConfig{Protocol: 4}, fastOptions(7))
	if s := ip.Status(testCtx(t)); !s.Ready() || s.IPP == nil || s.IPP.State != 3 {
		t.Fatalf("IPP status %+v", s)
	}
}

func TestParseSpec(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Spec
		err  bool
	}{
		{"usb", Spec{Kind: "usb"}, false},
		{"usb:04f9:0042", Spec{Kind: "usb", USB: Selector{VID: 0x04f9, PID: 0x42}}, false},
		{"usb:0x03F0:0x0517", Spec{Kind: "usb", USB: Selector{VID: 0x03f0, PID: 0x0517}}, false},
		{"usb:zz:1", Spec{}, true},
		{"usb:04f9", Spec{}, true},
		{"file:/tmp/x.pcl", Spec{Kind: "file", Path: "/tmp/x.pcl"}, false},
		{"file:", Spec{}, true},
		{"emulator", Spec{Kind: "emulator"}, false},
		{"emulator:ipp,jam@2", Spec{Kind: "emulator", Emulator: EmulatorConfig{Protocol: 4, Scenario: Scenario{JamAt: 2}}}, false},
		{"emulator:unidir", Spec{Kind: "emulator", Emulator: EmulatorConfig{Protocol: 1}}, false},
		{"emulator:page-time=10ms,no-end", Spec{Kind: "emulator", Emulator: EmulatorConfig{Scenario: Scenario{PageTime: 10 * time.Millisecond, NoEnd: true}}}, false},
		{"emulator:explode", Spec{}, true},
		{"emulator:jam@x", Spec{}, true},
		{"lpt", Spec{}, true},
	} {
		got, err := ParseSpec(c.in)
		if (err != nil) != c.err || (!c.err && got != c.want) {
			t.Errorf("ParseSpec(%q) = %+v, %v", c.in, got, err)
		}
	}
}

// TestPrintReportingPages: the printer's USTATUS PAGE reports reach the
// caller page by page; a job that stops at a fault reports only the pages
// that came out and is still not confirmed.
func TestPrintReportingPages(t *testing.T) {
	for _, c := range []struct {
		spec  string
		pages int
		out   []int
		err   error
	}{
		{"emulator", 3, []int{1, 2, 3}, nil},
		{"emulator:paper-out@3", 3, []int{1, 2}, ErrPaperOut},
		{"emulator:jam@1", 2, nil, ErrJam},
		// The emulated IPP printer prints a job as it takes it: its first
		// job-impressions-completed already counts every page out.
		{"emulator:ipp", 3, []int{3}, nil},
		{"emulator:ipp,paper-out@3", 3, []int{2}, ErrPaperOut},
	} {
		t.Run(c.spec, func(t *testing.T) {
			sp, err := ParseSpec(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := openEmulated(t, sp.Emulator, fastOptions(3))
			var mu sync.Mutex
			var out []int
			n, err := p.PrintReporting(testCtx(t), nil, testPages(t, c.pages, 300), func(k int) {
				mu.Lock()
				out = append(out, k)
				mu.Unlock()
			})
			mu.Lock()
			defer mu.Unlock()
			// With an error, the count is the last the printer reported out.
			last := 0
			if len(c.out) > 0 {
				last = c.out[len(c.out)-1]
			}
			if c.err == nil && (err != nil || n != c.pages) || c.err != nil && (n != last || !errors.Is(err, c.err)) {
				t.Fatalf("PrintReporting = %d, %v; want %v", n, err, c.err)
			}
			if !slices.Equal(out, c.out) {
				t.Fatalf("pages reported %v, want %v", out, c.out)
			}
		})
	}
}
