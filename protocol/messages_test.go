package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// ---- document table ----

func TestDocSpecValidate(t *testing.T) {
	types := DocTypes()
	want := []DocType{DocJuminhyo, DocJuminhyoKisai, DocInkan, DocKosekiZenbu, DocKosekiKojin, DocKosekiFuhyo, DocKazei}
	if len(types) != len(want) {
		t.Fatalf("%d document types, want %d", len(types), len(want))
	}
	for i, d := range types {
		if d.Type != want[i] {
			t.Errorf("type %d is %q, want %q", i, d.Type, want[i])
		}
	}
	type vcase struct {
		name string
		spec DocSpec
		ok   bool
	}
	var cases []vcase
	for _, info := range types {
		def, err := NewDocSpec(info.Type)
		if err != nil {
			t.Fatal(err)
		}
		with := func(mut func(d *DocSpec)) DocSpec {
			d := DocSpec{Type: def.Type, Opts: maps.Clone(def.Opts), Copies: def.Copies}
			mut(&d)
			return d
		}
		name := string(info.Type)
		if info.JA == "" || info.EN == "" {
			t.Errorf("%s: missing names", name)
		}
		cases = append(cases,
			vcase{name + "/defaults", def, true},
			vcase{name + "/copies 0", with(func(d *DocSpec) { d.Copies = 0 }), false},
			vcase{name + "/copies -1", with(func(d *DocSpec) { d.Copies = -1 }), false},
			vcase{name + "/copies 3", with(func(d *DocSpec) { d.Copies = MaxCopies }), true},
			vcase{name + "/copies 4", with(func(d *DocSpec) { d.Copies = MaxCopies + 1 }), false},
			vcase{name + "/extra option", with(func(d *DocSpec) { d.Opts["photo"] = "include" }), false},
			vcase{name + "/other type's option", with(func(d *DocSpec) {
				if _, ok := d.Opts["year"]; ok {
					d.Opts["scope"] = "self"
				} else {
					d.Opts["year"] = "2025"
				}
			}), false},
		)
		if len(info.Options) == 0 {
			cases = append(cases, vcase{name + "/nil opts", with(func(d *DocSpec) { d.Opts = nil }), true})
		}
		for _, o := range info.Options {
			if len(o.Values) < 2 || o.JA == "" || o.EN == "" {
				t.Errorf("%s.%s: malformed option", name, o.Key)
			}
			if v, sent := def.Opts[o.Key]; o.Optional && sent {
				t.Errorf("%s.%s: optional option sent by default (%q): requests would change", name, o.Key, v)
			} else if !o.Optional && v != o.Values[0] {
				t.Errorf("%s.%s: default %q, want the first value %q", name, o.Key, v, o.Values[0])
			}
			for _, v := range o.Values {
				cases = append(cases, vcase{name + "/" + o.Key + "=" + v, with(func(d *DocSpec) {
					d.Opts[o.Key] = v
					if v == ScopeMembers { // 世帯の一部 names its members (household_test.go)
						d.Members = testChoice(2)
					}
				}), true})
			}
			cases = append(cases,
				vcase{name + "/" + o.Key + " bad value", with(func(d *DocSpec) { d.Opts[o.Key] = "maybe" }), false},
				vcase{name + "/" + o.Key + " empty value", with(func(d *DocSpec) { d.Opts[o.Key] = "" }), false},
				vcase{name + "/" + o.Key + " value with a space", with(func(d *DocSpec) { d.Opts[o.Key] = o.Values[0] + " " }), false},
				vcase{name + "/" + o.Key + " missing", with(func(d *DocSpec) { delete(d.Opts, o.Key) }), o.Optional},
				vcase{name + "/" + o.Key + " replaced by another key", with(func(d *DocSpec) {
					delete(d.Opts, o.Key)
					d.Opts[o.Key+"x"] = o.Values[0]
				}), false},
			)
			if up := strings.ToUpper(o.Values[0]); up != o.Values[0] {
				cases = append(cases, vcase{name + "/" + o.Key + " value in other case", with(func(d *DocSpec) { d.Opts[o.Key] = up }), false})
			}
		}
	}
	cases = append(cases,
		vcase{"unknown type", DocSpec{Type: "pasport", Copies: 1}, false},
		vcase{"empty type", DocSpec{Copies: 1}, false},
		vcase{"type in other case", DocSpec{Type: "INKAN", Copies: 1}, false},
	)
	for _, c := range cases {
		err := c.spec.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate(%v) = %v, want ok=%v", c.name, c.spec, err, c.ok)
		}
	}
	if _, err := NewDocSpec("pasport"); err == nil {
		t.Error("NewDocSpec accepted an unknown type")
	}
	if _, ok := LookupDoc("pasport"); ok {
		t.Error("LookupDoc found an unknown type")
	}
}

// TestDocTableNotShared: callers cannot change the table for others.
func TestDocTableNotShared(t *testing.T) {
	a := DocTypes()
	a[0].Type = "changed"
	a[0].Options[0].Values[0] = "changed"
	b := DocTypes()
	if b[0].Type != DocJuminhyo || b[0].Options[0].Values[0] == "changed" {
		t.Error("DocTypes returns shared state")
	}
	d, _ := NewDocSpec(DocJuminhyo)
	d.Opts["scope"] = "household"
	e, _ := NewDocSpec(DocJuminhyo)
	if e.Opts["scope"] != "self" {
		t.Error("NewDocSpec returns shared option maps")
	}
}

func TestDocSpecEqualAndString(t *testing.T) {
	a, _ := NewDocSpec(DocKazei)
	b, _ := NewDocSpec(DocKazei)
	if !a.Equal(b) {
		t.Error("equal specs differ")
	}
	b.Opts["year"] = "2025"
	if a.Equal(b) {
		t.Error("different years compare equal")
	}
	c, _ := NewDocSpec(DocInkan)
	d := DocSpec{Type: DocInkan, Copies: 1} // nil opts
	if !c.Equal(d) {
		t.Error("empty and nil option maps differ")
	}
	if got, want := a.String(), "kazei year=2026 ×1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	j, _ := NewDocSpec(DocJuminhyo)
	if got, want := j.String(), "juminhyo honseki=omit kojin-bango=omit scope=self zokugara=omit ×1"; got != want {
		t.Errorf("String() = %q, want %q (sorted keys)", got, want)
	}
	// A spec survives the wire.
	var back DocSpec
	if err := decodeStrict(mustJSON(j), &back); err != nil || !back.Equal(j) {
		t.Errorf("round trip: %v %v", err, back)
	}
}

// ---- requests ----

func TestNewRequestIDs(t *testing.T) {
	doc, _ := NewDocSpec(DocJuminhyo)
	now := time.Unix(1_800_000_000, 0)
	rids := map[string]bool{}
	nonces := map[string]bool{}
	const n = 1000
	for i := range n {
		r, err := NewRequest("K-1", "S-1", "131016", doc, now, "kofu-kiosk/test")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.RID) != RIDSize || len(r.Nonce) != NonceSize {
			t.Fatalf("rid %d bytes, nonce %d bytes", len(r.RID), len(r.Nonce))
		}
		if r.IAT != now.Unix() || r.V != Version {
			t.Fatalf("iat %d v %d", r.IAT, r.V)
		}
		if bytes.Contains(r.Nonce, r.RID) {
			t.Fatalf("request %d: the nonce contains the rid", i)
		}
		rids[string(r.RID)] = true
		nonces[string(r.Nonce)] = true
	}
	// The same clock for all: distinct ids cannot come from the time.
	if len(rids) != n || len(nonces) != n {
		t.Errorf("%d distinct rids and %d distinct nonces of %d requests at one instant", len(rids), len(nonces), n)
	}
}

func TestRequestValidate(t *testing.T) {
	doc, _ := NewDocSpec(DocJuminhyo)
	good, err := NewRequest("K-0001", "S.42_x", "131016", doc, testNow, "kofu-kiosk/1.0+abc")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		mut  func(r *Request)
		ok   bool
	}{
		{"good", func(r *Request) {}, true},
		{"v 2", func(r *Request) { r.V = 2 }, false},
		{"rid 15", func(r *Request) { r.RID = r.RID[:15] }, false},
		{"nonce 33", func(r *Request) { r.Nonce = append(Bytes{1}, r.Nonce...) }, false},
		{"term empty", func(r *Request) { r.Term = "" }, false},
		{"term 32", func(r *Request) { r.Term = strings.Repeat("k", MaxTermID) }, true},
		{"term 33", func(r *Request) { r.Term = strings.Repeat("k", MaxTermID+1) }, false},
		{"term with space", func(r *Request) { r.Term = "K 1" }, false},
		{"term with slash", func(r *Request) { r.Term = "K/1" }, false},
		{"term non-ASCII", func(r *Request) { r.Term = "端末1" }, false},
		{"store with newline", func(r *Request) { r.Store = "S1\n" }, false},
		{"muni 5 digits", func(r *Request) { r.Muni = "13101" }, false},
		{"muni 7 digits", func(r *Request) { r.Muni = "1310160" }, false},
		{"muni full-width digits", func(r *Request) { r.Muni = "１３１０１６" }, false},
		{"iat 0", func(r *Request) { r.IAT = 0 }, false},
		{"sw empty", func(r *Request) { r.SW = "" }, false},
		{"sw 129", func(r *Request) { r.SW = strings.Repeat("s", MaxSWString+1) }, false},
		{"doc invalid", func(r *Request) { r.Doc.Copies = 0 }, false},
	} {
		r := good
		r.Doc.Opts = maps.Clone(good.Doc.Opts)
		c.mut(&r)
		if err := r.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
	if _, err := NewRequest("K 1", "S", "131016", doc, testNow, "sw"); err == nil {
		t.Error("NewRequest returned no error for an invalid terminal id")
	}
}

func TestOutcomeValidate(t *testing.T) {
	good := Outcome{V: 1, TID: mustRandom(TIDSize), Binding: mustRandom(DigestSize), Result: ResultPrinted, IAT: 1}
	for _, r := range []Result{ResultPrinted, ResultRefused, ResultFailed, ResultCancelled, ResultUnknown} {
		o := good
		o.Result = r
		if err := o.Validate(); err != nil || !r.Valid() {
			t.Errorf("result %q refused: %v", r, err)
		}
	}
	for _, c := range []struct {
		name string
		mut  func(o *Outcome)
	}{
		{"unknown result", func(o *Outcome) { o.Result = "Printed" }},
		{"empty result", func(o *Outcome) { o.Result = "" }},
		{"pages -1", func(o *Outcome) { o.Pages = -1 }},
		{"pages over the bound", func(o *Outcome) { o.Pages = MaxPages*MaxCopies + 1 }},
		{"reason 65", func(o *Outcome) { o.Reason = strings.Repeat("r", 65) }},
		{"tid 15", func(o *Outcome) { o.TID = o.TID[:15] }},
		{"binding 31", func(o *Outcome) { o.Binding = o.Binding[:31] }},
		{"v 0", func(o *Outcome) { o.V = 0 }},
		{"iat 0", func(o *Outcome) { o.IAT = 0 }},
	} {
		o := good
		c.mut(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// ---- QR text ----

func TestQRTextRoundTrip(t *testing.T) {
	for total := 1; total <= MaxPages; total++ {
		for n := 1; n <= total; n++ {
			q := QRText{TID: mustRandom(TIDSize), Binding: mustRandom(DigestSize), Subject: mustRandom(DigestSize), N: n, Total: total}
			s := q.String()
			want := fmt.Sprintf("KOFU1|%s|%s|%s|%d/%d", b64url(q.TID), b64url(q.Binding), b64url(q.Subject), n, total)
			if s != want {
				t.Fatalf("String() = %q, want %q", s, want)
			}
			back, err := ParseQRText(s)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			if !back.Equal(q) || back.String() != s {
				t.Fatalf("round trip of %q gave %+v", s, back)
			}
		}
	}
}

func TestParseQRTextRefusals(t *testing.T) {
	tid, b, s := b64url(mustRandom(TIDSize)), b64url(mustRandom(DigestSize)), b64url(mustRandom(DigestSize))
	good := "KOFU1|" + tid + "|" + b + "|" + s + "|1/2"
	if _, err := ParseQRText(good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		text    string
		notKOFU bool // the error must be ErrNotKOFU
	}{
		{"empty", "", true},
		{"another prefix", "KOFU2|" + tid + "|" + b + "|" + s + "|1/2", true},
		{"lower-case prefix", "kofu1|" + tid + "|" + b + "|" + s + "|1/2", true},
		{"a URL", "https://example.jp/?" + good, true},
		{"four fields", "KOFU1|" + tid + "|" + b + "|1/2", true},
		{"seven fields", good + "|1/1F|x", true},
		{"face field not sheet/sheets+F|B", good + "|x", false},
		{"face field lower-case", good[:len(good)-3] + "1/2|1/1f", false},
		{"face field empty", good + "|", false},
		{"face field sheet 0", good[:len(good)-3] + "1/2|0/1F", false},
		{"face field sheet > sheets", good[:len(good)-3] + "1/2|2/1B", false},
		{"face field 13 sheets", good[:len(good)-3] + "1/13|1/13F", false},
		{"face field more faces than two a sheet", good[:len(good)-3] + "1/3|1/1F", false},
		{"face field leading zero", good[:len(good)-3] + "1/2|01/1F", false},
		{"face field two letters", good[:len(good)-3] + "1/2|1/1FB", false},
		{"over 256 bytes", good + strings.Repeat("A", 300), true},
		{"tid 15 bytes", "KOFU1|" + b64url(mustRandom(15)) + "|" + b + "|" + s + "|1/2", false},
		{"binding 31 bytes", "KOFU1|" + tid + "|" + b64url(mustRandom(31)) + "|" + s + "|1/2", false},
		{"subject 33 bytes", "KOFU1|" + tid + "|" + b + "|" + b64url(mustRandom(33)) + "|1/2", false},
		{"padded tid", "KOFU1|" + tid + "==|" + b + "|" + s + "|1/2", false},
		{"standard alphabet", "KOFU1|" + stdEncode(bytes.Repeat([]byte{0xfb}, 16))[:22] + "|" + b + "|" + s + "|1/2", false},
		{"non-canonical trailing bits", "KOFU1|" + tid[:21] + "B|" + b + "|" + s + "|1/2", false},
		{"newline inside a field", "KOFU1|" + tid[:10] + "\n" + tid[10:] + "|" + b + "|" + s + "|1/2", false},
		{"CR inside a field", "KOFU1|" + tid + "|" + b[:5] + "\r" + b[5:] + "|" + s + "|1/2", false},
		{"n 0", "KOFU1|" + tid + "|" + b + "|" + s + "|0/2", false},
		{"n > total", "KOFU1|" + tid + "|" + b + "|" + s + "|3/2", false},
		{"total 13", "KOFU1|" + tid + "|" + b + "|" + s + "|1/13", false},
		{"leading zero", "KOFU1|" + tid + "|" + b + "|" + s + "|01/2", false},
		{"plus sign", "KOFU1|" + tid + "|" + b + "|" + s + "|+1/2", false},
		{"minus sign", "KOFU1|" + tid + "|" + b + "|" + s + "|-1/2", false},
		{"space", "KOFU1|" + tid + "|" + b + "|" + s + "| 1/2", false},
		{"no slash", "KOFU1|" + tid + "|" + b + "|" + s + "|12", false},
		{"two slashes", "KOFU1|" + tid + "|" + b + "|" + s + "|1/2/3", false},
		{"full-width digits", "KOFU1|" + tid + "|" + b + "|" + s + "|１/２", false},
		{"empty n", "KOFU1|" + tid + "|" + b + "|" + s + "|/2", false},
		{"huge n", "KOFU1|" + tid + "|" + b + "|" + s + "|99999999999999999999/2", false},
	} {
		q, err := ParseQRText(c.text)
		if err == nil {
			t.Errorf("%s: %q accepted as %+v", c.name, c.text, q)
			continue
		}
		if errors.Is(err, ErrNotKOFU) != c.notKOFU {
			t.Errorf("%s: errors.Is(err, ErrNotKOFU) = %v (%v)", c.name, !c.notKOFU, err)
		}
		if !(QRText{}).Equal(q) || q.TID != nil {
			t.Errorf("%s: partial value returned with the error", c.name)
		}
	}
}

// ---- base64url JSON values ----

func TestBytesJSON(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 16, 32, 33} {
		b := Bytes(bytes.Repeat([]byte{0xfb, 0xff, 0x00}, 12)[:n])
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		want := `"` + b64url(b) + `"`
		if string(j) != want {
			t.Errorf("Marshal(%x) = %s, want %s", []byte(b), j, want)
		}
		var back Bytes
		if err := json.Unmarshal(j, &back); err != nil || !bytes.Equal(back, b) {
			t.Errorf("Unmarshal(%s) = %x, %v", j, []byte(back), err)
		}
		if b.String() != b64url(b) || B64(b) != b64url(b) {
			t.Errorf("String/B64 of %x", []byte(b))
		}
	}
	for _, c := range []struct {
		name, json string
	}{
		{"padding", `"AA=="`},
		{"padding on a full group", `"AAAA===="`},
		{"standard alphabet +", `"+/+/"`},
		{"standard alphabet /", `"ab/c"`},
		{"non-canonical trailing bits", `"AB"`},
		{"impossible length", `"A"`},
		{"number", `123`},
		{"true", `true`},
		{"object", `{"b":"AA"}`},
		{"array", `["AA"]`},
		{"space inside", `"AA AA"`},
		{"escaped newline inside", `"AAAA\nAAAA"`},
		{"escaped CR inside", `"AAAA\rAAAA"`},
	} {
		var b Bytes
		if err := json.Unmarshal([]byte(c.json), &b); err == nil {
			t.Errorf("%s: %s accepted as %x", c.name, c.json, []byte(b))
		}
	}
	// B64Decode directly.
	for _, s := range []string{"AA==", "A", "AB", "+/", "AA\nAA"} {
		if _, err := B64Decode(s); err == nil {
			t.Errorf("B64Decode(%q) accepted", s)
		}
	}
}

// ---- problem documents ----

func TestProblemTable(t *testing.T) {
	seen := map[ProblemType]bool{}
	for _, p := range ProblemTypes() {
		if seen[p.Type] {
			t.Errorf("%s listed twice", p.Type)
		}
		seen[p.Type] = true
		if p.Status < 400 || p.Status > 599 || p.JA == "" || p.EN == "" {
			t.Errorf("%s: status %d, messages %q %q", p.Type, p.Status, p.JA, p.EN)
		}
		if !utf8.ValidString(p.JA) || !strings.ContainsFunc(p.JA, func(r rune) bool { return r > 0x3000 }) {
			t.Errorf("%s: Japanese message is not Japanese", p.Type)
		}
		np := NewProblem(p.Type, "d")
		if np.Status != p.Status || np.Message("ja") != p.JA || np.Message("en") != p.EN || np.Message("") != p.JA {
			t.Errorf("%s: NewProblem/Message disagree with the table", p.Type)
		}
		if !strings.Contains(np.Error(), string(p.Type)) {
			t.Errorf("%s: Error() = %q", p.Type, np.Error())
		}
	}
	for _, want := range []ProblemType{ProbCardRevoked, ProbCardExpired, ProbNotEligible, ProbOutsideHours,
		ProbReplay, ProbBadSignature, ProbIssuerUnavailable, ProbBusy, ProbInternal} {
		if !seen[want] {
			t.Errorf("%s missing from the table", want)
		}
	}
	info, ok := LookupProblem("nope")
	internal, _ := LookupProblem(ProbInternal)
	if ok || info != internal {
		t.Error("an unknown type does not map to internal's words")
	}
}

func TestParseProblem(t *testing.T) {
	for _, c := range []struct {
		name       string
		body       string
		httpStatus int
		ok         bool
		typ        ProblemType
		status     int
	}{
		{"known", `{"type":"card-revoked","title":"x","status":403,"detail":"d"}`, 403, true, ProbCardRevoked, 403},
		{"extension members ignored", `{"type":"busy","status":503,"retry":3,"instance":"/x"}`, 503, true, ProbBusy, 503},
		{"unknown type becomes internal", `{"type":"teapot","status":418}`, 418, true, ProbInternal, 418},
		{"absolute URI type becomes internal", `{"type":"https://kofu.example/card-revoked","status":403}`, 403, true, ProbInternal, 403},
		{"about:blank becomes internal", `{"type":"about:blank","status":500}`, 500, true, ProbInternal, 500},
		{"missing type becomes internal", `{"status":500}`, 500, true, ProbInternal, 500},
		{"status 200 replaced by the HTTP status", `{"type":"busy","status":200}`, 503, true, ProbBusy, 503},
		{"status 700 replaced", `{"type":"busy","status":700}`, 503, true, ProbBusy, 503},
		{"status 399 replaced", `{"type":"busy","status":399}`, 503, true, ProbBusy, 503},
		{"status missing", `{"type":"replay"}`, 409, true, ProbReplay, 409},
		{"status as string", `{"type":"replay","status":"409"}`, 409, false, "", 0},
		{"type as number", `{"type":7}`, 500, false, "", 0},
		{"not an object", `["card-revoked"]`, 403, false, "", 0},
		{"duplicate type", `{"type":"internal","type":"card-revoked"}`, 403, false, "", 0},
		{"trailing data", `{"type":"busy"} {"type":"internal"}`, 503, false, "", 0},
		{"empty", ``, 500, false, "", 0},
		{"nested too deeply", `{"type":"busy","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, 503, false, "", 0},
		{"oversized", `{"type":"busy","detail":"` + strings.Repeat("x", 5000) + `"}`, 503, false, "", 0},
	} {
		p, err := ParseProblem([]byte(c.body), c.httpStatus)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
			continue
		}
		if err != nil {
			continue
		}
		if p.Type != c.typ || p.Status != c.status {
			t.Errorf("%s: %s/%d, want %s/%d", c.name, p.Type, p.Status, c.typ, c.status)
		}
		if c.typ == ProbInternal && !strings.Contains(c.body, `"internal"`) && !strings.Contains(p.Detail, "unknown problem type") {
			t.Errorf("%s: detail %q does not say the type was unknown", c.name, p.Detail)
		}
	}
	// Long texts are cut, and never into invalid UTF-8.
	long := strings.Repeat("あ", 100) // 300 bytes
	p, err := ParseProblem([]byte(`{"type":"busy","title":"`+long+`","detail":"`+long+`"}`), 503)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Detail) > 200 || len(p.Title) > 200 {
		t.Errorf("detail %d bytes, title %d bytes", len(p.Detail), len(p.Title))
	}
	if !utf8.ValidString(p.Detail) || !utf8.ValidString(p.Title) {
		t.Errorf("truncation produced invalid UTF-8: %q", p.Detail[len(p.Detail)-3:])
	}
	// A document of exactly the bound is parsed; the size check is on bytes.
	pad := maxProblem - len(`{"type":"busy","detail":""}`)
	exact := `{"type":"busy","detail":"` + strings.Repeat("x", pad) + `"}`
	if _, err := ParseProblem([]byte(exact), 503); err != nil || len(exact) != maxProblem {
		t.Errorf("document of exactly %d bytes: %v", len(exact), err)
	}
}

func TestWriteProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, NewProblem(ProbCardExpired, "expired 2026-01-01"))
	if rec.Code != 403 || rec.Header().Get("Content-Type") != MediaProblem || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("status %d headers %v", rec.Code, rec.Header())
	}
	p, err := ParseProblem(rec.Body.Bytes(), rec.Code)
	if err != nil || p.Type != ProbCardExpired || p.Detail != "expired 2026-01-01" {
		t.Errorf("round trip: %+v %v", p, err)
	}
}

// ---- strict JSON ----

func TestDecodeStrict(t *testing.T) {
	type inner struct {
		A int               `json:"a"`
		M map[string]string `json:"m"`
	}
	type outer struct {
		V  int   `json:"v"`
		In inner `json:"in"`
		L  []int `json:"l"`
	}
	// nest is depth objects, one inside the other.
	nest := func(depth int) string {
		return strings.Repeat(`{"x":`, depth) + `1` + strings.Repeat(`}`, depth)
	}
	for _, c := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"good", `{"v":1,"in":{"a":2,"m":{"k":"v"}},"l":[1,2]}`, true},
		{"whitespace around", " \n{\"v\":1}\n ", true},
		{"duplicate at top", `{"v":1,"v":2}`, false},
		{"duplicate at depth 2", `{"v":1,"in":{"a":1,"a":2}}`, false},
		{"duplicate at depth 3 (map keys)", `{"in":{"m":{"k":"a","k":"b"}}}`, false},
		{"duplicate via escape", `{"v":1,"\u0076":2}`, false},
		{"same key in sibling objects is fine", `{"in":{"a":1,"m":{"a":"x"}}}`, true},
		{"same key in array elements is fine", `{"l":[],"in":{"m":{"a":"1"}},"v":1}`, true},
		{"unknown member", `{"v":1,"w":2}`, false},
		{"unknown member at depth", `{"in":{"b":1}}`, false},
		{"member name in other case", `{"V":1}`, false},
		{"duplicate under case folding", `{"v":1,"V":2}`, false},
		{"trailing object", `{"v":1}{"v":2}`, false},
		{"trailing garbage", `{"v":1} x`, false},
		{"trailing bracket", `{"v":1}]`, false},
		{"top-level array", `[{"v":1}]`, false},
		{"top-level string", `"v"`, false},
		{"top-level null", `null`, false},
		{"empty", ``, false},
		{"only whitespace", "  ", false},
		{"unterminated", `{"v":1`, false},
		{"wrong type", `{"v":"1"}`, false},
		{"number overflow", `{"v":1e400}`, false},
	} {
		var o outer
		err := decodeStrict([]byte(c.in), &o)
		if (err == nil) != c.ok {
			t.Errorf("%s: decodeStrict(%q) = %v, want ok=%v", c.name, c.in, err, c.ok)
		}
	}
	// Generic targets: the shape check alone must catch duplicates.
	for _, c := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"duplicate inside an array element", `{"l":[{"a":1},{"a":1,"a":2}]}`, false},
		{"duplicate deep in arrays", `{"l":[[[{"k":1,"k":1}]]]}`, false},
		{"objects in an array with the same keys", `{"l":[{"a":1},{"a":2}]}`, true},
		{"key equal to a value", `{"a":"a","b":"a"}`, true},
	} {
		var v any
		if err := decodeStrict([]byte(c.in), &v); (err == nil) != c.ok {
			t.Errorf("%s: decodeStrict(%q) = %v, want ok=%v", c.name, c.in, err, c.ok)
		}
	}
	// Depth: maxJSONDepth levels pass the shape check, one more does not.
	if err := checkJSONShape([]byte(nest(maxJSONDepth))); err != nil {
		t.Errorf("depth %d refused: %v", maxJSONDepth, err)
	}
	if err := checkJSONShape([]byte(nest(maxJSONDepth + 1))); err == nil {
		t.Errorf("depth %d accepted", maxJSONDepth+1)
	}
	arrays := `{"a":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`
	if err := checkJSONShape([]byte(arrays)); err == nil {
		t.Error("arrays nested past the bound accepted")
	}
	// A depth bomb is refused quickly and without a stack overflow.
	bomb := `{"a":` + strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20) + `}`
	start := time.Now() // measures elapsed time only
	if err := checkJSONShape([]byte(bomb)); err == nil {
		t.Error("depth bomb accepted")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("depth bomb took %v", d)
	}
}
