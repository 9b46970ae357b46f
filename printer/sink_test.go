package printer_test

import (
	"kofu/printer"
	"kofu/terminal"
)

// The printer is a terminal.Sink.
var _ terminal.Sink = (*printer.Printer)(nil)
