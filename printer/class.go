package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// deviceIDBufLen is GET_DEVICE_ID's wLength (CUPS and PAPPL use 1024
// including the terminator).
const deviceIDBufLen = 1023

// ReadDeviceID sends GET_DEVICE_ID (wValue: configuration index, wIndex:
// interface<<8 | alternate) and returns the ID text.
func ReadDeviceID(ctx context.Context, l Link) (string, error) {
	info := l.Info()
	buf := make([]byte, deviceIDBufLen)
	n, err := l.Control(ctx, rtClassInIface, reqGetDeviceID, uint16(info.ConfigIndex),
		uint16(info.Interface<<8|info.Alt), buf)
	if err != nil {
		return "", fmt.Errorf("GET_DEVICE_ID: %w", err)
	}
	return decodeDeviceIDReply(buf, n)
}

// PortStatus is GET_PORT_STATUS's byte.
type PortStatus byte

// Port status bits: the class's three, and two vendor extensions PAPPL
// reads.
const (
	StatusNotError   PortStatus = 0x08 // 1 = no error
	StatusSelected   PortStatus = 0x10 // 1 = selected (online)
	StatusPaperEmpty PortStatus = 0x20
	StatusJam        PortStatus = 0x40 // vendor extension
	StatusCoverOpen  PortStatus = 0x80 // vendor extension
)

// Problem returns the Kind the status reports, or 0 if the printer can
// take data. "Not selected" alone is not a problem: the Linux gadget and
// many printers never set it (PAPPL ignores it too).
func (s PortStatus) Problem() Kind {
	switch {
	case s&StatusPaperEmpty != 0:
		return KindPaperOut
	case s&StatusJam != 0:
		return KindJam
	case s&StatusCoverOpen != 0:
		return KindCoverOpen
	case s&StatusNotError == 0:
		return KindOffline
	}
	return 0
}

func (s PortStatus) String() string {
	var f []string
	if s&StatusPaperEmpty != 0 {
		f = append(f, "paper-empty")
	}
	if s&StatusJam != 0 {
		f = append(f, "jam")
	}
	if s&StatusCoverOpen != 0 {
		f = append(f, "cover-open")
	}
	if s&StatusNotError == 0 {
		f = append(f, "error")
	}
	if s&StatusSelected != 0 {
		f = append(f, "selected")
	}
	if len(f) == 0 {
		f = append(f, "ok")
	}
	return fmt.Sprintf("0x%02x (%s)", byte(s), strings.Join(f, " "))
}

// ReadPortStatus sends GET_PORT_STATUS.
func ReadPortStatus(ctx context.Context, l Link) (PortStatus, error) {
	var b [1]byte
	n, err := l.Control(ctx, rtClassInIface, reqGetPortStatus, 0, uint16(l.Info().Interface), b[:])
	if err != nil {
		return 0, fmt.Errorf("GET_PORT_STATUS: %w", err)
	}
	if n != 1 {
		return 0, fmt.Errorf("GET_PORT_STATUS: %d bytes", n)
	}
	return PortStatus(b[0]), nil
}

// SoftReset sends SOFT_RESET, first with bmRequestType 0x23 (the class
// specification's copy, usblp) and, if the device stalls it, 0x21 (later
// copies of the specification, the Linux gadget), as CUPS does.
func SoftReset(ctx context.Context, l Link) error {
	iface := uint16(l.Info().Interface)
	_, err := l.Control(ctx, rtClassOutOther, reqSoftReset, 0, iface, nil)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrStall) {
		return fmt.Errorf("SOFT_RESET: %w", err)
	}
	if _, err := l.Control(ctx, rtClassOutIface, reqSoftReset, 0, iface, nil); err != nil {
		return fmt.Errorf("SOFT_RESET: %w", err)
	}
	return nil
}
