package protocol_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"kofu/internal/fixtures"
	"kofu/internal/fuzzcorpus"
	"kofu/protocol"
)

// stableHousehold is one 世帯の一部 exchange built only from committed
// material, as stableFlow is for a request: R0001's query with fixed ids
// (RS256 is deterministic, so its bytes, binding and subject are the
// same in every run), the list signed by the committed center signer,
// and the kiosk's verifier and the center's card trust at a fixed
// instant. The committed seeds of its fuzz targets therefore pass the
// signature and reach the list's own rules, which the seeds of
// FuzzVerifyHousehold (a PKI made fresh each run) never do.
type stableHousehold struct {
	fx    *fixtures.Set
	v     *protocol.Verifier
	trust protocol.CardTrust
	query []byte // the card's signed query
	sent  *protocol.SentQuery
	list  protocol.Household
	now   time.Time
}

func newStableHousehold(tb testing.TB) *stableHousehold {
	tb.Helper()
	fx, err := fixtures.Load()
	if err != nil {
		tb.Fatal(err)
	}
	r, key, now := stableCard(tb, fx)
	q := protocol.HouseholdQuery{V: protocol.Version, QID: bytes.Repeat([]byte{0x51}, protocol.QIDSize),
		Nonce: bytes.Repeat([]byte{0x52}, protocol.NonceSize), Term: "T0001", Store: "S0001", Muni: r.Muni,
		IAT: now.Unix(), SW: "kofu-kiosk/fuzz+0000000"}
	query, err := protocol.SignHouseholdQuery(context.Background(), key, r.CardCertDER, q)
	if err != nil {
		tb.Fatal(err)
	}
	sent, err := protocol.NewSentQuery(query, r.CardCertDER)
	if err != nil {
		tb.Fatal(err)
	}
	list := protocol.Household{V: protocol.Version, LID: bytes.Repeat([]byte{0x4c}, protocol.LIDSize), QID: q.QID,
		Binding: sent.Binding(), Subject: sent.Subject(), IAT: now.Unix(), EXP: now.Add(10 * time.Minute).Unix()}
	for i, m := range []struct{ name, rel string }{{"山田 太郎", "世帯主"}, {"山田 花子", "妻"}, {"山田 翔太", "子"}, {"山田 さくら", "子"}} {
		list.Members = append(list.Members, protocol.Member{Token: bytes.Repeat([]byte{byte(0x10 + i)}, protocol.TokenSize),
			Name: m.name, Rel: m.rel, Self: i == 0})
	}
	return &stableHousehold{fx: fx, query: query, sent: sent, list: list, now: now,
		v:     &protocol.Verifier{CenterRoots: fx.CenterCA.Pool(), IssuerRoots: fx.IssuerCA.Pool(), Now: func() time.Time { return now }},
		trust: protocol.CardTrust{Roots: fx.JPKICA.Pool(), Intermediates: fx.JPKIP384CA.Pool()}}
}

// signed signs a mutated copy of the list with the committed center
// signer (or, with issuer, the issuer's: the other CA's role).
func (s *stableHousehold) signed(tb testing.TB, issuer bool, mut func(l *protocol.Household)) []byte {
	tb.Helper()
	l := s.list.Clone()
	mut(&l)
	k := s.fx.CenterSigner
	if issuer {
		k = s.fx.IssuerSigner
	}
	b, err := protocol.SignHousehold(k.Key, [][]byte{k.CertDER}, l)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// shownSafely reports whether s may be put on the resident's screen:
// no control or format characters (bidi overrides), within max bytes.
func shownSafely(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// FuzzVerifyHouseholdStable: the kiosk's check of a household list under
// the committed center CA: a list or a RefusalError, never both; a list
// it accepts answers exactly this query of this card (qid, binding,
// subject), holds 1..MaxMembers members of whom exactly one is the
// card's holder, with distinct tokens and names fit for the screen, and
// was not issued before the query.
func FuzzVerifyHouseholdStable(f *testing.F) {
	s := newStableHousehold(f)
	f.Add(s.signed(f, false, func(*protocol.Household) {}))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := s.v.Household(data, s.sent)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || v != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		var l protocol.Household
		payloadJSON(t, data, &l)
		if !bytes.Equal(l.QID, s.list.QID) || !bytes.Equal(l.Binding, s.sent.Binding()) || !bytes.Equal(l.Subject, s.sent.Subject()) {
			t.Fatal("accepted a list for another query or another card")
		}
		if v.Len() != len(l.Members) || v.Len() < 1 || v.Len() > protocol.MaxMembers {
			t.Fatalf("accepted %d members (%d in the list)", v.Len(), len(l.Members))
		}
		selves, tokens := 0, map[string]bool{}
		for i := range v.Len() {
			name, rel, self := v.Member(i)
			if !shownSafely(name, protocol.MaxMemberName) || !shownSafely(rel, protocol.MaxRelation) {
				t.Fatalf("accepted member %d: %q %q", i, name, rel)
			}
			if self {
				selves++
			}
			tokens[string(l.Members[i].Token)] = true
		}
		if selves != 1 || len(tokens) != v.Len() {
			t.Fatalf("accepted %d holders, %d distinct tokens of %d", selves, len(tokens), v.Len())
		}
		if l.IAT < s.now.Unix()-int64(2*time.Minute/time.Second) || l.EXP <= l.IAT {
			t.Fatalf("accepted times iat %d exp %d", l.IAT, l.EXP)
		}
		checkHeader(t, data, string(protocol.AlgCenter), protocol.TypHousehold)
	})
}

// FuzzParseHouseholdQueryStable: the center's parse of a card's query
// under the committed JPKI CA: a query or a RefusalError, never both;
// what it accepts is a valid query, signed by a card certificate the
// trust verifies, that the kiosk's own decoding takes too.
func FuzzParseHouseholdQueryStable(f *testing.F) {
	s := newStableHousehold(f)
	f.Add(s.query)
	f.Fuzz(func(t *testing.T, data []byte) {
		q, leaf, err := protocol.ParseHouseholdQueryIn(data, s.trust, s.now)
		if err != nil {
			if _, ok := protocol.AsRefusal(err); !ok || q != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if q.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid query")
		}
		if _, ok := s.fx.ResidentByCert(leaf.Raw); !ok {
			t.Fatal("accepted a query signed by no test card")
		}
		if _, err := protocol.NewSentQuery(data, leaf.Raw); err != nil {
			t.Fatalf("the kiosk's own decoding refuses what the center accepted: %v", err)
		}
	})
}

// TestWriteStableHouseholdCorpus writes the committed corpora of the two
// stable household targets: lists and a query that verify in every run,
// lists that pass the signature and break one rule each, and header
// forgeries (KOFU_WRITE_CORPUS=1).
func TestWriteStableHouseholdCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	s := newStableHousehold(t)
	other := func(b []byte) []byte { return bytes.Repeat([]byte{^b[0]}, len(b)) }
	member := func(i int, mut func(m *protocol.Member)) func(l *protocol.Household) {
		return func(l *protocol.Household) { mut(&l.Members[i]) }
	}
	many := func(n int) func(l *protocol.Household) {
		return func(l *protocol.Household) {
			for i := len(l.Members); i < n; i++ {
				l.Members = append(l.Members, protocol.Member{Token: bytes.Repeat([]byte{byte(0x40 + i)}, protocol.TokenSize),
					Name: "山田 " + string(rune('A'+i%26)), Rel: "子"})
			}
		}
	}
	hc := fuzzcorpus.New("FuzzVerifyHouseholdStable")
	for name, mut := range map[string]func(l *protocol.Household){
		"four":          func(*protocol.Household) {},
		"only-me":       func(l *protocol.Household) { l.Members = l.Members[:1] },
		"max-members":   many(protocol.MaxMembers),
		"latin-name":    member(1, func(m *protocol.Member) { m.Name = "WILLIAMS EMILY JANE" }),
		"variant-kanji": member(2, func(m *protocol.Member) { m.Name = "髙﨑 翔" }),
	} {
		b := s.signed(t, false, mut)
		if _, err := s.v.Household(b, s.sent); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		hc.Add("valid-"+name, b)
	}
	for name, mut := range map[string]func(l *protocol.Household){
		"other-qid":        func(l *protocol.Household) { l.QID = other(l.QID) },
		"other-binding":    func(l *protocol.Household) { l.Binding = other(l.Binding) },
		"other-subject":    func(l *protocol.Household) { l.Subject = other(l.Subject) },
		"no-members":       func(l *protocol.Household) { l.Members = nil },
		"too-many-members": many(protocol.MaxMembers + 1),
		"no-holder":        member(0, func(m *protocol.Member) { m.Self = false }),
		"two-holders":      member(1, func(m *protocol.Member) { m.Self = true }),
		"token-twice":      member(1, func(m *protocol.Member) { m.Token = bytes.Clone(s.list.Members[0].Token) }),
		"token-short":      member(1, func(m *protocol.Member) { m.Token = m.Token[:8] }),
		"name-bidi":        member(1, func(m *protocol.Member) { m.Name = "山田\u202e子花" }),
		"name-control":     member(1, func(m *protocol.Member) { m.Name = "山田\x1b[2J" }),
		"name-empty":       member(1, func(m *protocol.Member) { m.Name = "" }),
		"name-too-long":    member(1, func(m *protocol.Member) { m.Name = strings.Repeat("山", protocol.MaxMemberName) }),
		"relation-long":    member(1, func(m *protocol.Member) { m.Rel = strings.Repeat("妻", protocol.MaxRelation) }),
		"lid-short":        func(l *protocol.Household) { l.LID = l.LID[:4] },
		"expired":          func(l *protocol.Household) { l.IAT, l.EXP = l.IAT-7200, l.IAT-3600 },
		"before-the-query": func(l *protocol.Household) { l.IAT -= 3600 },
		"version-2":        func(l *protocol.Household) { l.V = 2 },
	} {
		b := s.signed(t, false, mut)
		if _, err := s.v.Household(b, s.sent); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		hc.Add(name, b)
	}
	hc.Add("signed-by-the-issuer", s.signed(t, true, func(*protocol.Household) {}))
	jwsForgeries(t, hc, s.signed(t, false, func(*protocol.Household) {}))

	qc := fuzzcorpus.New("FuzzParseHouseholdQueryStable")
	if _, _, err := protocol.ParseHouseholdQueryIn(s.query, s.trust, s.now); err != nil {
		t.Fatalf("the stable query is refused: %v", err)
	}
	qc.Add("valid", s.query)
	jwsForgeries(t, qc, s.query)
	for _, c := range []*fuzzcorpus.Corpus{hc, qc} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
