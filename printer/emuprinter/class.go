package emuprinter

// Printer-class values the emulated device answers to (USB Device Class
// Definition for Printing Devices 1.1, §4.2, and IPP USB 1.0 for protocol
// 4). They are the device's own copy of the specification's numbers, not
// the host's: a wrong constant on either side shows up as a refused
// request in the tests rather than cancelling out.
const (
	reqGetDeviceID   = 0
	reqGetPortStatus = 1
	reqSoftReset     = 2
	protoUnidir      = 1
	protoBidir       = 2
	protoIPPUSB      = 4
)
