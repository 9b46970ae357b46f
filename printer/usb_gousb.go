//go:build cgo

package printer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/gousb"
)

// This file is the only cgo code of the package: the Link over libusb
// through gousb.

// usbLink is a Link on a claimed printer interface.
type usbLink struct {
	uctx *gousb.Context
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	out  *gousb.OutEndpoint
	in   *gousb.InEndpoint
	info Info

	ctlMu sync.Mutex // ControlTimeout is per device
}

// candidate is a printer interface found in a device's descriptors.
type candidate struct {
	cfgNum, cfgIndex, ifNum, alt, proto int
	out, in                             int // endpoint numbers, −1 if none
	mpsOut, mpsIn                       int
}

// findCandidate picks the device's printer interface (class 7, subclass
// 1) with the best protocol: 4 (IPP-over-USB), then 2, then 1. A
// unidirectional quirk makes protocol 2 count as 1.
func findCandidate(desc *gousb.DeviceDesc, q Quirks) (candidate, bool) {
	rank := map[int]int{protoIPPUSB: 3, protoBidir: 2, protoUnidir: 1}
	var cfgNums []int
	for n := range desc.Configs {
		cfgNums = append(cfgNums, n)
	}
	sort.Ints(cfgNums)
	best, found := candidate{}, false
	for ci, cn := range cfgNums {
		cfg := desc.Configs[cn]
		for _, intf := range cfg.Interfaces {
			for _, alt := range intf.AltSettings {
				if alt.Class != classPrinter || alt.SubClass != subclassPrinter || rank[int(alt.Protocol)] == 0 {
					continue
				}
				c := candidate{cfgNum: cn, cfgIndex: ci, ifNum: alt.Number, alt: alt.Alternate, proto: int(alt.Protocol), out: -1, in: -1}
				for _, ep := range alt.Endpoints {
					if ep.TransferType != gousb.TransferTypeBulk {
						continue
					}
					if ep.Direction == gousb.EndpointDirectionOut && c.out < 0 {
						c.out, c.mpsOut = ep.Number, ep.MaxPacketSize
					}
					if ep.Direction == gousb.EndpointDirectionIn && c.in < 0 {
						c.in, c.mpsIn = ep.Number, ep.MaxPacketSize
					}
				}
				if c.out < 0 || (c.proto == protoIPPUSB && c.in < 0) {
					continue // no way to send, or IPP without its answers
				}
				if c.proto == protoBidir && (q&QuirkUnidir != 0 || c.in < 0) {
					c.proto, c.in = protoUnidir, -1
				}
				if !found || rank[c.proto] > rank[best.proto] {
					best, found = c, true
				}
			}
		}
	}
	return best, found
}

// USBDevice is a printer found on the bus, from its descriptors only.
type USBDevice struct {
	VID, PID     uint16
	Bus, Address int
	Protocol     int
	Interface    int
	Quirks       Quirks
}

// ListUSB lists USB devices with a usable printer interface, without
// opening them.
func ListUSB(ctx context.Context, extra []QuirkRule) ([]USBDevice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rules := append(defaultQuirks(), extra...)
	uctx := gousb.NewContext()
	defer uctx.Close()
	var out []USBDevice
	_, err := uctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		q := lookupQuirks(rules, uint16(desc.Vendor), uint16(desc.Product))
		if c, ok := findCandidate(desc, q); ok && q&QuirkBlacklist == 0 {
			out = append(out, USBDevice{VID: uint16(desc.Vendor), PID: uint16(desc.Product), Bus: desc.Bus,
				Address: desc.Address, Protocol: c.proto, Interface: c.ifNum, Quirks: q})
		}
		return false
	})
	if err != nil {
		return out, fmt.Errorf("usb: enumerate: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Bus < out[j].Bus || out[i].Bus == out[j].Bus && out[i].Address < out[j].Address
	})
	return out, nil
}

// openUSB opens the first printer matching sel (by bus, then address) and
// claims its printer interface: usblp is detached automatically,
// SET_CONFIGURATION is sent only if the configuration differs (gousb's
// Config), the alternate is set only when there are several, and every
// control transfer is bounded by a 5 s timeout.
func openUSB(ctx context.Context, sel Selector, extra []QuirkRule) (Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rules := append(defaultQuirks(), extra...)
	uctx := gousb.NewContext()
	var cand candidate
	var quirks Quirks
	devs, err := uctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		if sel.VID != 0 && uint16(desc.Vendor) != sel.VID || sel.PID != 0 && uint16(desc.Product) != sel.PID {
			return false
		}
		if sel.Bus != 0 && (desc.Bus != sel.Bus || desc.Address != sel.Address) {
			return false
		}
		q := lookupQuirks(rules, uint16(desc.Vendor), uint16(desc.Product))
		_, ok := findCandidate(desc, q)
		return ok && q&QuirkBlacklist == 0
	})
	if len(devs) == 0 {
		uctx.Close()
		if err != nil {
			return nil, newError(KindOffline, false, "no usable USB printer", fmt.Errorf("usb: %w", err))
		}
		return nil, newError(KindOffline, false, fmt.Sprintf("no USB printer matches %s", sel), nil)
	}
	sort.Slice(devs, func(i, j int) bool {
		a, b := devs[i].Desc, devs[j].Desc
		return a.Bus < b.Bus || a.Bus == b.Bus && a.Address < b.Address
	})
	dev := devs[0]
	for _, d := range devs[1:] {
		d.Close()
	}
	quirks = lookupQuirks(rules, uint16(dev.Desc.Vendor), uint16(dev.Desc.Product))
	cand, _ = findCandidate(dev.Desc, quirks)
	l := &usbLink{uctx: uctx, dev: dev}
	fail := func(what string, err error) (Link, error) {
		l.Close()
		return nil, newError(KindOffline, false, what, mapUSBError(err))
	}
	dev.ControlTimeout = controlTimeout
	if err := dev.SetAutoDetach(true); err != nil {
		return fail("detach the kernel printer driver", err)
	}
	if l.cfg, err = dev.Config(cand.cfgNum); err != nil {
		return fail(fmt.Sprintf("configuration %d", cand.cfgNum), err)
	}
	if l.intf, err = l.cfg.Interface(cand.ifNum, cand.alt); err != nil {
		return fail(fmt.Sprintf("claim interface %d", cand.ifNum), err)
	}
	if l.out, err = l.intf.OutEndpoint(cand.out); err != nil {
		return fail("bulk OUT endpoint", err)
	}
	if cand.in >= 0 {
		if l.in, err = l.intf.InEndpoint(cand.in); err != nil {
			return fail("bulk IN endpoint", err)
		}
	}
	l.info = Info{VID: uint16(dev.Desc.Vendor), PID: uint16(dev.Desc.Product), Bus: dev.Desc.Bus,
		Address: dev.Desc.Address, Config: cand.cfgNum, ConfigIndex: cand.cfgIndex, Interface: cand.ifNum,
		Alt: cand.alt, Protocol: cand.proto, HasIn: l.in != nil, MaxPacketOut: cand.mpsOut, MaxPacketIn: cand.mpsIn,
		Quirks: quirks}
	l.info.Manufacturer, _ = dev.Manufacturer()
	l.info.Product, _ = dev.Product()
	l.info.Serial, _ = dev.SerialNumber()
	return l, nil
}

func (l *usbLink) Info() Info { return l.info }

func (l *usbLink) Control(ctx context.Context, rType, request uint8, value, index uint16, data []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	timeout := controlTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), time.Millisecond)
	}
	l.ctlMu.Lock()
	defer l.ctlMu.Unlock()
	l.dev.ControlTimeout = timeout
	n, err := l.dev.Control(rType, request, value, index, data)
	if err != nil {
		return 0, mapUSBError(err)
	}
	return n, nil
}

func (l *usbLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	n, err := l.out.WriteContext(ctx, p)
	if err != nil {
		return n, ctxOr(ctx, mapUSBError(err))
	}
	return n, nil
}

func (l *usbLink) BulkIn(ctx context.Context, p []byte) (int, error) {
	if l.in == nil {
		return 0, fmt.Errorf("%w: no bulk IN endpoint", ErrStall)
	}
	n, err := l.in.ReadContext(ctx, p)
	if err != nil {
		return n, ctxOr(ctx, mapUSBError(err))
	}
	return n, nil
}

// Close releases the interface (reattaching usblp unless the device has
// the no-reattach quirk), the configuration, the device and the context.
func (l *usbLink) Close() error {
	if l.dev != nil && l.info.Quirks&QuirkNoReattach != 0 {
		l.dev.SetAutoDetach(false)
	}
	if l.intf != nil {
		l.intf.Close()
		l.intf = nil
	}
	var errs []error
	if l.cfg != nil {
		errs = append(errs, l.cfg.Close())
		l.cfg = nil
	}
	if l.dev != nil {
		errs = append(errs, l.dev.Close())
		l.dev = nil
	}
	if l.uctx != nil {
		errs = append(errs, l.uctx.Close())
		l.uctx = nil
	}
	return errors.Join(errs...)
}

// mapUSBError wraps libusb errors in the package's Link errors.
func mapUSBError(err error) error {
	switch {
	case errors.Is(err, gousb.ErrorPipe), errors.Is(err, gousb.TransferStall):
		return fmt.Errorf("%w: %w", ErrStall, err)
	case errors.Is(err, gousb.ErrorNoDevice), errors.Is(err, gousb.TransferNoDevice):
		return fmt.Errorf("%w: %w", ErrNoDevice, err)
	case errors.Is(err, gousb.ErrorTimeout), errors.Is(err, gousb.TransferTimedOut):
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return err
}

// ctxOr prefers the context's error when a transfer was cancelled by it.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}
