package health

import "kofu/printer"

// PrinterAdvice says in plain words what a printer fault of kind k is
// and what to do about it, as the printer check says it ("paper out: load
// A4 paper and close the tray"): for the technician UI's test page, which
// ends at the first fault the printer reports.
func PrinterAdvice(k printer.Kind) string {
	return problemAdvice(printer.Status{Problem: k})
}
