package terminal

import (
	"strings"

	"kofu/protocol"
)

// Reason is the code a session ends with when it did not print: in the
// journal, the outcome report, the metrics and the resident's screen. It
// is a short kebab-case string, "<stage>-<detail>" ("pay-timeout",
// "envelope-subject", "print-paper-out") or one of the codes below;
// docs/operator.md lists them. Callers branch on Class, never on the
// string's spelling.
type Reason string

// The reasons that are not a stage and a detail.
const (
	ReasonNone                Reason = ""
	ReasonCardRemoved         Reason = "card-removed"
	ReasonShutdown            Reason = "shutdown"
	ReasonPaymentInsufficient Reason = "payment-insufficient"
	// ReasonHouseholdUnsupported: 世帯の一部 was asked of a center that
	// has no household list (a center of DESIGN §3 alone); ClassNetwork,
	// like the error status it is, but the resident is told to choose
	// another scope rather than to try later.
	ReasonHouseholdUnsupported Reason = "household-unsupported"
)

// Class is what kind of thing ended a session: what the resident is told,
// which status gauge moves, what staff should do.
type Class string

// The classes of reasons.
const (
	// ClassNone: no reason (the document was printed).
	ClassNone Class = ""
	// ClassResident: the resident stopped — cancelled, took no action in
	// time at one of their steps, or took the card away.
	ClassResident Class = "resident"
	// ClassCard: the card or its certificate (blocked PIN, expired or
	// unreadable certificate, a failed signature).
	ClassCard Class = "card"
	// ClassCenter: the center answered the request with a problem
	// (not eligible, outside hours, document unavailable …).
	ClassCenter Class = "center"
	// ClassNetwork: the center could not be reached safely or in time, or
	// answered with an error status.
	ClassNetwork Class = "network"
	// ClassVerify: the kiosk refused what the center sent (ticket,
	// envelope or page not bound to this request): the promise at work.
	ClassVerify Class = "verify"
	// ClassPrinter: the printer could not take or finish the job.
	ClassPrinter Class = "printer"
	// ClassPayment: the coin unit, or not enough money.
	ClassPayment Class = "payment"
	// ClassShutdown: the machine was stopping.
	ClassShutdown Class = "shutdown"
	// ClassSystem: the kiosk itself (journal, an unexpected error).
	ClassSystem Class = "system"
)

// residentStages are the stages where the kiosk waits for the resident:
// a timeout there is the resident's, not the center's.
func residentStage(stage string) bool {
	return stage == "choose" || stage == "pin" || stage == "members" || stage == "pay"
}

// verifyStages are the stages of protocol.RefusalError codes the kiosk
// gives (§3.4): ticket, envelope, page, and the household list of
// 世帯の一部.
func verifyStage(stage string) bool {
	return stage == string(protocol.StageTicket) || stage == string(protocol.StageEnvelope) || stage == string(protocol.StagePage) ||
		stage == string(protocol.StageHousehold)
}

// Stage is the reason's stage ("pay" in "pay-timeout"), "" for a reason
// without one.
func (r Reason) Stage() string {
	s, _ := r.split()
	return s
}

// Detail is what follows the stage ("timeout" in "pay-timeout").
func (r Reason) Detail() string {
	_, d := r.split()
	return d
}

func (r Reason) split() (stage, detail string) {
	// The stage prefixes, longest first so that "card-pin-…" is not
	// read as stage "card".
	for _, s := range [...]string{
		"card-certificate", "card-sign", "card-pin", "card",
		"choose", "pin", "members", "household", "submit", "ticket", "document", "envelope", "page",
		"pay", "payment", "print", "journal", "center",
	} {
		if d, ok := strings.CutPrefix(string(r), s+"-"); ok {
			return s, d
		}
	}
	return "", string(r)
}

// Problem is the center's problem type of a ClassCenter reason.
func (r Reason) Problem() (protocol.ProblemType, bool) {
	if r.Class() != ClassCenter {
		return "", false
	}
	return protocol.ProblemType(r.Detail()), true
}

// transportDetail reports whether detail says the exchange failed
// (rather than what was exchanged being refused).
func transportDetail(detail string) bool {
	switch {
	case detail == "timeout", detail == "too-large", detail == "error",
		strings.HasPrefix(detail, "http-"), strings.HasPrefix(detail, "tls-"), detail == "unsupported",
		detail == string(protocol.TransportOther):
		return true
	}
	return false
}

// Class says what kind of thing ended the session; a reason this build
// does not know is ClassSystem.
func (r Reason) Class() Class {
	switch r {
	case ReasonNone:
		return ClassNone
	case ReasonCardRemoved:
		return ClassResident
	case ReasonShutdown:
		return ClassShutdown
	}
	stage, detail := r.split()
	switch {
	case stage == "":
		return ClassSystem
	case detail == "cancelled":
		return ClassResident
	case detail == "timeout" && residentStage(stage):
		return ClassResident
	case stage == "center":
		return ClassCenter
	case strings.HasPrefix(stage, "card"):
		return ClassCard
	case stage == "print":
		return ClassPrinter
	case stage == "pay" || stage == "payment":
		return ClassPayment
	case stage == "journal":
		return ClassSystem
	case verifyStage(stage) && !transportDetail(detail):
		return ClassVerify
	case stage == "submit" || stage == "document" || verifyStage(stage):
		if detail == "error" {
			return ClassSystem
		}
		return ClassNetwork
	}
	return ClassSystem
}
