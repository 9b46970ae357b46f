package center_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
	"kofu/terminal"
	"kofu/terminal/journal"
	"kofu/terminal/payment"
)

// ---- 世帯の一部: the household list and the members it names (issue 17) ----

// askList has res's card sign a household query (edited by edit) and
// sends it through client; it returns what was sent and the list's bytes,
// or the center's problem.
func askList(t *testing.T, env *emulator.Env, client *protocol.Client, res *fixtures.Resident, edit func(*protocol.HouseholdQuery)) (*protocol.SentQuery, []byte, error) {
	t.Helper()
	q, err := protocol.NewHouseholdQuery(env.Identity.Term, env.Identity.Store, res.Muni, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&q)
	}
	key, err := res.CardSigner()
	if err != nil {
		t.Fatal(err)
	}
	compact, err := protocol.SignHouseholdQuery(context.Background(), key, res.CardCertDER, q)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := protocol.NewSentQuery(compact, res.CardCertDER)
	if err != nil {
		t.Fatal(err)
	}
	if client == nil {
		client = env.Client
	}
	list, err := client.Household(context.Background(), sent)
	return sent, list, err
}

// listOf reads a household list's payload without verifying it: the
// test's own look at the wire.
func listOf(t *testing.T, compact []byte) protocol.Household {
	t.Helper()
	var h protocol.Household
	payloadOf(t, compact, &h)
	return h
}

// membersRequest is R0001-style 住民票 of the members at places of list h.
func membersRequest(h protocol.Household, places ...int) protocol.DocSpec {
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	doc.Opts["scope"] = protocol.ScopeMembers
	doc.Members = &protocol.MemberChoice{List: h.LID}
	for _, p := range places {
		doc.Members.Tokens = append(doc.Members.Tokens, h.Members[p].Token)
	}
	return doc
}

// TestHouseholdListServed: the center answers a card's query with that
// card's household — names and relationships as the register has them,
// the holder marked — under tokens made for this list only: a second
// query gets other tokens, the same bytes the same list.
func TestHouseholdListServed(t *testing.T) {
	fx := loadFixtures(t)
	env, w := startEnv(t, emulator.Options{Fixtures: fx})
	res, _ := fx.Resident("R0002") // the wife in R0001's household: listed first, as the holder
	sent, raw, err := askList(t, env, nil, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := env.Verifier.Household(raw, sent)
	if err != nil {
		t.Fatalf("the kiosk refuses the genuine list: %v", err)
	}
	if v.Len() != len(res.Household) {
		t.Fatalf("%d members, household of %d", v.Len(), len(res.Household))
	}
	for i, m := range res.Household {
		name, rel, self := v.Member(i)
		if name != m.Name || rel != m.Relation || self != (i == 0) {
			t.Errorf("member %d: %q %q self=%v, want %q %q", i, name, rel, self, m.Name, m.Relation)
		}
	}
	h := listOf(t, raw)
	for _, m := range h.Members {
		for _, r := range fx.Residents {
			if strings.Contains(string(m.Token), r.ID) || strings.Contains(protocol.B64(m.Token), r.ID) {
				t.Errorf("token %s carries resident id %s", m.Token, r.ID)
			}
		}
	}
	again, err := env.Client.Household(context.Background(), sent)
	if err != nil || !bytes.Equal(again, raw) {
		t.Errorf("the same query bytes got another list (%v)", err)
	}
	_, raw2, err := askList(t, env, nil, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	h2 := listOf(t, raw2)
	if bytes.Equal(h2.LID, h.LID) {
		t.Error("a second query got the same list id")
	}
	for i := range h.Members {
		if bytes.Equal(h.Members[i].Token, h2.Members[i].Token) {
			t.Errorf("member %d has the same token on two lists", i)
		}
	}
	if n := len(w.all("/v1/household")); n != 3 {
		t.Errorf("%d household exchanges on the wire, want 3", n)
	}
}

// TestHouseholdQueryRules: a query is checked as a request is: a revoked
// card, a resident not eligible at a kiosk, another municipality, an old
// query, another terminal each get their problem, and no list.
func TestHouseholdQueryRules(t *testing.T) {
	fx := loadFixtures(t)
	env, _ := startEnv(t, emulator.Options{Fixtures: fx})
	good, _ := fx.Resident("R0001")
	cases := []struct {
		name string
		res  *fixtures.Resident
		edit func(*protocol.HouseholdQuery)
		want protocol.ProblemType
	}{
		{"revoked card", findResident(t, fx, func(r *fixtures.Resident) bool { return r.Revoked }), nil, protocol.ProbCardRevoked},
		{"DV support measure", findResident(t, fx, func(r *fixtures.Resident) bool { return r.DVSupport }), nil, protocol.ProbNotEligible},
		{"moved out", findResident(t, fx, func(r *fixtures.Resident) bool { return r.MovedOut }), nil, protocol.ProbNotEligible},
		{"another municipality", good, func(q *protocol.HouseholdQuery) { q.Muni = otherMuni(fx, good.Muni) }, protocol.ProbNotEligible},
		{"old iat", good, func(q *protocol.HouseholdQuery) { q.IAT -= 600 }, protocol.ProbReplay},
		{"another terminal's id", good, func(q *protocol.HouseholdQuery) { q.Term = "T0002" }, protocol.ProbTerminalRefused},
		{"accepted", good, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, raw, err := askList(t, env, nil, tc.res, tc.edit)
			if got := problemType(err); got != tc.want {
				t.Fatalf("problem %q (err %v), want %q", got, err, tc.want)
			}
			if (raw != nil) != (tc.want == "") {
				t.Fatalf("list %d bytes with problem %q", len(raw), tc.want)
			}
		})
	}
	// A query id used again in other bytes is a replay.
	sent, _, err := askList(t, env, nil, good, nil)
	if err != nil {
		t.Fatal(err)
	}
	qid := sent.Query().QID
	if _, _, err := askList(t, env, nil, good, func(q *protocol.HouseholdQuery) { q.QID = qid }); problemType(err) != protocol.ProbReplay {
		t.Errorf("same qid, new bytes: %v", err)
	}
}

// signRaw has res's card sign a request payload as it is, without the
// kiosk's own checks (a broken or hostile kiosk's request).
func signRaw(t *testing.T, res *fixtures.Resident, payload any) []byte {
	t.Helper()
	key, err := res.CardSigner()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	opts := (&jose.SignerOptions{}).WithType(protocol.TypRequest).
		WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(res.CardCertDER)})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

// TestMembersRequestRules: a request names members by the tokens of a
// list the center released to the same card at the same terminal, not
// expired, each once, in the list's order. Each way of breaking that
// really goes over the wire — the test reads the request's members from
// the recorded bytes — and is refused with its problem, no ticket.
func TestMembersRequestRules(t *testing.T) {
	fx := loadFixtures(t)
	base := testclock.Now(t)
	var skip atomic.Int64 // how far the world's clock has been moved on
	now := func() time.Time { return base().Add(time.Duration(skip.Load())) }
	env, w := startEnv(t, emulator.Options{Fixtures: fx, Now: now})
	r1, _ := fx.Resident("R0001")
	r2, _ := fx.Resident("R0002") // same household, another card
	r3, _ := fx.Resident("R0003") // another household

	list := func(res *fixtures.Resident) protocol.Household {
		t.Helper()
		sent, raw, err := askList(t, env, nil, res, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Verifier.Household(raw, sent); err != nil {
			t.Fatal(err)
		}
		return listOf(t, raw)
	}
	l1, l1b, l2, l3 := list(r1), list(r1), list(r2), list(r3)
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	t2, _ := fx.Terminal("T0002")
	tr, err := protocol.NewTransport(op, t2.Device.TLS())
	if err != nil {
		t.Fatal(err)
	}
	other, err := protocol.NewClient(protocol.ClientConfig{BaseURL: env.Center.URL, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}

	mixed := membersRequest(l1, 0)
	mixed.Members.Tokens = append(mixed.Members.Tokens, l1b.Members[2].Token) // R0001's own second list
	foreignHH := membersRequest(l1, 0)
	foreignHH.Members.Tokens = append(foreignHH.Members.Tokens, l3.Members[0].Token)
	unknown := membersRequest(l1, 1)
	unknown.Members.List = bytes.Repeat([]byte{9}, protocol.LIDSize)

	cases := []struct {
		name   string
		res    *fixtures.Resident
		doc    protocol.DocSpec
		client *protocol.Client
		term   string
		want   protocol.ProblemType
	}{
		{"two of R0001's four", r1, membersRequest(l1, 0, 2), nil, "", ""},
		{"a token of another query of the same card", r1, mixed, nil, "", protocol.ProbHouseholdForeign},
		{"a token of another household", r1, foreignHH, nil, "", protocol.ProbHouseholdForeign},
		{"the list of another card of the same household", r1, membersRequest(l2, 0, 1), nil, "", protocol.ProbHouseholdForeign},
		{"R0001's list named by R0002's card", r2, membersRequest(l1, 1), nil, "", protocol.ProbHouseholdForeign},
		{"a list the center never made", r1, unknown, nil, "", protocol.ProbHouseholdForeign},
		{"the list taken to another terminal", r1, membersRequest(l1, 0), other, "T0002", protocol.ProbHouseholdForeign},
		{"tokens out of the list's order", r1, func() protocol.DocSpec {
			d := membersRequest(l1, 0, 2)
			slices.Reverse(d.Members.Tokens)
			return d
		}(), nil, "", protocol.ProbBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := env.Client
			if tc.client != nil {
				client = tc.client
			}
			sent, tk, err := submitVia(t, env, client, tc.res, tc.doc, func(r *protocol.Request) {
				if tc.term != "" {
					r.Term, r.Store = tc.term, t2.Store
				}
			})
			if got := problemType(err); got != tc.want {
				t.Fatalf("problem %q (err %v), want %q", got, err, tc.want)
			}
			onWire := lastRequest(t, w)
			if tc.client == nil && !onWire.Doc.Members.Equal(tc.doc.Members) {
				t.Fatalf("the wire carried %+v, not the members under test", onWire.Doc.Members)
			}
			if tc.want == "" {
				vt, err := env.Verifier.Ticket(tk, sent)
				if err != nil {
					t.Fatalf("the kiosk refuses the ticket: %v", err)
				}
				if !vt.Ticket().Doc.Members.Equal(tc.doc.Members) {
					t.Error("the ticket does not echo the members")
				}
			}
		})
	}

	// Duplicates and a missing choice never leave a sound kiosk
	// (DocSpec.Validate): a card-signed request that has them anyway.
	raw := func(mut func(doc map[string]any)) []byte {
		req, err := protocol.NewRequest(env.Identity.Term, env.Identity.Store, r1.Muni, membersRequest(l1, 0, 1), env.Now(), env.Identity.SW)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(mustMarshal(t, req), &m); err != nil {
			t.Fatal(err)
		}
		mut(m["doc"].(map[string]any))
		return signRaw(t, r1, m)
	}
	for _, c := range []struct {
		name string
		mut  func(doc map[string]any)
		want protocol.ProblemType
	}{
		{"a member named twice", func(doc map[string]any) {
			ms := doc["members"].(map[string]any)
			ts := ms["tokens"].([]any)
			ms["tokens"] = []any{ts[0], ts[0]}
		}, protocol.ProbHouseholdDuplicate},
		{"scope members, no members", func(doc map[string]any) { delete(doc, "members") }, protocol.ProbBadRequest},
		{"members under scope household", func(doc map[string]any) { doc["opts"].(map[string]any)["scope"] = "household" }, protocol.ProbBadRequest},
	} {
		err := rawSubmit(t, env, raw(c.mut))
		if got := problemType(err); got != c.want {
			t.Errorf("%s: problem %q (err %v), want %q", c.name, got, err, c.want)
		}
	}

	// The list expires: a choice made too late is refused as stale.
	late := list(r1)
	skip.Store(int64(11 * time.Minute))
	if _, _, err := submitVia(t, env, env.Client, r1, membersRequest(late, 1), nil); problemType(err) != protocol.ProbHouseholdStale {
		t.Errorf("after the list's lifetime: %v", err)
	}
}

// lastRequest is the last request on the wire, decoded without checks.
func lastRequest(t *testing.T, w *wire) protocol.Request {
	t.Helper()
	xs := w.all("/v1/requests")
	if len(xs) == 0 {
		t.Fatal("no request on the wire")
	}
	var r protocol.Request
	payloadOf(t, xs[len(xs)-1].reqBody, &r)
	return r
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawSubmit sends compact to POST /v1/requests with the kiosk's TLS
// identity and returns the parsed problem (nil for a 201).
func rawSubmit(t *testing.T, env *emulator.Env, compact []byte) error {
	t.Helper()
	fx := env.Fixtures
	op := x509.NewCertPool()
	op.AddCert(fx.OperatorCA.Cert)
	term, _ := fx.Terminal(env.Identity.Term)
	tr, err := protocol.NewTransport(op, term.Device.TLS())
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.Center.URL+"/v1/requests", bytes.NewReader(compact))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", protocol.MediaJOSE)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusCreated {
		return nil
	}
	p, err := protocol.ParseProblem(body.Bytes(), resp.StatusCode)
	if err != nil {
		t.Fatalf("answer %d: %v", resp.StatusCode, err)
	}
	return p
}

// TestMembersFaults: a center that renders a member the resident did not
// choose, or drops one, signs an envelope naming the members it rendered:
// the fault is shown served on the wire (the listed tokens differ from
// the request's), and the kiosk refuses it, envelope-members, nothing
// printed, the fee released. The list faults serve another household's
// list, refused before any name reaches the panel.
func TestMembersFaults(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	for _, tc := range []struct {
		fault  center.FaultName
		places []int
		want   func(chosen []protocol.Bytes, listed []protocol.Bytes) bool
	}{
		{center.FaultMemberExtra, []int{0, 2}, func(c, l []protocol.Bytes) bool { return len(l) == len(c)+1 }},
		{center.FaultMemberDropped, []int{0, 2}, func(c, l []protocol.Bytes) bool { return len(l) == len(c)-1 }},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{{Name: tc.fault}}})
			sink := newRecordingSink(t)
			r := runMembers(t, env, sink, res, tc.places)
			if r.Outcome != protocol.ResultRefused || r.Reason != "envelope-members" || r.Payment != "none" && r.Payment != "released" {
				t.Fatalf("got %s/%s (%s), want refused/envelope-members, fee released", r.Outcome, r.Reason, r.Payment)
			}
			if len(sink.prints) != 0 {
				t.Fatal("the sink printed a document of the wrong members")
			}
			// Served: the envelope on the wire lists other members than
			// the request on the wire chose.
			req := lastRequest(t, w)
			env2 := servedEnvelope(t, w)
			if !tc.want(req.Doc.Members.Tokens, env2.Listed) {
				t.Fatalf("fault not served: chose %d, envelope lists %d", len(req.Doc.Members.Tokens), len(env2.Listed))
			}
			inj := env.Center.Center.Injections()
			if len(inj) != 1 || inj[0].Fault != tc.fault || !inj[0].Mixup {
				t.Fatalf("injections %+v", inj)
			}
			if specs, ok := env.Center.Center.Rendered(mustB64(t, r.TID)); !ok || countNames(specs, res.Household) != len(env2.Listed) {
				t.Errorf("the center rendered %d members, listed %d", countNames(specs, res.Household), len(env2.Listed))
			}
		})
	}
	for _, tc := range []struct {
		fault center.FaultName
		want  string
	}{
		{center.FaultHouseholdOtherList, "household-qid"},
		{center.FaultHouseholdWrongRecord, "household-subject"},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{{Name: tc.fault}}})
			var shown bool
			r := runMembersPanel(t, env, newRecordingSink(t), res, func(context.Context, []terminal.Member) ([]int, error) {
				shown = true
				return []int{0}, nil
			})
			if r.Outcome != protocol.ResultRefused || r.Reason != terminal.Reason(tc.want) {
				t.Fatalf("got %s/%s, want refused/%s", r.Outcome, r.Reason, tc.want)
			}
			if shown {
				t.Fatal("the panel was shown another household's list")
			}
			xs := w.all("/v1/household")
			if len(xs) != 1 || xs[0].status != http.StatusCreated {
				t.Fatalf("household exchanges %d", len(xs))
			}
			served := listOf(t, xs[0].body)
			if other := names(served); slices.Equal(other, householdNames(res)) {
				t.Fatal("fault not served: the list is the resident's own household")
			}
			if len(w.all("/v1/requests")) != 0 {
				t.Error("a request went out after a refused list")
			}
		})
	}
}

// countNames counts the members of hh whose name a rendered page shows.
func countNames(specs []pages.Spec, hh []fixtures.Member) int {
	n := 0
	for _, m := range hh {
		for _, s := range specs {
			if slices.ContainsFunc(s.Rows, func(r pages.Row) bool { return r.Label == "氏名" && strings.HasPrefix(r.Value, m.Name+"（") }) {
				n++
				break
			}
		}
	}
	return n
}

func names(h protocol.Household) []string {
	var out []string
	for _, m := range h.Members {
		out = append(out, m.Name)
	}
	return out
}

func householdNames(res *fixtures.Resident) []string {
	var out []string
	for _, m := range res.Household {
		out = append(out, m.Name)
	}
	return out
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := protocol.B64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// membersPanel is the autopilot answering the members question with fn.
type membersPanel struct {
	*terminal.Autopilot
	fn func(context.Context, []terminal.Member) ([]int, error)
}

func (p membersPanel) Members(ctx context.Context, list []terminal.Member) ([]int, error) {
	return p.fn(ctx, list)
}

// runMembersPanel runs one real kiosk session (soft card, coin unit, its
// own journal) for res's 住民票 of household members chosen by fn, and
// checks the money as runAuto does.
func runMembersPanel(t *testing.T, env *emulator.Env, sink terminal.Sink, res *fixtures.Resident,
	fn func(context.Context, []terminal.Member) ([]int, error)) terminal.Result {
	t.Helper()
	j, _, err := journal.Open(filepath.Join(t.TempDir(), "journal"), bytes.Repeat([]byte{7}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
	doc.Opts["scope"] = protocol.ScopeMembers
	coins := payment.NewCoins()
	panel := membersPanel{terminal.NewAutopilot(emulator.OrderFor(res, doc), []byte(res.PIN), coins), fn}
	r := env.Kiosk(sink, coins, j).Serve(context.Background(), emulator.NewSoftCard(res), panel)
	checkMoney(t, r, coins.Ledger())
	return r
}

// runMembers is runMembersPanel choosing the members at places.
func runMembers(t *testing.T, env *emulator.Env, sink terminal.Sink, res *fixtures.Resident, places []int) terminal.Result {
	t.Helper()
	return runMembersPanel(t, env, sink, res, func(context.Context, []terminal.Member) ([]int, error) {
		return slices.Clone(places), nil
	})
}

// TestMembersOnAV1Center: a center built from DESIGN §3 alone has no
// POST /v1/household. Asked for 世帯の一部, the kiosk ends the session
// failed with household-unsupported — not a refusal, the center did
// nothing wrong — before any request or ticket exists: no names shown,
// nothing printed, no fee.
func TestMembersOnAV1Center(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	env, w := startEnv(t, emulator.Options{Fixtures: fx, Center: func(c *center.Config) { c.V1Only = true }})
	sink := newRecordingSink(t)
	var shown bool
	r := runMembersPanel(t, env, sink, res, func(context.Context, []terminal.Member) ([]int, error) {
		shown = true
		return []int{0}, nil
	})
	if r.Outcome != protocol.ResultFailed || r.Reason != "household-unsupported" || r.Payment != "none" {
		t.Fatalf("got %s/%s (%s), want failed/household-unsupported, no payment", r.Outcome, r.Reason, r.Payment)
	}
	if shown || len(sink.prints) != 0 {
		t.Fatalf("shown %v, printed %d", shown, len(sink.prints))
	}
	xs := w.all("/v1/household")
	if len(xs) != 1 || xs[0].status != http.StatusNotFound {
		t.Fatalf("household exchanges %+v, want one 404 the center really served", xs)
	}
	if n := len(w.all("/v1/requests")); n != 0 {
		t.Fatalf("%d requests sent after the 404", n)
	}
}
