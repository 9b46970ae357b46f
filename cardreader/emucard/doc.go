// Package emucard is kofu's emulated My Number card: the JPKI applet's
// APDU behaviour (files with filler, PIN counters, verified state, sign)
// built from a test resident of internal/fixtures, with injectable faults.
// It plugs in-process (Card.Transmit, Card.Dialer for cardreader) or into
// a real pcscd through vsmartcard-vpcd (Card.ServeVPCD).
//
// # Generation 2: an assumed APDU profile
//
// A resident with a generation-2 card (fixtures G0001…, an ECDSA P-384
// key under the P-384 user-authentication CA) gets an emulated
// generation-2 card: New picks the applet profile by the key's type
// (Options.Profile overrides it). Its APDU profile is an ASSUMPTION: no
// specification of the second-generation card's APDUs is public. Every
// assumed value — the AID, the file ids, the PIN reference, the sign
// command (00 2A 9E 9A with the raw SHA-384 digest, answering r‖s) —
// lives in one place, cardreader.ProfileGen2Assumed
// (cardreader/profile.go); this package serves whatever profile it is
// given and has no identifier of its own. EF 000B of a generation-2 card
// holds its issuing CA, the P-384 CA (fixtures Resident.CardCACertDER).
// The signature side stays RSA, as in the fixtures (the kiosk never uses
// it). OpenSC knows only the generation-1 card.
//
// The signature side (EF 0001/0002/001A/001B) comes from the fixtures:
// the JPKI signature CA and each resident's signature certificate, key
// and password, generated deterministically by internal/fixtures/testpki.
// OpenSC's PKCS#15 binding needs it (it asks 001B for its tries).
//
// It follows research/jpki-card.md: the tries query (VERIFY without data)
// answers 63Cx even while the PIN is verified; extended-length APDUs are
// accepted (a whole certificate in one READ BINARY); READ BINARY takes a
// short EF identifier (P1 100xxxxx, the EF whose id is xxxxx); a
// re-SELECT of the JPKI AID and a warm reset keep the verified state,
// selecting another application (the GlobalPlatform ISD), power-off and
// removal clear it.
//
// Options give the other behaviours real cards are reported to have:
// FirstAPDU6F00 (6F00 to the first APDU after power-up),
// VerifiedStatus9000 (the tries query answers 9000 while verified),
// Blocked6984 (the tries query of a blocked PIN answers 6984, not 63C0),
// NoAuthCert (EF 000A erased, EF 0008 00 00 00), NoExtendedLength (6700
// to extended-length APDUs) and ShortReader (an in-process reader that
// carries short APDUs only).
//
// Where the note leaves the real card's answer open, the choices are: a
// PIN of the wrong length answers 6700 and spends no try; VERIFY without
// a PIN EF selected answers 6A88; sign without a key EF or without the
// PIN answers 6982; GET RESPONSE answers 6985 (the card never chains); a
// warm reset loses the selection and keeps the verified flags; EFs are
// 2048 bytes of DER then FF filler; EF 0006 is the 32-byte label; the
// short EF identifier of an EF is the low five bits of its id.
package emucard
