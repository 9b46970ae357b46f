package usbtest

import (
	"time"

	"kofu/printer"
)

// GadgetPNP is the pnp_string the guest writes to configfs: two spaces at
// the end because the 6.1 gadget drops the reply's last two characters.
const GadgetPNP = "MFG:kofu;MDL:QEMU Gadget Printer;CMD:PJL,PCL;CLS:PRINTER;SN:GADGET0001;  "

// WantGadget is what the host side must read from the gadget.
func WantGadget() Expected {
	return Expected{MFG: "kofu", MDL: "QEMU Gadget Printer", SN: "GADGET0001", CMD: []string{"PJL", "PCL"},
		Status: printer.StatusNotError | printer.StatusSelected}
}

// GuestOptions are the printer options of the guest's host side: short
// timeouts, so that a lost confirmation fails fast.
func GuestOptions() printer.Options {
	return printer.Options{ConfirmTimeout: 5 * time.Second, PerPage: time.Second, StallTimeout: 300 * time.Millisecond,
		WriteTimeout: 10 * time.Second}
}
