package terminal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// shiftClock is a clock that can be moved on by a test, as an operator or a
// broken NTP daemon might move a kiosk's clock during a session.
type shiftClock struct {
	base  func() time.Time
	shift atomic.Int64
}

func (c *shiftClock) Now() time.Time { return c.base().Add(time.Duration(c.shift.Load())) }

func (c *shiftClock) jump(d time.Duration) { c.shift.Add(int64(d)) }

// wire watches the kiosk's HTTPS calls: the outcomes it reports (the
// signed payload and the center's status), and lets a test rewrite the
// center's answers or act when a path is asked for.
type wire struct {
	mu       sync.Mutex
	outcomes []reported
	// onRequest is called before a request goes out.
	onRequest func(r *http.Request)
	// rewrite, when set, may replace an answer's body.
	rewrite func(r *http.Request, status int, body []byte) []byte
	// fake, when set and returning an answer, answers instead of the center.
	fake func(r *http.Request) *http.Response
}

// reported is one outcome the kiosk sent, with the center's status.
type reported struct {
	path    string
	outcome protocol.Outcome
	status  int
}

func (w *wire) transport(t *testing.T) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if w.onRequest != nil {
				w.onRequest(r)
			}
			var body []byte
			if r.Body != nil {
				var err error
				if body, err = io.ReadAll(r.Body); err != nil {
					return nil, err
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
				r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			}
			if w.fake != nil {
				if resp := w.fake(r); resp != nil {
					return resp, nil
				}
			}
			resp, err := rt.RoundTrip(r)
			if err != nil {
				return resp, err
			}
			if strings.HasSuffix(r.URL.Path, "/outcome") {
				w.record(t, r.URL.Path, body, resp.StatusCode)
			}
			if w.rewrite != nil {
				answer, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return nil, err
				}
				answer = w.rewrite(r, resp.StatusCode, answer)
				resp.Body = io.NopCloser(bytes.NewReader(answer))
				resp.ContentLength = int64(len(answer))
				resp.Header.Set("Content-Length", strconv.Itoa(len(answer)))
			}
			return resp, nil
		})
	}
}

func (w *wire) record(t *testing.T, path string, signed []byte, status int) {
	parts := strings.Split(string(signed), ".")
	if len(parts) != 3 {
		t.Errorf("outcome is not a compact JWS: %q", signed)
		return
	}
	payload, err := protocol.B64Decode(parts[1])
	var o protocol.Outcome
	if err == nil {
		err = json.Unmarshal(payload, &o)
	}
	if err != nil {
		t.Errorf("outcome payload: %v", err)
		return
	}
	w.mu.Lock()
	w.outcomes = append(w.outcomes, reported{path: path, outcome: o, status: status})
	w.mu.Unlock()
}

func (w *wire) reported() []reported {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]reported(nil), w.outcomes...)
}

// TestValidityAtTheLastMoment: ticket and envelope validity is checked
// again just before the first byte goes to the printer (DESIGN §3.4 rule
// 4). The kiosk's clock moves on during the session; once past a
// lifetime (with the configured skew), the session ends refused with that
// code, nothing printed, the fee released, and the center told. A move
// within the lifetimes still prints.
func TestValidityAtTheLastMoment(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	const skew = 30 * time.Second
	for _, c := range []struct {
		name                string
		ticketTTL, envTTL   time.Duration
		jump                time.Duration
		whilePaying, onPage bool // when the kiosk's clock moves
		outcome             protocol.Result
		reason              string
	}{
		{name: "clock moved 11 minutes while paying: ticket (10 minutes) expired", ticketTTL: 10 * time.Minute,
			envTTL: 30 * time.Minute, jump: 11 * time.Minute, whilePaying: true,
			outcome: protocol.ResultRefused, reason: "ticket-expired"},
		{name: "clock moved 6 minutes while the page was fetched: envelope (5 minutes) expired",
			ticketTTL: 30 * time.Minute, envTTL: 5 * time.Minute, jump: 6 * time.Minute, onPage: true,
			outcome: protocol.ResultRefused, reason: "envelope-expired"},
		{name: "clock moved 9 minutes while paying: still valid", ticketTTL: 10 * time.Minute,
			envTTL: 30 * time.Minute, jump: 9 * time.Minute, whilePaying: true, outcome: protocol.ResultPrinted},
	} {
		t.Run(c.name, func(t *testing.T) {
			centerNow := testclock.Now(t)
			kiosk := &shiftClock{base: centerNow}
			var w wire
			var once sync.Once
			w.onRequest = func(r *http.Request) {
				if c.onPage && strings.Contains(r.URL.Path, "/pages/") {
					once.Do(func() { kiosk.jump(c.jump) })
				}
			}
			world := newWorld(t, emulator.Options{Fixtures: fx, Now: centerNow, Transport: w.transport(t),
				Center: func(cfg *center.Config) { cfg.TicketTTL, cfg.EnvelopeTTL = c.ticketTTL, c.envTTL }})
			world.env.Verifier.Now, world.env.Verifier.MaxSkew = kiosk.Now, skew
			world.env.Now = kiosk.Now

			panel := &scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}}
			panel.payFn = func(_ context.Context, fee int) error {
				for ; fee > 0; fee -= 10 {
					panel.coins.Insert(10)
				}
				if c.whilePaying {
					kiosk.jump(c.jump)
				}
				return nil
			}
			printed := false
			r, l, recs := world.serve(t, context.Background(), emulator.NewSoftCard(res), panel,
				&sink{confirm: -1, onPrint: func() { printed = true }}, terminal.Timeouts{})
			if r.Outcome != c.outcome || string(r.Reason) != c.reason {
				t.Fatalf("%s/%s, want %s/%s", r.Outcome, r.Reason, c.outcome, c.reason)
			}
			if c.outcome == protocol.ResultPrinted {
				if !printed || r.Payment != "captured" || r.Billing != "captured" {
					t.Fatalf("printed %v payment %s billing %s", printed, r.Payment, r.Billing)
				}
				return
			}
			if printed || r.Pages != 0 {
				t.Error("a page went to the printer")
			}
			if r.Payment != "released" || l.Cashbox != 0 || l.Held != 0 || l.Credit != 0 {
				t.Errorf("payment %s, ledger %+v: the fee must be released", r.Payment, l)
			}
			// Decided in fetch: once in print only printed or unknown (issue 15).
			want := []string{"card", "choose", "pin", "submit", "fee", "fetch", "refused"}
			if got := states(recs); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("journal states %v, want %v", got, want)
			}
			told := w.reported()
			if len(told) != 1 || told[0].status != http.StatusOK || told[0].outcome.Result != protocol.ResultRefused ||
				told[0].outcome.Reason != c.reason || protocol.B64(told[0].outcome.TID) != r.TID {
				t.Fatalf("the center was told %+v, want one refused/%s under %s", told, c.reason, r.TID)
			}
			if r.Billing != "voided" {
				t.Errorf("billing %q, want the center's voided", r.Billing)
			}
		})
	}
}

// TestTicketRefusalReachesCenter: a ticket refused at the ticket stage is
// reported to the center as refused, with its reason, under the ticket's
// id when that id is authentic (signed under the center CA), and the
// session's result carries that id; a ticket the center did not sign
// names no ticket, and nothing is reported.
func TestTicketRefusalReachesCenter(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0002")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	resign := func(signer fixtures.KeyPair) func(body []byte) ([]byte, protocol.Ticket, error) {
		return func(body []byte) ([]byte, protocol.Ticket, error) {
			var tk protocol.Ticket
			parts := strings.Split(string(body), ".")
			if len(parts) != 3 {
				return nil, tk, io.ErrUnexpectedEOF
			}
			payload, err := protocol.B64Decode(parts[1])
			if err != nil {
				return nil, tk, err
			}
			if err := json.Unmarshal(payload, &tk); err != nil {
				return nil, tk, err
			}
			genuine := tk
			tk.Binding = bytes.Repeat([]byte{0x5a}, protocol.DigestSize) // another request's bytes
			out, err := protocol.SignTicket(signer.Key, [][]byte{signer.CertDER}, tk)
			return out, genuine, err
		}
	}
	for _, c := range []struct {
		name     string
		signer   fixtures.KeyPair
		reason   string
		reported bool
	}{
		{"signed by the center, binding of other request bytes", fx.CenterSigner, "ticket-binding", true},
		{"signed by the issuer's key: no authentic ticket id", fx.IssuerSigner, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w wire
			var genuine protocol.Ticket
			w.rewrite = func(r *http.Request, status int, body []byte) []byte {
				if r.URL.Path != "/v1/requests" || status != http.StatusCreated {
					return body
				}
				out, tk, err := resign(c.signer)(body)
				if err != nil {
					t.Errorf("re-signing the ticket: %v", err)
					return body
				}
				genuine = tk
				return out
			}
			world := newWorld(t, emulator.Options{Fixtures: fx, Transport: w.transport(t)})
			panel := &scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}}
			printed := false
			r, l, _ := world.serve(t, context.Background(), emulator.NewSoftCard(res), panel,
				&sink{confirm: -1, onPrint: func() { printed = true }}, terminal.Timeouts{})
			if r.Outcome != protocol.ResultRefused || printed || l.Cashbox != 0 || r.Payment != "none" {
				t.Fatalf("%s/%s printed=%v payment=%s", r.Outcome, r.Reason, printed, r.Payment)
			}
			if genuine.TID == nil {
				t.Fatal("the center's ticket never went by")
			}
			told := w.reported()
			if !c.reported {
				if r.TID != "" || len(told) != 0 || r.Billing != "" {
					t.Fatalf("a forged ticket's id was used: tid %q, reports %+v, billing %q", r.TID, told, r.Billing)
				}
				return
			}
			tid := protocol.B64(genuine.TID)
			if string(r.Reason) != c.reason || r.TID != tid {
				t.Fatalf("result %s tid %q, want %s tid %q", r.Reason, r.TID, c.reason, tid)
			}
			if len(told) != 1 || told[0].path != "/v1/tickets/"+tid+"/outcome" || told[0].status != http.StatusOK ||
				told[0].outcome.Result != protocol.ResultRefused || told[0].outcome.Reason != c.reason ||
				!bytes.Equal(told[0].outcome.Binding, genuine.Binding) {
				t.Fatalf("the center was told %+v, want one refused/%s under %s with the request's binding", told, c.reason, tid)
			}
			if r.Billing != "voided" {
				t.Errorf("billing %q, want the center's voided", r.Billing)
			}
			// The result line (kiosk run --autopilot) carries the tid.
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(line), `"tid":"`+tid+`"`) {
				t.Errorf("result line %s lacks the tid", line)
			}
		})
	}
}

// answer is an HTTP answer a broken center (or a proxy before it) gives.
func answer(r *http.Request, status int, ctype string, body []byte) *http.Response {
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	if status >= 300 && status < 400 {
		h.Set("Location", "/elsewhere")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// TestCenterBreaksAreRefusals: an answer that breaks protocol v1 where a
// ticket, envelope or page was due — a redirect, another media type, a
// body over its bound — ends the session refused (the center is at
// fault), reported to the center when the ticket is known; an HTTP error
// without a problem document (a proxy's 502) is a failure, not a refusal.
func TestCenterBreaksAreRefusals(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0001")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	big := bytes.Repeat([]byte{0}, protocol.MaxPagePNG+1)
	for _, c := range []struct {
		name     string
		path     string // the call the broken answer replaces
		status   int
		ctype    string
		body     []byte
		outcome  protocol.Result
		reason   string
		reported bool // a ticket is known: the center hears the outcome
	}{
		{"redirect instead of a ticket", "/v1/requests", http.StatusFound, "text/html", nil,
			protocol.ResultRefused, "ticket-redirect", false},
		{"ticket as text/html", "/v1/requests", http.StatusCreated, "text/html", []byte("<html>"),
			protocol.ResultRefused, "ticket-media-type", false},
		{"envelope as text/html", "/document", http.StatusOK, "text/html", []byte("<html>"),
			protocol.ResultRefused, "envelope-media-type", true},
		{"page over its bound", "/pages/1", http.StatusOK, protocol.MediaPNG, big,
			protocol.ResultRefused, "page-too-large", true},
		{"a proxy's 502 for the document", "/document", http.StatusBadGateway, "text/html", []byte("<html>"),
			protocol.ResultFailed, "document-http-5xx", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w wire
			w.fake = func(r *http.Request) *http.Response {
				if strings.HasSuffix(r.URL.Path, c.path) {
					return answer(r, c.status, c.ctype, c.body)
				}
				return nil
			}
			world := newWorld(t, emulator.Options{Fixtures: fx, Transport: w.transport(t)})
			panel := &scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}}
			printed := false
			r, l, _ := world.serve(t, context.Background(), emulator.NewSoftCard(res), panel,
				&sink{confirm: -1, onPrint: func() { printed = true }}, terminal.Timeouts{})
			if r.Outcome != c.outcome || string(r.Reason) != c.reason || printed || l.Cashbox != 0 {
				t.Fatalf("%s/%s printed=%v cashbox=%d, want %s/%s", r.Outcome, r.Reason, printed, l.Cashbox, c.outcome, c.reason)
			}
			told := w.reported()
			if !c.reported {
				if len(told) != 0 || r.TID != "" {
					t.Fatalf("reported %+v under tid %q with no ticket", told, r.TID)
				}
				return
			}
			if len(told) != 1 || told[0].outcome.Result != c.outcome || told[0].outcome.Reason != c.reason ||
				told[0].status != http.StatusOK || r.Billing != "voided" || r.Payment != "released" {
				t.Fatalf("told %+v, billing %q, payment %q", told, r.Billing, r.Payment)
			}
		})
	}
}

// TestTicketRefusalOutbox: when the report of a ticket-stage refusal is
// lost, the outbox keeps it under the authentic ticket id and sends it
// after the session; the center then records the refusal.
func TestTicketRefusalOutbox(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	res, _ := fx.Resident("R0003")
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	var w wire
	var lost atomic.Int32
	var tid string
	w.rewrite = func(r *http.Request, status int, body []byte) []byte {
		if r.URL.Path != "/v1/requests" || status != http.StatusCreated {
			return body
		}
		parts := strings.Split(string(body), ".")
		payload, err := protocol.B64Decode(parts[1])
		var tk protocol.Ticket
		if err == nil {
			err = json.Unmarshal(payload, &tk)
		}
		if err != nil {
			t.Errorf("ticket: %v", err)
			return body
		}
		tid = protocol.B64(tk.TID)
		tk.RID = bytes.Repeat([]byte{1}, protocol.RIDSize) // another request's id
		out, err := protocol.SignTicket(fx.CenterSigner.Key, [][]byte{fx.CenterSigner.CertDER}, tk)
		if err != nil {
			t.Error(err)
			return body
		}
		return out
	}
	w.fake = func(r *http.Request) *http.Response {
		if strings.HasSuffix(r.URL.Path, "/outcome") && lost.Add(1) == 1 {
			return answer(r, http.StatusBadGateway, "text/html", []byte("<html>"))
		}
		return nil
	}
	world := newWorld(t, emulator.Options{Fixtures: fx, Transport: w.transport(t)})
	path := filepath.Join(world.dir, "journal")
	j, _, err := journal.Open(path, bytes.Repeat([]byte{1}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	coins := payment.NewCoins()
	k := world.env.Kiosk(&sink{confirm: -1}, coins, j)
	k.Outbox = &terminal.Outbox{}
	r := k.Serve(context.Background(), emulator.NewSoftCard(res),
		&scripted{order: emulator.OrderFor(res, doc), pins: []string{res.PIN}, coins: coins})
	if r.Outcome != protocol.ResultRefused || r.Reason != "ticket-rid" || r.TID != tid || tid == "" {
		t.Fatalf("%s/%s tid %q, want refused/ticket-rid tid %q", r.Outcome, r.Reason, r.TID, tid)
	}
	if n := lost.Load(); n != 2 {
		t.Fatalf("%d outcome posts, want the lost one and the outbox's", n)
	}
	told := w.reported()
	if k.Outbox.Len() != 0 || len(told) != 1 || told[0].status != http.StatusOK ||
		told[0].outcome.Result != protocol.ResultRefused || told[0].outcome.Reason != "ticket-rid" ||
		told[0].path != "/v1/tickets/"+tid+"/outcome" {
		t.Fatalf("outbox holds %d; the center was told %+v", k.Outbox.Len(), told)
	}
}
