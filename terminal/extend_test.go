package terminal_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"kofu/internal/testclock"
	"kofu/terminal"
)

// TestQuestionExtend: a question to the resident ends its full time after
// it was asked — with context.DeadlineExceeded, read as "<stage>-timeout"
// — unless Extend gives it its full time again; its deadline is kept on
// the clock it was given, for the Panel's countdown. A question that is
// over cannot be extended, and another context never can.
func TestQuestionExtend(t *testing.T) {
	base := testclock.Base(t)
	var now atomic.Int64
	now.Store(base.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	const full = 300 * time.Millisecond

	ctx, cancel := terminal.Question(context.Background(), full, clock)
	defer cancel()
	at, d, ok := terminal.QuestionDeadline(ctx)
	if !ok || d != full || !at.Equal(base.Add(full)) {
		t.Fatalf("deadline %v %v %v", at, d, ok)
	}
	start := time.Now() // elapsed time only
	time.Sleep(200 * time.Millisecond)
	now.Store(base.Add(time.Minute).UnixNano())
	if !terminal.Extend(ctx) {
		t.Fatal("Extend refused a live question")
	}
	if at, _, _ := terminal.QuestionDeadline(ctx); !at.Equal(base.Add(time.Minute + full)) {
		t.Errorf("deadline after Extend %v", at)
	}
	if ctx.Err() != nil {
		t.Fatalf("ended early: %v", ctx.Err())
	}
	<-ctx.Done()
	if el := time.Since(start); el < 200*time.Millisecond+full-20*time.Millisecond {
		t.Errorf("ended %v after it was asked: Extend did not give it its time again", el)
	}
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("Err %v, want DeadlineExceeded", ctx.Err())
	}
	if terminal.Extend(ctx) {
		t.Error("Extend revived a question that is over")
	}

	// Cancelled from outside (the card pulled): not a timeout.
	parent, stop := context.WithCancelCause(context.Background())
	q, qcancel := terminal.Question(parent, time.Hour, clock)
	defer qcancel()
	stop(terminal.ErrCardRemoved)
	<-q.Done()
	if errors.Is(q.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(q), terminal.ErrCardRemoved) {
		t.Errorf("Err %v, cause %v", q.Err(), context.Cause(q))
	}
	// Released (answered): over.
	r, rcancel := terminal.Question(context.Background(), time.Hour, clock)
	rcancel()
	if terminal.Extend(r) {
		t.Error("Extend revived an answered question")
	}

	if terminal.Extend(context.Background()) {
		t.Error("Extend on a context that is no question")
	}
	if _, _, ok := terminal.QuestionDeadline(context.Background()); ok {
		t.Error("QuestionDeadline of a context that is no question")
	}
}
