package printer

import (
	"context"
	"errors"
	"fmt"
)

// Link is one opened printer interface: the default control pipe and the
// interface's bulk pipes. Every call honours its context's deadline and
// cancellation. Implementations must allow Control, BulkOut and BulkIn to
// run concurrently (a read is always pending while a job is written).
type Link interface {
	// Info describes the device and the interface that was claimed.
	Info() Info
	// Control performs a control transfer on the default pipe; data is
	// read into (IN requests, bit 7 of rType set) or sent from (OUT).
	Control(ctx context.Context, rType, request uint8, value, index uint16, data []byte) (int, error)
	// BulkOut writes p as one bulk transfer.
	BulkOut(ctx context.Context, p []byte) (int, error)
	// BulkIn reads one bulk transfer into p; len(p) should be a multiple
	// of Info().MaxPacketIn.
	BulkIn(ctx context.Context, p []byte) (int, error)
	// Close releases the interface (reattaching a kernel driver that was
	// detached) and the device.
	Close() error
}

// Info describes an opened printer interface.
type Info struct {
	VID, PID                  uint16
	Bus, Address              int
	Manufacturer, Product     string // USB string descriptors
	Serial                    string
	Config                    int // bConfigurationValue in use
	ConfigIndex               int // its 0-based index (GET_DEVICE_ID wValue)
	Interface, Alt            int
	Protocol                  int  // 1 unidirectional, 2 bidirectional, 4 IPP-over-USB
	HasIn                     bool // a bulk IN endpoint exists and is used
	MaxPacketOut, MaxPacketIn int
	Quirks                    Quirks // quirks that applied when choosing the interface
}

// ProtocolName names the interface's printer-class protocol.
func (i Info) ProtocolName() string {
	switch i.Protocol {
	case 1:
		return "unidirectional"
	case 2:
		return "bidirectional"
	case 4:
		return "IPP-over-USB"
	}
	return "unknown"
}

func (i Info) String() string {
	return fmt.Sprintf("%04x:%04x bus %d addr %d if %d alt %d protocol %d", i.VID, i.PID, i.Bus, i.Address, i.Interface, i.Alt, i.Protocol)
}

// Errors a Link reports, wrapped, so that callers can branch.
var (
	// ErrStall: the endpoint stalled or the device refused the request.
	ErrStall = errors.New("usb: stall (request refused or endpoint halted)")
	// ErrNoDevice: the device is gone (unplugged).
	ErrNoDevice = errors.New("usb: no device")
)

// Selector picks a USB printer: zero fields match anything.
type Selector struct {
	VID, PID     uint16
	Bus, Address int // both set: exactly this device
}

func (s Selector) String() string {
	switch {
	case s.Bus != 0:
		return fmt.Sprintf("bus %d address %d", s.Bus, s.Address)
	case s.VID != 0 && s.PID != 0:
		return fmt.Sprintf("%04x:%04x", s.VID, s.PID)
	case s.VID != 0:
		return fmt.Sprintf("%04x:*", s.VID)
	}
	return "any printer"
}

// Printer-class request codes (USB Device Class Definition for Printing
// Devices 1.1, §4.2).
const (
	reqGetDeviceID   = 0
	reqGetPortStatus = 1
	reqSoftReset     = 2
	rtClassInIface   = 0xA1 // class, interface, device-to-host
	rtClassOutIface  = 0x21 // class, interface, host-to-device
	rtClassOutOther  = 0x23 // class, other, host-to-device (usblp, CUPS first try)
	classPrinter     = 7
	subclassPrinter  = 1
	protoUnidir      = 1
	protoBidir       = 2
	protoIPPUSB      = 4
)
