// Package usbtest runs kofu's printer code against a real kernel USB stack:
// Debian's kernel under qemu with dummy_hcd and the printer gadget. It
// holds the checks run in the guest (host and gadget side) and the test
// that builds the initramfs, boots it and reads the verdict.
package usbtest
