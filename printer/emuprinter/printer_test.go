package emuprinter_test

import (
	"time"

	"context"
	"errors"
	"kofu/printer"
	"kofu/printer/emuprinter"
	"kofu/printer/internal/testpage"
	"kofu/protocol"
	"testing"
)

// TestGadgetControl checks the emulator's control pipe against the Linux
// printer gadget's rules (f_printer: gprinter_req_match, setup).
func TestGadgetControl(t *testing.T) {
	ctx := context.Background()
	em := emuprinter.New(emuprinter.Config{PNP: "MFG:kofu;MDL:Gadget;CMD:PJL,PCL;  "})
	defer em.Close()
	for _, c := range []struct {
		name         string
		rType, req   uint8
		value, index uint16
		len          int
		n            int
		stall        bool
	}{
		{"GET_DEVICE_ID", 0xA1, 0, 0, 0x0000, 1023, 34, false},
		{"GET_DEVICE_ID short buffer", 0xA1, 0, 0, 0x0000, 10, 10, false},
		{"GET_DEVICE_ID other interface", 0xA1, 0, 0, 0x0100, 1023, 0, true},
		{"GET_DEVICE_ID to the device", 0xA0, 0, 0, 0, 1023, 0, true},
		{"GET_DEVICE_ID as vendor request", 0xC1, 0, 0, 0, 1023, 0, true},
		{"GET_PORT_STATUS", 0xA1, 1, 0, 0, 1, 1, false},
		{"GET_PORT_STATUS wLength 2", 0xA1, 1, 0, 0, 2, 0, true},
		{"GET_PORT_STATUS wValue 1", 0xA1, 1, 1, 0, 1, 0, true},
		{"GET_PORT_STATUS interface 1", 0xA1, 1, 0, 1, 1, 0, true},
		{"SOFT_RESET 0x21", 0x21, 2, 0, 0, 0, 0, false},
		{"SOFT_RESET 0x23 (recipient other)", 0x23, 2, 0, 0, 0, 0, true},
		{"SOFT_RESET with data", 0x21, 2, 0, 0, 1, 0, true},
		{"unknown class request", 0xA1, 7, 0, 0, 4, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := em.Control(ctx, c.rType, c.req, c.value, c.index, make([]byte, c.len))
			if c.stall != errors.Is(err, printer.ErrStall) || (!c.stall && (err != nil || n != c.n)) {
				t.Fatalf("Control = %d, %v", n, err)
			}
		})
	}
	// The 6.1 gadget's reply: prefix = strlen, and only strlen bytes.
	buf := make([]byte, 1023)
	n, _ := em.Control(ctx, 0xA1, 0, 0, 0, buf)
	if buf[0] != 0 || buf[1] != 34 || n != 34 || string(buf[2:n]) != "MFG:kofu;MDL:Gadget;CMD:PJL,PCL;" {
		t.Fatalf("reply % x %q", buf[:2], buf[2:n])
	}
	id, err := printer.ReadDeviceID(ctx, em)
	if err != nil || id != "MFG:kofu;MDL:Gadget;CMD:PJL,PCL;" {
		t.Fatalf("printer.ReadDeviceID = %q, %v", id, err)
	}
	// SOFT_RESET: 0x23 stalls, 0x21 is taken.
	before := em.Resets()
	if err := printer.SoftReset(ctx, em); err != nil || em.Resets() != before+1 {
		t.Fatalf("printer.SoftReset: %v, %d resets", err, em.Resets())
	}
	em.Unplug()
	if _, err := printer.ReadPortStatus(ctx, em); !errors.Is(err, printer.ErrNoDevice) {
		t.Fatalf("after unplug: %v", err)
	}
}

// TestSoftResetQuirk: with the soft-reset quirk, an aborted job is
// followed by SOFT_RESET, which unsticks the engine.
func TestSoftResetQuirk(t *testing.T) {
	em := emuprinter.New(emuprinter.Config{Scenario: emuprinter.Scenario{PaperOutAt: 1}, Quirks: printer.QuirkSoftReset})
	p, err := printer.New(testCtx(t), printer.OnLink(em), printer.Options{ConfirmTimeout: 400 * time.Millisecond,
		PerPage: time.Millisecond, StallTimeout: 30 * time.Millisecond, WriteTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Print(testCtx(t), nil, testPages(t, 1, 300)); !errors.Is(err, printer.ErrPaperOut) {
		t.Fatal(err)
	}
	if em.Resets() != 1 {
		t.Fatalf("%d soft resets", em.Resets())
	}
	// Paper reloaded: the next job prints.
	em.SetStatus(printer.StatusNotError | printer.StatusSelected)
	if n, err := p.Print(testCtx(t), nil, testPages(t, 1, 300)); err != nil || n != 1 {
		t.Fatalf("after reset: %d, %v", n, err)
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testPages returns n technician test pages of the sample certificate.
func testPages(t testing.TB, n, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	return testpage.Pages(t, testpage.New().Page(t, dpi), dpi, n)
}
