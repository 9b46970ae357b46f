package emuprinter

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"kofu/printer"
	"kofu/printer/pdl"
	"kofu/printer/pjl"
)

// errReset unwinds the engine after SOFT_RESET.
var errReset = errors.New("emulator: soft reset")

// engineState is the PJL state of the emulated printer-class engine.
type engineState struct {
	ustatusJob, ustatusDevice bool
	ustatusPage               bool
	job                       *Job // current PJL job, nil outside one
	jobIndex                  int
	faulted                   bool // the scenario's paper-out or jam has happened
	stopped                   bool // the engine stopped at that fault: pages are held, not printed, until a soft reset
	held                      int  // pages held since it stopped
	sheetOpen                 bool // the last face was a duplex front: a back goes on its sheet
}

// emulatorHeldPages is how many pages the stopped engine keeps in memory
// (the page it stopped at included) while it goes on reading its input,
// answering PJL status queries as a formatter that reads ahead does. The
// next page stops the reading: the input buffer fills and bulk OUT stalls.
const emulatorHeldPages = 2

// pjlCode is the PJL status code matching the port status.
func (e *Printer) pjlCode() int {
	e.mu.Lock()
	s := e.status
	e.mu.Unlock()
	switch {
	case s&printer.StatusPaperEmpty != 0:
		return 41101
	case s&printer.StatusJam != 0:
		return 42102
	case s&printer.StatusCoverOpen != 0:
		return 40021
	case s&printer.StatusNotError == 0:
		return 50000
	}
	return 10001
}

// runPrinterClass is the engine of a protocol 1 or 2 printer: PJL
// commands, and PCL 5 or PWG Raster data, bare or entered from PJL.
func (e *Printer) runPrinterClass(br *bufio.Reader) error {
	st := &engineState{}
	for {
		err := e.step(br, st)
		if errors.Is(err, errReset) {
			e.flush(br)
			st.job, st.stopped, st.held = nil, false, 0
			continue
		}
		if err != nil {
			return err
		}
	}
}

// flush discards buffered input after a soft reset and acknowledges it.
func (e *Printer) flush(br *bufio.Reader) {
	for {
		select {
		case <-e.in:
		default:
			br.Reset(&chanReader{e: e})
			if e.pendingAck != nil {
				close(e.pendingAck)
				e.pendingAck = nil
			}
			return
		}
	}
}

func (e *Printer) step(br *bufio.Reader, st *engineState) error {
	b, err := br.Peek(1)
	if err != nil {
		return err
	}
	switch b[0] {
	case 0x1b:
		if p, err := br.Peek(len(pjl.UEL)); err == nil && string(p) == pjl.UEL {
			_, err := br.Discard(len(pjl.UEL))
			return err
		}
		return e.decode(br, st, "PCL")
	case '@':
		line, err := readLine(br)
		if err != nil {
			return err
		}
		return e.command(br, st, line)
	case 'R':
		if p, err := br.Peek(4); err == nil && string(p) == "RaS2" {
			return e.decode(br, st, "PWG")
		}
	}
	_, err = br.ReadByte()
	return err
}

// readLine reads one command line, at most 4 KiB.
func readLine(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		frag, err := br.ReadSlice('\n')
		if sb.Len() < 4096 {
			sb.Write(frag)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return sb.String(), err
	}
}

// command acts on one PJL command line.
func (e *Printer) command(br *bufio.Reader, st *engineState, line string) error {
	c, ok := pjl.ParseCommand(line)
	if !ok {
		return nil
	}
	sc := e.cfg.Scenario
	switch c.Verb {
	case "ECHO":
		if sc.NoEcho {
			return nil
		}
		if sc.Interleave {
			e.answer("@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-earlier-job\"\r\nPAGES=1\r\n\f" +
				"@PJL USTATUS DEVICE\r\nCODE=41101\r\nDISPLAY=\"LOAD PAPER\"\r\n\f\x00\xffgarbage\r\n")
		}
		e.answer("@PJL ECHO " + c.Text + "\r\n\f")
	case "USTATUS":
		for k, v := range c.Options {
			on := strings.ToUpper(v) != "OFF"
			switch k {
			case "JOB":
				st.ustatusJob = on
			case "DEVICE":
				st.ustatusDevice = on
			case "PAGE":
				st.ustatusPage = on
			}
		}
	case "USTATUSOFF":
		st.ustatusJob, st.ustatusDevice, st.ustatusPage = false, false, false
	case "INFO":
		if len(c.Words) > 0 && c.Words[0] == "STATUS" && !sc.NoInfo {
			code := e.pjlCode()
			online := "TRUE"
			if code >= 40000 {
				online = "FALSE"
			}
			e.answer(fmt.Sprintf("@PJL INFO STATUS\r\nCODE=%d\r\nDISPLAY=%q\r\nONLINE=%s\r\n\f", code, display(code), online))
		}
		if len(c.Words) > 0 && c.Words[0] == "CONFIG" && !sc.NoInfoConfig {
			e.answer(infoConfig(sc))
		}
	case "JOB":
		e.mu.Lock()
		e.jobs = append(e.jobs, Job{Name: c.Options["NAME"]})
		st.jobIndex = len(e.jobs) - 1
		e.mu.Unlock()
		st.job = &Job{Name: c.Options["NAME"]}
		if st.ustatusJob {
			if sc.Interleave {
				e.answer("@PJL USTATUS JOB\r\nSTART\r\nNAME=\"kofu-other-job\"\r\n\f")
			}
			e.answer(fmt.Sprintf("@PJL USTATUS JOB\r\nSTART\r\nNAME=%q\r\n\f", st.job.Name))
		}
	case "ENTER":
		lang := strings.ToUpper(c.Options["LANGUAGE"])
		switch lang {
		case "PCL", "PWG", "PWGRASTER":
			return e.decode(br, st, lang[:3])
		}
		_, err := io.Copy(io.Discard, &uelReader{br: br}) // a language we do not speak
		return err
	case "SET":
		if st.job != nil && strings.EqualFold(c.Options["DUPLEX"], "ON") {
			st.job.Duplex = true
			e.mu.Lock()
			e.jobs[st.jobIndex].Duplex = true
			e.mu.Unlock()
		}
	case "EOJ":
		if st.job == nil {
			return nil
		}
		job := st.job
		st.job = nil
		if !st.ustatusJob || sc.NoEnd || st.stopped {
			return nil // a stopped printer ends the job only once its pages are out
		}
		if sc.Interleave {
			e.answer("@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-other-job\"\r\nPAGES=3\r\nRESULT=USER_CANCELED\r\n\f" +
				"junk\x00@PJL USTATUS DEV")
		}
		result := sc.Result
		if result == "" {
			result = "OK"
		}
		msg := fmt.Sprintf("@PJL USTATUS JOB\r\nEND\r\nNAME=%q\r\nPAGES=%d\r\n", job.Name, max(pagesCount(job, sc)-sc.ShortPages, 0))
		if !sc.OmitResult {
			msg += "RESULT=" + result + "\r\n"
		}
		e.answer(msg + "\f")
		e.mu.Lock()
		e.jobs[st.jobIndex].Ended, e.jobs[st.jobIndex].Result = true, result
		e.mu.Unlock()
	}
	return nil
}

// infoConfig is the printer's answer to @PJL INFO CONFIG, in the form
// HP's PJL reference gives (features, each with its returned options on
// tab-indented lines), the duplex unit as a feature with its value and
// the values it may take (DUPLEX=INSTALLED [2 ENUMERATED], as Konica
// Minolta's PJL says it; printer/pjl config.go cites both).
func infoConfig(sc Scenario) string {
	duplex := "INSTALLED"
	if sc.NoDuplex {
		duplex = "NOTINSTALLED"
	}
	if sc.BadInfoConfig {
		return "@PJL INFO CONFIG\r\n\tINTRAY1 MP\r\nIN TRAYS [3 ENUMERATED]\r\n\tINTRAY1 MP\r\n" +
			"DUPLEX=" + duplex + " [2 ENUMERATED]\r\n\tINSTALLED\r\n\f"
	}
	return "@PJL INFO CONFIG\r\n" +
		"IN TRAYS [2 ENUMERATED]\r\n\tINTRAY1 MP\r\n\tINTRAY2 PC\r\n" +
		"OUT TRAYS [1 ENUMERATED]\r\n\tNORMAL FACEDOWN\r\n" +
		"PAPERS [3 ENUMERATED]\r\n\tA4\r\n\tB5\r\n\tLETTER\r\n" +
		"LANGUAGES [1 ENUMERATED]\r\n\tPCL\r\n" +
		"USTATUS [4 ENUMERATED]\r\n\tDEVICE\r\n\tJOB\r\n\tPAGE\r\n\tTIMED\r\n" +
		"DUPLEX=" + duplex + " [2 ENUMERATED]\r\n\tINSTALLED\r\n\tNOTINSTALLED\r\n" +
		"MEMORY=134217728\r\nDISPLAY LINES=4\r\nDISPLAY CHARACTER SIZE=20\r\n\f"
}

func display(code int) string {
	switch pjl.Classify(code) {
	case pjl.PaperOut:
		return "LOAD PAPER"
	case pjl.Jam:
		return "PAPER JAM"
	case pjl.Info:
		return "READY"
	}
	return "ERROR"
}

// decode reads one PDL stream up to the next UEL and prints its pages.
func (e *Printer) decode(br *bufio.Reader, st *engineState, lang string) error {
	r := &uelReader{br: br}
	var err error
	if lang == "PWG" {
		err = pdl.DecodePWG(r, e.cfg.Limits, func(_ pdl.PWGHeader, p *pdl.Page) error { return e.print(st, p) })
	} else {
		err = pdl.DecodePCL(r, e.cfg.Limits, func(p *pdl.Page) error { return e.print(st, p) })
	}
	if errors.Is(err, errReset) || errors.Is(err, errStopped) {
		return err
	}
	if err != nil {
		e.setErr(fmt.Errorf("emulator: %s: %w", lang, err))
		_, err = io.Copy(io.Discard, r) // skip to the UEL
	}
	return err
}

// print puts one decoded page on paper, or plays the scenario's fault:
// the engine stops, says so (port status, and USTATUS DEVICE when asked
// for), and holds the pages it cannot print.
func (e *Printer) print(st *engineState, p *pdl.Page) error {
	sc := e.cfg.Scenario
	if st.stopped {
		return e.hold(st)
	}
	e.mu.Lock()
	k := e.printed + 1
	e.mu.Unlock()
	if !st.faulted && (k == sc.PaperOutAt || k == sc.JamAt) {
		st.faulted, st.stopped = true, true
		status, code := printer.StatusPaperEmpty|printer.StatusSelected, 41101
		if k == sc.JamAt {
			status, code = printer.StatusJam|printer.StatusSelected, 42102
		}
		e.SetStatus(status)
		if st.ustatusDevice && !sc.NoUStatus {
			e.answer(fmt.Sprintf("@PJL USTATUS DEVICE\r\nCODE=%d\r\nDISPLAY=%q\r\nONLINE=FALSE\r\n\f", code, display(code)))
		}
		return e.hold(st)
	}
	if sc.PageTime > 0 {
		select {
		case <-time.After(sc.PageTime):
		case <-e.stop:
			return errStopped
		}
	}
	newSheet := e.place(p, &st.sheetOpen)
	e.mu.Lock()
	e.printed++
	e.pages = append(e.pages, p)
	if len(e.pages) > e.cfg.Keep {
		e.pages = e.pages[len(e.pages)-e.cfg.Keep:]
	}
	if st.job != nil {
		e.jobs[st.jobIndex].Pages++
		if newSheet {
			e.jobs[st.jobIndex].Sheets++
		}
	}
	e.mu.Unlock()
	if st.job != nil {
		st.job.Pages++
		if newSheet {
			st.job.Sheets++
		}
		// A printer counting sheets reports one once it is out: after
		// its back, or a one-sided sheet at once.
		if st.ustatusPage && (!sc.PagesCountSheets || !st.sheetOpen) {
			e.answer(fmt.Sprintf("@PJL USTATUS PAGE\r\n%d\r\n\f", pagesCount(st.job, sc)))
		}
	}
	return nil
}

// place puts a decoded face on paper: on the back of the open sheet (a
// back after its front), else on a new sheet, which it reports. Without
// a duplex unit (Scenario.NoDuplex) every face is a one-sided sheet.
// open says whether the last face was a front awaiting its back.
func (e *Printer) place(p *pdl.Page, open *bool) (newSheet bool) {
	if e.cfg.Scenario.NoDuplex {
		p.Side = pdl.SideSimplex
	}
	newSheet = !(p.Side == pdl.SideBack && *open)
	*open = p.Side == pdl.SideFront
	return newSheet
}

// pagesCount is the PAGES a job's END (and USTATUS PAGE) reports: its
// faces, as HP's PJL counts, or its sheets (Scenario.PagesCountSheets).
func pagesCount(j *Job, sc Scenario) int {
	if sc.PagesCountSheets {
		return j.Sheets
	}
	return j.Pages
}

// hold keeps a page the stopped engine cannot print. Past
// emulatorHeldPages the engine stops reading its input until a soft reset
// (or Close): the input buffer fills and bulk OUT stalls.
func (e *Printer) hold(st *engineState) error {
	st.held++
	if st.held <= emulatorHeldPages {
		return nil
	}
	select {
	case e.pendingAck = <-e.resetCh:
		return errReset
	case <-e.stop:
		return errStopped
	}
}

// uelReader reads a PDL stream up to (not including) the next UEL.
type uelReader struct {
	br  *bufio.Reader
	eof bool
}

func (r *uelReader) Read(p []byte) (int, error) {
	if r.eof {
		return 0, io.EOF
	}
	want := 1
	for {
		if _, err := r.br.Peek(want); err != nil {
			if n := r.br.Buffered(); n > 0 && errors.Is(err, io.EOF) {
				want = n
			} else {
				return 0, err
			}
		}
		data, _ := r.br.Peek(r.br.Buffered())
		if i := bytes.Index(data, []byte(pjl.UEL)); i >= 0 {
			if i == 0 {
				r.eof = true
				return 0, io.EOF
			}
			return r.br.Read(p[:min(len(p), i)])
		}
		// Hold back a tail that could start a UEL.
		keep := 0
		for k := min(len(pjl.UEL)-1, len(data)); k > 0; k-- {
			if bytes.HasPrefix([]byte(pjl.UEL), data[len(data)-k:]) {
				keep = k
				break
			}
		}
		if n := len(data) - keep; n > 0 {
			return r.br.Read(p[:min(len(p), n)])
		}
		want = len(data) + 1
	}
}
