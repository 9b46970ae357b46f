package usbtest

import (
	"bytes"
	"context"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"kofu/printer"
)

// wire is a software stand-in for dummy_hcd + f_printer: a host Link whose
// control requests follow f_printer's rules, and the gadget's character
// device, joined by queues of q_len transfers.
type wire struct {
	pnp    string
	mu     sync.Mutex
	status printer.PortStatus
	out    chan []byte // host → gadget
	in     chan []byte // gadget → host
	rest   []byte      // gadget side read remainder
	hrest  []byte      // host side read remainder
}

func newWire(pnp string) *wire {
	return &wire{pnp: pnp, status: 0x08, out: make(chan []byte, 10), in: make(chan []byte, 10)}
}

func (w *wire) Info() printer.Info {
	return printer.Info{VID: 0x0525, PID: 0xa4a8, Protocol: 2, HasIn: true, MaxPacketOut: 512, MaxPacketIn: 512}
}

func (w *wire) Control(ctx context.Context, rType, req uint8, value, index uint16, data []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case rType == 0xA1 && req == 0 && index>>8 == 0:
		n := len(w.pnp)
		r := append([]byte{byte(n >> 8), byte(n)}, w.pnp...)[:n]
		return copy(data, r), nil
	case rType == 0xA1 && req == 1 && value == 0 && len(data) == 1 && index == 0:
		data[0] = byte(w.status)
		return 1, nil
	case rType == 0x21 && req == 2 && value == 0 && len(data) == 0 && index == 0:
		return 0, nil
	}
	return 0, printer.ErrStall
}

func (w *wire) BulkOut(ctx context.Context, p []byte) (int, error) {
	select {
	case w.out <- bytes.Clone(p):
		return len(p), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (w *wire) BulkIn(ctx context.Context, p []byte) (int, error) {
	for len(w.hrest) == 0 {
		select {
		case w.hrest = <-w.in:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	n := copy(p, w.hrest)
	w.hrest = w.hrest[n:]
	return n, nil
}

func (w *wire) Close() error { return nil }

// gadgetDev is the gadget's end.
type gadgetDev struct{ w *wire }

func (g gadgetDev) Read(p []byte) (int, error) {
	for len(g.w.rest) == 0 {
		g.w.rest = <-g.w.out
	}
	n := copy(p, g.w.rest)
	g.w.rest = g.w.rest[n:]
	return n, nil
}

func (g gadgetDev) Write(p []byte) (int, error) {
	g.w.in <- bytes.Clone(p)
	return len(p), nil
}

// TestHostGadgetLoop runs the guest's two programs' logic against each
// other over the software wire: the qemu run's checks and its verdict
// parser, without a kernel, on the same two-sided job — a real session's
// faces (centerJob), written and loaded as the guest loads them.
func TestHostGadgetLoop(t *testing.T) {
	job := t.TempDir()
	want := centerJob(t, job)
	w := newWire(GadgetPNP)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var log syncBuffer
	gctx, gcancel := context.WithCancel(ctx)
	gdone := make(chan error, 1)
	go func() {
		gdone <- RunGadget(gctx, gadgetDev{w}, func(s printer.PortStatus) error {
			w.mu.Lock()
			w.status = s
			w.mu.Unlock()
			return nil
		}, GadgetConfig{PaperOutAt: PaperOutAt}, &log)
	}()
	time.Sleep(20 * time.Millisecond)
	ok := RunHost(ctx, HostConfig{
		Open:     func(context.Context) (printer.Link, error) { return w, nil },
		Want:     WantGadget(),
		Printer:  GuestOptions(),
		PauseJob: 100 * time.Millisecond,
		Faces:    func() ([]*image.Gray, error) { return LoadDuplexJob(job) },
	}, &log)
	time.Sleep(50 * time.Millisecond)
	gcancel()
	if err := <-gdone; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("gadget: %v", err)
	}
	t.Log(log.String())
	summary, err := Verdict(log.String(), want)
	if err != nil || !ok {
		t.Fatalf("verdict: %v (host ok %v)", err, ok)
	}
	for _, s := range summary {
		t.Log(s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
