package printer_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"os"
	"path/filepath"
	"reflect"
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
		cfg  emuprinter.Config
		dpi  int
		path printer.Path
	}{
		{"PJL+PCL 300 dpi", emuprinter.Config{}, 300, printer.PathPJLPCL},
		{"PJL+PCL 600 dpi", emuprinter.Config{}, 600, printer.PathPJLPCL},
		{"PJL+PCL, interleaved readback", emuprinter.Config{Scenario: emuprinter.Scenario{Interleave: true}}, 300, printer.PathPJLPCL},
		{"PJL+PCL, END without RESULT", emuprinter.Config{Scenario: emuprinter.Scenario{OmitResult: true}}, 300, printer.PathPJLPCL},
		{"IPP-over-USB 300 dpi", emuprinter.Config{Protocol: 4}, 300, printer.PathIPP},
		{"IPP-over-USB 600 dpi", emuprinter.Config{Protocol: 4}, 600, printer.PathIPP},
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
		{"emulator:paper-out@1", 2, printer.ErrPaperOut, true, 0},
		{"emulator:paper-out@2", 2, printer.ErrPaperOut, true, 1},
		{"emulator:paper-out@2,no-ustatus", 3, printer.ErrPaperOut, true, 1},
		{"emulator:paper-out@2,no-ustatus,no-info", 3, printer.ErrPaperOut, true, 1},
		{"emulator:jam@2", 3, printer.ErrJam, true, 1},
		{"emulator:jam@1,no-ustatus", 1, printer.ErrJam, true, 0},
		{"emulator:no-end", 1, printer.ErrUnconfirmed, true, 1},
		{"emulator:result=HOST_CANCELED", 2, printer.ErrCanceled, true, 2},
		{"emulator:result=USER_CANCELED", 1, printer.ErrCanceled, true, 1},
		{"emulator:short=1", 2, printer.ErrUnconfirmed, true, 1},
		{"emulator:no-echo", 1, printer.ErrUnconfirmed, true, 0},
		{"emulator:unplug@40000", 2, printer.ErrOffline, true, 0},
		{"emulator:unplug@1", 1, printer.ErrOffline, true, 0},
		{"emulator:unidir", 1, printer.ErrUnconfirmed, true, 0},
		{"emulator:truncate-id@20", 1, printer.ErrUnsupported, false, 0},
		{"emulator:ipp,paper-out@2", 2, printer.ErrPaperOut, true, 1},
		{"emulator:ipp,jam@1", 2, printer.ErrJam, true, 0},
		{"emulator:ipp,no-end", 1, printer.ErrUnconfirmed, true, 1},
		{"emulator:ipp,result=HOST_CANCELED", 1, printer.ErrCanceled, true, 1},
		{"emulator:ipp,short=1", 2, printer.ErrUnconfirmed, true, 1},
	} {
		t.Run(c.spec, func(t *testing.T) {
			target, err := printer.ParseTarget(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := emuprinter.ParseConfig(target.Emulator)
			if err != nil {
				t.Fatal(err)
			}
			p, em := openEmulated(t, cfg, fastOptions(2))
			pages := testPages(t, c.pages, 300)
			n, err := p.Print(testCtx(t), nil, pages)
			if n != c.out || !errors.Is(err, c.kind) {
				t.Fatalf("Print = %d, %v; want %d, %v", n, err, c.out, c.kind)
			}
			var pe *printer.Error
			if !errors.As(err, &pe) || pe.Sent != c.sent || errors.Is(err, printer.ErrUnconfirmed) != c.sent {
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
		status printer.PortStatus
		kind   error
	}{
		{printer.StatusPaperEmpty | printer.StatusNotError, printer.ErrPaperOut},
		{printer.StatusJam, printer.ErrJam},
		{printer.StatusCoverOpen | printer.StatusNotError, printer.ErrCoverOpen},
		{0, printer.ErrOffline},
	} {
		p, em := openEmulated(t, emuprinter.Config{}, fastOptions(3))
		em.SetStatus(c.status)
		n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300))
		if n != 0 || !errors.Is(err, c.kind) || errors.Is(err, printer.ErrUnconfirmed) {
			t.Errorf("status %v: Print = %d, %v", c.status, n, err)
		}
		if got, _ := em.Received(); got != 0 {
			t.Errorf("status %v: %d bytes sent", c.status, got)
		}
		if s := p.Status(testCtx(t)); s.Ready() {
			t.Errorf("status %v: printer.Status says ready: %+v", c.status, s)
		}
	}
}

func TestHostBasedRefused(t *testing.T) {
	p, em := openEmulated(t, emuprinter.Config{PNP: "MFG:Canon;MDL:LBP6030;CMD:LIPS4,UFR2,PJL;  "}, fastOptions(4))
	n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300))
	if n != 0 || !errors.Is(err, printer.ErrUnsupported) || errors.Is(err, printer.ErrUnconfirmed) {
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
			p, em := openEmulated(t, emuprinter.Config{PNP: c.pnp}, opts)
			p.Print(testCtx(t), nil, pages)
			_, wire := em.Received()

			path := filepath.Join(dir, "job"+c.ext)
			fp, err := printer.New(testCtx(t), printer.Target{Kind: printer.TargetFile, Path: path}, fastOptions(5))
			if err != nil {
				t.Fatal(err)
			}
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
	if _, err := printer.New(testCtx(t), printer.Target{Kind: printer.TargetFile, Path: filepath.Join(dir, "job.png")}, printer.Options{}); err == nil {
		t.Error(".png accepted")
	}
}

func TestConcurrentJobsSerialised(t *testing.T) {
	p, em := openEmulated(t, emuprinter.Config{Scenario: emuprinter.Scenario{PageTime: 5 * time.Millisecond}}, fastOptions(6))
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
	p, em := openEmulated(t, emuprinter.Config{}, fastOptions(7))
	s := p.Status(testCtx(t))
	if !s.Ready() || s.PortErr != nil || s.PJL == nil || s.PJL.Code != 10001 {
		t.Fatalf("status %+v", s)
	}
	em.SetStatus(printer.StatusPaperEmpty)
	if s := p.Status(testCtx(t)); s.Problem != printer.KindPaperOut {
		t.Fatalf("status %+v", s)
	}
	ip, _ := openEmulated(t, emuprinter.Config{Protocol: 4}, fastOptions(7))
	if s := ip.Status(testCtx(t)); !s.Ready() || s.IPP == nil || s.IPP.State != 3 {
		t.Fatalf("IPP status %+v", s)
	}
}

// TestParseTarget: the SPECs of DESIGN §8 and their emulator options.
func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		in   string
		want printer.Target
		emu  emuprinter.Config
		err  bool
	}{
		{"usb", printer.Target{Kind: "usb"}, emuprinter.Config{}, false},
		{"usb:04f9:0042", printer.Target{Kind: "usb", USB: printer.Selector{VID: 0x04f9, PID: 0x42}}, emuprinter.Config{}, false},
		{"usb:0x03F0:0x0517", printer.Target{Kind: "usb", USB: printer.Selector{VID: 0x03f0, PID: 0x0517}}, emuprinter.Config{}, false},
		{"usb:zz:1", printer.Target{}, emuprinter.Config{}, true},
		{"usb:04f9", printer.Target{}, emuprinter.Config{}, true},
		{"file:/tmp/x.pcl", printer.Target{Kind: "file", Path: "/tmp/x.pcl"}, emuprinter.Config{}, false},
		{"file:", printer.Target{}, emuprinter.Config{}, true},
		{"emulator", printer.Target{Kind: "emulator"}, emuprinter.Config{}, false},
		{"emulator:ipp", printer.Target{Kind: "emulator", Emulator: "ipp"}, emuprinter.Config{Protocol: 4}, false},
		{"emulator:ipp,jam@2", printer.Target{Kind: "emulator", Emulator: "ipp,jam@2"}, emuprinter.Config{Protocol: 4, Scenario: emuprinter.Scenario{JamAt: 2}}, false},
		{"emulator:unidir", printer.Target{Kind: "emulator", Emulator: "unidir"}, emuprinter.Config{Protocol: 1}, false},
		{"emulator:page-time=10ms,no-end", printer.Target{Kind: "emulator", Emulator: "page-time=10ms,no-end"},
			emuprinter.Config{Scenario: emuprinter.Scenario{PageTime: 10 * time.Millisecond, NoEnd: true}}, false},
		{"emulator:explode", printer.Target{}, emuprinter.Config{}, true},
		{"emulator:jam@x", printer.Target{}, emuprinter.Config{}, true},
		{"emulator:ipp,unidir", printer.Target{}, emuprinter.Config{}, true},
		{"lpt", printer.Target{}, emuprinter.Config{}, true},
	} {
		got, err := printer.ParseTarget(c.in)
		var cfg emuprinter.Config
		if err == nil && got.Kind == printer.TargetEmulator {
			cfg, err = emuprinter.ParseConfig(got.Emulator)
		}
		if (err != nil) != c.err || (!c.err && (got != c.want || !reflect.DeepEqual(cfg, c.emu))) {
			t.Errorf("ParseTarget(%q) = %+v, %+v, %v", c.in, got, cfg, err)
		}
	}
	// New refuses an emulator target: emuprinter.Resolve makes its link.
	if _, err := printer.New(testCtx(t), printer.Target{Kind: printer.TargetEmulator}, printer.Options{}); !errors.Is(err, printer.ErrEmulatorTarget) {
		t.Errorf("New(emulator) = %v", err)
	}
	target, em, err := emuprinter.ParseTarget("emulator:ipp")
	if err != nil || em == nil || target.Kind != printer.TargetLink {
		t.Fatalf("emuprinter.ParseTarget = %+v, %v, %v", target, em, err)
	}
	p, err := printer.New(testCtx(t), target, printer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Plan().Path != printer.PathIPP {
		t.Errorf("emulator:ipp: plan %+v", p.Plan())
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
		{"emulator:paper-out@3", 3, []int{1, 2}, printer.ErrPaperOut},
		{"emulator:jam@1", 2, nil, printer.ErrJam},
		// The emulated IPP printer prints a job as it takes it: its first
		// job-impressions-completed already counts every page out.
		{"emulator:ipp", 3, []int{3}, nil},
		{"emulator:ipp,paper-out@3", 3, []int{2}, printer.ErrPaperOut},
	} {
		t.Run(c.spec, func(t *testing.T) {
			cfg, err := emuprinter.ParseConfig(strings.TrimPrefix(strings.TrimPrefix(c.spec, "emulator"), ":"))
			if err != nil {
				t.Fatal(err)
			}
			p, _ := openEmulated(t, cfg, fastOptions(3))
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

// TestStallMidJob: paper runs out on page 1 of a job too big for the
// printer's buffers (six 600 dpi pages: the emulator holds two), and the
// printer says nothing unasked: the write stalls, the port status says
// why, and the job ends unconfirmed with paper out.
func TestStallMidJob(t *testing.T) {
	opts := fastOptions(8)
	opts.ConfirmTimeout = time.Minute // the stall, not the confirmation timeout, must end it
	p, em := openEmulated(t, emuprinter.Config{Scenario: emuprinter.Scenario{PaperOutAt: 1, NoUStatus: true}}, opts)
	n, err := p.Print(testCtx(t), nil, testPages(t, 6, 600))
	if n != 0 || !errors.Is(err, printer.ErrPaperOut) || !errors.Is(err, printer.ErrUnconfirmed) {
		t.Fatalf("Print = %d, %v", n, err)
	}
	var pe *printer.Error
	errors.As(err, &pe)
	if !bytes.Contains([]byte(pe.Detail), []byte("stopped taking data")) {
		t.Fatalf("detail %q: not the stall path", pe.Detail)
	}
	if len(em.Pages()) != 0 {
		t.Fatal("a page printed")
	}
}
