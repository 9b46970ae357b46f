package terminal

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"time"

	"kofu/protocol"
)

// Card is what a session needs from the resident's card: its user-auth
// certificate, the PIN tries left (spending none), and a signer unlocked by
// the PIN. The session zeroes the PIN slice after the call.
type Card interface {
	AuthCertificate(ctx context.Context) (*x509.Certificate, error)
	AuthPINRetries(ctx context.Context) (int, error)
	AuthKey(ctx context.Context, pin []byte) (crypto.Signer, error)
}

// PINError is implemented by card errors for a wrong PIN: how many tries
// are left (0: the card is now blocked).
type PINError interface {
	error
	TriesLeft() int
}

// Sink receives verified pages — a printer, or the emulator's output —
// and says how many pages it confirms came out.
type Sink interface {
	Print(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage) (confirmed int, err error)
	ID() protocol.PrinterID
}

// PageReporter is implemented by sinks that can tell, while a job runs,
// how many pages the printer reports out, so the screen can say "page k
// of n". out is called from another goroutine; the count is progress
// only, never a confirmation.
type PageReporter interface {
	PrintReporting(ctx context.Context, tid []byte, pages []*protocol.VerifiedPage, out func(int)) (confirmed int, err error)
}

// MaybePrinted is implemented by print errors after which pages may have
// come out although none was confirmed (job bytes reached the printer).
// The session no longer needs to ask: every error from Sink.Print ends it
// unknown (the transition table admits nothing else once print has
// begun); the interface stays for logs and the printer's own reset.
type MaybePrinted interface {
	MaybePrinted() bool
}

// Preflighter is implemented by sinks that can tell, without sending a
// byte, whether the printer can take a job now (a printer this build
// cannot drive, no USB backend, the port status says offline or out of
// paper). The session asks just before the move to print: an error there
// ends the session failed — nothing can have come out — while an error
// from Print itself, once the job is handed over, ends it unknown. A sink
// without it has every printer problem end unknown.
type Preflighter interface {
	Ready(ctx context.Context) error
}

// Preparer is implemented by sinks that must make the verified pages into
// their job before the move to print and can fail doing so — the printer
// composites the copy-evident ground pattern and checks that every
// verified black pixel and the QR band came through bit-identical. The
// session calls Prepare after Ready, before the move to print: an error
// there ends the session failed with nothing sent and the fee released,
// as a failed preflight does. Print then prints those same pages.
type Preparer interface {
	Prepare(ctx context.Context, pages []*protocol.VerifiedPage) error
}

// SidesAsker is implemented by sinks that say how documents are asked to
// be printed: protocol.SidesTwoSided when the site prints duplex
// ([printer] duplex), "" for one-sided. The session puts it in the
// request's doc, so the center renders (and signs) a back for every
// sheet; a sink without it gets one-sided documents.
type SidesAsker interface {
	Sides() protocol.Sides
}

// Identity is the kiosk's identity towards the center.
type Identity struct {
	Term, Store string
	Device      crypto.Signer // device key (signs outcomes)
	DeviceChain [][]byte      // device certificate, DER
	SW          string        // kofu-kiosk/<version>+<revision>
}

// Order is what the resident asked for.
type Order struct {
	Muni string
	Doc  protocol.DocSpec
}

// Progress is what the panel shows while the session works.
type Progress struct {
	State       State
	Page, Pages int // while printing: page k of n (sheets: a two-sided document's n is its sheets)
	// Stopped, once a print job has ended short, is the session's reason
	// for it ("print-paper-out", "print-jam" …), with Page the pages the
	// printer reported out: the panel says it in words at once, before
	// the session has settled. Never shown as a code.
	Stopped   Reason
	TriesLeft int // while asking the PIN
	Fee       int // once the ticket is verified
}

// Panel is the resident's side of a session: the customer UI, or the
// autopilot. The session asks it for decisions and tells it progress; it
// holds no business logic.
type Panel interface {
	// Choose asks which document; ErrCancelled when the resident backs out.
	Choose(ctx context.Context) (Order, error)
	// PIN asks for the PIN, showing the tries left. The session zeroes the
	// returned slice.
	PIN(ctx context.Context, triesLeft int) ([]byte, error)
	// Members asks which household members the document lists when the
	// order's scope is 世帯の一部 (protocol.ScopeMembers): list is the
	// household the center released after the PIN, in the register's
	// order. It returns the places chosen in list (0-based, each once,
	// at least one), or ErrCancelled. The names are personal data: the
	// panel shows them for this question and the summary before paying,
	// and forgets them with the session.
	Members(ctx context.Context, list []Member) ([]int, error)
	// Pay shows the fee and returns once the resident has paid it into the
	// payment unit, or ErrCancelled.
	Pay(ctx context.Context, fee int) error
	// Progress reports what the session is doing. While printing it may be
	// called from another goroutine (the printer's page reports).
	Progress(p Progress)
	// Finish shows the outcome and returns once the resident has taken
	// the card (and the paper) or ctx ended. A UI on a card loop learns
	// that the card left from the loop (terminal/host gives it the card's
	// removal), not from a key; ctx ending with the card still in the
	// reader is a card left behind, which the loop shows to the staff.
	Finish(ctx context.Context, r Result)
}

// Member is one person of the resident's household as the Panel shows it
// to choose from: display name, relationship (続柄 to the head of
// household, as the register writes it) and whether it is the card's
// holder. Never a token or a resident number.
type Member struct {
	Name, Relation string
	Self           bool
}

// KeepSigner is implemented by card keys that sign once and then release
// the card (cardreader.Key): SignKeep signs and keeps the card, PIN
// verified, for one more signature within hold. The session signs the
// household query of 世帯の一部 with it and the request with Sign, so the
// resident enters the PIN once. A key without it (a software key) signs
// as often as it is asked.
type KeepSigner interface {
	crypto.Signer
	SignKeep(ctx context.Context, digest []byte, opts crypto.SignerOpts, hold time.Duration) ([]byte, error)
}

// ErrCancelled is returned by a Panel when the resident backs out.
var ErrCancelled = errors.New("cancelled by the resident")

// ErrCardRemoved is the cause a kiosk gives a session's context when the
// card leaves the reader (or another card appears).
var ErrCardRemoved = errors.New("card removed")

// Removal is implemented by card errors that mean the card left the
// reader or was swapped (the card reader's own removal errors), so a
// removal the card notices before the kiosk's watch does still ends the
// session as a removal.
type Removal interface {
	CardRemoved() bool
}

// cardGone reports whether the session's card has gone: the kiosk
// cancelled ctx with ErrCardRemoved, or err is a removal.
func cardGone(ctx context.Context, err error) bool {
	if errors.Is(context.Cause(ctx), ErrCardRemoved) || errors.Is(err, ErrCardRemoved) {
		return true
	}
	var r Removal
	return errors.As(err, &r) && r.CardRemoved()
}

// Result is how one session ended, as the autopilot reports it (DESIGN §8).
type Result struct {
	Outcome protocol.Result `json:"outcome"`
	Reason  Reason          `json:"reason"`
	TID     string          `json:"tid"`
	Pages   int             `json:"pages"`
	// Sheets, for a two-sided document only, is the sheets whose both
	// faces were confirmed (Pages counts faces, as the outcome does).
	Sheets  int    `json:"sheets,omitempty"`
	Fee     int    `json:"fee"`
	Billing string `json:"billing,omitempty"` // the center's answer
	Payment string `json:"payment,omitempty"` // the fee: captured, released, none, returned, *-failed
	// Refund is "return-failed" when coins inserted beyond the held fee
	// could not be given back (staff refund them by hand); "" otherwise.
	Refund  string   `json:"refund,omitempty"`
	Session string   `json:"session,omitempty"`
	Files   []string `json:"files"`
}
