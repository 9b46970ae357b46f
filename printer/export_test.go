package printer

// Test-only access for the tests of package printer_test, which drive
// kofu's printer code on printer/emuprinter's device (a package that
// imports this one, so those tests cannot be internal).

// WaitClock is the clock a confirmation wait runs on.
type WaitClock = waitClock

// SetWaitClock makes the printer's confirmation waits run on c.
func SetWaitClock(o *Options, c WaitClock) { o.clock = c }

// CorpusEmulatorIDs are the emulated printers' device IDs the fuzz corpus
// is written from.
var CorpusEmulatorIDs = [2]string{emulatorID, emulatorIPPID}
