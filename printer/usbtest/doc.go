// Package usbtest runs kofu's printer code against a real kernel USB stack:
// Debian's kernel under qemu with dummy_hcd and the printer gadget. It
// holds the checks run in the guest (host and gadget side) and the test
// that runs a real session against the emulated center for the
// two-sided job's faces, builds the initramfs with them, boots it and
// reads the verdict against what that session established.
package usbtest
