// Package terminal owns the kiosk session: the guarded transaction of
// DESIGN §2 that signs, submits, verifies everything and only then prints,
// and the interfaces it drives (card, printer). The journal, payment and
// UI join it here.
package terminal
