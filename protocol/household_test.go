package protocol

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// ---- household members chosen individually (issue 17: 世帯の一部) ----

// testChoice is a well-formed choice of n members of a list.
func testChoice(n int) *MemberChoice {
	c := &MemberChoice{List: bytes.Repeat([]byte{0x4c}, LIDSize)}
	for i := range n {
		c.Tokens = append(c.Tokens, bytes.Repeat([]byte{byte(0x10 + i)}, TokenSize))
	}
	return c
}

// membersDoc is a 住民票 of the members of choice.
func membersDoc(choice *MemberChoice) DocSpec {
	d := mustDoc(DocJuminhyo)
	d.Opts["scope"] = ScopeMembers
	d.Members = choice
	return d
}

func TestMembersValidate(t *testing.T) {
	withMembers := func(dt DocType, scope string, c *MemberChoice) DocSpec {
		d := mustDoc(dt)
		if scope != "" {
			d.Opts["scope"] = scope
		}
		d.Members = c
		return d
	}
	choice := func(mut func(c *MemberChoice)) *MemberChoice {
		c := testChoice(3)
		mut(c)
		return c
	}
	cases := []struct {
		name string
		spec DocSpec
		ok   bool
		is   error // the error Validate wraps, when it matters
	}{
		{"two of the list", withMembers(DocJuminhyo, ScopeMembers, testChoice(2)), true, nil},
		{"kisai too", withMembers(DocJuminhyoKisai, ScopeMembers, testChoice(1)), true, nil},
		{"the most a list holds", withMembers(DocJuminhyo, ScopeMembers, testChoice(MaxMembers)), true, nil},
		{"scope members, nobody chosen yet", withMembers(DocJuminhyo, ScopeMembers, nil), false, ErrMembersNotChosen},
		{"members with scope household", withMembers(DocJuminhyo, "household", testChoice(1)), false, nil},
		{"members with scope self", withMembers(DocJuminhyo, "self", testChoice(1)), false, nil},
		{"members on a seal certificate", DocSpec{Type: DocInkan, Copies: 1, Members: testChoice(1)}, false, nil},
		{"no token", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.Tokens = nil })), false, nil},
		{"empty token list", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.Tokens = []Bytes{} })), false, nil},
		{"more tokens than a list holds", withMembers(DocJuminhyo, ScopeMembers, testChoice(MaxMembers+1)), false, nil},
		{"short token", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.Tokens[1] = c.Tokens[1][:TokenSize-1] })), false, nil},
		{"long token", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.Tokens[0] = append(c.Tokens[0], 0) })), false, nil},
		{"token twice", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.Tokens[2] = bytes.Clone(c.Tokens[0]) })), false, ErrMemberTwice},
		{"no list id", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.List = nil })), false, nil},
		{"short list id", withMembers(DocJuminhyo, ScopeMembers, choice(func(c *MemberChoice) { c.List = c.List[:8] })), false, nil},
	}
	for _, c := range cases {
		err := c.spec.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", c.name, err, c.ok)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: Validate = %v, want it to wrap %v", c.name, err, c.is)
		}
	}
	// Nobody chosen yet is the only fault of such an order: anything else
	// wrong is reported first, so the session's pre-PIN check holds.
	d := withMembers(DocJuminhyo, ScopeMembers, nil)
	d.Copies = 0
	if err := d.Validate(); err == nil || errors.Is(err, ErrMembersNotChosen) {
		t.Errorf("bad copies and no members: %v, want the copies", err)
	}
	if !d.WantsMembers() || mustDoc(DocJuminhyo).WantsMembers() || mustDoc(DocInkan).WantsMembers() {
		t.Error("WantsMembers")
	}
}

func TestMembersEqualCloneString(t *testing.T) {
	a := membersDoc(testChoice(2))
	b := a.Clone()
	if !a.Equal(b) || !b.Equal(a) {
		t.Fatal("a clone is another document")
	}
	b.Members.Tokens[0][0] ^= 1
	if a.Members.Tokens[0][0] == b.Members.Tokens[0][0] {
		t.Fatal("Clone shares the tokens")
	}
	if a.Equal(b) {
		t.Error("another token is the same document")
	}
	for _, c := range []struct {
		name string
		mut  func(d *DocSpec)
	}{
		{"one token fewer", func(d *DocSpec) { d.Members.Tokens = d.Members.Tokens[:1] }},
		{"tokens reordered", func(d *DocSpec) { slices.Reverse(d.Members.Tokens) }},
		{"another list", func(d *DocSpec) { d.Members.List = bytes.Repeat([]byte{1}, LIDSize) }},
		{"no members", func(d *DocSpec) { d.Members = nil }},
	} {
		d := a.Clone()
		c.mut(&d)
		if a.Equal(d) || d.Equal(a) {
			t.Errorf("%s: Equal", c.name)
		}
	}
	if s := a.String(); !strings.Contains(s, "members=2") || strings.Contains(s, B64(a.Members.Tokens[0])) {
		t.Errorf("String = %q: the count, never a token", s)
	}
}

// TestMembersWire: a request naming members round-trips through the card's
// signature and the center's parse; its doc carries exactly the members
// object; a null is not a second spelling of "absent".
func TestMembersWire(t *testing.T) {
	p := getPKI(t)
	f := newFlowSpec(t, p, membersDoc(testChoice(2)))
	r, _, err := ParseRequest(f.compact, p.jpki.pool(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Doc.Equal(f.req.Doc) || !r.Doc.Members.Equal(f.req.Doc.Members) {
		t.Fatalf("parsed doc %v, sent %v", r.Doc, f.req.Doc)
	}
	_, payload, _ := splitJWS(t, f.compact)
	want := `"members":{"list":"` + B64(f.req.Doc.Members.List) + `","tokens":["` + B64(f.req.Doc.Members.Tokens[0]) + `","` +
		B64(f.req.Doc.Members.Tokens[1]) + `"]}`
	if !strings.Contains(string(payload), want) {
		t.Errorf("payload %s lacks %s", payload, want)
	}
	// The binding covers the choice: the same request naming another
	// member is other bytes, another binding.
	other := f.req.Clone()
	other.Doc.Members.Tokens[1][0] ^= 0xff
	compact, err := SignRequest(context.Background(), p.card.key, p.card.der(), other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(Binding(compact), f.sent.Binding()) {
		t.Error("another choice has the same binding")
	}
	for name, body := range map[string]string{
		"null members": `{"type":"juminhyo","opts":{"scope":"self"},"copies":1,"members":null}`,
		"unknown key":  `{"type":"juminhyo","opts":{"scope":"members"},"copies":1,"members":{"list":"` + b64Of(16) + `","tokens":[],"extra":1}}`,
		"List":         `{"type":"juminhyo","opts":{"scope":"members"},"copies":1,"members":{"List":"` + b64Of(16) + `","tokens":[]}}`,
	} {
		var d DocSpec
		if err := decodeStrict([]byte(body), &d); err == nil {
			t.Errorf("%s: decoded %+v", name, d)
		}
	}
}

// TestRequestsWithoutMembersUnchanged: the committed vectors were signed
// before 世帯の一部 existed. Their payloads decode into today's types and
// encode again byte for byte — no "members" member appears — and a
// default spec and an envelope without members encode without either
// new member: a kiosk that does not use 世帯の一部 sends exactly what it
// sent before, and reads the same envelopes.
func TestRequestsWithoutMembersUnchanged(t *testing.T) {
	reencodeVectors(t, func(i int, r *Request) {
		if r.Doc.Members != nil || r.Doc.WantsMembers() {
			t.Fatalf("vector %d names members", i)
		}
	})
	for _, info := range DocTypes() {
		d := mustDoc(info.Type)
		if b := mustJSON(d); bytes.Contains(b, []byte(`"members"`)) {
			t.Errorf("%s: default spec %s", info.Type, b)
		}
	}
	f := newFlow(t)
	if b := mustJSON(f.envelope(a4Refs(1))); bytes.Contains(b, []byte(`"listed"`)) || bytes.Contains(b, []byte(`"members"`)) {
		t.Errorf("envelope without members: %s", b)
	}
}

// ---- the household query ----

func newQuery(t testing.TB) HouseholdQuery {
	t.Helper()
	q, err := NewHouseholdQuery("K-0001", "S-0042", "141003", testNow, "kofu-kiosk/test+0123abc")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestHouseholdQueryRoundTrip(t *testing.T) {
	p := getPKI(t)
	q := newQuery(t)
	compact, err := SignHouseholdQuery(context.Background(), p.card.key, p.card.der(), q)
	if err != nil {
		t.Fatal(err)
	}
	got, leaf, err := ParseHouseholdQueryIn(compact, CardTrust{Roots: p.jpki.pool()}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(leaf.Raw, p.card.der()) || !bytes.Equal(mustJSON(got), mustJSON(q)) {
		t.Fatalf("parsed %+v, sent %+v", got, q)
	}
	sent, err := NewSentQuery(compact, p.card.der())
	if err != nil {
		t.Fatal(err)
	}
	if b := sha256.Sum256(compact); !bytes.Equal(sent.Binding(), b[:]) ||
		!bytes.Equal(sent.Subject(), Subject(b[:], p.card.der())) || !bytes.Equal(sent.Query().QID, q.QID) {
		t.Error("SentQuery's binding, subject or query")
	}

	// A query is no request and a request no query: typ decides.
	if _, _, err := ParseRequest(compact, p.jpki.pool(), testNow); refusalCode(err) != "request-typ" {
		t.Errorf("query parsed as a request: %v", err)
	}
	f := newFlow(t)
	if _, _, err := ParseHouseholdQueryIn(f.compact, CardTrust{Roots: p.jpki.pool()}, testNow); refusalCode(err) != "household-query-typ" {
		t.Errorf("request parsed as a query: %v", err)
	}
	// Not the card's CA.
	if _, _, err := ParseHouseholdQueryIn(compact, CardTrust{Roots: p.center.pool()}, testNow); refusalCode(err) != "household-query-chain" {
		t.Errorf("query under another CA: %v", err)
	}
	// A changed payload breaks the card's signature.
	parts := strings.Split(string(compact), ".")
	bad := q
	bad.Muni = "130001"
	parts[1] = B64(mustJSON(bad))
	if _, _, err := ParseHouseholdQueryIn([]byte(strings.Join(parts, ".")), CardTrust{Roots: p.jpki.pool()}, testNow); refusalCode(err) != "household-query-signature" {
		t.Errorf("altered query: %v", err)
	}
	for name, mut := range map[string]func(q *HouseholdQuery){
		"qid short":   func(q *HouseholdQuery) { q.QID = q.QID[:8] },
		"nonce short": func(q *HouseholdQuery) { q.Nonce = q.Nonce[:8] },
		"muni":        func(q *HouseholdQuery) { q.Muni = "14100" },
		"term":        func(q *HouseholdQuery) { q.Term = "K 1" },
		"sw":          func(q *HouseholdQuery) { q.SW = "" },
		"iat":         func(q *HouseholdQuery) { q.IAT = 0 },
		"v":           func(q *HouseholdQuery) { q.V = 2 },
	} {
		b := q
		mut(&b)
		if _, err := SignHouseholdQuery(context.Background(), p.card.key, p.card.der(), b); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// ---- the household list ----

// hhFlow is a query signed by the card and the correct list answering it.
type hhFlow struct {
	*flow
	q    HouseholdQuery
	sent *SentQuery
	list Household
}

func newHHFlow(t testing.TB) *hhFlow {
	t.Helper()
	f := newFlow(t)
	q := newQuery(t)
	compact, err := SignHouseholdQuery(context.Background(), f.p.card.key, f.p.card.der(), q)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := NewSentQuery(compact, f.p.card.der())
	if err != nil {
		t.Fatal(err)
	}
	h := Household{V: Version, LID: bytes.Repeat([]byte{0x4c}, LIDSize), QID: q.QID, Binding: sent.Binding(),
		Subject: sent.Subject(), IAT: testNow.Unix(), EXP: testNow.Add(10 * time.Minute).Unix()}
	for i, m := range []struct{ name, rel string }{{"山田 太郎", "世帯主"}, {"山田 花子", "妻"}, {"山田 翔太", "子"}} {
		h.Members = append(h.Members, Member{Token: bytes.Repeat([]byte{byte(0x10 + i)}, TokenSize), Name: m.name, Rel: m.rel, Self: i == 0})
	}
	return &hhFlow{flow: f, q: q, sent: sent, list: h}
}

// signed signs a mutated copy of the correct list with the center signer.
func (h *hhFlow) signed(t testing.TB, mut func(l *Household)) []byte {
	t.Helper()
	l := h.list.Clone()
	mut(&l)
	b, err := SignHousehold(h.p.centerSig.key, h.p.centerChain(), l)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHouseholdValidate(t *testing.T) {
	h := newHHFlow(t)
	member := func(i int, mut func(m *Member)) func(l *Household) {
		return func(l *Household) { mut(&l.Members[i]) }
	}
	cases := []struct {
		name string
		mut  func(l *Household)
		ok   bool
	}{
		{"control", func(*Household) {}, true},
		{"one member", func(l *Household) { l.Members = l.Members[:1] }, true},
		{"a Latin name with an ideographic space", member(1, func(m *Member) { m.Name = "WILLIAMS　EMILY JANE" }), true},
		{"no member", func(l *Household) { l.Members = nil }, false},
		{"too many members", func(l *Household) {
			for i := len(l.Members); i <= MaxMembers; i++ {
				l.Members = append(l.Members, Member{Token: bytes.Repeat([]byte{byte(0x80 + i)}, TokenSize), Name: "x", Rel: "子"})
			}
		}, false},
		{"token twice", member(2, func(m *Member) { m.Token = bytes.Repeat([]byte{0x10}, TokenSize) }), false},
		{"short token", member(1, func(m *Member) { m.Token = m.Token[:4] }), false},
		{"empty name", member(1, func(m *Member) { m.Name = "" }), false},
		{"empty relationship", member(1, func(m *Member) { m.Rel = "" }), false},
		{"name too long", member(1, func(m *Member) { m.Name = strings.Repeat("あ", MaxMemberName/3+1) }), false},
		{"line break in a name", member(1, func(m *Member) { m.Name = "山田\n花子" }), false},
		{"escape in a name", member(1, func(m *Member) { m.Name = "山田\x1b[2J花子" }), false},
		{"right-to-left override", member(1, func(m *Member) { m.Name = "山田\u202e子花" }), false},
		{"zero-width space", member(1, func(m *Member) { m.Name = "山田\u200b花子" }), false},
		{"line separator", member(1, func(m *Member) { m.Rel = "妻\u2028" }), false},
		{"replacement character", member(1, func(m *Member) { m.Name = "山田\ufffd" }), false},
		{"nobody is the card's holder", member(0, func(m *Member) { m.Self = false }), false},
		{"two are", member(1, func(m *Member) { m.Self = true }), false},
		{"lid short", func(l *Household) { l.LID = l.LID[:8] }, false},
		{"qid short", func(l *Household) { l.QID = l.QID[:8] }, false},
		{"binding short", func(l *Household) { l.Binding = l.Binding[:16] }, false},
		{"no subject", func(l *Household) { l.Subject = nil }, false},
		{"exp before iat", func(l *Household) { l.EXP = l.IAT }, false},
		{"v 2", func(l *Household) { l.V = 2 }, false},
	}
	for _, c := range cases {
		l := h.list.Clone()
		c.mut(&l)
		if err := l.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestVerifierHousehold: the list is taken only when it answers this
// query of this card; every other list is refused with its code before a
// name is shown.
func TestVerifierHousehold(t *testing.T) {
	h := newHHFlow(t)
	other := sha256.Sum256([]byte("another query"))
	cases := []struct {
		name string
		make func(t testing.TB) []byte
		want string
	}{
		{"control", func(t testing.TB) []byte { return h.signed(t, func(*Household) {}) }, ""},
		{"another query's id", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.QID = mustRandom(QIDSize) })
		}, "household-qid"},
		{"another query's bytes", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.Binding = other[:] })
		}, "household-binding"},
		{"another resident's household", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.Subject = Subject(h.sent.Binding(), h.p.card2.der()) })
		}, "household-subject"},
		{"expired", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.IAT, l.EXP = testNow.Add(-time.Hour).Unix(), testNow.Add(-30*time.Minute).Unix() })
		}, "household-expired"},
		{"from the future", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.IAT, l.EXP = testNow.Add(time.Hour).Unix(), testNow.Add(2*time.Hour).Unix() })
		}, "household-not-yet-valid"},
		{"made before the query", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.IAT = testNow.Add(-10 * time.Minute).Unix() })
		}, "household-stale"},
		{"ill-formed", func(t testing.TB) []byte {
			return h.signed(t, func(l *Household) { l.Members[1].Name = "山田\u202e子花" })
		}, "household-fields"},
		{"an unknown member", func(t testing.TB) []byte {
			m := jsonMap(h.list)
			m["birth"] = "1980-01-01"
			b, err := SignHousehold(h.p.centerSig.key, h.p.centerChain(), m)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "household-fields"},
		{"an error flagged", func(t testing.TB) []byte {
			m := jsonMap(h.list)
			m["error"] = "busy"
			b, err := SignHousehold(h.p.centerSig.key, h.p.centerChain(), m)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "household-error-flagged"},
		{"signed by the issuer", func(t testing.TB) []byte {
			b, err := SignHousehold(h.p.issuerSig.key, h.p.issuerChain(), h.list)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "household-chain"},
		{"a ticket where the list belongs", func(t testing.TB) []byte { return h.tkJWS }, "household-typ"},
		{"the list under another typ", func(t testing.TB) []byte {
			return rawJWS(hdr("ES256", TypTicket, h.p.centerChain(), nil), mustJSON(h.list), es256(h.p.centerSig.ecKey()))
		}, "household-typ"},
		{"alg none", func(t testing.TB) []byte {
			return rawJWS(hdr("none", TypHousehold, h.p.centerChain(), nil), mustJSON(h.list), func([]byte) []byte { return nil })
		}, "household-alg-none"},
	}
	for _, c := range cases {
		v, err := h.v.Household(c.make(t), h.sent)
		if got := refusalCode(err); got != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
			continue
		}
		if (v == nil) == (c.want == "") {
			t.Errorf("%s: verified %v with error %v", c.name, v, err)
		}
	}

	v, err := h.v.Household(h.signed(t, func(*Household) {}), h.sent)
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 3 {
		t.Fatalf("%d members", v.Len())
	}
	if name, rel, self := v.Member(0); name != "山田 太郎" || rel != "世帯主" || !self {
		t.Errorf("member 0: %q %q %v", name, rel, self)
	}
	if name, rel, self := v.Member(2); name != "山田 翔太" || rel != "子" || self {
		t.Errorf("member 2: %q %q %v", name, rel, self)
	}
}

func TestVerifiedHouseholdChooseWipe(t *testing.T) {
	h := newHHFlow(t)
	v, err := h.v.Household(h.signed(t, func(*Household) {}), h.sent)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Choose([]int{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := &MemberChoice{List: h.list.LID, Tokens: []Bytes{h.list.Members[0].Token, h.list.Members[2].Token}}
	if !c.Equal(want) {
		t.Errorf("Choose(2, 0) = %+v, want the list's order", c)
	}
	if err := membersDoc(c).Validate(); err != nil {
		t.Errorf("the choice is no valid doc.members: %v", err)
	}
	for _, bad := range [][]int{nil, {}, {3}, {-1}, {1, 1}} {
		if _, err := v.Choose(bad); !errors.Is(err, ErrChoice) {
			t.Errorf("Choose(%v) = %v, want ErrChoice", bad, err)
		}
	}
	// Wipe zeroes what it held, and the choice made from it is its own.
	names, tokens := v.names[1], v.tokens[1]
	v.Wipe()
	if v.Len() != 0 || !bytes.Equal(names, make([]byte, len(names))) || !bytes.Equal(tokens, make([]byte, len(tokens))) {
		t.Error("Wipe left the list's bytes")
	}
	if !c.Equal(want) {
		t.Error("Wipe changed a choice already made")
	}
	v.Wipe() // again: harmless
}

// TestVerifierEnvelopeListed: a document of chosen members is printed
// only when its envelope lists exactly the members chosen, in order; an
// envelope that lists members on any other document is refused too.
func TestVerifierEnvelopeListed(t *testing.T) {
	p := getPKI(t)
	choice := testChoice(2)
	f := newFlowSpec(t, p, membersDoc(choice))
	extra := bytes.Repeat([]byte{0x7f}, TokenSize)
	cases := []struct {
		name   string
		listed []Bytes
		want   string
	}{
		{"the members chosen", []Bytes{choice.Tokens[0], choice.Tokens[1]}, ""},
		{"one more", []Bytes{choice.Tokens[0], extra, choice.Tokens[1]}, "envelope-members"},
		{"one dropped", []Bytes{choice.Tokens[0]}, "envelope-members"},
		{"another instead", []Bytes{choice.Tokens[0], extra}, "envelope-members"},
		{"reordered", []Bytes{choice.Tokens[1], choice.Tokens[0]}, "envelope-members"},
		{"one twice", []Bytes{choice.Tokens[0], choice.Tokens[0]}, "envelope-members"},
		{"not said", nil, "envelope-members"},
		{"a short token", []Bytes{choice.Tokens[0], choice.Tokens[1][:3]}, "envelope-fields"},
	}
	for _, c := range cases {
		e := f.envelope(a4Refs(1))
		e.Listed = c.listed
		_, err := f.v.Envelope(f.signEnvelope(t, e), f.vt)
		if got := refusalCode(err); got != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Members listed on a document that chose none.
	g := newFlow(t)
	e := g.envelope(a4Refs(1))
	e.Listed = []Bytes{extra}
	if _, err := g.v.Envelope(g.signEnvelope(t, e), g.vt); refusalCode(err) != "envelope-members" {
		t.Errorf("members listed on a document of the holder alone: %v", err)
	}
	// The ticket echoes doc.members whole: a ticket for another choice
	// answers another document.
	b := ticketWith(func(tk *Ticket) { tk.Doc.Members = &MemberChoice{List: choice.List, Tokens: choice.Tokens[:1]} })(t, f)
	if _, err := f.v.Ticket(b, f.sent); refusalCode(err) != "ticket-doc" {
		t.Errorf("ticket for one member fewer: %v", err)
	}
}
