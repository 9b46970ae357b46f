// Package cardreader owns kofu's access to the resident's My Number card:
// PC/SC through libpcsclite (github.com/ebfe/scard, the package's only cgo
// code), the JPKI applet's APDUs, and a crypto.Signer over the card's
// user-authentication key. The emulated card and its vpcd bridge are in
// cardreader/emucard; a pcscd + vpcd test stack is in cardreader/pcsctest.
//
// A Card is one insertion of one card. It reads the user-authentication
// certificate over a shared connection and takes the card exclusively only
// for VERIFY → SELECT key → sign, after which it logs out in the way a
// real card honours (SELECT of another application, the GlobalPlatform
// ISD) and disconnects powering the card down. The PIN is a []byte that
// is zeroed as soon as VERIFY has been sent.
//
// # Applet profiles
//
// What the Card assumes about the applet — AID, files, PIN reference,
// sign command, key type — is a Profile: ProfileGen1 for the current
// card (RSA-2048, PKCS#1 v1.5 over a DigestInfo) and ProfileGen2Assumed
// for the second-generation card (ECDSA P-384 over a raw SHA-384 digest;
// its APDUs are an assumption, no specification being public). Open
// detects the profile by the AIDs the card answers, and the certificate's
// key type settles it among profiles sharing an AID; Options.Profiles
// pins it. The Key a P-384 card gives signs a 48-byte SHA-384 digest and
// returns ASN.1 DER, verified against the certificate like the RSA one.
//
// # Transactions
//
// A real card has one current file for every application talking to it.
// Every sequence of APDUs — SELECT + READ BINARY, the tries query, VERIFY
// → SELECT key → sign → logout — runs inside one PC/SC transaction
// (SCardBeginTransaction … SCardEndTransaction; see Transactor), and each
// transaction begins with a SELECT of the JPKI applet: what another
// application selected between two of the Card's transactions is never
// trusted, and nothing can change the selection inside one.
//
// # Extended-length APDUs
//
// The certificate is read with one extended-length READ BINARY where the
// card and reader take it; a card that answers 6700 or 6Cxx, a reader
// that says it carries short APDUs only (ExtendedLengthConn) or fails the
// command, and Options.ShortAPDUs, make it ⌈L/256⌉ short ones.
//
// # Status words real cards give
//
//   - 6F00 to the first APDU after power-up: the SELECT of the applet that
//     begins every transaction is sent once more.
//   - The tries query (VERIFY without data) answers 63Cx, 0 meaning
//     blocked; 6983 and 6984 also mean blocked (AuthPINRetries returns 0;
//     a VERIFY answered 63C0, 6983 or 6984 matches ErrPINBlocked).
//   - Some cards answer the tries query 9000 while the PIN is verified.
//     kofu never leaves its PIN verified, so that is another client's
//     leftover: AuthPINRetries logs it out and asks again. If the card
//     still answers 9000, the tries left are unknown but the PIN is not
//     blocked: AuthPINRetries returns TriesUnknown and an error matching
//     ErrPINTriesUnknown, never ErrPINBlocked.
//   - EF 000A without a certificate (erased or empty): EF 0008 is asked
//     which certificates are present, and unless it says both (8F 8F 00)
//     the error is ErrNoCertificate ("this card has no user-authentication
//     certificate"), not ErrMalformed.
package cardreader
