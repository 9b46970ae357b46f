// Package cardreader owns kofu's access to the resident's My Number card:
// PC/SC through libpcsclite (github.com/ebfe/scard, the package's only cgo
// code), the JPKI applet's APDUs, and a crypto.Signer over the card's
// user-authentication key. The emulated card and its vpcd bridge are in
// cardreader/emucard; a pcscd + vpcd test stack is in cardreader/pcsctest.
//
// A Card is one insertion of one card. It reads the user-authentication
// certificate over a shared connection and takes the card exclusively only
// for VERIFY → SELECT key → sign, after which it logs out (re-SELECT of the
// applet) and disconnects with a reset. The PIN is a []byte that is zeroed
// as soon as VERIFY has been sent.
package cardreader
