// Command usbhost is the host side of kofu's qemu USB test: in the guest,
// it drives the printer gadget through libusb with kofu's printer package
// and prints one marker line per check (see package usbtest).
package main

import (
	"context"
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kofu/printer"
	"kofu/printer/usbtest"
)

func main() {
	job := flag.String("job", usbtest.GuestJobDir, "directory holding the two-sided job's faces (face-1.png …)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ok := usbtest.RunHost(ctx, usbtest.HostConfig{
		Open: func(ctx context.Context) (printer.Link, error) {
			// The host checks run on the link itself (device ID, port
			// status, soft reset) before a Printer is made on it again.
			p, err := printer.New(ctx, printer.Target{Kind: printer.TargetUSB, USB: printer.Selector{VID: 0x0525, PID: 0xa4a8}}, printer.Options{})
			if err != nil {
				return nil, err
			}
			return p.Link(), nil
		},
		Driver:   printerDriver,
		Want:     usbtest.WantGadget(),
		Printer:  usbtest.GuestOptions(),
		PauseJob: 500 * time.Millisecond,
		Faces:    func() ([]*image.Gray, error) { return usbtest.LoadDuplexJob(*job) },
	}, os.Stdout)
	if !ok {
		os.Exit(1)
	}
}

// printerDriver returns the kernel driver bound to the first printer-class
// interface in sysfs ("" if none).
func printerDriver() string {
	files, _ := filepath.Glob("/sys/bus/usb/devices/*/bInterfaceClass")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || strings.TrimSpace(string(b)) != "07" {
			continue
		}
		link, err := os.Readlink(filepath.Join(filepath.Dir(f), "driver"))
		if err != nil {
			return ""
		}
		return filepath.Base(link)
	}
	return ""
}
