package pages

import "fmt"

// Kind classifies why a page was refused, so that the verifier can branch
// on it (and map it to a reason code) without parsing messages.
type Kind int

// The kinds of page errors.
const (
	KindTooLarge   Kind = iota + 1 // file bytes beyond the limit
	KindMalformed                  // not a well-formed PNG: signature, chunk structure, order, lengths, trailing data
	KindCRC                        // a chunk's CRC does not match
	KindFormat                     // colour type, bit depth, interlace, compression/filter method or tRNS not allowed
	KindDimensions                 // width/height differ from the declared ones (or are invalid)
	KindDPI                        // pHYs missing, not in metres, or density not matching the declared dpi
	KindDecode                     // image/png refused the data (zlib stream, pixel data) or returned an unexpected image
	KindQR                         // the QR search itself could not run (bad arguments or an internal decoder failure)
	KindRender                     // the center could not render or encode a page (bad spec, content does not fit)
	KindCrowded                    // more QR symbols or finder patterns on the face than any page may carry
	KindPixels                     // pixel count (declared or in IHDR) beyond the limit: a decompression bomb
)

// String returns a short stable name for the kind, usable as a reason code.
func (k Kind) String() string {
	switch k {
	case KindTooLarge:
		return "too-large"
	case KindMalformed:
		return "malformed"
	case KindCRC:
		return "crc"
	case KindFormat:
		return "format"
	case KindDimensions:
		return "dimensions"
	case KindDPI:
		return "dpi"
	case KindDecode:
		return "decode"
	case KindQR:
		return "qr"
	case KindRender:
		return "render"
	case KindCrowded:
		return "crowded"
	case KindPixels:
		return "pixels"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error type of this package. Use errors.As to get at Kind.
type Error struct {
	Kind   Kind
	Detail string // human-readable detail; never contains page content
	Err    error  // underlying error, if any
}

func (e *Error) Error() string {
	s := "pages: " + e.Kind.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

func wrapErr(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...), Err: err}
}
