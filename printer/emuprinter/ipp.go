package emuprinter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/OpenPrinting/goipp"

	"kofu/printer/internal/ippattr"

	"kofu/printer/pdl"
)

// ippJob is a job of the emulated IPP-over-USB printer.
type ippJob struct {
	id, state, impressions, sheets int
	reasons                        []string
}

// runIPP is the engine of a protocol 4 printer: HTTP/1.1 requests on bulk
// OUT, responses on bulk IN, IPP Print-Job with PWG Raster.
func (e *Printer) runIPP(br *bufio.Reader) error {
	s := &ippState{jobs: map[int]*ippJob{}, reasons: []string{"none"}}
	for {
		req, err := http.ReadRequest(br)
		if errors.Is(err, errReset) {
			e.flush(br)
			continue
		}
		if err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			return fmt.Errorf("emulator: HTTP request: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, 512<<20))
		req.Body.Close()
		if err != nil {
			return err
		}
		var m goipp.Message
		rest := bytes.NewReader(body)
		status, out := http.StatusOK, []byte(nil)
		if req.Method != http.MethodPost || m.Decode(rest) != nil {
			status = http.StatusBadRequest
		} else {
			doc, _ := io.ReadAll(rest)
			resp := e.handleIPP(s, &m, doc)
			if out, err = resp.EncodeBytes(); err != nil {
				return err
			}
		}
		e.answer(fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Type: application/ipp\r\nContent-Length: %d\r\n\r\n",
			status, http.StatusText(status), len(out)) + string(out))
	}
}

type ippState struct {
	jobs    map[int]*ippJob
	nextID  int
	reasons []string
	faulted bool
}

func (e *Printer) handleIPP(s *ippState, m *goipp.Message, doc []byte) *goipp.Message {
	resp := goipp.NewResponse(m.Version, goipp.StatusOk, m.RequestID)
	resp.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	resp.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	switch goipp.Op(m.Code) {
	case goipp.OpGetPrinterAttributes:
		state := 3
		if s.faulted {
			state = 5
		}
		add := func(name string, tag goipp.Tag, vals ...goipp.Value) {
			a := goipp.Attribute{Name: name}
			for _, v := range vals {
				a.Values.Add(tag, v)
			}
			resp.Printer.Add(a)
		}
		add("printer-make-and-model", goipp.TagText, goipp.String("kofu Emulated IPP Laser"))
		add("printer-state", goipp.TagEnum, goipp.Integer(state))
		var rs []goipp.Value
		for _, r := range s.reasons {
			rs = append(rs, goipp.String(r))
		}
		add("printer-state-reasons", goipp.TagKeyword, rs...)
		add("printer-is-accepting-jobs", goipp.TagBoolean, goipp.Boolean(true))
		add("document-format-supported", goipp.TagMimeType, goipp.String("application/octet-stream"), goipp.String("image/pwg-raster"))
		add("pwg-raster-document-type-supported", goipp.TagKeyword, goipp.String("black_1"), goipp.String("sgray_8"))
		sides := []goipp.Value{goipp.String("one-sided")}
		if !e.cfg.Scenario.NoDuplex {
			sides = append(sides, goipp.String("two-sided-long-edge"), goipp.String("two-sided-short-edge"))
		}
		add("sides-supported", goipp.TagKeyword, sides...)
		add("pwg-raster-document-sheet-back", goipp.TagKeyword, goipp.String("normal"))
		add("pwg-raster-document-resolution-supported", goipp.TagResolution,
			goipp.Resolution{Xres: 300, Yres: 300, Units: goipp.UnitsDpi}, goipp.Resolution{Xres: 600, Yres: 600, Units: goipp.UnitsDpi})
	case goipp.OpPrintJob:
		if f := ippattr.Values(m.Operation, "document-format"); len(f) > 0 && f[0] != "image/pwg-raster" && f[0] != "application/octet-stream" {
			resp.Code = goipp.Code(goipp.StatusErrorDocumentFormatNotSupported)
			return resp
		}
		s.nextID++
		j := &ippJob{id: s.nextID, state: jobProcessing}
		s.jobs[j.id] = j
		e.printIPPJob(s, j, doc)
		resp.Job.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(j.id)))
		resp.Job.Add(goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(jobPending)))
	case goipp.OpGetJobAttributes:
		id, _ := ippattr.Int(m.Operation, "job-id")
		j, ok := s.jobs[id]
		if !ok {
			resp.Code = goipp.Code(goipp.StatusErrorNotFound)
			return resp
		}
		resp.Job.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(j.id)))
		resp.Job.Add(goipp.MakeAttribute("job-state", goipp.TagEnum, goipp.Integer(j.state)))
		impressions := j.impressions
		if e.cfg.Scenario.SheetsAsImpressions {
			impressions = j.sheets
		}
		resp.Job.Add(goipp.MakeAttribute("job-impressions-completed", goipp.TagInteger, goipp.Integer(impressions)))
		resp.Job.Add(goipp.MakeAttribute("job-media-sheets-completed", goipp.TagInteger, goipp.Integer(j.sheets)))
		reasons := goipp.Attribute{Name: "job-state-reasons"}
		if len(j.reasons) == 0 {
			reasons.Values.Add(goipp.TagKeyword, goipp.String("none"))
		}
		for _, r := range j.reasons {
			reasons.Values.Add(goipp.TagKeyword, goipp.String(r))
		}
		resp.Job.Add(reasons)
	case goipp.OpCancelJob:
		id, _ := ippattr.Int(m.Operation, "job-id")
		j, ok := s.jobs[id]
		switch {
		case !ok:
			resp.Code = goipp.Code(goipp.StatusErrorNotFound)
		case j.state == jobCompleted || j.state == jobCanceled || j.state == jobAborted:
			resp.Code = goipp.Code(goipp.StatusErrorNotPossible)
		default:
			j.state, j.reasons = jobCanceled, []string{"job-canceled-by-user"}
		}
	default:
		resp.Code = goipp.Code(goipp.StatusErrorOperationNotSupported)
	}
	return resp
}

// printIPPJob decodes and prints a Print-Job document, playing the
// scenario.
func (e *Printer) printIPPJob(s *ippState, j *ippJob, doc []byte) {
	sc := e.cfg.Scenario
	open := false // the last face was a duplex front
	err := pdl.DecodePWG(bytes.NewReader(doc), e.cfg.Limits, func(_ pdl.PWGHeader, p *pdl.Page) error {
		e.mu.Lock()
		k := e.printed + 1
		e.mu.Unlock()
		if !s.faulted && (k == sc.PaperOutAt || k == sc.JamAt) {
			s.faulted = true
			s.reasons = []string{"media-empty-error"}
			if k == sc.JamAt {
				s.reasons = []string{"media-jam-error"}
			}
			return errReset
		}
		if sc.PageTime > 0 {
			time.Sleep(sc.PageTime)
		}
		if e.place(p, &open) {
			j.sheets++
		}
		e.mu.Lock()
		e.printed++
		e.pages = append(e.pages, p)
		if len(e.pages) > e.cfg.Keep {
			e.pages = e.pages[len(e.pages)-e.cfg.Keep:]
		}
		e.mu.Unlock()
		j.impressions++
		return nil
	})
	switch {
	case errors.Is(err, errReset):
		// Paper out: the job waits (processing); jam: the job is aborted.
		j.reasons = []string{"printer-stopped"}
		if len(s.reasons) > 0 && s.reasons[0] == "media-jam-error" {
			j.state = jobAborted
		}
		return
	case err != nil:
		e.setErr(fmt.Errorf("emulator: PWG: %w", err))
		j.state, j.reasons = jobAborted, []string{"document-format-error"}
		return
	case sc.NoEnd:
		return
	case sc.Result != "" && sc.Result != "OK":
		j.state, j.reasons = jobCanceled, []string{"job-canceled-by-operator"}
		return
	}
	j.impressions = max(j.impressions-sc.ShortPages, 0)
	j.state, j.reasons = jobCompleted, []string{"job-completed-successfully"}
}

// IPP job states the emulated printer reports (RFC 8011 §5.3.7).
const (
	jobPending    = 3
	jobProcessing = 5
	jobCanceled   = 7
	jobAborted    = 8
	jobCompleted  = 9
)
