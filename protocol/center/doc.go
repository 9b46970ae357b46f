// Package center is the emulated issuance center of DESIGN §4: a correct,
// concurrent implementation of protocol v1 backed by the test PKI and
// residents, with an OCSP responder, an issuer that renders real pages,
// and fault modes that reproduce the misissuance incidents on demand.
package center
