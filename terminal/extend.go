package terminal

import (
	"context"
	"errors"
	"sync"
	"time"
)

// A question to the resident (choose, PIN, pay) runs under a stage
// deadline the resident can push back: the Panel warns as it nears and
// any key pressed then — or money inserted on the payment screen — gives
// the question its full time again (Extend). The deadline is kept on the
// kiosk's clock (Kiosk.Now) for the Panel's countdown (StageDeadline);
// the timer that ends the question measures elapsed time, as
// context.WithTimeout does.

// extendKey is the context key of a question's deadline.
type extendKey struct{}

// questionDeadline is the deadline of one question to the resident.
type questionDeadline struct {
	full  time.Duration
	now   func() time.Time
	timer *time.Timer

	mu   sync.Mutex
	at   time.Time // on the kiosk's clock
	over bool      // the time ran out (or the question ended)
}

// questionCtx is a question's context: its error is
// context.DeadlineExceeded when the question's own time ran out, as a
// stage's is (reasonOf reads it as "<stage>-timeout").
type questionCtx struct{ context.Context }

func (c questionCtx) Err() error {
	err := c.Context.Err()
	if err != nil && errors.Is(context.Cause(c.Context), context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

// question runs fn, a Panel's question, under a stage deadline of d that
// Extend pushes back (Question).
func (k *Kiosk) question(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	c, cancel := Question(ctx, d, k.now)
	defer cancel()
	return fn(c)
}

// Question returns the context a question to the resident runs under:
// it ends d after it is made — its Err then context.DeadlineExceeded, as
// a stage's — unless Extend gives it d again; now is the clock its
// deadline is kept on (QuestionDeadline), the one the Panel counts down
// with. The session asks its questions (choose, PIN, pay) under it;
// cancel releases it.
func Question(ctx context.Context, d time.Duration, now func() time.Time) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(ctx)
	q := &questionDeadline{full: d, now: now, at: now().Add(d)}
	q.timer = time.AfterFunc(d, func() {
		q.mu.Lock()
		q.over = true
		q.mu.Unlock()
		cancel(context.DeadlineExceeded)
	})
	return questionCtx{context.WithValue(c, extendKey{}, q)}, func() {
		q.mu.Lock()
		q.over = true
		q.mu.Unlock()
		q.timer.Stop()
		cancel(nil)
	}
}

// Extend gives the resident's question ctx belongs to its full time
// again, from now: a key pressed while the screen warns that the time
// runs out, or money inserted. It reports whether it did — false when
// ctx is not a question's, or its time has already run out.
func Extend(ctx context.Context) bool {
	q, ok := ctx.Value(extendKey{}).(*questionDeadline)
	if !ok {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.over || !q.timer.Stop() {
		return false
	}
	q.timer.Reset(q.full)
	q.at = q.now().Add(q.full)
	return true
}

// QuestionDeadline is the deadline of the resident's question ctx
// belongs to, on its clock, as Extend last set it, and the question's
// full time; false when ctx is not a question's (Question).
func QuestionDeadline(ctx context.Context) (at time.Time, full time.Duration, ok bool) {
	q, ok := ctx.Value(extendKey{}).(*questionDeadline)
	if !ok {
		return time.Time{}, 0, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.at, q.full, true
}
