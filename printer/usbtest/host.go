package usbtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"image"
	"io"
	"strings"
	"sync"
	"time"

	"kofu/printer"
	"kofu/printer/pdl"
	"kofu/protocol"
)

// Expected is what the gadget is configured to be.
type Expected struct {
	MFG, MDL, SN string
	CMD          []string
	Status       printer.PortStatus // port status before any job
}

// HostConfig configures the host-side checks.
type HostConfig struct {
	Open     func(ctx context.Context) (printer.Link, error)
	Driver   func() string // kernel driver bound to the printer interface; nil: not checked
	Want     Expected
	Printer  printer.Options
	PauseJob time.Duration // pause after the confirmed job, so the gadget reports it alone
	// Faces gives the two-sided job's faces at DuplexDPI, in print order
	// (LoadDuplexJob): the verified faces of a real session with the
	// ground pattern composited, which the host prints as they are.
	Faces func() ([]*image.Gray, error)
}

// Marker is the prefix of every verdict line on the guest's console.
const Marker = "KOFU "

// teeLink counts and hashes what goes out on bulk OUT.
type teeLink struct {
	printer.Link
	mu   sync.Mutex
	n    int64
	sum  hash.Hash
	last time.Time // end of the last bulk OUT transfer
}

func (t *teeLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	n, err := t.Link.BulkOut(ctx, p)
	t.mu.Lock()
	t.n += int64(n)
	t.sum.Write(p[:n])
	t.last = time.Now()
	t.mu.Unlock()
	return n, err
}

func (t *teeLink) state() (int64, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, fmt.Sprintf("%x", t.sum.Sum(nil))
}

// BitmapSum is the SHA-256 of a page as PCL carries it (thresholded).
func BitmapSum(b *pdl.Bitmap) string {
	h := sha256.New()
	fmt.Fprintf(h, "%dx%d:", b.W, b.H)
	h.Write(b.Bits)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// RunHost runs the host-side checks against the gadget and prints one
// marker line per check and a final result line. It reports whether every
// check passed.
func RunHost(ctx context.Context, cfg HostConfig, out io.Writer) bool {
	ok := true
	check := func(name string, pass bool, format string, args ...any) bool {
		verdict := "ok"
		if !pass {
			verdict, ok = "FAIL", false
		}
		fmt.Fprintf(out, Marker+"host check %s %s %s\n", name, verdict, fmt.Sprintf(format, args...))
		return pass
	}
	defer func() {
		fmt.Fprintf(out, Marker+"host result %s\n", map[bool]string{true: "PASS", false: "FAIL"}[ok])
	}()

	before := ""
	if cfg.Driver != nil {
		before = cfg.Driver()
	}
	start := time.Now()
	var raw printer.Link
	var err error
	for {
		if raw, err = cfg.Open(ctx); err == nil || time.Since(start) > 10*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !check("open", err == nil, "%v", err) {
		return false
	}
	link := &teeLink{Link: raw, sum: sha256.New()}
	info := link.Info()
	check("interface", info.Protocol == 2 && info.HasIn && info.MaxPacketOut > 0,
		"%s, max packet %d/%d, %q %q %q", info, info.MaxPacketOut, info.MaxPacketIn, info.Manufacturer, info.Product, info.Serial)
	if cfg.Driver != nil {
		during := cfg.Driver()
		check("usblp-detached", before == "usblp" && (during == "" || during == "usbfs"), "driver before open %q, while claimed %q", before, during)
	}

	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	idText, err := printer.ReadDeviceID(cctx, link)
	cancel()
	id, perr := printer.ParseDeviceID(idText)
	check("device-id", err == nil && perr == nil && id.Manufacturer == cfg.Want.MFG && id.Model == cfg.Want.MDL &&
		id.Serial == cfg.Want.SN && strings.Join(id.Commands, ",") == strings.Join(cfg.Want.CMD, ","),
		"%q (read: %v, parse: %v)", idText, err, perr)

	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	st, err := printer.ReadPortStatus(cctx, link)
	cancel()
	check("port-status", err == nil && st == cfg.Want.Status, "%v (%v)", st, err)

	p, err := printer.New(ctx, printer.OnLink(link), cfg.Printer)
	if !check("plan", err == nil && p.Plan().Path == printer.PathPJLPCL && p.Plan().Confirm, "%+v %v", planOf(p), err) {
		link.Close()
		return false
	}

	// A confirmed job: the gadget answers USTATUS JOB END.
	page := Page(300, 1, false)
	t0 := time.Now()
	n, err := p.Print(ctx, nil, techPages(page))
	sent, sum := link.state()
	link.mu.Lock()
	wrote := link.last.Sub(t0)
	link.mu.Unlock()
	check("job-confirmed", n == 1 && err == nil, "confirmed %d in %v (job written in %v): %v", n,
		time.Since(t0).Round(time.Millisecond), wrote.Round(time.Millisecond), err)
	fmt.Fprintf(out, Marker+"host job 1 bytes=%d sha256=%s\n", sent, sum)
	fmt.Fprintf(out, Marker+"host page 1 bitmap=%s\n", BitmapSum(pdl.ToBitmap(page)))
	time.Sleep(cfg.PauseJob)

	// The two-sided job: a real session's faces (the build machine ran
	// it against the emulated center and composited the ground pattern
	// as its print path does), printed through the printer code — PJL
	// DUPLEX, PCL 5 sides, USTATUS confirmation — as technician sheets:
	// the guest has no center to verify them against. Duplex on the
	// wire, each face decoded at the far end with its own symbol,
	// confirmed as 6 faces on 3 sheets (the gadget's PJL counts faces,
	// as HP's).
	t0 = time.Now()
	duplex, err := duplexSheets(cfg.Faces)
	check("duplex-faces", err == nil, "%d faces at %d dpi, loaded in %v: %v", len(duplex), DuplexDPI,
		time.Since(t0).Round(time.Millisecond), err)
	t0 = time.Now()
	n = 0
	if err == nil {
		n, err = p.Print(ctx, nil, duplex)
	}
	sentD, sumD := link.state()
	check("job-duplex", n == 2*DuplexSheets && err == nil, "confirmed %d faces (%d sheets) in %v: %v", n, n/2,
		time.Since(t0).Round(time.Millisecond), err)
	// Bytes and SHA-256 since the printer started, as the gadget counts.
	fmt.Fprintf(out, Marker+"host job 2 bytes=%d sha256=%s\n", sentD, sumD)
	for i, pg := range duplex {
		fmt.Fprintf(out, Marker+"host page %d bitmap=%s side=%s\n", i+2, BitmapSum(pg.Bitmap()),
			map[bool]string{false: "front", true: "back"}[pg.Back()])
	}
	sent = sentD
	time.Sleep(cfg.PauseJob)

	// Paper runs out on the next page: the job must end unconfirmed.
	t0 = time.Now()
	noisy := techPages(Page(300, 2, true), Page(300, 3, true))
	n, err = p.Print(ctx, nil, noisy)
	var pe *printer.Error
	check("job-paper-out", n == 0 && errors.Is(err, printer.ErrPaperOut) && errors.Is(err, printer.ErrUnconfirmed) && errors.As(err, &pe) && pe.Sent,
		"confirmed %d in %v: %v", n, time.Since(t0).Round(time.Millisecond), err)
	sent2, _ := link.state()
	fmt.Fprintf(out, Marker+"host job 3 bytes=%d\n", sent2-sent)

	// Paper is still out: the next job is refused before any byte is sent.
	n, err = p.Print(ctx, nil, techPages(page))
	sent3, _ := link.state()
	check("preflight-paper-out", n == 0 && errors.Is(err, printer.ErrPaperOut) && !errors.Is(err, printer.ErrUnconfirmed) && sent3 == sent2,
		"%d bytes sent: %v", sent3-sent2, err)

	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	err = printer.SoftReset(cctx, link)
	cancel()
	check("soft-reset", err == nil, "0x23 then 0x21: %v", err)

	check("close", p.Close() == nil, "")
	if cfg.Driver != nil {
		after := ""
		for i := 0; i < 20 && after == ""; i++ {
			time.Sleep(50 * time.Millisecond)
			after = cfg.Driver()
		}
		check("usblp-reattached", after == "usblp", "driver after close %q", after)
	}
	return ok
}

// duplexSheets makes the two-sided job's pages from the faces faces
// gives: 2 × DuplexSheets of them at DuplexDPI, as technician sheets.
func duplexSheets(faces func() ([]*image.Gray, error)) ([]*protocol.VerifiedPage, error) {
	if faces == nil {
		return nil, errors.New("HostConfig.Faces is not set")
	}
	imgs, err := faces()
	if err != nil {
		return nil, err
	}
	if len(imgs) != 2*DuplexSheets {
		return nil, fmt.Errorf("%d faces, want %d", len(imgs), 2*DuplexSheets)
	}
	return protocol.TechnicianTestSheets(DuplexDPI, imgs...)
}

func planOf(p *printer.Printer) any {
	if p == nil {
		return nil
	}
	return p.Plan()
}

// techPages wraps the harness's 300 dpi images as technician test pages,
// the only printable pages not verified from a center's document. On an
// impossible error (an empty image) it returns no pages, which Print
// refuses.
func techPages(imgs ...*image.Gray) []*protocol.VerifiedPage {
	out := make([]*protocol.VerifiedPage, 0, len(imgs))
	for _, img := range imgs {
		p, err := protocol.TechnicianTestPage(img, 300)
		if err != nil {
			return nil
		}
		out = append(out, p)
	}
	return out
}
