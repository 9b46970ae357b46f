package emuprinter

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"kofu/printer"
	"kofu/printer/pdl"
)

// DefaultID is the emulated printer's pnp_string: a PJL + PCL 5
// laser that also takes PWG, followed by two spaces because Linux 6.1's
// gadget drops the last two characters of its reply.
const DefaultID = "MFG:kofu;MDL:Emulated Laser 5;CMD:PJL,PCL,PCL5E,PWG;CLS:PRINTER;DES:kofu emulated printer;SN:EMU0001;  "

// DefaultIPPID is the pnp_string of the emulated IPP-over-USB
// printer (protocol 4): an AirPrint-class laser.
const DefaultIPPID = "MFG:kofu;MDL:Emulated IPP Laser;CMD:PWG,URF,PDF;CLS:PRINTER;SN:EMU0004;  "

// Config describes an emulated printer.
type Config struct {
	PNP      string // pnp_string as configured on the gadget (default DefaultID, or DefaultIPPID for protocol 4)
	Protocol int    // interface protocol: 1, 2 (default) or 4 (IPP-over-USB)
	VID, PID uint16 // default 0525:a4a8 (the Linux printer gadget's)
	Scenario Scenario
	Limits   pdl.Limits // decoder limits (default pdl.DefaultLimits)
	Keep     int        // printed pages kept for Pages (default 64; older are dropped)
	// Quirks are reported in Info as a USB link reports the quirks its
	// rules matched, so that kofu's printer applies them (soft reset
	// after an aborted job, …).
	Quirks printer.Quirks
}

// Printer is an emulated USB printer: a Link with the Linux printer
// gadget's (f_printer, 6.1) control semantics — malformed class requests
// stall; GET_DEVICE_ID's length prefix leaves out its own two bytes and so
// the reply loses the text's last two characters; SOFT_RESET answers only
// to bmRequestType 0x21 — and a printer engine behind the bulk pipes that
// answers PJL (ECHO, INFO STATUS, USTATUS JOB and DEVICE), decodes PCL 5
// and PWG Raster (or IPP Print-Job requests on protocol 4) back to pages,
// and plays its Scenario.
type Printer struct {
	cfg  Config
	info printer.Info

	in      chan []byte        // bulk OUT data to the engine (the printer's input buffer)
	stop    chan struct{}      // closed by Close
	resetCh chan chan struct{} // SOFT_RESET: the engine drops its input and closes the channel sent

	mu       sync.Mutex
	cond     *sync.Cond // signals readback data and state changes
	readback bytes.Buffer
	status   printer.PortStatus
	unplug   bool
	closed   bool
	received int64
	sum      hash.Hash
	pages    []*pdl.Page
	printed  int // pages printed since start
	jobs     []Job
	err      error // first decoding error
	resets   int
	// pendingAck is the reset the engine is handling (engine goroutine only).
	pendingAck chan struct{}
	wg         sync.WaitGroup
}

// Job is one job as the emulated printer saw it.
type Job struct {
	Name   string
	Pages  int    // faces printed
	Sheets int    // sheets used: a two-sided sheet holds two faces
	Duplex bool   // the job said @PJL SET DUPLEX=ON
	Ended  bool   // the printer reported its end
	Result string // reported RESULT
}

// New starts an emulated printer.
func New(cfg Config) *Printer {
	if cfg.Protocol == 0 {
		cfg.Protocol = protoBidir
	}
	if cfg.PNP == "" {
		cfg.PNP = DefaultID
		if cfg.Protocol == protoIPPUSB {
			cfg.PNP = DefaultIPPID
		}
	}
	if cfg.VID == 0 && cfg.PID == 0 {
		cfg.VID, cfg.PID = 0x0525, 0xa4a8
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 64
	}
	e := &Printer{cfg: cfg, in: make(chan []byte, 8), stop: make(chan struct{}), resetCh: make(chan chan struct{}, 1),
		status: printer.StatusNotError | printer.StatusSelected, sum: sha256.New()}
	e.cond = sync.NewCond(&e.mu)
	e.info = printer.Info{VID: cfg.VID, PID: cfg.PID, Bus: 1, Address: 2, Manufacturer: "kofu", Product: "Emulated printer",
		Serial: "EMU0001", Config: 1, ConfigIndex: 0, Interface: 0, Alt: 0, Protocol: cfg.Protocol,
		HasIn: cfg.Protocol != protoUnidir, MaxPacketOut: 512, MaxPacketIn: 512, Quirks: cfg.Quirks}
	e.wg.Add(1)
	go e.run()
	return e
}

// Info describes the emulated interface.
func (e *Printer) Info() printer.Info { return e.info }

// Control implements the gadget's class requests.
func (e *Printer) Control(ctx context.Context, rType, request uint8, value, index uint16, data []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.unplug || e.closed {
		return 0, printer.ErrNoDevice
	}
	// gprinter_req_match: class requests to the interface only.
	if rType&0x60 != 0x20 || rType&0x1f != 0x01 {
		return 0, printer.ErrStall
	}
	in := rType&0x80 != 0
	iface := uint16(e.info.Interface)
	switch {
	case request == reqGetDeviceID && in && index>>8 == iface:
		pnp := e.cfg.PNP
		n := len(pnp) // the 6.1 gadget's prefix: strlen, not strlen+2
		reply := make([]byte, 2+n)
		reply[0], reply[1] = byte(n>>8), byte(n)
		copy(reply[2:], pnp)
		reply = reply[:n] // ...and it transfers only strlen bytes
		if t := e.cfg.Scenario.TruncateID; t > 0 && t < len(reply) {
			reply = reply[:t]
		}
		return copy(data, reply), nil
	case request == reqGetPortStatus && in && value == 0 && len(data) == 1 && index == iface:
		data[0] = byte(e.status)
		return 1, nil
	case request == reqSoftReset && !in && value == 0 && len(data) == 0 && index == iface:
		e.resets++
		e.readback.Reset()
		ack := make(chan struct{})
		select {
		case e.resetCh <- ack:
		default:
			return 0, nil // a reset is already pending
		}
		// Wait (unlocked) until the engine has dropped its input, as a
		// printer finishes its reset before it takes new data.
		e.mu.Unlock()
		select {
		case <-ack:
		case <-ctx.Done():
		case <-e.stop:
		}
		e.mu.Lock()
		return 0, nil
	}
	return 0, printer.ErrStall
}

// BulkOut hands p to the printer engine; it blocks while the engine's
// input buffer is full (a stalled printer).
func (e *Printer) BulkOut(ctx context.Context, p []byte) (int, error) {
	e.mu.Lock()
	if e.unplug || e.closed {
		e.mu.Unlock()
		return 0, printer.ErrNoDevice
	}
	n := len(p)
	unplugNow := false
	if u := e.cfg.Scenario.UnplugAfter; u > 0 && e.received+int64(n) >= u {
		n = int(u - e.received)
		unplugNow = true
	}
	e.mu.Unlock()
	if n > 0 {
		// The bytes are counted as received before the engine sees them:
		// the engine may end a job on this very chunk, and whoever reads
		// Jobs and then Received must find the job's bytes counted.
		chunk := bytes.Clone(p[:n])
		e.mu.Lock()
		e.received += int64(n)
		e.sum.Write(chunk)
		e.mu.Unlock()
		select {
		case e.in <- chunk:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-e.stop:
			return 0, printer.ErrNoDevice
		}
	}
	if unplugNow {
		e.Unplug()
		return n, printer.ErrNoDevice
	}
	return n, nil
}

// BulkIn returns readback data, blocking until there is some.
func (e *Printer) BulkIn(ctx context.Context, p []byte) (int, error) {
	if e.cfg.Protocol == protoUnidir {
		return 0, fmt.Errorf("%w: no bulk IN endpoint", printer.ErrStall)
	}
	stop := context.AfterFunc(ctx, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.unplug || e.closed {
			return 0, printer.ErrNoDevice
		}
		if err := ctx.Err(); err != nil {
			return 0, err // a cancelled transfer takes no data
		}
		if e.readback.Len() > 0 {
			return e.readback.Read(p)
		}
		e.cond.Wait()
	}
}

// Close stops the emulated printer.
func (e *Printer) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.stop)
	e.cond.Broadcast()
	e.mu.Unlock()
	e.wg.Wait()
	return nil
}

// Unplug makes the device vanish: every pipe fails with printer.ErrNoDevice.
func (e *Printer) Unplug() {
	e.mu.Lock()
	e.unplug = true
	e.cond.Broadcast()
	e.mu.Unlock()
}

// SetStatus sets the port status byte (GADGET_SET_PRINTER_STATUS).
func (e *Printer) SetStatus(s printer.PortStatus) {
	e.mu.Lock()
	e.status = s
	e.mu.Unlock()
}

// Pages returns the pages printed so far (the last Keep of them).
func (e *Printer) Pages() []*pdl.Page {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*pdl.Page(nil), e.pages...)
}

// Jobs returns the jobs seen so far.
func (e *Printer) Jobs() []Job {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Job(nil), e.jobs...)
}

// Received returns the bytes received on bulk OUT and their SHA-256.
func (e *Printer) Received() (int64, [32]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s [32]byte
	copy(s[:], e.sum.Sum(nil))
	return e.received, s
}

// Resets counts SOFT_RESET requests.
func (e *Printer) Resets() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resets
}

// Err returns the first error the engine hit decoding its input.
func (e *Printer) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// answer queues readback bytes for the host.
func (e *Printer) answer(s string) {
	e.mu.Lock()
	e.readback.WriteString(s)
	e.cond.Broadcast()
	e.mu.Unlock()
}

func (e *Printer) setErr(err error) {
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

// errStopped ends the engine.
var errStopped = errors.New("emulator stopped")

// chanReader reads the engine's input: the bulk OUT chunks.
type chanReader struct {
	e   *Printer
	cur []byte
}

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		select {
		case c := <-r.e.in:
			r.cur = c
		case ack := <-r.e.resetCh:
			r.e.pendingAck = ack
			return 0, errReset
		case <-r.e.stop:
			return 0, errStopped
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// run is the printer engine.
func (e *Printer) run() {
	defer e.wg.Done()
	br := bufio.NewReaderSize(&chanReader{e: e}, 64<<10)
	var err error
	if e.cfg.Protocol == protoIPPUSB {
		err = e.runIPP(br)
	} else {
		err = e.runPrinterClass(br)
	}
	if err != nil && !errors.Is(err, errStopped) {
		e.setErr(err)
		// A real printer would stop taking data; keep draining so the
		// host sees a stall-free pipe and only the readback tells.
		io.Copy(io.Discard, br)
	}
}

// PortStatus returns the port status byte.
func (e *Printer) PortStatus() printer.PortStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status
}
