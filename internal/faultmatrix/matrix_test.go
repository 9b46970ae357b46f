package faultmatrix_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"kofu/cardreader/emucard"
	"kofu/internal/faultmatrix"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
)

// want is how a row must end.
type want struct {
	outcome protocol.Result
	reason  string // exact, or a prefix when it ends in "*"
	payment string // captured, released, returned, none
	// paper is how many pages came out naming this session's ticket; -1:
	// every page of the document.
	paper int
	// printJob: a print job was started (false: the printer got no byte).
	printJob bool
	// reported is what the center recorded of the outcome report,
	// "result/billing"; "" when it heard none.
	reported string
}

// row is one fault at one step.
type row struct {
	name     string
	resident string           // default R0001
	doc      protocol.DocType // default juminhyo
	sides    protocol.Sides   // default one-sided
	// members makes the document 世帯の一部 (scope "members"): the places
	// on the household list the resident chooses; nil: no choice.
	members []int
	wc      worldConfig
	arm     func(w *world, s *slot, p *panel)
	want    want
	// happened shows the fault really happened where the row says.
	happened func(t *testing.T, w *world, r terminal.Result)
	bug      string // a known product bug: the row is skipped with it
}

// TestFaultMatrix runs a real session per row, injects the row's fault
// at the row's step, and checks the terminal state and reason, the fee,
// the paper, the journal and the outcome the center recorded.
func TestFaultMatrix(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	printed := want{outcome: protocol.ResultPrinted, payment: "captured", paper: -1, printJob: true, reported: "printed/captured"}
	rows := []row{
		{name: "no fault (control)", want: printed},
		{name: "no fault, multi-page (control)", resident: "R0019", doc: protocol.DocKosekiZenbu, want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if len(w.prn.Paper()) < 2 {
					t.Errorf("want a multi-page document, got %d pages", len(w.prn.Paper()))
				}
			}},

		// The card.
		{name: "card pulled @ choose (before PIN)",
			arm: func(w *world, s *slot, p *panel) {
				p.atChoose = func() bool { s.pull(); w.cardRemoved(); return true }
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"}},
		{name: "card pulled @ PIN pad (before PIN)",
			arm: func(w *world, s *slot, p *panel) {
				p.atPIN = func() bool { s.pull(); w.cardRemoved(); return true }
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"}},
		{name: "card pulled @ VERIFY, no host signal",
			arm: func(w *world, s *slot, p *panel) {
				s.ec.SetFaults(emucard.Faults{RemoveOn: emucard.Trigger{INS: 0x20, N: 1}})
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "none"}},
		{name: "card pulled @ fee (coins in, before the hold)",
			arm: func(w *world, s *slot, p *panel) {
				p.atPay = func() bool {
					_ = w.coins.Insert(100)
					s.pull()
					w.cardRemoved()
					return true
				}
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "returned", reported: "cancelled/voided"}},
		{name: "card pulled @ fetch (between PIN and print)",
			arm: func(w *world, s *slot, p *panel) {
				w.atState(terminal.StateFetch, func() { s.pull(); w.cardRemoved() })
			},
			want: want{outcome: protocol.ResultCancelled, reason: "card-removed", payment: "released", reported: "cancelled/voided"}},
		// Once printing has begun the card is no longer needed: taking it
		// does not stop the job (c133d30), which completes and is paid.
		{name: "card pulled @ print, as the job starts",
			arm: func(w *world, s *slot, p *panel) {
				w.prn.BeforeJob(func(context.Context) { s.pull(); w.cardRemoved(); w.mark("pulled") })
			},
			want:     printed,
			happened: marked("pulled")},
		{name: "card pulled @ print, mid-job",
			resident: "R0019", doc: protocol.DocKosekiZenbu,
			wc: worldConfig{scenario: "page-time=300ms"},
			arm: func(w *world, s *slot, p *panel) {
				w.prn.BeforeJob(func(ctx context.Context) {
					go func() {
						for len(w.prn.Emu.Jobs()) == 0 { // the printer has begun the job
							time.Sleep(5 * time.Millisecond)
						}
						s.pull()
						w.cardRemoved()
						if jobs := w.prn.Emu.Jobs(); len(jobs) == 1 && !jobs[0].Ended {
							w.mark("pulled mid-job")
						}
					}()
				})
			},
			want:     printed,
			happened: marked("pulled mid-job")},

		// The printer.
		{name: "paper out @ page 1", wc: worldConfig{scenario: "paper-out@1"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-paper-out", payment: "released", printJob: true,
				reported: "unknown/voided"}},
		{name: "paper out @ page 2 of a multi-page document", resident: "R0019", doc: protocol.DocKosekiZenbu,
			wc:   worldConfig{scenario: "paper-out@2"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-paper-out", payment: "released", paper: 1, printJob: true, reported: "unknown/voided"}},
		{name: "jam @ page 1", wc: worldConfig{scenario: "jam@1"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-jam", payment: "released", printJob: true,
				reported: "unknown/voided"}},
		{name: "printer unplugged before the job",
			arm: func(w *world, s *slot, p *panel) { w.prn.BeforeReady(func(context.Context) { w.prn.Emu.Unplug() }) },
			want: want{outcome: protocol.ResultFailed, reason: "print-offline", payment: "released",
				reported: "failed/voided"}}, // refused by the preflight before the print state: no job, nothing on paper
		{name: "printer unplugged mid-job", wc: worldConfig{scenario: "unplug@4096"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-offline", payment: "released", printJob: true,
				reported: "unknown/voided"}},
		{name: "END never arrives", wc: worldConfig{scenario: "no-end"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-unconfirmed", payment: "released", paper: -1, printJob: true,
				reported: "unknown/voided"}},
		{name: "printer reports the job canceled", wc: worldConfig{scenario: "result=HOST_CANCELED"},
			want: want{outcome: protocol.ResultUnknown, reason: "print-canceled", payment: "released", paper: -1, printJob: true,
				reported: "unknown/voided"}},

		// The network between kiosk and center.
		{name: "connection reset @ request, once",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepRequest, func() { w.proxy.ResetNext(1) })
			},
			want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Resets != 1 || w.stepCount(faultmatrix.StepRequest) != 2 {
					t.Errorf("resets %d, request sends %d: want 1 reset and the same bytes sent twice",
						w.proxy.Stats().Resets, w.stepCount(faultmatrix.StepRequest))
				}
				if n := w.counter("kofu_center_requests_total", "result"); n["ticket"] != 1 {
					t.Errorf("center issued %v: want exactly one ticket", n)
				}
			}},
		{name: "center refuses connections @ request",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepRequest, func() { w.proxy.Refuse(true) })
			},
			want: want{outcome: protocol.ResultFailed, reason: "submit-transport", payment: "none"},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Resets < 1 || w.stepCount(faultmatrix.StepRequest) < 2 {
					t.Errorf("resets %d, sends %d", w.proxy.Stats().Resets, w.stepCount(faultmatrix.StepRequest))
				}
			}},
		{name: "connection reset @ document, once: the GET is asked again",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepDocument, func() { w.proxy.ResetNext(1) })
			},
			want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Resets != 1 || w.stepCount(faultmatrix.StepDocument) < 2 {
					t.Errorf("resets %d, document GETs %d: want 1 reset and the GET sent again",
						w.proxy.Stats().Resets, w.stepCount(faultmatrix.StepDocument))
				}
			}},
		{name: "connection reset @ page, once: the GET is asked again",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepPage, func() { w.proxy.ResetNext(1) })
			},
			want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Resets != 1 || w.stepCount(faultmatrix.StepPage) < 2 {
					t.Errorf("resets %d, page GETs %d: want 1 reset and the GET sent again",
						w.proxy.Stats().Resets, w.stepCount(faultmatrix.StepPage))
				}
			}},
		{name: "connection reset @ outcome, once",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepOutcome, func() { w.proxy.ResetNext(1) })
			},
			want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Resets != 1 || w.stepCount(faultmatrix.StepOutcome) != 2 {
					t.Errorf("resets %d, outcome sends %d: want the report re-sent once", w.proxy.Stats().Resets, w.stepCount(faultmatrix.StepOutcome))
				}
			}},
		{name: "partition @ request",
			wc: worldConfig{timeouts: short(func(t *protocol.Timeouts) { t.Request = 2 * time.Second })},
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepRequest, w.proxy.Partition)
			},
			want: want{outcome: protocol.ResultFailed, reason: "submit-timeout", payment: "none"},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Held == 0 {
					t.Error("the partition held nothing back")
				}
				if n := w.counter("kofu_center_requests_total", "result"); n["ticket"] != 0 {
					t.Errorf("center issued %v through a partition", n)
				}
			}},
		{name: "partition @ document, heals before the report",
			wc: worldConfig{timeouts: short(func(t *protocol.Timeouts) { t.Document = 2 * time.Second })},
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepDocument, w.proxy.Partition)
				w.atStep(faultmatrix.StepOutcome, func() { time.AfterFunc(300*time.Millisecond, w.proxy.Heal) })
			},
			want: want{outcome: protocol.ResultFailed, reason: "document-timeout", payment: "released", reported: "failed/voided"},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Held == 0 {
					t.Error("the partition held nothing back")
				}
			}},
		{name: "partition @ outcome, never heals",
			wc: worldConfig{timeouts: short(func(t *protocol.Timeouts) { t.Outcome = 2 * time.Second })},
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepOutcome, w.proxy.Partition)
			},
			// The kiosk confirmed every page: it keeps the fee; the center
			// never hears (no outbox re-sends the report later).
			want: want{outcome: protocol.ResultPrinted, payment: "captured", paper: -1, printJob: true},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Held == 0 || r.Billing != "" {
					t.Errorf("held %d, billing %q", w.proxy.Stats().Held, r.Billing)
				}
			}},
		{name: "slow network (40 ms a chunk), within the deadlines",
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepRequest, func() { w.proxy.SetDelay(40 * time.Millisecond) })
			},
			want: printed,
			happened: func(t *testing.T, w *world, r terminal.Result) {
				if w.proxy.Stats().Delayed == 0 {
					t.Error("nothing was delayed")
				}
			}},
		{name: "slow network (3 s a chunk) @ request, beyond its deadline",
			wc: worldConfig{timeouts: short(func(t *protocol.Timeouts) { t.Request = 2 * time.Second })},
			arm: func(w *world, s *slot, p *panel) {
				w.atStep(faultmatrix.StepRequest, func() { w.proxy.SetDelay(3 * time.Second) })
			},
			want: want{outcome: protocol.ResultFailed, reason: "submit-timeout", payment: "none"}},

		// The center.
		{name: "center slow (issuer 8 s) @ document, beyond the 2 s deadline",
			wc: worldConfig{center: func(c *center.Config) { c.RenderDelay = 8 * time.Second },
				timeouts: short(func(t *protocol.Timeouts) { t.Document = 2 * time.Second })},
			want: want{outcome: protocol.ResultFailed, reason: "document-timeout", payment: "released", reported: "failed/voided"}},
		{name: "center slow (issuer 0.5 s), within the deadline",
			wc:   worldConfig{center: func(c *center.Config) { c.RenderDelay = 500 * time.Millisecond }},
			want: printed},
		{name: "center drops the connection @ document (fault drop), every time",
			wc: worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultDrop}} },
				timeouts: short(func(t *protocol.Timeouts) { t.Document = 2 * time.Second })},
			want: want{outcome: protocol.ResultFailed, reason: "document-transport", payment: "released", reported: "failed/voided"},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				// The GET is idempotent: the kiosk asked again until the
				// stage's deadline, and the center dropped each one.
				if n := w.counter("kofu_center_connections_dropped_total"); n[""] < 2 {
					t.Errorf("center drops %v, want the GET retried", n)
				}
			}},
		{name: "delivery after the deadline (fault late-delivery)",
			wc: worldConfig{center: func(c *center.Config) {
				c.Faults, c.LateDelay = []center.Fault{{Name: center.FaultLateDelivery}}, 4*time.Second
			}, timeouts: short(func(t *protocol.Timeouts) { t.Document = 2 * time.Second })},
			want: want{outcome: protocol.ResultFailed, reason: "document-timeout", payment: "released", reported: "failed/voided"},
			happened: func(t *testing.T, w *world, r terminal.Result) {
				deadline := time.Now().Add(10 * time.Second) // a deadline for polling: elapsed time only
				for w.env.Center.Center.LateDeliveries() == 0 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if w.env.Center.Center.LateDeliveries() != 1 {
					t.Error("the center never sent the late document")
				}
				if w.prn.Jobs() != 0 {
					t.Error("the late document reached the printer")
				}
			}},
		{name: "center serves another's page (page-swap) @ page", resident: "R0019", doc: protocol.DocKosekiZenbu,
			wc:       worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultPageSwap}} }},
			want:     want{outcome: protocol.ResultRefused, reason: "page-qr-mismatch", payment: "released", reported: "refused/voided"},
			happened: injected(center.FaultPageSwap)},
		// Two-sided documents (issue 19): R0019's 戸籍 is three sheets, six
		// faces, each with its own symbol naming its sheet and face.
		{name: "no fault, two-sided (control)", resident: "R0019", doc: protocol.DocKosekiZenbu, sides: protocol.SidesTwoSided,
			want: printed, happened: twoSidedPaper},
		{name: "center serves another document's back (back-foreign) @ page", resident: "R0019", doc: protocol.DocKosekiZenbu,
			sides:    protocol.SidesTwoSided,
			wc:       worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultBackForeign}} }},
			want:     want{outcome: protocol.ResultRefused, reason: "page-back-foreign", payment: "released", reported: "refused/voided"},
			happened: injected(center.FaultBackForeign)},
		{name: "center loses a back face (back-missing) @ document", resident: "R0019", doc: protocol.DocKosekiZenbu,
			sides:    protocol.SidesTwoSided,
			wc:       worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultBackMissing}} }},
			want:     want{outcome: protocol.ResultRefused, reason: "envelope-back-missing", payment: "released", reported: "refused/voided"},
			happened: injected(center.FaultBackMissing)},
		{name: "center swaps fronts and backs (front-back-swap) @ page", resident: "R0019", doc: protocol.DocKosekiZenbu,
			sides:    protocol.SidesTwoSided,
			wc:       worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultFrontBackSwap}} }},
			want:     want{outcome: protocol.ResultRefused, reason: "page-face-swapped", payment: "released", reported: "refused/voided"},
			happened: injected(center.FaultFrontBackSwap)},
		{name: "center renders another's record (wrong-record) @ document",
			wc:       worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: center.FaultWrongRecord}} }},
			want:     want{outcome: protocol.ResultRefused, reason: "envelope-subject", payment: "released", reported: "refused/voided"},
			happened: injected(center.FaultWrongRecord)},
		// 世帯の一部 (issue 17): R0001's household of four; he chooses
		// himself (place 0) and his son 翔太 (place 2), not his wife or
		// daughter. A mix-up in the issuer's render is refused on the
		// envelope's listed members before a page is fetched; another
		// household's list is refused before a name reaches the panel,
		// and no request, no fee and no report follow.
		{name: "no fault, 世帯の一部 (control)", members: []int{0, 2}, want: printed,
			happened: membersRendered("R0001", "", 2)},
		{name: "issuer renders a member not chosen (member-extra) @ document", members: []int{0, 2},
			wc:       centerFault(center.FaultMemberExtra),
			want:     want{outcome: protocol.ResultRefused, reason: "envelope-members", payment: "released", reported: "refused/voided"},
			happened: membersRendered("R0001", center.FaultMemberExtra, 3)},
		{name: "issuer leaves a chosen member out (member-dropped) @ document", members: []int{0, 2},
			wc:       centerFault(center.FaultMemberDropped),
			want:     want{outcome: protocol.ResultRefused, reason: "envelope-members", payment: "released", reported: "refused/voided"},
			happened: membersRendered("R0001", center.FaultMemberDropped, 1)},
		{name: "center answers with another query's list (household-other-list) @ household", members: []int{0, 2},
			wc:       centerFault(center.FaultHouseholdOtherList),
			want:     want{outcome: protocol.ResultRefused, reason: "household-qid", payment: "none"},
			happened: listServed("R0001", center.FaultHouseholdOtherList)},
		{name: "center reads another's household (household-wrong-record) @ household", members: []int{0, 2},
			wc:       centerFault(center.FaultHouseholdWrongRecord),
			want:     want{outcome: protocol.ResultRefused, reason: "household-subject", payment: "none"},
			happened: listServed("R0001", center.FaultHouseholdWrongRecord)},
		{name: "clock skew: center 3 min ahead", wc: worldConfig{skew: 3 * time.Minute},
			want: want{outcome: protocol.ResultRefused, reason: "ticket-not-yet-valid", payment: "none", reported: "refused/voided"}},
		{name: "clock skew: center 3 min behind", wc: worldConfig{skew: -3 * time.Minute},
			want: want{outcome: protocol.ResultRefused, reason: "ticket-stale", payment: "none", reported: "refused/voided"}},
		{name: "clock skew: center 10 min ahead", wc: worldConfig{skew: 10 * time.Minute},
			want: want{outcome: protocol.ResultFailed, reason: "center-replay", payment: "none"}},
		{name: "clock skew: center 90 s ahead, within the bound", wc: worldConfig{skew: 90 * time.Second},
			want: printed},
	}
	for _, rw := range rows {
		t.Run(rw.name, func(t *testing.T) {
			if rw.bug != "" && os.Getenv("KOFU_FAULTMATRIX_BUGS") == "" {
				t.Skip("BUG: " + rw.bug + " (KOFU_FAULTMATRIX_BUGS=1 runs it)")
			}
			t.Parallel()
			runRow(t, fx, rw)
		})
	}
}

// marked checks a row's fault hook ran and saw what it needed.
func marked(name string) func(t *testing.T, w *world, r terminal.Result) {
	return func(t *testing.T, w *world, r terminal.Result) {
		if !w.marked(name) {
			t.Errorf("the fault did not happen as the row says (%s)", name)
		}
		if !errors.Is(context.Cause(w.ctx), terminal.ErrCardRemoved) {
			t.Errorf("the host did not end the session's context with the removal: %v", context.Cause(w.ctx))
		}
	}
}

// twoSidedPaper checks the paper of a two-sided document: each sheet's
// front, then its back, every face naming this ticket, its sheet and face.
func twoSidedPaper(t *testing.T, w *world, r terminal.Result) {
	paper := w.prn.Paper()
	if len(paper) != 6 {
		t.Fatalf("%d faces on paper, want 6 (3 sheets)", len(paper))
	}
	for i, q := range paper {
		face := protocol.FaceFront
		if i%2 == 1 {
			face = protocol.FaceBack
		}
		if q.Sheet != protocol.SheetNo(i/2+1) || q.Sheets != 3 || q.Face != face {
			t.Errorf("face %d on paper is %s of sheet %d/%d, want %s of sheet %d/3", i+1, q.Face, q.Sheet, q.Sheets, face, i/2+1)
		}
	}
}

// injected checks the center really served the mix-up for this ticket.
func injected(f center.FaultName) func(t *testing.T, w *world, r terminal.Result) {
	return func(t *testing.T, w *world, r terminal.Result) {
		inj := w.env.Center.Center.Injections()
		if len(inj) != 1 || inj[0].Fault != f || inj[0].TID != r.TID || !inj[0].Mixup || !inj[0].Delivered {
			t.Errorf("center injections %+v: want one delivered %s mix-up on ticket %s", inj, f, r.TID)
		}
	}
}

// centerFault is a world whose center injects f into every exchange it
// fits.
func centerFault(f center.FaultName) worldConfig {
	return worldConfig{center: func(c *center.Config) { c.Faults = []center.Fault{{Name: f}} }}
}

// membersRendered checks a 世帯の一部 row: the panel was shown the
// resident's own household, and the center rendered n members on this
// ticket's document (counted from the pages it laid out), with fault f
// injected on it ("": none).
func membersRendered(resident string, f center.FaultName, n int) func(t *testing.T, w *world, r terminal.Result) {
	return func(t *testing.T, w *world, r terminal.Result) {
		if f != "" {
			injected(f)(t, w, r)
		} else if inj := w.env.Center.Center.Injections(); len(inj) != 0 {
			t.Errorf("center injections %+v, want none", inj)
		}
		res, _ := w.fx.Resident(resident)
		var household []string
		for _, m := range res.Household {
			household = append(household, m.Name)
		}
		if got := w.shownNames(); !slices.Equal(got, household) {
			t.Errorf("the panel was shown %q, want the household %q", got, household)
		}
		tid, err := protocol.B64Decode(r.TID)
		if err != nil {
			t.Fatalf("tid %q: %v", r.TID, err)
		}
		specs, ok := w.env.Center.Center.Rendered(tid)
		if !ok {
			t.Fatalf("the center rendered no document on ticket %s", r.TID)
		}
		got := 0
		for _, s := range specs {
			for _, row := range s.Rows {
				if row.Label == "氏名" {
					got++
				}
			}
		}
		if got != n {
			t.Errorf("the center rendered %d members, want %d", got, n)
		}
	}
}

// listServed checks a household list fault really happened: the center
// answered the one household query with another resident's household
// (injection f, its source another record), the panel was shown no name,
// and no request followed.
func listServed(resident string, f center.FaultName) func(t *testing.T, w *world, r terminal.Result) {
	return func(t *testing.T, w *world, r terminal.Result) {
		inj := w.env.Center.Center.Injections()
		if len(inj) != 1 || inj[0].Fault != f || !inj[0].Mixup || !inj[0].Delivered ||
			!strings.HasPrefix(inj[0].Source, "record:") || inj[0].Source == "record:"+resident {
			t.Errorf("center injections %+v: want one delivered %s list of another record than %s", inj, f, resident)
		}
		if q, req := w.stepCount(faultmatrix.StepHousehold), w.stepCount(faultmatrix.StepRequest); q != 1 || req != 0 {
			t.Errorf("%d household queries and %d requests sent, want one query and no request", q, req)
		}
		if names := w.shownNames(); len(names) != 0 {
			t.Errorf("the panel was shown %q from a refused list", names)
		}
	}
}

// runRow runs one row and checks everything it promises.
func runRow(t *testing.T, fx *fixtures.Set, rw row) {
	if rw.resident == "" {
		rw.resident = "R0001"
	}
	if rw.doc == "" {
		rw.doc = protocol.DocJuminhyo
	}
	w := newWorld(t, fx, rw.wc)
	s := newSlot(t, fx, rw.resident)
	card := w.openCard(s)
	p := &panel{}
	if rw.arm != nil {
		rw.arm(w, s, p)
	}
	r := w.serve(card, s.res, rw.doc, rw.sides, rw.members, p)
	t.Logf("%s/%s fee %d payment %s billing %q pages %d; proxy %+v", r.Outcome, r.Reason, r.Fee, r.Payment, r.Billing,
		r.Pages, w.proxy.Stats())
	check(t, w, r, rw.want)
	if rw.happened != nil {
		rw.happened(t, w, r)
	}
}

func check(t *testing.T, w *world, r terminal.Result, want want) {
	t.Helper()
	// Terminal state and reason.
	reasonOK := string(r.Reason) == want.reason
	if p, ok := strings.CutSuffix(want.reason, "*"); ok {
		reasonOK = strings.HasPrefix(string(r.Reason), p)
	}
	if r.Outcome != want.outcome || !reasonOK {
		t.Errorf("ended %s/%s, want %s/%s", r.Outcome, r.Reason, want.outcome, want.reason)
	}
	// The fee: captured only when every page was confirmed.
	l := w.coins.Ledger()
	if r.Payment != want.payment {
		t.Errorf("payment %s, want %s", r.Payment, want.payment)
	}
	if want.payment == "captured" && (l.Cashbox != r.Fee || r.Fee == 0 || r.Pages == 0) {
		t.Errorf("captured: cashbox %d, fee %d, pages %d", l.Cashbox, r.Fee, r.Pages)
	}
	if want.payment != "captured" && l.Cashbox != 0 {
		t.Errorf("cashbox %d without a confirmed print", l.Cashbox)
	}
	if l.OpenHolds != 0 || l.Credit != 0 {
		t.Errorf("ledger left open: %+v", l)
	}
	// What the printer got and put on paper.
	paper := w.prn.Paper()
	if (w.prn.Jobs() > 0) != want.printJob {
		t.Errorf("print jobs %d, want a job: %v", w.prn.Jobs(), want.printJob)
	}
	if !want.printJob {
		if n, _ := w.prn.Emu.Received(); n != 0 {
			t.Errorf("the printer received %d bytes", n)
		}
	}
	switch {
	case want.paper < 0:
		if len(paper) == 0 {
			t.Error("nothing on paper")
		} else if err := faultmatrix.CheckPaper(paper, r.TID, paper[0].Total, paper[0].Total); err != nil {
			t.Error(err)
		}
		if want.payment == "captured" && r.Pages != len(paper) {
			t.Errorf("confirmed %d pages, %d on paper", r.Pages, len(paper))
		}
	default:
		total := 0
		if len(paper) > 0 {
			total = paper[0].Total
		}
		if err := faultmatrix.CheckPaper(paper, r.TID, want.paper, total); err != nil {
			t.Error(err)
		}
	}
	// The journal verifies and ends the session in that state.
	end, rep := w.lastEnd(r.Session)
	if end.State != string(r.Outcome) || end.Reason != string(r.Reason) || end.Billing != r.Payment || end.Pages != r.Pages {
		t.Errorf("journal end %+v, result %+v", end, r)
	}
	if len(rep.Open) != 0 || rep.Outcomes[string(r.Outcome)] != 1 {
		t.Errorf("journal report %+v", rep)
	}
	// The outcome the center recorded.
	got := w.centerOutcomes()
	if want.reported == "" {
		if len(got) != 0 || r.Billing != "" {
			t.Errorf("the center recorded %v (kiosk heard %q), want no outcome", got, r.Billing)
		}
	} else {
		_, billing, _ := strings.Cut(want.reported, "/")
		if got[want.reported] != 1 || len(got) != 1 || r.Billing != billing {
			t.Errorf("the center recorded %v (kiosk heard %q), want %s", got, r.Billing, want.reported)
		}
	}
}
