package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Kind is what a record says.
type Kind string

// Record kinds.
const (
	KindOpen      Kind = "open"      // the journal was opened by a kiosk process
	KindState     Kind = "state"     // a session entered a state
	KindEnd       Kind = "end"       // a session reached its terminal state
	KindRecovered Kind = "recovered" // a session found unfinished at open, closed as unknown (or printed, see IntentCapture)
	KindRepair    Kind = "repair"    // a torn, uncommitted tail was cut at open
	KindOutbox    Kind = "outbox"    // an outcome the center did not acknowledge, to send again
	KindReported  Kind = "reported"  // a queued outcome the center has now answered (or refused for good)
	// KindHold is written BEFORE a fee is held: hold id (note), ticket
	// (tid) and amount (fee), so that a hold a crash leaves open can be
	// traced to its session and resolved by that session's outcome.
	KindHold Kind = "hold"
	// KindSettled is written after a hold is captured or released
	// (billing), naming the hold (note); also at start-up recovery.
	KindSettled Kind = "settled"
	// KindDiag is an action of a technician's in kiosk diag that changed
	// something (a test page, an outbox send, an export): the action
	// (state), its result (reason), who did it (note, "by:ID"), the
	// session concerned (sid) and a count (pages).
	KindDiag Kind = "diag"
)

// IntentCapture, in the Billing field of a state record, says the session
// has earned the outcome printed before any money moves: every page was
// confirmed by the printer and the fee is to be captured. The terminal
// writes it on entering settle, so that a stop anywhere after — before
// the capture, between the capture and its settled record, or before the
// end record — is closed at the next Open as printed (with the record's
// pages), and the start-up recovery captures a hold still open, rather
// than a confirmed, paid-for page being reported unknown. A state record
// with any other Billing (the terminal writes IntentRelease) decides
// nothing: the session is closed as unknown.
const (
	IntentCapture = "capture"
	IntentRelease = "release"
)

// Record is one journal line. Every field is free of personal data by
// construction: ids are random, the card is a keyed hash, reasons are
// codes.
type Record struct {
	Seq     uint64 `json:"seq"`
	Time    string `json:"t"` // RFC 3339, UTC, nanoseconds
	Kind    Kind   `json:"kind"`
	Session string `json:"sid,omitempty"`     // random session id
	State   string `json:"state,omitempty"`   // state entered; for end, the outcome
	TID     string `json:"tid,omitempty"`     // ticket id (base64url)
	Reason  string `json:"reason,omitempty"`  // refusal or failure code
	Fee     int    `json:"fee,omitempty"`     // yen
	Billing string `json:"billing,omitempty"` // captured, released, none
	Pages   int    `json:"pages,omitempty"`   // pages confirmed
	Card    string `json:"card,omitempty"`    // HMAC-SHA-256 of the card certificate under the journal key
	Binding string `json:"binding,omitempty"` // the request's binding (base64url SHA-256): lets an outcome be reported later
	Note    string `json:"note,omitempty"`    // a short code for technicians
	Prev    string `json:"prev"`              // hash of the previous record (hex), zeros for the first
	Hash    string `json:"h"`                 // SHA-256(prev || body), hex
}

// zeroHash is the chain's anchor.
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// maxLine bounds one record line.
const maxLine = 2048

var (
	codeRe = regexp.MustCompile(`^[A-Za-z0-9._:-]{0,64}$`)
	hexRe  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// bindingRe is a SHA-256 in unpadded base64url.
	bindingRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// body is the record as hashed: every field but the hash itself.
func (r Record) body() []byte {
	r.Hash = ""
	b, _ := json.Marshal(r)
	return b
}

// seal computes r's hash over prev and its body.
func (r Record) seal() string {
	h := sha256.New()
	h.Write([]byte(r.Prev))
	h.Write(r.body())
	return hex.EncodeToString(h.Sum(nil))
}

// validate checks a record's fields are codes, not free text: personal
// data cannot be smuggled into the journal through a field.
func (r Record) validate() error {
	if _, err := time.Parse(time.RFC3339Nano, r.Time); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	switch r.Kind {
	case KindOpen, KindState, KindEnd, KindRecovered, KindRepair, KindOutbox, KindReported, KindHold, KindSettled, KindDiag:
	default:
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	for name, v := range map[string]string{"sid": r.Session, "state": r.State, "tid": r.TID,
		"reason": r.Reason, "billing": r.Billing, "note": r.Note} {
		if !codeRe.MatchString(v) {
			return fmt.Errorf("field %s is not a code", name)
		}
	}
	if r.Binding != "" && !bindingRe.MatchString(r.Binding) {
		return errors.New("binding is not a base64url SHA-256")
	}
	if r.Card != "" && !hexRe.MatchString(r.Card) {
		return errors.New("card is not a keyed hash")
	}
	if r.Fee < 0 || r.Pages < 0 {
		return errors.New("negative fee or pages")
	}
	return nil
}

// parseLine decodes and checks one line against the previous hash.
func parseLine(line []byte, prev string, seq uint64) (Record, error) {
	var r Record
	if len(line) > maxLine {
		return r, errors.New("line too long")
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("not a record: %w", err)
	}
	if err := r.validate(); err != nil {
		return r, err
	}
	if r.Seq != seq {
		return r, fmt.Errorf("seq %d, want %d", r.Seq, seq)
	}
	if r.Prev != prev {
		return r, errors.New("chain broken: prev does not match")
	}
	if r.Hash != r.seal() {
		return r, errors.New("hash does not match the record")
	}
	// The hash covers the decoded fields, so the line must be exactly their
	// encoding: otherwise members added to a committed line (a name, a
	// PIN), keys spelled in another case, duplicates or whitespace would
	// change the file and still verify.
	if canon, err := jsonLine(r); err != nil || !bytes.Equal(canon, line) {
		return r, errors.New("line is not the record's own encoding")
	}
	return r, nil
}

// jsonLine is the committed form of a record (without the newline).
func jsonLine(r Record) ([]byte, error) { return json.Marshal(r) }
