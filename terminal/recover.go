package terminal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// settleTries bounds the retry of a capture or release; the pause before
// try n+1 is settlePause(n), growing, all within settleDeadline. A hold
// still open after that stays in the unit, and the start-up recovery
// (RecoverHolds) resolves it by the journal.
const settleTries = 3

// settlePause is the pause after failed try n (1-based): 50 ms, 200 ms.
func settlePause(n int) time.Duration { return 50 * time.Millisecond << (2 * (n - 1)) }

// settleDeadline bounds the whole retry of one settlement.
const settleDeadline = 5 * time.Second

// settleHold captures (capture true) or releases the hold h with the
// bounded retry, journaling each failure (kind settled, billing
// capture-failed or release-failed, reason try-N) and the success (billing
// captured or released). protect runs each try, recovering a panic in the
// unit as a failure. It returns the session's payment field.
func settleHold(ctx context.Context, k *Kiosk, sid string, h payment.Hold, capture bool,
	protect func(string, func()) bool) string {
	op, done := "release", "released"
	if capture {
		op, done = "capture", "captured"
	}
	ctx, cancel := context.WithTimeout(ctx, settleDeadline)
	defer cancel()
	for try := 1; ; try++ {
		err := errPanicked
		protect("payment", func() {
			if capture {
				err = k.Payment.Capture(ctx, h)
			} else {
				err = k.Payment.Release(ctx, h)
			}
		})
		if err == nil {
			_ = k.Journal.Append(journal.Record{Kind: journal.KindSettled, Session: sid, TID: h.Ref,
				Fee: h.Yen, Billing: done, Note: h.ID})
			return done
		}
		_ = k.Journal.Append(journal.Record{Kind: journal.KindSettled, Session: sid, TID: h.Ref,
			Fee: h.Yen, Billing: op + "-failed", Note: h.ID, Reason: fmt.Sprintf("try-%d", try)})
		if errors.Is(err, payment.ErrNoHold) || try >= settleTries {
			return op + "-failed"
		}
		select {
		case <-ctx.Done():
			return op + "-failed"
		case <-time.After(settlePause(try)):
		}
	}
}

// Recovery is what RecoverHolds did with the holds a previous run left.
type Recovery struct {
	Captured, Released []payment.Hold
}

// RecoverHolds resolves, before the first session, every hold the payment
// unit still has open, by the journal at path: a hold journaled (kind
// hold) by a session whose end is printed is captured; every other hold
// — the session ended otherwise, was recovered unknown at open, or the
// hold is not in the journal at all — is released, since the kiosk cannot
// show that it printed (the same rule as session.end). Each resolution is
// journaled (kind settled, note recovered-at-start). The outcome itself
// reaches the center through the outbox, which LoadOutbox fills from the
// same journal: recovery reports nothing, so the center hears once.
//
// j must be the journal at path, opened (journal.Open has already closed
// unfinished sessions as recovered). A hold that fails to settle stays
// open for the next start; its error is returned joined with the others.
func RecoverHolds(ctx context.Context, path string, j *journal.Journal, unit payment.Unit) (Recovery, error) {
	var rec Recovery
	open, err := unit.Open(ctx)
	if err != nil {
		return rec, fmt.Errorf("recover holds: %w", err)
	}
	if len(open) == 0 {
		return rec, nil
	}
	sessionOf := map[string]string{} // hold id → session
	endOf := map[string]string{}     // session → its end state
	err = journal.Each(path, func(r journal.Record) error {
		switch r.Kind {
		case journal.KindHold:
			sessionOf[r.Note] = r.Session
		case journal.KindEnd, journal.KindRecovered:
			endOf[r.Session] = r.State
		}
		return nil
	})
	if err != nil {
		return rec, fmt.Errorf("recover holds: %w", err)
	}
	var errs []error
	for _, h := range open {
		sid := sessionOf[h.ID]
		capture := sid != "" && endOf[sid] == string(StatePrinted)
		op, done := unit.Release, "released"
		if capture {
			op, done = unit.Capture, "captured"
		}
		if err := op(ctx, h); err != nil {
			errs = append(errs, fmt.Errorf("hold %s: %w", h.ID, err))
			continue
		}
		if err := j.Append(journal.Record{Kind: journal.KindSettled, Session: sid, TID: h.Ref, Fee: h.Yen,
			Billing: done, Note: h.ID, Reason: "recovered-at-start"}); err != nil {
			errs = append(errs, fmt.Errorf("hold %s: journal: %w", h.ID, err))
		}
		if capture {
			rec.Captured = append(rec.Captured, h)
		} else {
			rec.Released = append(rec.Released, h)
		}
	}
	return rec, errors.Join(errs...)
}
