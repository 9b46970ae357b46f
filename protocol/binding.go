package protocol

import "crypto/sha256"

// Binding is the requester binding of DESIGN §3.1:
// SHA-256 of the ASCII bytes of the request's compact JWS, exactly as sent.
func Binding(requestJWS []byte) []byte {
	sum := sha256.Sum256(requestJWS)
	return sum[:]
}

// Subject is the subject value of DESIGN §3.1:
// SHA-256(binding || SHA-256(DER of the user-auth certificate)). The issuer
// computes it from the certificate linked to the record it rendered; the
// kiosk from the card in its reader.
func Subject(binding, authCertDER []byte) []byte {
	certHash := sha256.Sum256(authCertDER)
	h := sha256.New()
	h.Write(binding)
	h.Write(certHash[:])
	return h.Sum(nil)
}
