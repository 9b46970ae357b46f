package printer

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kofu/printer/pdl"
)

// needTool skips when an external program is missing on a developer
// machine and fails in CI (CI=true).
func needTool(t *testing.T, why string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why + " (CI unset: skipped)")
}

const ippevepcl = "/usr/sbin/ippevepcl"

func have(tool string) bool { _, err := exec.LookPath(tool); return err == nil }

// startProc starts a helper process, stopped (by its PID) when the test
// ends, and returns a reader of its combined output.
func startProc(t *testing.T, env []string, name string, args ...string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	pw.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pr.Close()
	})
	return cmd, bufio.NewScanner(pr)
}

// waitLine reads output lines until one contains want.
func waitLine(t *testing.T, sc *bufio.Scanner, want string, d time.Duration) {
	t.Helper()
	found := make(chan bool, 1)
	var seen []string
	go func() {
		for sc.Scan() {
			seen = append(seen, sc.Text())
			if strings.Contains(sc.Text(), want) {
				found <- true
				for sc.Scan() {
				}
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("output ended before %q: %q", want, seen)
		}
	case <-time.After(d):
		t.Fatalf("no %q within %v", want, d)
	}
}

// startIPPEvePrinter runs CUPS's ippeveprinter on loopback only (-n
// localhost binds 127.0.0.1 and ::1) taking image/pwg-raster. It needs
// DNS-SD: a private D-Bus bus and avahi-daemon are started for it.
func startIPPEvePrinter(t *testing.T) (url, spool string) {
	needTool(t, "ippeveprinter and ippevepcl not found: install cups-ipp-utils", have("ippeveprinter") && have(ippevepcl))
	needTool(t, "dbus-daemon and avahi-daemon not found (ippeveprinter needs DNS-SD): install dbus avahi-daemon",
		have("dbus-daemon") && have("avahi-daemon"))
	needTool(t, "avahi-daemon must run as root for ippeveprinter's DNS-SD", os.Geteuid() == 0)
	dir := t.TempDir()
	bus := filepath.Join(dir, "bus")
	os.WriteFile(filepath.Join(dir, "bus.conf"), []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=`+bus+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/>
    <allow send_type="method_call"/><allow send_type="signal"/><allow send_type="method_return"/><allow send_type="error"/>
    <allow receive_type="method_call"/><allow receive_type="signal"/><allow receive_type="method_return"/><allow receive_type="error"/>
  </policy>
</busconfig>
`), 0o600)
	os.WriteFile(filepath.Join(dir, "avahi.conf"), []byte("[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\n"+
		"enable-dbus=yes\n[publish]\npublish-addresses=no\npublish-hinfo=no\npublish-workstation=no\n"), 0o600)
	env := []string{"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + bus}
	_, dbusOut := startProc(t, env, "dbus-daemon", "--config-file="+filepath.Join(dir, "bus.conf"), "--nofork", "--print-address")
	waitLine(t, dbusOut, "unix:path=", 5*time.Second)
	_, avahiOut := startProc(t, env, "avahi-daemon", "-f", filepath.Join(dir, "avahi.conf"), "--no-drop-root", "--no-chroot", "--no-rlimits")
	waitLine(t, avahiOut, "Server startup complete", 10*time.Second)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	spool = filepath.Join(dir, "spool")
	os.Mkdir(spool, 0o700)
	// -c ippevepcl: CUPS's own PWG Raster reader turns each job into PCL
	// (kept in the spool) and reports job-impressions-completed per page.
	startProc(t, env, "ippeveprinter", "-p", fmt.Sprint(port), "-n", "localhost", "-f", "image/pwg-raster",
		"-c", ippevepcl, "-F", "application/vnd.hp-pcl", "-k", "-d", spool, "-M", "kofu", "-m", "ippeveprinter", "kofu-test")
	url = fmt.Sprintf("http://127.0.0.1:%d/ipp/print", port)
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(100 * time.Millisecond) { // a deadline for polling: elapsed time only
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return url, spool
		}
	}
	t.Fatal("ippeveprinter never listened")
	return "", ""
}

// spoolFile returns the one file of job n with the given extension.
func spoolFile(t *testing.T, spool string, n int, ext string) []byte {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(spool, fmt.Sprintf("%d-*%s", n, ext)))
	if len(m) != 1 {
		t.Fatalf("spool has %v for job %d (%s)", m, n, ext)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIPPEvePrinter: an IPP job from kofu's client (goipp over TCP, the
// same code that runs over IPP-over-USB) is accepted by CUPS's
// ippeveprinter and completes (job-state 9) with every impression.
func TestIPPEvePrinter(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: ippeveprinter takes 5 to 15 s to process a job")
	}
	url, spool := startIPPEvePrinter(t)
	c := &ippClient{Transport: &http.Transport{}, URL: url}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := c.printerState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("printer: %q state %d reasons %v formats %v types %v resolutions %v", st.MakeModel, st.State, st.Reasons,
		st.Formats, st.PWGTypes, st.PWGResolutions)
	for job, dpi := range []int{300, 600} {
		pages := testPages(t, 2, dpi)
		start := time.Now() // measures elapsed time only
		n, err := c.printPWG(ctx, pages, &Options{ConfirmTimeout: time.Minute, PollInterval: 250 * time.Millisecond}, nil)
		if err != nil || n != 2 {
			t.Fatalf("%d dpi: PrintPWG = %d, %v", dpi, n, err)
		}
		t.Logf("%d dpi: 2 pages confirmed (job-state 9, impressions 2) in %v", dpi, time.Since(start).Round(time.Millisecond))

		// The document ippeveprinter kept is exactly what kofu encoded
		// (sgray_8, the type kofu prefers).
		var want bytes.Buffer
		pw := pdl.NewPWGWriter(&want, pdl.SGray8, 2)
		for _, p := range pages {
			pw.WritePage(p, p.DPI())
		}
		doc := spoolFile(t, spool, job+1, ".pwg")
		if !bytes.Equal(doc, want.Bytes()) {
			t.Errorf("%d dpi: the printer's copy of the document (%d bytes) differs from kofu's encoding (%d bytes)", dpi, len(doc), want.Len())
		}
		// CUPS's ippevepcl read that PWG Raster and wrote PCL; kofu's PCL
		// decoder reads it back: two pages of the source.
		var got []*pdl.Page
		prn := spoolFile(t, spool, job+1, ".prn")
		if err := pdl.DecodePCL(bytes.NewReader(prn), pdl.Limits{}, func(p *pdl.Page) error { got = append(got, p); return nil }); err != nil {
			t.Fatalf("%d dpi: decoding ippevepcl's PCL: %v", dpi, err)
		}
		if len(got) != 2 {
			t.Fatalf("%d dpi: ippevepcl's PCL has %d pages", dpi, len(got))
		}
		src := pages[0].Bitmap().Gray() // the verified bits, 0/255
		for i, g := range got {
			b := g.Image()
			// ippevepcl keeps the raster's origin and cuts its width and
			// height to the printable area; it halftones gray, so only pure
			// black and pure white pixels have a fixed answer.
			mx, my := 0, 0
			solid, wrong := 0, 0
			for y := range b.Rect.Dy() {
				row, srow := b.Pix[y*b.Stride:][:b.Rect.Dx()], src.Pix[(y+my)*src.Stride+mx:][:b.Rect.Dx()]
				for x, v := range srow {
					if v == 0 || v == 255 {
						solid++
						if row[x] != v {
							wrong++
						}
					}
				}
			}
			share := float64(wrong) / float64(solid)
			t.Logf("%d dpi page %d via ippevepcl: %v of %v at %d dpi; of %d pure black or white source pixels, %.4f%% differ",
				dpi, i+1, b.Rect.Size(), src.Rect.Size(), g.DPI, solid, 100*share)
			if g.DPI != dpi || b.Rect.Dx() > src.Rect.Dx() || b.Rect.Dy() > src.Rect.Dy() || b.Rect.Dx() < src.Rect.Dx()*9/10 || share > 0.0001 {
				t.Errorf("%d dpi page %d: ippevepcl's page is not the source", dpi, i+1)
			}
		}
	}
}
