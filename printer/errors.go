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
	KindUnconfirmed   Kind = iota + 1 // the job may have printed; no confirmation came
	KindPaperOut                      // paper empty (port status, PJL 41xxx, IPP media-empty)
	KindJam                           // paper jam
	KindCoverOpen                     // a door or cover is open
	KindOffline                       // printer gone, not ready, in error, or unplugged
	KindCanceled                      // the printer reports the job canceled or aborted
	KindHardware                      // the printer reports a hardware fault
	KindUnsupported                   // no page description language kofu can send
	KindNoBackend                     // USB support was left out of this build
	KindGroundPattern                 // the copy-evident ground pattern could not be added: the job is not sent
	KindNoDuplex                      // a two-sided document on a printer that cannot print both sides: the job is not sent
)

// kindInfo is everything kofu says about one Kind, in one place:
// the quirks-as-data form (the table of OpenPrinting's ipp-usb and of
// CUPS's usb-quirks) rather than a switch per question.
type kindInfo struct {
	kind     Kind
	code     string // reason code in journals, outcomes and metrics (Error.ReasonCode)
	name     string // English name, as a printer's panel would show it (Kind.String)
	ja       string // Japanese name, for the resident's screen and the clerk
	sentinel error  // what errors.Is matches
	// fatal: the printer cannot go on printing until someone acts; while
	// a job waits for its confirmation it ends the wait at once.
	fatal bool
	// clerk is what the store clerk reads (health checks, the
	// technician's view): the state, then what to do about it.
	clerk string
}

// kinds is the table every question about a Kind reads.
func kinds() []kindInfo {
	return []kindInfo{
		{KindUnconfirmed, "unconfirmed", "unconfirmed", "印刷未確認", ErrUnconfirmed, false,
			"not confirmed: look in the output tray, the job may have printed in part or in whole"},
		{KindPaperOut, "paper-out", "paper out", "用紙切れ", ErrPaperOut, true,
			"paper out: load A4 paper and close the tray"},
		{KindJam, "jam", "paper jam", "紙づまり", ErrJam, true,
			"paper jam: open the cover, remove the jammed sheet and close the cover"},
		{KindCoverOpen, "cover-open", "cover open", "カバーが開いています", ErrCoverOpen, true,
			"a cover or door is open: close it"},
		{KindOffline, "offline", "offline", "オフライン", ErrOffline, true,
			"offline or in error: check the printer's power, panel and USB cable"},
		{KindCanceled, "canceled", "job canceled", "印刷が取り消されました", ErrCanceled, false,
			"job canceled by the printer: read its panel"},
		{KindHardware, "hardware", "hardware error", "プリンター故障", ErrHardware, true,
			"hardware fault reported: read the printer's panel and call its service"},
		{KindUnsupported, "unsupported", "unsupported printer language", "非対応のプリンター", ErrUnsupported, true,
			"unsupported printer: connect one that takes PCL 5 (with PJL), PWG Raster or IPP-over-USB"},
		{KindNoBackend, "no-backend", "USB backend left out", "USB非対応のビルド", ErrNoBackend, true,
			"no USB backend: install the kiosk build with printer support (built with cgo)"},
		{KindGroundPattern, "ground-pattern", "ground pattern refused", "地紋を合成できません", ErrGroundPattern, false,
			"ground pattern refused: nothing was printed; report the session to the operator (the copy-evident pattern could not be added to the verified page)"},
		{KindNoDuplex, "no-duplex", "no duplex printing", "両面印刷ができません", ErrNoDuplex, true,
			"the printer cannot print both sides of a sheet: connect one with a duplex unit (or install it), or have the operator turn [printer] duplex off"},
	}
}

// info returns k's row of the table (ok false for a Kind not in it).
func (k Kind) info() (kindInfo, bool) {
	for _, i := range kinds() {
		if i.kind == k {
			return i, true
		}
	}
	return kindInfo{}, false
}

func (k Kind) String() string {
	if i, ok := k.info(); ok {
		return i.name
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Japanese is the kind's name in Japanese, as the resident's screen and
// the clerk read it ("" for a Kind not in the table).
func (k Kind) Japanese() string {
	i, _ := k.info()
	return i.ja
}

// Fatal reports whether the printer cannot go on until someone acts
// (paper out, jam, cover open, offline, hardware, a printer kofu cannot
// drive); a job waiting for its confirmation ends at once on one.
func (k Kind) Fatal() bool {
	i, _ := k.info()
	return i.fatal
}

// ClerkAction is what the store clerk reads about the kind, one line of
// English for the health checks and the technician's view: the state,
// then what to do about it ("" for a Kind not in the table).
func (k Kind) ClerkAction() string {
	i, _ := k.info()
	return i.clerk
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
	// ErrGroundPattern: compositing the ground pattern failed, or its
	// check that every verified black pixel and the QR band came through
	// bit-identical did (printer/groundpattern); nothing was sent.
	ErrGroundPattern = errors.New("printer: the ground pattern could not be added to a verified page")
	// ErrNoDuplex: the document is two-sided and the printer cannot
	// print both sides of a sheet (IPP sides-supported, or the site's
	// no-duplex quirk); nothing was sent.
	ErrNoDuplex = errors.New("printer: the printer cannot print both sides of a sheet")
)

func (k Kind) sentinel() error {
	i, _ := k.info()
	return i.sentinel
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
	if i, ok := e.Kind.info(); ok {
		return i.code
	}
	return "error"
}
