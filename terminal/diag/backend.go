package diag

import (
	"context"
	"fmt"
	"io"

	"kofu/terminal/health"
)

// Backend is everything the technician UI asks. Its methods block (PC/SC,
// USB, network, disk) and are never called on the UI's event loop.
type Backend interface {
	// Checks are the preflight checks of the overview.
	Checks() []health.Check
	// Readers lists the card readers.
	Readers(ctx context.Context) ([]string, health.Result)
	// Card runs the applet check on the inserted card, tracing its APDUs
	// to trace. It never asks for or sends a PIN.
	Card(ctx context.Context, trace io.Writer) (health.CardInfo, health.Result)
	// Printer reads the printer's device ID, plan and status.
	Printer(ctx context.Context) (*health.PrinterInfo, health.Result)
	// TestPage prints one page marked as a test page and says what the
	// printer confirmed.
	TestPage(ctx context.Context) health.Result
	// Center probes the center over mutual TLS.
	Center(ctx context.Context) (*health.CenterInfo, health.Result)
	// Journal reads the journal's sessions and counters and checks its
	// chain.
	Journal(ctx context.Context) (*health.Summary, health.Result)
}

// Parts is a Backend over the kiosk's parts as terminal/health reaches
// them.
type Parts struct {
	Readers  health.ReaderLister
	Card     health.CardOpener
	Printer  health.PrinterOpener
	TestPage func(ctx context.Context) health.Result // nil: not available
	Center   health.Center
	Journal  string // path
	Checks   []health.Check
	// Sessions bounds the sessions read from the journal (default 500).
	Sessions int
}

// Backend returns p as a Backend.
func (p Parts) Backend() Backend { return partsBackend{p} }

type partsBackend struct{ p Parts }

func (b partsBackend) Checks() []health.Check { return b.p.Checks }

func (b partsBackend) Readers(ctx context.Context) ([]string, health.Result) {
	return health.ReaderNames(ctx, b.p.Readers)
}

func (b partsBackend) Card(ctx context.Context, trace io.Writer) (health.CardInfo, health.Result) {
	return health.ProbeCard(ctx, b.p.Card, trace, nil)
}

func (b partsBackend) Printer(ctx context.Context) (*health.PrinterInfo, health.Result) {
	return health.ProbePrinter(ctx, b.p.Printer)
}

func (b partsBackend) TestPage(ctx context.Context) health.Result {
	if b.p.TestPage == nil {
		return health.Result{Status: health.Fail, Detail: "printing a test page is not available here"}
	}
	return b.p.TestPage(ctx)
}

func (b partsBackend) Center(ctx context.Context) (*health.CenterInfo, health.Result) {
	return health.ProbeCenter(ctx, b.p.Center)
}

func (b partsBackend) Journal(ctx context.Context) (*health.Summary, health.Result) {
	n := b.p.Sessions
	if n <= 0 {
		n = 500
	}
	s, err := health.ReadJournal(ctx, b.p.Journal, n)
	switch {
	case err != nil:
		return nil, health.Result{Status: health.Fail, Detail: fmt.Sprintf("%s cannot be read: %v", b.p.Journal, err)}
	case s.Chain != nil:
		return s, health.Result{Status: health.Fail, Detail: fmt.Sprintf("CHAIN BROKEN: %v; the first %d records verify. Keep the file unchanged for the operator.", s.Chain, s.Records)}
	}
	last := s.Last
	if len(last) > 16 {
		last = last[:16]
	}
	return s, health.Result{Status: health.OK, Detail: fmt.Sprintf("chain verified: %d records, last hash %s…", s.Records, last)}
}
