package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/OpenPrinting/goipp"

	"kofu/printer/internal/ippattr"

	"kofu/printer/pdl"
	"kofu/printer/pjl"
	"kofu/protocol"
)

// maxIPPResponse bounds an IPP response body.
const maxIPPResponse = 1 << 20

// ippRequestTimeout bounds one IPP request and its response.
const ippRequestTimeout = 60 * time.Second

// ippClient speaks IPP/1.1 (RFC 8011) over HTTP: to an IPP-over-USB
// printer through its bulk pipes (Printer does this), or to a network
// printer such as ippeveprinter in tests.
type ippClient struct {
	Transport  http.RoundTripper // required
	URL        string            // HTTP URL of the printer, e.g. http://localhost/ipp/print
	PrinterURI string            // printer-uri; default: URL with scheme ipp
	User       string            // requesting-user-name; default "kofu"

	mu    sync.Mutex
	reqID uint32
}

// ippError is an IPP status other than successful-ok*.
type ippError struct {
	Op     goipp.Op
	Status goipp.Status
}

func (e *ippError) Error() string { return fmt.Sprintf("IPP %v: %v", e.Op, e.Status) }

func (c *ippClient) nextID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqID++
	return c.reqID
}

func (c *ippClient) printerURI() string {
	if c.PrinterURI != "" {
		return c.PrinterURI
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return c.URL
	}
	u.Scheme = "ipp"
	return u.String()
}

// request starts a request with the operation attributes every IPP
// request carries.
func (c *ippClient) request(op goipp.Op) *goipp.Message {
	m := goipp.NewRequest(goipp.MakeVersion(1, 1), op, c.nextID())
	user := c.User
	if user == "" {
		user = "kofu"
	}
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(c.printerURI())))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String(user)))
	return m
}

// do sends one request, with doc appended after the IPP message, and
// decodes the response. The response body is always read to its end.
func (c *ippClient) do(ctx context.Context, m *goipp.Message, doc []byte) (*goipp.Message, error) {
	enc, err := m.EncodeBytes()
	if err != nil {
		return nil, fmt.Errorf("ipp: encode: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, ippRequestTimeout)
	defer cancel()
	// The document follows the IPP message; it is not copied.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL,
		io.MultiReader(bytes.NewReader(enc), bytes.NewReader(doc)))
	if err != nil {
		return nil, err
	}
	req.ContentLength = int64(len(enc) + len(doc))
	req.Header.Set("Content-Type", goipp.ContentType)
	resp, err := c.Transport.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("ipp: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxIPPResponse+1))
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("ipp: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ipp: HTTP %s", resp.Status)
	}
	if len(data) > maxIPPResponse {
		return nil, fmt.Errorf("ipp: response over %d bytes", maxIPPResponse)
	}
	var out goipp.Message
	if err := out.DecodeBytes(data); err != nil {
		return nil, fmt.Errorf("ipp: decode response: %w", err)
	}
	if out.Code >= 0x100 {
		return &out, &ippError{Op: goipp.Op(m.Code), Status: goipp.Status(out.Code)}
	}
	return &out, nil
}

func keywords(names ...string) goipp.Attribute {
	var a goipp.Attribute
	a.Name = "requested-attributes"
	for _, n := range names {
		a.Values.Add(goipp.TagKeyword, goipp.String(n))
	}
	return a
}

// dpiValues returns the square resolutions of an attribute, in dpi.
func dpiValues(attrs goipp.Attributes, name string) []int {
	var out []int
	for _, a := range attrs {
		if a.Name != name {
			continue
		}
		for _, v := range a.Values {
			r, ok := v.V.(goipp.Resolution)
			switch {
			case !ok || r.Xres != r.Yres:
			case r.Units == goipp.UnitsDpi:
				out = append(out, r.Xres)
			case r.Units == goipp.UnitsDpcm:
				out = append(out, int(float64(r.Xres)*2.54+0.5))
			}
		}
	}
	return out
}

// IPPPrinterState is what Get-Printer-Attributes says about the printer.
type IPPPrinterState struct {
	MakeModel       string
	State           int // 3 idle, 4 processing, 5 stopped
	Reasons         []string
	Accepting       bool
	Formats         []string
	PWGTypes        []string
	PWGResolutions  []int // dpi, square resolutions only
	ReasonKind      Kind  // the first fatal printer-state-reason, or 0
	ReasonKeyword   string
	AcceptingAbsent bool
}

// printerState queries the printer's attributes.
func (c *ippClient) printerState(ctx context.Context) (IPPPrinterState, error) {
	m := c.request(goipp.OpGetPrinterAttributes)
	m.Operation.Add(keywords("printer-make-and-model", "printer-state", "printer-state-reasons",
		"printer-is-accepting-jobs", "document-format-supported", "pwg-raster-document-type-supported",
		"pwg-raster-document-resolution-supported"))
	resp, err := c.do(ctx, m, nil)
	if err != nil {
		return IPPPrinterState{}, err
	}
	st := IPPPrinterState{
		MakeModel:      strings.Join(ippattr.Values(resp.Printer, "printer-make-and-model"), " "),
		Reasons:        ippattr.Values(resp.Printer, "printer-state-reasons"),
		Formats:        ippattr.Values(resp.Printer, "document-format-supported"),
		PWGTypes:       ippattr.Values(resp.Printer, "pwg-raster-document-type-supported"),
		PWGResolutions: dpiValues(resp.Printer, "pwg-raster-document-resolution-supported"),
	}
	st.State, _ = ippattr.Int(resp.Printer, "printer-state")
	acc := ippattr.Values(resp.Printer, "printer-is-accepting-jobs")
	st.Accepting = len(acc) == 0 || acc[0] == "true"
	st.ReasonKind, st.ReasonKeyword = reasonsKind(st.Reasons)
	return st, nil
}

// reasonKinds maps printer-state-reasons keywords (without their
// -error/-warning/-report suffix) to failure kinds; kept as data.
func reasonKinds() map[string]Kind {
	return map[string]Kind{
		"media-empty": KindPaperOut, "media-needed": KindPaperOut, "input-tray-missing": KindPaperOut,
		"media-jam": KindJam, "cover-open": KindCoverOpen, "door-open": KindCoverOpen,
		"interlock-open": KindCoverOpen, "offline": KindOffline, "shutdown": KindOffline,
		"marker-supply-empty": KindOffline, "toner-empty": KindOffline, "fuser-over-temp": KindHardware,
		"fuser-under-temp": KindHardware,
	}
}

// reasonsKind returns the first reason that stops printing. Reasons with
// a -warning or -report suffix never do.
func reasonsKind(reasons []string) (Kind, string) {
	table := reasonKinds()
	for _, r := range reasons {
		if strings.HasSuffix(r, "-warning") || strings.HasSuffix(r, "-report") {
			continue
		}
		if k, ok := table[strings.TrimSuffix(r, "-error")]; ok {
			return k, r
		}
	}
	return 0, ""
}

// Job states (RFC 8011 §5.3.7).
const (
	jobPending    = 3
	jobHeld       = 4
	jobProcessing = 5
	jobStopped    = 6
	jobCanceled   = 7
	jobAborted    = 8
	jobCompleted  = 9
)

// printPWG prints the pages as one PWG Raster job and waits until the
// printer reports it completed with every impression, following
// DESIGN §6: completed (9) with job-impressions-completed ≥ pages and no
// fatal printer-state-reason since the job began is printed; canceled
// (7) or aborted (8) failed; a timeout unknown. The impressions the
// printer reports completed go to out (may be nil) while the job runs.
func (c *ippClient) printPWG(ctx context.Context, pages []*protocol.VerifiedPage, o *Options, out func(int)) (int, error) {
	st, err := c.printerState(ctx)
	if err != nil {
		return 0, newError(KindOffline, false, "Get-Printer-Attributes failed", err)
	}
	if k := st.ReasonKind; k != 0 {
		return 0, newError(k, false, "printer-state-reasons "+st.ReasonKeyword, nil)
	}
	if !st.Accepting || st.State == 5 {
		return 0, newError(KindOffline, false, fmt.Sprintf("printer not accepting jobs (state %d, reasons %v)", st.State, st.Reasons), nil)
	}
	if !contains(st.Formats, "image/pwg-raster") {
		return 0, newError(KindUnsupported, false, fmt.Sprintf("%s takes %s, not image/pwg-raster", st.MakeModel, strings.Join(st.Formats, ", ")), nil)
	}
	typ, ok := pdl.SGray8, contains(st.PWGTypes, "sgray_8")
	if !ok && contains(st.PWGTypes, "black_1") {
		typ, ok = pdl.Black1, true
	}
	if !ok {
		return 0, newError(KindUnsupported, false, "printer offers PWG types "+strings.Join(st.PWGTypes, ", ")+"; kofu sends sgray_8 or black_1", nil)
	}
	for _, pg := range pages {
		if len(st.PWGResolutions) > 0 && !slices.Contains(st.PWGResolutions, pg.DPI()) {
			return 0, newError(KindUnsupported, false, fmt.Sprintf("printer takes PWG Raster at %v dpi, the page is %d dpi", st.PWGResolutions, pg.DPI()), nil)
		}
	}
	count := countOf(pages, 0)
	if count.Duplex {
		if err := c.duplexReady(ctx); err != nil {
			return 0, err
		}
	}
	var doc bytes.Buffer
	pw := pdl.NewPWGWriter(&doc, typ, len(pages))
	defer func() { clear(doc.Bytes()) }()
	if count.Duplex {
		if err := pw.SetDuplex(); err != nil {
			return 0, err
		}
	}
	for _, pg := range pages {
		if err := writeFace(pw, pg, o); err != nil {
			return 0, err
		}
	}

	name, err := newJobName(o)
	if err != nil {
		return 0, err
	}
	m := c.request(goipp.OpPrintJob)
	m.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(name)))
	m.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String("image/pwg-raster")))
	if count.Duplex {
		m.Job.Add(goipp.MakeAttribute("sides", goipp.TagKeyword, goipp.String(sidesTwoSidedLong)))
	}
	resp, err := c.do(ctx, m, doc.Bytes())
	var ie *ippError
	switch {
	case errors.As(err, &ie):
		// The printer refused the job: nothing will print.
		k := KindOffline
		if ie.Status == goipp.StatusErrorDocumentFormatNotSupported {
			k = KindUnsupported
		}
		return 0, newError(k, false, "Print-Job refused", err)
	case err != nil:
		return 0, newError(KindUnconfirmed, true, "Print-Job got no answer", err)
	}
	jobID, ok := ippattr.Int(resp.Job, "job-id")
	if !ok {
		return 0, newError(KindUnconfirmed, true, "Print-Job answer has no job-id", nil)
	}
	return c.await(ctx, jobID, count, o, out)
}

// await polls Get-Job-Attributes and the printer's state every
// PollInterval until the job ends, the printer reports a fatal
// printer-state-reason (paper out, jam, cover open, offline: the job is
// over, and is cancelled so that it does not resume when a clerk clears
// the fault), or the confirmation time runs out. out, when not nil, hears
// each rise of job-impressions-completed. With an error it returns the
// impressions the printer reported completed.
//
// A two-sided job (count.Duplex) is printed only with exactly its faces
// as job-impressions-completed (impressions are faces, RFC 8011
// §5.3.7.5) and, when the printer reports job-media-sheets-completed,
// exactly its sheets: 3 impressions for 6 faces, or 6 sheets for 3, is
// not the document.
func (c *ippClient) await(ctx context.Context, jobID int, count pjl.Count, o *Options, out func(int)) (int, error) {
	pages := count.Faces
	limit := o.confirmTimeout(pages)
	clk := o.waitClock()
	timeout, stopTimeout := clk.Timer(limit)
	defer stopTimeout()
	tick, stopTick := clk.Ticker(o.pollInterval())
	defer stopTick()
	expired := false
	state, done, reported, sheets := 0, -1, 0, -1
	attrs := []string{"job-state", "job-state-reasons", "job-impressions-completed"}
	if count.Duplex {
		attrs = append(attrs, "job-media-sheets-completed")
	}
	outSoFar := func() int { return min(max(done, 0), pages) }
	for {
		m := c.request(goipp.OpGetJobAttributes)
		m.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
		m.Operation.Add(keywords(attrs...))
		resp, err := c.do(ctx, m, nil)
		if err == nil {
			state, _ = ippattr.Int(resp.Job, "job-state")
			if n, ok := ippattr.Int(resp.Job, "job-impressions-completed"); ok {
				done = n
			}
			if n, ok := ippattr.Int(resp.Job, "job-media-sheets-completed"); ok {
				sheets = n
			}
		}
		if out != nil && done > reported {
			reported = min(done, pages)
			out(reported)
		}
		var fault *Error
		if st, err := c.printerState(ctx); err == nil && st.ReasonKind != 0 {
			fault = newError(st.ReasonKind, true, "printer-state-reasons "+st.ReasonKeyword+" during the job", nil)
		}
		exact := !count.Duplex || (done == pages && (sheets < 0 || sheets == count.Sheets))
		switch {
		case state == jobCompleted && fault == nil && done >= pages && exact:
			return pages, nil
		case fault != nil:
			if state != jobCompleted && state != jobCanceled && state != jobAborted {
				c.cancelJob(ctx, jobID, o)
			}
			fault.Pages = done
			return outSoFar(), fault
		case state == jobCompleted && count.Duplex:
			e := newError(KindUnconfirmed, true, fmt.Sprintf("two-sided job of %d sheets (%d faces) completed with %d impressions and %d sheets (-1: not reported)",
				count.Sheets, pages, max(done, 0), sheets), nil)
			e.Pages = done
			return outSoFar(), e
		case state == jobCompleted:
			e := newError(KindUnconfirmed, true, fmt.Sprintf("job completed with %d of %d impressions", max(done, 0), pages), nil)
			e.Pages = done
			return outSoFar(), e
		case state == jobCanceled, state == jobAborted:
			e := newError(KindCanceled, true, fmt.Sprintf("job %s", map[int]string{jobCanceled: "canceled", jobAborted: "aborted"}[state]), nil)
			e.Pages = done
			return outSoFar(), e
		case expired:
			e := newError(KindUnconfirmed, true, fmt.Sprintf("job %d still in state %d after %v", jobID, state, limit), nil)
			e.Pages = done
			return outSoFar(), e
		}
		select {
		case <-ctx.Done():
			e := newError(KindUnconfirmed, true, "interrupted while waiting for the job", ctx.Err())
			e.Pages = done
			return outSoFar(), e
		case <-tick:
		case <-timeout:
			expired = true // one last look, then unconfirmed
		}
	}
}

// ippCancelTimeout bounds the Cancel-Job sent after a fault, so that a
// printer slow to answer it cannot hold back the resident's screen.
const ippCancelTimeout = 3 * time.Second

// cancelJob asks the printer to cancel a job kofu has given up on. A
// failure is only logged: the session ends unknown either way.
func (c *ippClient) cancelJob(ctx context.Context, jobID int, o *Options) {
	m := c.request(goipp.OpCancelJob)
	m.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(jobID)))
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ippCancelTimeout)
	defer cancel()
	if _, err := c.do(cctx, m, nil); err != nil {
		o.logger().Warn("Cancel-Job after a printer fault failed", "job", jobID, "err", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
