package cardreader

import (
	"bytes"
	"fmt"
)

// DER tags used here.
const (
	tagSequence    = 0x30
	tagOID         = 0x06
	tagNull        = 0x05
	tagOctetString = 0x04
)

// maxCertSize bounds a certificate read from the card: READ BINARY
// offsets have 15 bits.
const maxCertSize = 0x7FFF

// DERHeader parses the tag and length of the DER TLV at the start of b.
// It returns the header size and the content length. It accepts only
// single-byte tags and definite, minimal lengths of at most 3 length
// bytes; it needs no more than the header itself (at most 5 bytes).
func DERHeader(b []byte) (tag byte, hdr, n int, err error) {
	if len(b) < 2 {
		return 0, 0, 0, fmt.Errorf("%w: DER header truncated", ErrMalformed)
	}
	tag = b[0]
	if tag&0x1F == 0x1F {
		return 0, 0, 0, fmt.Errorf("%w: multi-byte DER tag", ErrMalformed)
	}
	l := b[1]
	switch {
	case l < 0x80:
		return tag, 2, int(l), nil
	case l == 0x80:
		return 0, 0, 0, fmt.Errorf("%w: indefinite length", ErrMalformed)
	case l > 0x83:
		return 0, 0, 0, fmt.Errorf("%w: DER length of %d bytes", ErrMalformed, l&0x7F)
	}
	k := int(l & 0x7F)
	if len(b) < 2+k {
		return 0, 0, 0, fmt.Errorf("%w: DER header truncated", ErrMalformed)
	}
	if b[2] == 0 {
		return 0, 0, 0, fmt.Errorf("%w: non-minimal DER length", ErrMalformed)
	}
	for _, c := range b[2 : 2+k] {
		n = n<<8 | int(c)
	}
	if n < 0x80 {
		return 0, 0, 0, fmt.Errorf("%w: non-minimal DER length", ErrMalformed)
	}
	return tag, 2 + k, n, nil
}

// ParseTLV splits the first DER TLV off b: its tag, its value and what
// follows it.
func ParseTLV(b []byte) (tag byte, value, rest []byte, err error) {
	tag, hdr, n, err := DERHeader(b)
	if err != nil {
		return 0, nil, nil, err
	}
	if n > len(b)-hdr {
		return 0, nil, nil, fmt.Errorf("%w: DER value of %d bytes, %d present", ErrMalformed, n, len(b)-hdr)
	}
	return tag, b[hdr : hdr+n : hdr+n], b[hdr+n:], nil
}

// certLength returns the total size (header + content) of the DER
// certificate that starts with head, which must hold its header.
func certLength(head []byte) (int, error) {
	tag, hdr, n, err := DERHeader(head)
	if err != nil {
		return 0, err
	}
	if tag != tagSequence {
		return 0, fmt.Errorf("%w: certificate file starts with tag %02X, not a SEQUENCE", ErrMalformed, tag)
	}
	if hdr+n > maxCertSize {
		return 0, fmt.Errorf("%w: certificate of %d bytes", ErrMalformed, hdr+n)
	}
	return hdr + n, nil
}

// checkDigestInfo checks that b is exactly one DER DigestInfo
// (RFC 8017 §9.2): SEQUENCE { SEQUENCE { OID, NULL? }, OCTET STRING } with
// a digest of 16 to 64 bytes, and returns the digest algorithm OID's
// content bytes.
func checkDigestInfo(b []byte) (oid []byte, err error) {
	tag, body, rest, err := ParseTLV(b)
	if err != nil {
		return nil, err
	}
	if tag != tagSequence || len(rest) != 0 {
		return nil, fmt.Errorf("%w: DigestInfo is not one SEQUENCE", ErrMalformed)
	}
	tag, alg, body, err := ParseTLV(body)
	if err != nil {
		return nil, err
	}
	if tag != tagSequence {
		return nil, fmt.Errorf("%w: DigestInfo algorithm is not a SEQUENCE", ErrMalformed)
	}
	tag, oid, params, err := ParseTLV(alg)
	if err != nil {
		return nil, err
	}
	if tag != tagOID || !validOID(oid) {
		return nil, fmt.Errorf("%w: DigestInfo algorithm has no valid OID", ErrMalformed)
	}
	if len(params) != 0 && !bytes.Equal(params, []byte{tagNull, 0}) {
		return nil, fmt.Errorf("%w: DigestInfo algorithm parameters are not NULL", ErrMalformed)
	}
	tag, digest, rest, err := ParseTLV(body)
	if err != nil {
		return nil, err
	}
	if tag != tagOctetString || len(rest) != 0 {
		return nil, fmt.Errorf("%w: DigestInfo digest is not one OCTET STRING", ErrMalformed)
	}
	if len(digest) < 16 || len(digest) > 64 {
		return nil, fmt.Errorf("%w: DigestInfo digest of %d bytes", ErrMalformed, len(digest))
	}
	return oid, nil
}

// validOID checks the content of a DER OBJECT IDENTIFIER: base-128
// subidentifiers, each minimally encoded (no leading 0x80) in at most 4
// bytes, the last one complete.
func validOID(b []byte) bool {
	if len(b) == 0 || b[len(b)-1]&0x80 != 0 {
		return false
	}
	n := 0 // bytes of the current subidentifier
	for _, c := range b {
		if n == 0 && c == 0x80 {
			return false
		}
		n++
		if n > 4 {
			return false
		}
		if c&0x80 == 0 {
			n = 0
		}
	}
	return true
}
