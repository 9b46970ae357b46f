//go:build linux

// Command usbgadget is the printer side of kofu's qemu USB test: in the
// guest, it serves /dev/g_printer0 with kofu's emulated printer engine
// and sets the gadget's port status with GADGET_SET_PRINTER_STATUS.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"kofu/printer"
	"kofu/printer/usbtest"
)

// GADGET_SET_PRINTER_STATUS is _IOWR('g', 0x22, unsigned char) from
// include/uapi/linux/usb/g_printer.h; f_printer takes the status byte as
// the ioctl argument itself.
const gadgetSetPrinterStatus = 3<<30 | 1<<16 | 'g'<<8 | 0x22

func main() {
	dev := flag.String("dev", "/dev/g_printer0", "printer gadget device")
	paperOut := flag.Int("paper-out-at", usbtest.PaperOutAt, "page at which paper runs out")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// f_printer allows a single opener: open once, read and write. It
	// must stay non-blocking (Go's poller): f_printer's read() sleeps
	// holding the device's I/O mutex, so with blocking I/O a reply could
	// not be written while the read waits for the host's next bytes.
	f, err := os.OpenFile(*dev, os.O_RDWR, 0)
	if err != nil {
		fmt.Println(usbtest.Marker+"gadget error", err)
		os.Exit(1)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		fmt.Println(usbtest.Marker+"gadget error", err)
		os.Exit(1)
	}
	setStatus := func(s printer.PortStatus) error {
		var errno syscall.Errno
		// Not f.Fd(): it would switch the file to blocking mode.
		err := rc.Control(func(fd uintptr) {
			_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, gadgetSetPrinterStatus, uintptr(s))
		})
		if err != nil {
			return err
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
	if err := usbtest.RunGadget(ctx, f, setStatus, usbtest.GadgetConfig{PaperOutAt: *paperOut}, os.Stdout); err != nil {
		fmt.Println(usbtest.Marker+"gadget error", err)
		os.Exit(1)
	}
}
