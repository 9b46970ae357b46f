//go:build !cgo

package printer

import "context"

// USBDevice is a printer found on the bus (see the cgo build).
type USBDevice struct {
	VID, PID     uint16
	Bus, Address int
	Protocol     int
	Interface    int
	Quirks       Quirks
}

// ListUSB reports that USB support was left out of this build.
func ListUSB(context.Context, []QuirkRule) ([]USBDevice, error) {
	return nil, newError(KindNoBackend, false, "built without cgo", nil)
}

// openUSB reports that USB support was left out of this build.
func openUSB(context.Context, Selector, []QuirkRule) (Link, error) {
	return nil, newError(KindNoBackend, false, "built without cgo", nil)
}
