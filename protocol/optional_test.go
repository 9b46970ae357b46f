package protocol

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// ---- optional options (issue 17: foreign residents' items) ----

// TestOptionalOptionsTable: the foreign residents' items are optional
// on/off options of the juminhyo (both) and the juminhyo-kisai (status
// only), omit by default, and the only optional options of the table.
func TestOptionalOptionsTable(t *testing.T) {
	want := map[DocType][]string{
		DocJuminhyo:      {"kokuseki-zairyu", "zairyu-card"},
		DocJuminhyoKisai: {"kokuseki-zairyu"},
	}
	for _, info := range DocTypes() {
		var got []string
		for _, o := range info.Options {
			if o.Optional != o.Foreign {
				t.Errorf("%s.%s: optional %v, foreign %v", info.Type, o.Key, o.Optional, o.Foreign)
			}
			if !o.Optional {
				continue
			}
			got = append(got, o.Key)
			if !slices.Equal(o.Values, []string{"omit", "include"}) || o.JA == "" || o.EN == "" {
				t.Errorf("%s.%s: values %v, labels %q/%q", info.Type, o.Key, o.Values, o.JA, o.EN)
			}
		}
		if !slices.Equal(got, want[info.Type]) {
			t.Errorf("%s: optional options %v, want %v", info.Type, got, want[info.Type])
		}
	}
}

func TestOptionalOptionsValidate(t *testing.T) {
	juminhyo := func(extra map[string]string) DocSpec {
		d, _ := NewDocSpec(DocJuminhyo)
		maps.Copy(d.Opts, extra)
		return d
	}
	kisai := func(extra map[string]string) DocSpec {
		d, _ := NewDocSpec(DocJuminhyoKisai)
		maps.Copy(d.Opts, extra)
		return d
	}
	cases := []struct {
		name string
		spec DocSpec
		ok   bool
	}{
		{"absent", juminhyo(nil), true},
		{"omit", juminhyo(map[string]string{"kokuseki-zairyu": "omit", "zairyu-card": "omit"}), true},
		{"include", juminhyo(map[string]string{"kokuseki-zairyu": "include", "zairyu-card": "include"}), true},
		{"one included, the other absent", juminhyo(map[string]string{"zairyu-card": "include"}), true},
		{"bad value", juminhyo(map[string]string{"kokuseki-zairyu": "yes"}), false},
		{"empty value", juminhyo(map[string]string{"zairyu-card": ""}), false},
		{"value in other case", juminhyo(map[string]string{"zairyu-card": "INCLUDE"}), false},
		{"unknown key", juminhyo(map[string]string{"zairyu-kaado": "include"}), false},
		{"key in other case", juminhyo(map[string]string{"Zairyu-Card": "include"}), false},
		{"kisai: status", kisai(map[string]string{"kokuseki-zairyu": "include"}), true},
		{"kisai: no card number", kisai(map[string]string{"zairyu-card": "include"}), false},
		{"kisai: card number omitted is still unknown", kisai(map[string]string{"zairyu-card": "omit"}), false},
		{"inkan takes none", DocSpec{Type: DocInkan, Opts: map[string]string{"kokuseki-zairyu": "omit"}, Copies: 1}, false},
		{"koseki takes none", DocSpec{Type: DocKosekiFuhyo, Opts: map[string]string{"honseki": "omit", "zairyu-card": "include"}, Copies: 1}, false},
		// A required option stays required next to the optional ones.
		{"required missing", func() DocSpec {
			d := juminhyo(map[string]string{"kokuseki-zairyu": "include"})
			delete(d.Opts, "honseki")
			return d
		}(), false},
	}
	for _, c := range cases {
		if err := c.spec.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate(%v) = %v, want ok=%v", c.name, c.spec, err, c.ok)
		}
	}
}

func TestOptionalOptionsEqual(t *testing.T) {
	base, _ := NewDocSpec(DocJuminhyo)
	with := func(kv ...string) DocSpec {
		d := base.Clone()
		for i := 0; i < len(kv); i += 2 {
			d.Opts[kv[i]] = kv[i+1]
		}
		return d
	}
	cases := []struct {
		name string
		a, b DocSpec
		eq   bool
	}{
		{"absent, absent", base, with(), true},
		{"absent, omit", base, with("kokuseki-zairyu", "omit"), true},
		{"absent, both omit", base, with("kokuseki-zairyu", "omit", "zairyu-card", "omit"), true},
		{"absent, include", base, with("zairyu-card", "include"), false},
		{"omit, include", with("zairyu-card", "omit"), with("zairyu-card", "include"), false},
		{"include, include", with("zairyu-card", "include"), with("zairyu-card", "include"), true},
		{"the other item included", with("zairyu-card", "include"), with("kokuseki-zairyu", "include"), false},
		// Required options are not defaulted: missing is not the default.
		{"required missing vs default", func() DocSpec { d := base.Clone(); delete(d.Opts, "honseki"); return d }(), base, false},
		// An unknown key is compared as it is (Validate refuses it).
		{"unknown key at omit", base, with("photo", "omit"), false},
	}
	for _, c := range cases {
		if got := c.a.Equal(c.b); got != c.eq {
			t.Errorf("%s: %v.Equal(%v) = %v, want %v", c.name, c.a, c.b, got, c.eq)
		}
		if got := c.b.Equal(c.a); got != c.eq {
			t.Errorf("%s (swapped): %v", c.name, got)
		}
	}
	// Opt: the value sent, else an optional option's default.
	for _, c := range []struct {
		d       DocSpec
		key, v  string
		present bool
	}{
		{base, "kokuseki-zairyu", "omit", true},
		{with("kokuseki-zairyu", "include"), "kokuseki-zairyu", "include", true},
		{base, "scope", "self", true},
		{base, "year", "", false},
		{DocSpec{Type: DocJuminhyoKisai, Copies: 1}, "zairyu-card", "", false},
	} {
		if v, ok := c.d.Opt(c.key); v != c.v || ok != c.present {
			t.Errorf("%v.Opt(%q) = %q, %v; want %q, %v", c.d, c.key, v, ok, c.v, c.present)
		}
	}
}

// TestRequestsWithoutItemsUnchanged: the committed vectors were signed
// before the optional options existed. Rebuilding each request's doc
// with today's NewDocSpec and the vector's choices gives the same
// payload, byte for byte: a kiosk that does not use the items sends
// exactly what it sent before, and an older center reads it as before.
func TestRequestsWithoutItemsUnchanged(t *testing.T) {
	reencodeVectors(t, func(i int, r *Request) {
		doc, err := NewDocSpec(r.Doc.Type)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range r.Doc.Opts {
			if _, ok := doc.Opts[k]; !ok {
				t.Fatalf("vector %d: option %q not in today's default spec", i, k)
			}
			doc.Opts[k] = v
		}
		doc.Copies = r.Doc.Copies
		r.Doc = doc
	})
}

// reencodeVectors decodes each committed vector's request payload
// strictly into today's Request, lets check look at it and rebuild it
// (i is the vector's place), and checks that it encodes again byte for
// byte: the tests that today's types change nothing a kiosk sent before.
func reencodeVectors(t *testing.T, check func(i int, r *Request)) {
	t.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil || len(vs) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	for i, v := range vs {
		parts := strings.Split(v.RequestJWS, ".")
		payload, err := B64Decode(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var r Request
		if err := decodeStrict(payload, &r); err != nil {
			t.Fatalf("vector %d: %v", i, err)
		}
		check(i, &r)
		again, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, payload) {
			t.Errorf("vector %d (%s): payload changed\nwas %s\nnow %s", i, v.Comment, payload, again)
		}
	}
}

// TestVerifierOptionalEcho: the verifier compares the ticket's and the
// envelope's doc with the request's as documents: a center that echoes
// an absent optional option as "omit" names the same document; one that
// echoes "include" names another and is refused.
func TestVerifierOptionalEcho(t *testing.T) {
	f := newFlow(t)
	if _, ok := f.req.Doc.Opts["zairyu-card"]; ok {
		t.Fatal("the flow's request carries an optional option")
	}
	for _, c := range []struct {
		name, key, value string
		code             string
	}{
		{"explicit omit", "zairyu-card", "omit", ""},
		{"include", "zairyu-card", "include", "ticket-doc"},
		{"other item included", "kokuseki-zairyu", "include", "ticket-doc"},
	} {
		b := ticketWith(func(tk *Ticket) { tk.Doc.Opts[c.key] = c.value })(t, f)
		if _, err := f.v.Ticket(b, f.sent); refusalCode(err) != c.code {
			t.Errorf("ticket, %s: %v, want %q", c.name, err, c.code)
		}
		e := envWith(func(e *Envelope) { e.Doc.Opts[c.key] = c.value })(t, f)
		want := strings.Replace(c.code, "ticket", "envelope", 1)
		if _, err := f.v.Envelope(e, f.vt); refusalCode(err) != want {
			t.Errorf("envelope, %s: %v, want %q", c.name, err, want)
		}
	}
	// A request with the items included: the echo must include them.
	doc, _ := NewDocSpec(DocJuminhyo)
	doc.Opts["kokuseki-zairyu"], doc.Opts["zairyu-card"] = "include", "include"
	g := newFlowSpec(t, getPKI(t), doc)
	b := ticketWith(func(tk *Ticket) { delete(tk.Doc.Opts, "zairyu-card") })(t, g)
	if _, err := g.v.Ticket(b, g.sent); refusalCode(err) != "ticket-doc" {
		t.Errorf("ticket dropping an included item: %v", err)
	}
}
