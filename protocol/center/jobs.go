package center

import (
	"time"

	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/pages"
)

// jobState is where a ticket's document is in the issuer.
type jobState int

const (
	jobRendering jobState = iota
	jobReady
	jobFailed // aborted (too slow, render error): never handed to anyone else
)

// job is one ticket: the request it answers, the genuine document, and
// what the center serves for it (which differs under a fault).
type job struct {
	tid      protocol.Bytes
	key      string // base64url tid
	req      protocol.Request
	binding  []byte
	subject  []byte
	resident *fixtures.Resident
	term     string
	ticket   []byte
	fee      int
	created  time.Time
	fault    *Fault
	// members are the household members the request named (doc.members),
	// in the household's order; nil for every other request.
	members []chosen

	// guarded by Center.mu
	state     jobState
	genuine   *document    // what the issuer rendered for this request
	delivered *document    // what the center serves under this ticket
	rendered  []pages.Spec // what the served document's front faces show (Center.Rendered), kept past the outcome
	ready     chan struct{}
	result    protocol.Result
	reason    string
	billing   protocol.Billing
	incident  string
	outcome   *protocol.Outcome // the outcome first accepted (idempotency)
}

// document is a rendered, signed document: an envelope and its pages.
type document struct {
	owner    string // base64url tid of the job it was rendered for
	resident string
	envelope []byte
	pages    [][]byte
	header   string            // Kofu-Issuer-Error value served with it, if any
	env      protocol.Envelope // the payload signed in envelope
	specs    []pages.Spec      // what each front face shows, QR text included (Center.Rendered)
}
