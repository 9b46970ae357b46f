// Package printer drives kofu's USB printer: the printer class over a
// small Link (gousb is the only cgo code), the IEEE 1284 device ID, PDL
// choice, PJL and IPP-over-USB job confirmation, and an emulated printer.
package printer
