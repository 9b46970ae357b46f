package terminal_test

import (
	"context"
	"slices"
	"testing"

	"kofu/internal/emulator"
	"kofu/protocol"
	"kofu/terminal"
)

// prepSink is a sink that makes its job before the move to print
// (terminal.Preparer), as the printer does with the ground pattern.
type prepSink struct {
	sink
	prepare  error
	prepared int // pages Prepare was given
	jobs     int
}

func (s *prepSink) Prepare(_ context.Context, p []*protocol.VerifiedPage) error {
	s.prepared = len(p)
	return s.prepare
}

func (s *prepSink) Print(ctx context.Context, tid []byte, p []*protocol.VerifiedPage) (int, error) {
	s.jobs++
	return s.sink.Print(ctx, tid, p)
}

var _ terminal.Preparer = (*prepSink)(nil)

// reasonErr is a printer error with its reason code, as printer.Error has.
type reasonErr string

func (e reasonErr) Error() string      { return string(e) }
func (e reasonErr) ReasonCode() string { return string(e) }

// TestPrepareBeforePrint: a sink that cannot make the job (the ground
// pattern could not be added, or its bit-identity check failed) ends the
// session failed in fetch with its reason, the fee released and no job
// sent; a sink that can prints the very pages it prepared.
func TestPrepareBeforePrint(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	res, _ := w.fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	for _, c := range []struct {
		name    string
		prepare error
		outcome protocol.Result
		reason  string
		states  []string
		payment string
		jobs    int
	}{
		{"pattern refused", reasonErr("ground-pattern"), protocol.ResultFailed, "print-ground-pattern",
			[]string{"card", "choose", "pin", "submit", "fee", "fetch", "failed"}, "released", 0},
		{"pattern added", nil, protocol.ResultPrinted, "",
			[]string{"card", "choose", "pin", "submit", "fee", "fetch", "print", "settle", "printed"}, "captured", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &prepSink{sink: sink{confirm: -1}, prepare: c.prepare}
			got := w.serve15(t, emulator.NewSoftCard(res), &scripted{order: terminal.Order{Muni: res.Muni, Doc: doc}, pins: []string{res.PIN}}, s, nil)
			if got.r.Outcome != c.outcome || string(got.r.Reason) != c.reason || got.r.Payment != c.payment || s.jobs != c.jobs {
				t.Fatalf("%s/%s payment %s jobs %d; want %s/%s %s %d", got.r.Outcome, got.r.Reason, got.r.Payment, s.jobs,
					c.outcome, c.reason, c.payment, c.jobs)
			}
			if s.prepared == 0 {
				t.Error("Prepare was not asked")
			}
			if st := states(got.recs); !slices.Equal(st, c.states) {
				t.Errorf("journal states %v, want %v", st, c.states)
			}
		})
	}
}
