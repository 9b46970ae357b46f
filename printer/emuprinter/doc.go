// Package emuprinter is kofu's emulated USB printer: a printer.Link with
// the Linux printer gadget's control semantics (f_printer, 6.1) and a
// printer engine behind its bulk pipes that answers PJL, decodes PCL 5 and
// PWG Raster — or IPP Print-Job requests on an IPP-over-USB interface —
// back to pages, and plays a Scenario (paper out, jam, a job that never
// ends …). It owns the emulated device and the emulator SPEC's options;
// kofu's own printer code (package printer) drives it exactly as it
// drives a real printer, through printer.New(ctx, printer.OnLink(p), …).
// It plugs in-process, or behind the kernel's USB gadget
// (printer/usbtest).
package emuprinter
