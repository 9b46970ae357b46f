package protocol

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Bytes is a binary value carried in JSON as base64url without padding
// (DESIGN §3). Decoding is strict: padding, the standard alphabet and
// non-canonical trailing bits are refused.
type Bytes []byte

var errNotString = errors.New("base64url value must be a JSON string")

// MarshalJSON encodes b as unpadded base64url.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(base64.RawURLEncoding.EncodeToString(b))
}

// UnmarshalJSON decodes unpadded base64url strictly.
func (b *Bytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return errNotString
	}
	v, err := B64Decode(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// String returns the base64url form.
func (b Bytes) String() string { return base64.RawURLEncoding.EncodeToString(b) }

// B64 encodes raw bytes as unpadded base64url.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// B64Decode decodes unpadded base64url strictly (no padding, no other
// alphabet, canonical trailing bits).
func B64Decode(s string) ([]byte, error) {
	// The decoder skips CR and LF silently; a value with a line break is
	// not the canonical encoding of anything.
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("invalid base64url: line break")
	}
	v, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64url: %w", err)
	}
	return v, nil
}
