package printer

import (
	"errors"
	"fmt"
)

// Kind classifies a print failure; callers branch on it with errors.Is
// against the sentinel errors below.
type Kind int

// Failure kinds.
const (
	KindUnconfirmed Kind = iota + 1 // the job may have printed; no confirmation came
	KindPaperOut                    // paper empty (port status, PJL 41xxx, IPP media-empty)
	KindJam                         // paper jam
	KindCoverOpen                   // a door or cover is open
	KindOffline                     // printer gone, not ready, in error, or unplugged
	KindCanceled                    // the printer reports the job canceled or aborted
	KindHardware                    // the printer reports a hardware fault
	KindUnsupported                 // no page description language kofu can send
	KindNoBackend                   // USB support was left out of this build
)

func (k Kind) String() string {
	switch k {
	case KindUnconfirmed:
		return "unconfirmed"
	case KindPaperOut:
		return "paper out"
	case KindJam:
		return "paper jam"
	case KindCoverOpen:
		return "cover open"
	case KindOffline:
		return "offline"
	case KindCanceled:
		return "job canceled"
	case KindHardware:
		return "hardware error"
	case KindUnsupported:
		return "unsupported printer language"
	case KindNoBackend:
		return "USB backend left out"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Sentinels for errors.Is. An *Error matches the sentinel of its Kind, and
// also ErrUnconfirmed whenever job bytes reached the printer (Sent): such
// a job may have printed in part or in whole, so its outcome is unknown,
// never "failed" and never "printed".
var (
	ErrUnconfirmed = errors.New("printer: job not confirmed")
	ErrPaperOut    = errors.New("printer: paper out")
	ErrJam         = errors.New("printer: paper jam")
	ErrCoverOpen   = errors.New("printer: cover open")
	ErrOffline     = errors.New("printer: offline")
	ErrCanceled    = errors.New("printer: job canceled by the printer")
	ErrHardware    = errors.New("printer: hardware error")
	ErrUnsupported = errors.New("printer: unsupported page description language")
	ErrNoBackend   = errors.New("printer: USB backend left out: built without cgo")
)

func (k Kind) sentinel() error {
	switch k {
	case KindUnconfirmed:
		return ErrUnconfirmed
	case KindPaperOut:
		return ErrPaperOut
	case KindJam:
		return ErrJam
	case KindCoverOpen:
		return ErrCoverOpen
	case KindOffline:
		return ErrOffline
	case KindCanceled:
		return ErrCanceled
	case KindHardware:
		return ErrHardware
	case KindUnsupported:
		return ErrUnsupported
	case KindNoBackend:
		return ErrNoBackend
	}
	return nil
}

// Error is a failed or unconfirmed print job.
type Error struct {
	Kind   Kind
	Sent   bool   // some job bytes reached the printer
	Pages  int    // pages the printer reported, −1 if it reported none
	Detail string // human-readable cause, e.g. the PJL status code
	Err    error  // underlying error, if any
}

func (e *Error) Error() string {
	s := "printer: " + e.Kind.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Sent && e.Kind != KindUnconfirmed {
		s += " (job data was sent: outcome unknown)"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the Kind's sentinel, and ErrUnconfirmed when Sent.
func (e *Error) Is(target error) bool {
	if target == ErrUnconfirmed && e.Sent {
		return true
	}
	return target == e.Kind.sentinel()
}

func newError(k Kind, sent bool, detail string, err error) *Error {
	return &Error{Kind: k, Sent: sent, Pages: -1, Detail: detail, Err: err}
}

// MaybePrinted reports whether pages may have come out although the job
// was not confirmed: its bytes reached the printer. The kiosk then ends the
// session unknown (staff must look), never failed.
func (e *Error) MaybePrinted() bool { return e.Sent }

// ReasonCode is the error's kind as a code for journals, outcomes and
// metrics ("paper-out", "jam", "unconfirmed", …).
func (e *Error) ReasonCode() string {
	switch e.Kind {
	case KindUnconfirmed:
		return "unconfirmed"
	case KindPaperOut:
		return "paper-out"
	case KindJam:
		return "jam"
	case KindCoverOpen:
		return "cover-open"
	case KindOffline:
		return "offline"
	case KindCanceled:
		return "canceled"
	case KindHardware:
		return "hardware"
	case KindUnsupported:
		return "unsupported"
	case KindNoBackend:
		return "no-backend"
	}
	return "error"
}
