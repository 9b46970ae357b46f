package protocol

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// Fuzz targets of 世帯の一部's parsers (household.go): the kiosk's check of
// the center's household list, the center's parse of a card's query, and
// the strict decoding of doc.members. scripts/fuzz.sh runs them with the
// others.

// FuzzVerifyHousehold: whatever the center sends where the household list
// belongs, the kiosk refuses it with a RefusalError, or accepts a list
// that answers exactly its query of its card.
func FuzzVerifyHousehold(f *testing.F) {
	h := newHHFlow(f)
	f.Add(h.signed(f, func(*Household) {}))
	f.Add(h.signed(f, func(l *Household) { l.QID = mustRandom(QIDSize) }))
	f.Add(h.signed(f, func(l *Household) { l.Subject = Subject(h.sent.Binding(), h.p.card2.der()) }))
	f.Add(h.signed(f, func(l *Household) { l.Members[1].Name = "山田\u202e子花" }))
	f.Add(h.signed(f, func(l *Household) { l.Members = l.Members[:1] }))
	f.Add(rawJWS(hdr("ES256", TypHousehold, h.p.centerChain(), nil), []byte(`{"v":1,"members":null}`), es256(h.p.centerSig.ecKey())))
	f.Add(h.tkJWS)
	f.Add([]byte("a.b.c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := h.v.Household(data, h.sent)
		if err != nil {
			if _, ok := AsRefusal(err); !ok || v != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		if v.Len() < 1 || v.Len() > MaxMembers {
			t.Fatalf("accepted %d members", v.Len())
		}
		_, payload, _ := splitJWS(t, data)
		var l Household
		if err := json.Unmarshal(payload, &l); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(l.QID, h.q.QID) || !bytes.Equal(l.Binding, h.sent.Binding()) || !bytes.Equal(l.Subject, h.sent.Subject()) {
			t.Fatal("accepted a list for another query or another card")
		}
		for i := range v.Len() {
			name, rel, _ := v.Member(i)
			if displayText(name, MaxMemberName) != nil || displayText(rel, MaxRelation) != nil {
				t.Fatalf("accepted member %d: %q %q", i, name, rel)
			}
		}
	})
}

// FuzzParseHouseholdQuery: the center refuses whatever is not a query its
// card trust verifies, with a RefusalError; what it accepts is valid and
// names the algorithm its certificate pins.
func FuzzParseHouseholdQuery(f *testing.F) {
	p := getPKI(f)
	q, err := NewHouseholdQuery("K-0001", "S-0042", "141003", testNow, "kofu-kiosk/test+0123abc")
	if err != nil {
		f.Fatal(err)
	}
	good, err := SignHouseholdQuery(context.Background(), p.card.key, p.card.der(), q)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(newFlow(f).compact)
	parts := strings.Split(string(good), ".")
	f.Add([]byte(parts[0] + "." + B64([]byte(`{"v":1}`)) + "." + parts[2]))
	f.Add([]byte(parts[0] + ".." + parts[2]))
	trust := CardTrust{Roots: p.jpki.pool()}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, leaf, err := ParseHouseholdQueryIn(data, trust, testNow)
		if err != nil {
			if _, ok := AsRefusal(err); !ok || q != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if q.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid query")
		}
		if _, err := NewSentQuery(data, leaf.Raw); err != nil {
			t.Fatalf("the kiosk's own decoding refuses what the center accepted: %v", err)
		}
	})
}

// FuzzDocMembers: doc.members decodes strictly: what is accepted encodes
// back to an equal spec, and a spec that validates names members exactly
// when its scope asks for them, never one twice.
func FuzzDocMembers(f *testing.F) {
	f.Add(mustJSON(membersDoc(testChoice(2))))
	f.Add(mustJSON(mustDoc(DocJuminhyo)))
	f.Add([]byte(`{"type":"juminhyo","opts":{"scope":"members","honseki":"omit","zokugara":"omit","kojin-bango":"omit"},"copies":1}`))
	f.Add([]byte(`{"type":"juminhyo","opts":{"scope":"self"},"copies":1,"members":null}`))
	f.Add([]byte(`{"type":"juminhyo","opts":{"scope":"members"},"copies":1,"members":{"list":"AAAAAAAAAAAAAAAAAAAAAA","tokens":["AAAAAAAAAAAAAAAAAAAAAA","AAAAAAAAAAAAAAAAAAAAAA"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d DocSpec
		if err := decodeStrict(data, &d); err != nil {
			return
		}
		var again DocSpec
		if err := decodeStrict(mustJSON(d), &again); err != nil {
			t.Fatalf("re-encoded spec refused: %v", err)
		}
		if !bytes.Equal(mustJSON(d), mustJSON(again)) || !d.Members.Equal(again.Members) {
			t.Fatal("round trip changed the spec")
		}
		if d.Validate() != nil {
			return
		}
		if d.WantsMembers() != (d.Members != nil) {
			t.Fatalf("valid spec: scope %q with members %v", d.Opts["scope"], d.Members != nil)
		}
		if d.Members != nil && validateTokens("members", d.Members.Tokens, 1, true) != nil {
			t.Fatal("valid spec with ill-formed tokens")
		}
	})
}
