package center_test

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
)

// TestConcurrentDistinctResidents: 500 sessions of distinct residents
// released at the same instant against the correct center. Every one
// prints, and every printed page's QR — decoded by the test from the
// raster handed to the printer — names the ticket the session got, the
// SHA-256 of the exact request bytes the wire carried for it, and the
// subject the test computes from that resident's certificate.
func TestConcurrentDistinctResidents(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 500 rendered documents")
	}
	const n = 500
	fx := loadFixtures(t)
	var pop []*fixtures.Resident
	for _, r := range fx.Residents {
		if strings.HasPrefix(r.ID, "P") && r.Eligible() && !r.Revoked && !r.Expired {
			pop = append(pop, r)
		}
	}
	if len(pop) < n {
		t.Fatalf("only %d population residents", len(pop))
	}
	pop = pop[:n]
	env, w := startEnv(t, emulator.Options{Fixtures: fx,
		// The burst queues 500 renders on two cores: let the last wait.
		Center:   func(c *center.Config) { c.JobTimeout = 10 * time.Minute },
		Timeouts: protocol.Timeouts{Request: 3 * time.Minute, Document: 5 * time.Minute, Page: 3 * time.Minute}})
	sink := newRecordingSink(t)
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	results := make([]terminal.Result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, res := range pop {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = runAuto(t, env, sink, res, doc)
		}()
	}
	close(start)
	wg.Wait()

	// The test's own map from ticket id to the request bytes that got it.
	reqOf := map[string][]byte{}
	for _, e := range w.all("/v1/requests") {
		if e.status == http.StatusCreated {
			var tk protocol.Ticket
			payloadOf(t, e.body, &tk)
			reqOf[protocol.B64(tk.TID)] = e.reqBody
		}
	}
	seen := map[string]bool{}
	for i, r := range results {
		if r.Outcome != protocol.ResultPrinted {
			t.Errorf("%s: %s/%s", pop[i].ID, r.Outcome, r.Reason)
			continue
		}
		if seen[r.TID] {
			t.Errorf("ticket %s handed to two sessions", r.TID)
		}
		seen[r.TID] = true
		reqBytes, ok := reqOf[r.TID]
		if !ok {
			t.Errorf("%s: ticket %s never answered a request on the wire", pop[i].ID, r.TID)
			continue
		}
		b := sha256.Sum256(reqBytes)
		c := sha256.Sum256(pop[i].CardCertDER)
		s := sha256.Sum256(append(b[:], c[:]...))
		qs := sink.prints[r.TID]
		if len(qs) != 1 {
			t.Errorf("%s: %d printed pages", pop[i].ID, len(qs))
			continue
		}
		q := qs[0]
		if protocol.B64(q.TID) != r.TID || !bytes.Equal(q.Binding, b[:]) || !bytes.Equal(q.Subject, s[:]) || q.N != 1 || q.Total != 1 {
			t.Errorf("%s: printed page is not bound to its own request", pop[i].ID)
		}
	}
	if len(env.Center.Center.Injections()) != 0 {
		t.Fatal("the correct center injected faults")
	}
	t.Logf("%d sessions printed, each bound to its own request", len(seen))
}
