package diag

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"kofu/terminal"
	"kofu/terminal/health"
	"kofu/terminal/journal"
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
	// printer reported: it ends as soon as the printer reports a fault.
	TestPage(ctx context.Context) health.Result
	// Center probes the center over mutual TLS.
	Center(ctx context.Context) (*health.CenterInfo, health.Result)
	// Journal reads the journal's sessions and counters and checks its
	// chain.
	Journal(ctx context.Context) (*health.Summary, health.Result)
	// Session reads every journal record of one session, in order.
	Session(ctx context.Context, id string) ([]journal.Record, error)
	// Outbox lists the outcomes the center has not heard yet.
	Outbox(ctx context.Context) ([]terminal.Pending, error)
	// SendOutbox sends the outbox now and says how many the center
	// answered.
	SendOutbox(ctx context.Context) (int, error)
	// Export writes a session's records for the center, codes only, to a
	// file and returns its path.
	Export(ctx context.Context, id, who string) (string, error)
	// Audit journals an action of the technician's that changed
	// something.
	Audit(ctx context.Context, a Audit) error
}

// Audit is an action of the technician's that changed something: a test
// page, an outbox send, an export. It is journaled (journal.KindDiag)
// with who did it.
type Audit struct {
	Who     string // the technician's id
	Action  string // testpage, outbox-send, export
	Result  string // ok, or a code: paper-out, failed, cancelled…
	Session string // the session concerned (export)
	Count   int    // pages printed, outcomes sent
}

// Record is the audit as a journal record.
func (a Audit) Record() journal.Record {
	return journal.Record{Kind: journal.KindDiag, State: a.Action, Reason: a.Result, Session: a.Session, Pages: a.Count, Note: "by:" + a.Who}
}

// ErrNotAvailable is returned for an action this kiosk cannot take here.
var ErrNotAvailable = errors.New("not available here")

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
	// SendOutbox sends the outbox (nil: not available).
	SendOutbox func(ctx context.Context) (int, error)
	// Sessions bounds the sessions read from the journal (0: all, so that
	// the counters of a week and a search by reference see them all).
	Sessions int
	// ExportDir is where session exports are written ("": not available).
	ExportDir string
	// Now stamps exports (default time.Now).
	Now func() time.Time
	// Append journals a record (nil: actions are not journaled here).
	Append func(ctx context.Context, r journal.Record) error
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
	s, err := health.ReadJournal(ctx, b.p.Journal, b.p.Sessions)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, health.Result{Status: health.Warn, Detail: fmt.Sprintf("no journal at %s yet: the kiosk creates it on its first start", b.p.Journal)}
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

func (b partsBackend) Session(ctx context.Context, id string) ([]journal.Record, error) {
	var out []journal.Record
	err := journal.Each(b.p.Journal, func(r journal.Record) error {
		if r.Session == id {
			out = append(out, r)
		}
		return ctx.Err()
	})
	if err != nil {
		return out, fmt.Errorf("journal %s: %w", b.p.Journal, err)
	}
	return out, nil
}

func (b partsBackend) Outbox(ctx context.Context) ([]terminal.Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o, err := terminal.LoadOutbox(b.p.Journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // no journal: nothing waits
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", b.p.Journal, err)
	}
	return o.Pending(), nil
}

func (b partsBackend) SendOutbox(ctx context.Context) (int, error) {
	if b.p.SendOutbox == nil {
		return 0, fmt.Errorf("sending the outbox: %w", ErrNotAvailable)
	}
	return b.p.SendOutbox(ctx)
}

func (b partsBackend) Audit(ctx context.Context, a Audit) error {
	if b.p.Append == nil {
		return nil
	}
	if err := b.p.Append(ctx, a.Record()); err != nil {
		return fmt.Errorf("journaling %s: %w", a.Action, err)
	}
	return nil
}

// exportHeader opens an export: what it is, for whom, from where.
type exportHeader struct {
	Format   string `json:"format"` // kofu-session-export/1
	Session  string `json:"sid"`
	Exported string `json:"exported"` // RFC 3339, UTC
	By       string `json:"by"`
	Records  int    `json:"records"`
}

func (b partsBackend) Export(ctx context.Context, id, who string) (string, error) {
	if b.p.ExportDir == "" {
		return "", fmt.Errorf("exporting: %w", ErrNotAvailable)
	}
	recs, err := b.Session(ctx, id)
	if err != nil {
		return "", err
	}
	if len(recs) == 0 {
		return "", fmt.Errorf("the journal has no record of session %s", id)
	}
	now := time.Now
	if b.p.Now != nil {
		now = b.p.Now
	}
	at := now().UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if err := enc.Encode(exportHeader{Format: "kofu-session-export/1", Session: id, Exported: at.Format(time.RFC3339), By: who, Records: len(recs)}); err != nil {
		return "", err
	}
	for _, r := range recs {
		// Codes only: the card's keyed hash and the request's binding
		// stay in the kiosk's journal.
		r.Card, r.Binding = "", ""
		if err := enc.Encode(r); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(b.p.ExportDir, 0o700); err != nil {
		return "", fmt.Errorf("export directory: %w", err)
	}
	name := fmt.Sprintf("session-%s-%s.jsonl", strings.ReplaceAll(terminal.Reference(id), "-", ""), at.Format("20060102T150405Z"))
	path := filepath.Join(b.p.ExportDir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	return path, nil
}
