// Package emucard is kofu's emulated My Number card: the JPKI applet's
// APDU behaviour (files with filler, PIN counters, verified state, sign)
// built from a test resident of internal/fixtures, with injectable faults.
// It plugs in-process (Card.Transmit, Card.Dialer for cardreader) or into
// a real pcscd through vsmartcard-vpcd (Card.ServeVPCD).
//
// The signature side (EF 0001/0002/001A/001B) comes from the fixtures:
// the JPKI signature CA and each resident's signature certificate, key
// and password, generated deterministically by internal/fixtures/testpki.
// OpenSC's PKCS#15 binding needs it (it asks 001B for its tries).
//
// Where research/jpki-card.md leaves the real card's answer open, the
// choices are: a PIN of the wrong length answers 6700 and spends no try;
// the tries query of a blocked PIN answers 63C0 (OpenSC needs SW1 63);
// VERIFY without a PIN EF selected answers 6A88; sign without a key EF or
// without the PIN answers 6982; GET RESPONSE answers 6985 (the card never
// chains); a warm reset loses the selection and keeps the verified flags
// ([1]: they are unreachable until a SELECT of the applet clears them);
// EFs are 2048 bytes of DER then FF filler; EF 0006 is the 32-byte label.
// The 6F00 answer to the first APDU after power-up is opt-in
// (Options.FirstAPDU6F00).
package emucard
