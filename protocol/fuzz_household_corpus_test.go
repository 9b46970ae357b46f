package protocol_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"kofu/internal/emulator"
	"kofu/internal/fixtures"
	"kofu/internal/fuzzcorpus"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
)

// householdExchange is one real 世帯の一部 exchange with the emulated
// center: the query res's card signed, the list the center answered, and
// the request naming the members at places with its ticket.
type householdExchange struct {
	res     *fixtures.Resident
	query   []byte
	sent    *protocol.SentQuery
	list    []byte
	request []byte
	ticket  []byte
}

// startHouseholdEnv starts an emulated world at an open instant of the
// test clock, with the center's faults.
func startHouseholdEnv(t *testing.T, fx *fixtures.Set, faults ...center.Fault) *emulator.Env {
	t.Helper()
	env, err := emulator.Start(context.Background(), emulator.Options{Fixtures: fx, Faults: faults, Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

// exchangeHousehold has res's card sign a household query, sends it to
// env's center and returns the list; with places, it also has the card
// sign a request for the 住民票 of the members at those places of the
// list and submits it.
func exchangeHousehold(t *testing.T, env *emulator.Env, res *fixtures.Resident, places ...int) householdExchange {
	t.Helper()
	ctx := context.Background()
	key, err := res.CardSigner()
	if err != nil {
		t.Fatal(err)
	}
	q, err := protocol.NewHouseholdQuery(env.Identity.Term, env.Identity.Store, res.Muni, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	x := householdExchange{res: res}
	if x.query, err = protocol.SignHouseholdQuery(ctx, key, res.CardCertDER, q); err != nil {
		t.Fatal(err)
	}
	if x.sent, err = protocol.NewSentQuery(x.query, res.CardCertDER); err != nil {
		t.Fatal(err)
	}
	if x.list, err = env.Client.Household(ctx, x.sent); err != nil {
		t.Fatalf("%s: household list: %v", res.ID, err)
	}
	if len(places) == 0 {
		return x
	}
	vh, err := env.Verifier.Household(x.list, x.sent)
	if err != nil {
		t.Fatalf("%s: the center's own list refused: %v", res.ID, err)
	}
	defer vh.Wipe()
	doc, err := protocol.NewDocSpec(protocol.DocJuminhyo)
	if err != nil {
		t.Fatal(err)
	}
	doc.Opts["scope"] = protocol.ScopeMembers
	if doc.Members, err = vh.Choose(places); err != nil {
		t.Fatal(err)
	}
	req, err := protocol.NewRequest(env.Identity.Term, env.Identity.Store, res.Muni, doc, env.Now(), env.Identity.SW)
	if err != nil {
		t.Fatal(err)
	}
	if x.request, err = protocol.SignRequest(ctx, key, res.CardCertDER, req); err != nil {
		t.Fatal(err)
	}
	sent, err := protocol.NewSent(x.request, res.CardCertDER)
	if err != nil {
		t.Fatal(err)
	}
	if x.ticket, err = env.Client.Submit(ctx, sent); err != nil {
		t.Fatalf("%s: request naming members: %v", res.ID, err)
	}
	return x
}

// payloadJSON is the payload of a compact JWS, decoded without checks.
func payloadJSON(t *testing.T, compact []byte, v any) {
	t.Helper()
	parts := strings.Split(string(compact), ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", compact)
	}
	b, err := protocol.B64Decode(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// withPayload is compact with its payload replaced and its signature
// kept (so the signature no longer covers it).
func withPayload(compact []byte, payload string) []byte {
	parts := strings.Split(string(compact), ".")
	return []byte(parts[0] + "." + protocol.B64([]byte(payload)) + "." + parts[2])
}

// TestWriteHouseholdFuzzCorpus writes the committed corpora of the fuzz
// targets of 世帯の一部 (fuzz_household_test.go) from real exchanges with
// the emulated center (committed test PKI, the test clock): the lists it
// served for generation-1 and generation-2 cards, for a seven-member and
// a mixed-nationality household, the lists of its two household fault
// modes, the card-signed queries, and doc.members exactly as the signed
// requests carried it; then the hostile variants: lists with each field
// of the shape broken and signed by the real center key, queries and
// lists with forged headers, another message in their place, and
// doc.members in every spelling the strict decoder refuses. It writes
// only these three targets' directories: this package's other generators
// draw a new PKI and new ids in every run, and rewriting their corpora
// here would churn them for nothing. Run it with
//
//	KOFU_WRITE_CORPUS=1 go test -run TestWriteHouseholdFuzzCorpus ./protocol
func TestWriteHouseholdFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	resident := func(id string) *fixtures.Resident {
		res, ok := fx.Resident(id)
		if !ok {
			t.Fatalf("no resident %s", id)
		}
		return res
	}
	lists, queries, docs := fuzzcorpus.New("FuzzVerifyHousehold"), fuzzcorpus.New("FuzzParseHouseholdQuery"), fuzzcorpus.New("FuzzDocMembers")

	env := startHouseholdEnv(t, fx)
	var first householdExchange
	for _, c := range []struct {
		id     string
		places []int
	}{
		{"R0001", []int{1, 3}},                // RS256 card, four members, the holder not chosen
		{"R0004", []int{0, 1, 2, 3, 4, 5, 6}}, // seven members, all chosen
		{"R0025", []int{0}},                   // a 特別永住者 and his Japanese wife, himself alone
		{"G0002", []int{0, 2}},                // ES384 card, three members
		{"R0002", []int{0, 1}},                // the same household from the 妻's card
		{"R0016", []int{1, 3}},                // the holder listed first, the 世帯主 second
	} {
		x := exchangeHousehold(t, env, resident(c.id), c.places...)
		if first.res == nil {
			first = x
		}
		lists.Add("center-"+c.id, x.list)
		queries.Add("card-"+c.id, x.query)
		var req struct {
			Doc json.RawMessage `json:"doc"`
		}
		payloadJSON(t, x.request, &req)
		docs.Add("request-"+c.id, []byte(req.Doc))
		// Another message where the list belongs: the ticket of a request
		// naming members, from the same center signer.
		if c.id == "R0001" {
			lists.Add("ticket-in-place-of-list", x.ticket)
			queries.Add("request-in-place-of-query", x.request)
		}
	}

	// The emulated center's household fault modes, as it serves them.
	for _, f := range []center.FaultName{center.FaultHouseholdOtherList, center.FaultHouseholdWrongRecord} {
		fenv := startHouseholdEnv(t, fx, center.Fault{Name: f})
		x := exchangeHousehold(t, fenv, resident("R0001"))
		if _, err := fenv.Verifier.Household(x.list, x.sent); err == nil {
			t.Fatalf("%s: the faulty list verified", f)
		}
		lists.Add("fault-"+string(f), x.list)
	}

	// Lists with one part of the shape broken, signed by the real center
	// key: what a broken center signs.
	var good protocol.Household
	payloadJSON(t, first.list, &good)
	sign := func(v any) []byte {
		b, err := protocol.SignHousehold(fx.CenterSigner.Key, [][]byte{fx.CenterSigner.CertDER}, v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	member := func(i int, mut func(m *protocol.Member)) func(*protocol.Household) {
		return func(l *protocol.Household) { mut(&l.Members[i]) }
	}
	other := resident("R0005")
	for name, mut := range map[string]func(*protocol.Household){
		"other-qid":              func(l *protocol.Household) { l.QID = bytes.Repeat([]byte{^l.QID[0]}, len(l.QID)) },
		"other-binding":          func(l *protocol.Household) { l.Binding = protocol.Binding(l.Binding) },
		"other-card-subject":     func(l *protocol.Household) { l.Subject = protocol.Subject(l.Binding, other.CardCertDER) },
		"expired":                func(l *protocol.Household) { l.IAT, l.EXP = l.IAT-7200, l.IAT-3600 },
		"issued-later":           func(l *protocol.Household) { l.IAT, l.EXP = l.IAT+3600, l.EXP+3600 },
		"exp-before-iat":         func(l *protocol.Household) { l.EXP = l.IAT - 1 },
		"no-members":             func(l *protocol.Household) { l.Members = nil },
		"empty-members":          func(l *protocol.Household) { l.Members = []protocol.Member{} },
		"one-member":             func(l *protocol.Household) { l.Members = l.Members[:1] },
		"no-self":                member(0, func(m *protocol.Member) { m.Self = false }),
		"two-selves":             member(1, func(m *protocol.Member) { m.Self = true }),
		"token-twice":            member(1, func(m *protocol.Member) { m.Token = bytes.Clone(good.Members[0].Token) }),
		"short-token":            member(1, func(m *protocol.Member) { m.Token = m.Token[:protocol.TokenSize-1] }),
		"short-lid":              func(l *protocol.Household) { l.LID = l.LID[:4] },
		"empty-name":             member(1, func(m *protocol.Member) { m.Name = "" }),
		"empty-relationship":     member(1, func(m *protocol.Member) { m.Rel = "" }),
		"name-too-long":          member(1, func(m *protocol.Member) { m.Name = strings.Repeat("あ", protocol.MaxMemberName/3+1) }),
		"relationship-too-long":  member(1, func(m *protocol.Member) { m.Rel = strings.Repeat("子", protocol.MaxRelation/3+1) }),
		"right-to-left-override": member(1, func(m *protocol.Member) { m.Name = "山田\u202e子花" }),
		"zero-width-space":       member(1, func(m *protocol.Member) { m.Name = "山田\u200b花子" }),
		"terminal-escape":        member(1, func(m *protocol.Member) { m.Name = "山田\x1b[2J花子" }),
		"line-separator":         member(1, func(m *protocol.Member) { m.Rel = "妻\u2028" }),
		"invalid-utf8":           member(1, func(m *protocol.Member) { m.Name = "山田\xff花子" }),
		"latin-name-ideographic": member(1, func(m *protocol.Member) { m.Name = "WILLIAMS　EMILY JANE" }),
		"version-2":              func(l *protocol.Household) { l.V = 2 },
		"members-at-the-maximum": func(l *protocol.Household) {
			for i := len(l.Members); i < protocol.MaxMembers; i++ {
				l.Members = append(l.Members, protocol.Member{Token: bytes.Repeat([]byte{byte(0x80 + i)}, protocol.TokenSize), Name: fmt.Sprintf("山田 %d", i), Rel: "子"})
			}
		},
		"too-many-members": func(l *protocol.Household) {
			for i := len(l.Members); i <= protocol.MaxMembers; i++ {
				l.Members = append(l.Members, protocol.Member{Token: bytes.Repeat([]byte{byte(0x80 + i)}, protocol.TokenSize), Name: "x", Rel: "子"})
			}
		},
	} {
		l := good.Clone()
		mut(&l)
		lists.Add(name, sign(l))
	}
	// A list flagged as an error, and one with a member the type does not
	// know: signed as they are.
	var raw map[string]any
	payloadJSON(t, first.list, &raw)
	raw["error"] = "internal"
	lists.Add("error-flagged", sign(raw))
	delete(raw, "error")
	raw["hint"] = "x"
	lists.Add("unknown-member", sign(raw))
	if b, err := protocol.SignHousehold(fx.IssuerSigner.Key, [][]byte{fx.IssuerSigner.CertDER}, good); err == nil {
		lists.Add("signed-by-the-issuer", b)
	}
	jwsForgeries(t, lists, first.list)

	// Queries: forged headers, and payloads edited under the card's
	// signature.
	jwsForgeries(t, queries, first.query)
	var q map[string]any
	payloadJSON(t, first.query, &q)
	for name, mut := range map[string]func(map[string]any){
		"qid-short":      func(m map[string]any) { m["qid"] = "AAAA" },
		"no-nonce":       func(m map[string]any) { delete(m, "nonce") },
		"iat-string":     func(m map[string]any) { m["iat"] = "1765065600" },
		"extra-member":   func(m map[string]any) { m["members"] = []string{"AAAAAAAAAAAAAAAAAAAAAA"} },
		"other-terminal": func(m map[string]any) { m["term"] = "T0002" },
	} {
		m := map[string]any{}
		for k, v := range q {
			m[k] = v
		}
		mut(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		queries.Add(name, withPayload(first.query, string(b)))
	}
	queries.Add("payload-empty-object", withPayload(first.query, "{}"))

	// doc.members in the spellings the strict decoder and Validate refuse.
	var sent struct {
		Doc map[string]any `json:"doc"`
	}
	payloadJSON(t, first.request, &sent)
	d := sent.Doc
	members := d["members"].(map[string]any)
	tokens := members["tokens"].([]any)
	token := tokens[0].(string)
	for name, mut := range map[string]func(d, m map[string]any){
		"members-null":            func(d, _ map[string]any) { d["members"] = nil },
		"members-absent":          func(d, _ map[string]any) { delete(d, "members") },
		"scope-self-with-members": func(d, _ map[string]any) { d["opts"].(map[string]any)["scope"] = "self" },
		"scope-household-members": func(d, _ map[string]any) { d["opts"].(map[string]any)["scope"] = "household" },
		"token-twice":             func(_, m map[string]any) { m["tokens"] = []any{token, token} },
		"no-tokens":               func(_, m map[string]any) { m["tokens"] = []any{} },
		"tokens-null":             func(_, m map[string]any) { m["tokens"] = nil },
		"short-token":             func(_, m map[string]any) { m["tokens"] = []any{token[:len(token)-4]} },
		"padded-token":            func(_, m map[string]any) { m["tokens"] = []any{token + "=="} },
		"std-alphabet-token": func(_, m map[string]any) {
			m["tokens"] = []any{strings.NewReplacer("-", "+", "_", "/").Replace(token) + "+/"}
		},
		"no-list":                  func(_, m map[string]any) { delete(m, "list") },
		"list-number":              func(_, m map[string]any) { m["list"] = 1 },
		"token-object":             func(_, m map[string]any) { m["tokens"] = []any{map[string]any{"token": token}} },
		"unknown-member-in-choice": func(_, m map[string]any) { m["index"] = []int{1, 3} },
		"too-many-tokens": func(_, m map[string]any) {
			var ts []any
			for i := range protocol.MaxMembers + 1 {
				ts = append(ts, protocol.B64(bytes.Repeat([]byte{byte(i + 1)}, protocol.TokenSize)))
			}
			m["tokens"] = ts
		},
	} {
		dd, mm := map[string]any{}, map[string]any{}
		for k, v := range d {
			dd[k] = v
		}
		opts := map[string]any{}
		for k, v := range d["opts"].(map[string]any) {
			opts[k] = v
		}
		dd["opts"] = opts
		for k, v := range members {
			mm[k] = v
		}
		dd["members"] = mm
		mut(dd, mm)
		b, err := json.Marshal(dd)
		if err != nil {
			t.Fatal(err)
		}
		docs.Add(name, b)
	}
	docJSON, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(docJSON)
	docs.Add("members-twice", []byte(strings.TrimSuffix(s, "}")+`,"members":null}`))
	docs.Add("members-key-case-folded", []byte(strings.Replace(s, `"members"`, `"Members"`, 1)))
	docs.Add("members-key-escaped", []byte(strings.Replace(s, `"members"`, `"\u006dembers"`, 1)))
	docs.Add("trailing-object", []byte(s+"{}"))

	for _, c := range []*fuzzcorpus.Corpus{lists, queries, docs} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d lists, %d queries, %d doc.members", lists.Len(), queries.Len(), docs.Len())
}
