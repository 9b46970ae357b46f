package groundpattern

import (
	"errors"
	"fmt"
)

// Kind classifies why a pattern could not be built or a composited page
// was refused; callers branch on it with errors.Is against the sentinels.
type Kind int

// The kinds of errors.
const (
	KindResolution Kind = iota + 1 // no void pantograph at this dpi (only 600)
	KindFont                       // the font cannot render the latent word
	KindSize                       // a page of no pixels, or composited and verified sizes differ
	KindAltered                    // a verified black pixel or a keep-out pixel changed
	KindForeign                    // a pixel was added that is not a pixel of the pattern
)

// Sentinels for errors.Is: an *Error matches the sentinel of its Kind.
var (
	ErrResolution = errors.New("groundpattern: resolution")
	ErrFont       = errors.New("groundpattern: font")
	ErrSize       = errors.New("groundpattern: size")
	ErrAltered    = errors.New("groundpattern: verified pixels altered")
	ErrForeign    = errors.New("groundpattern: pixels added outside the pattern")
)

func (k Kind) String() string {
	switch k {
	case KindResolution:
		return "resolution"
	case KindFont:
		return "font"
	case KindSize:
		return "size"
	case KindAltered:
		return "altered"
	case KindForeign:
		return "foreign"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

func (k Kind) sentinel() error {
	switch k {
	case KindResolution:
		return ErrResolution
	case KindFont:
		return ErrFont
	case KindSize:
		return ErrSize
	case KindAltered:
		return ErrAltered
	case KindForeign:
		return ErrForeign
	}
	return nil
}

// Error is the error type of this package. Its Detail never contains page
// content: only counts and coordinates.
type Error struct {
	Kind   Kind
	Detail string
	Err    error // underlying error, if any
}

func (e *Error) Error() string {
	s := "groundpattern: " + e.Kind.String()
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

// Is matches the sentinel of the error's Kind.
func (e *Error) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}
