package protocol

import (
	"errors"
	"fmt"
)

// Stage names which message a refusal concerns.
type Stage string

// The stages of verification.
const (
	StageRequest  Stage = "request"  // the center checking a card's request
	StageTicket   Stage = "ticket"   // the kiosk checking the center's ticket
	StageEnvelope Stage = "envelope" // the kiosk checking the issuer's envelope
	StagePage     Stage = "page"     // the kiosk checking a page image
	StageOutcome  Stage = "outcome"  // the center checking a kiosk's outcome
	// Household members chosen individually (household.go).
	StageHouseholdQuery Stage = "household-query" // the center checking a card's household query
	StageHousehold      Stage = "household"       // the kiosk checking the center's household list
)

// Reason is why a message was refused. Together with the stage it forms a
// stable code ("envelope-binding") used in outcomes, journals and metrics.
type Reason string

// JOSE-level reasons, shared by every signed message.
const (
	ReasonTooLarge    Reason = "too-large"    // bigger than the bound for the message
	ReasonMalformed   Reason = "malformed"    // not a compact JWS, bad base64url or JSON
	ReasonAlgNone     Reason = "alg-none"     // alg "none"
	ReasonAlgHMAC     Reason = "alg-hmac"     // an HMAC alg (HS256 with a public key as secret…)
	ReasonAlg         Reason = "alg"          // any other alg than the one pinned
	ReasonEmbeddedJWK Reason = "embedded-jwk" // a jwk header: a key chosen by the sender
	ReasonRemoteKey   Reason = "remote-key"   // jku or x5u: a key fetched from elsewhere
	ReasonCrit        Reason = "crit"         // crit or b64 headers
	ReasonHeader      Reason = "header"       // any other header than alg, typ, x5c
	ReasonTyp         Reason = "typ"          // typ is not the one of this message
	ReasonChain       Reason = "chain"        // x5c missing or not chaining to this role's CA
	ReasonKey         Reason = "key"          // signer key of the wrong type or size
	ReasonSignature   Reason = "signature"    // the signature does not verify
	ReasonFields      Reason = "fields"       // unknown, duplicate, missing or ill-sized members
)

// Binding reasons: the message is well-signed but not about this request.
const (
	ReasonErrorFlagged Reason = "error-flagged" // the message carries an error yet a document
	ReasonTID          Reason = "tid"           // not this ticket
	ReasonRID          Reason = "rid"           // not this request id
	ReasonBinding      Reason = "binding"       // not these request bytes
	ReasonSubject      Reason = "subject"       // rendered from another record or card
	ReasonDoc          Reason = "doc"           // another document type, options or copies
	ReasonAsOf         Reason = "asof"          // record version missing or malformed
	ReasonCount        Reason = "count"         // sheet count outside 1..limit, or more than two faces a sheet
	ReasonFaces        Reason = "faces"         // faces out of structure: sheets not 1..n in order, a second front or back, a back before its front
	ReasonBackMissing  Reason = "back-missing"  // a two-sided document with a sheet that has no back face
	ReasonSides        Reason = "sides"         // back faces on a document the request asked one-sided
	ReasonGeometry     Reason = "geometry"      // declared page size/dpi not A4 at 300/600
	ReasonExpired      Reason = "expired"       // exp passed
	ReasonNotYetValid  Reason = "not-yet-valid" // iat in the future beyond the skew
	ReasonStale        Reason = "stale"         // issued before the request it answers
	ReasonQID          Reason = "qid"           // a household list answering another query id
	ReasonMembers      Reason = "members"       // the envelope lists other household members than the request chose
)

// Page reasons. The QR rules run on the bilevel bitmap the printer
// receives (DESIGN §3.4 rule 3).
const (
	ReasonHash       Reason = "hash"        // bytes differ from the signed hash
	ReasonImage      Reason = "image"       // PNG malformed: signature, chunks, CRC, format, zlib data
	ReasonDimensions Reason = "dimensions"  // size differs from the declared one, or beyond the limits (file bytes, pixel count: decompression bomb)
	ReasonDPI        Reason = "dpi"         // PNG density differs from the declared one
	ReasonQRMissing  Reason = "qr-missing"  // no KOFU symbol on the printed face
	ReasonQRMultiple Reason = "qr-multiple" // more than one KOFU symbol on the printed face (any place, either polarity)
	ReasonQRTooMany  Reason = "qr-too-many" // more QR symbols (of any kind) or finder patterns than any page carries
	ReasonQRPosition Reason = "qr-position" // the KOFU symbol is not wholly in the bottom band, or its quiet zone is within the printable margin of an edge
	ReasonQRSearch   Reason = "qr-search"   // the symbol search could not run on the face (the decoder failed on hostile content)
	ReasonQRMismatch Reason = "qr-mismatch" // the symbol names another ticket, request, subject or page
	ReasonMissing    Reason = "missing"     // a declared page was not supplied, or an extra one was
	// Duplex faces (issue 19): the face's own KOFU symbol names its sheet
	// and face, checked against the envelope's declaration of the page.
	ReasonFaceSwapped Reason = "face-swapped" // this document's symbol for the other face of the same sheet: front and back swapped
	ReasonBackForeign Reason = "back-foreign" // a back face whose symbol names another ticket, request or subject: a back from another document
)

// RefusalError says that a message was refused and why. Every check of
// DESIGN §3.4 ends in one of these; callers branch on Stage and Reason.
type RefusalError struct {
	Stage  Stage
	Reason Reason
	Page   int    // 1-based page number for StagePage, else 0
	Detail string // human detail for technicians; never personal data
	Err    error  // underlying cause, if any
}

// Code is the stable "stage-reason" code.
func (e *RefusalError) Code() string { return string(e.Stage) + "-" + string(e.Reason) }

func (e *RefusalError) Error() string {
	s := "refused " + e.Code()
	if e.Page > 0 {
		s += fmt.Sprintf(" (page %d)", e.Page)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *RefusalError) Unwrap() error { return e.Err }

// refuse builds a RefusalError.
func refuse(stage Stage, reason Reason, detail string, err error) *RefusalError {
	return &RefusalError{Stage: stage, Reason: reason, Detail: detail, Err: err}
}

// AsRefusal returns the RefusalError in err's chain, if any.
func AsRefusal(err error) (*RefusalError, bool) {
	var r *RefusalError
	ok := errors.As(err, &r)
	return r, ok
}

// Answer reasons: the center's HTTP answer itself breaks protocol v1 where
// a ticket, envelope or page should be (the client's checks, before any
// signature is looked at). The center is at fault, so they are refusals
// like the others; the stage is the message the answer stands in for.
const (
	ReasonRedirect  Reason = "redirect"   // a 3xx answer: the kiosk never follows one
	ReasonMediaType Reason = "media-type" // a success status with another media type than the message's
	ReasonStatus    Reason = "status"     // a status protocol v1 does not give for this call (200 for 201, 204 …)
	ReasonProblem   Reason = "problem"    // an error answer whose problem document is malformed
)

// Signer-role reasons (issue 14): the signature verifies under this
// role's CA, but the certificate was not made for this role.
const (
	// ReasonRole: the signer certificate is a CA, lacks the role's
	// extended key usage or carries another one (anyExtendedKeyUsage
	// included), a CA above it does not allow the role, or its trust
	// anchor is also trusted for the other role.
	ReasonRole Reason = "role"
)
