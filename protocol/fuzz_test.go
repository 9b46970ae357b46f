package protocol

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// Fuzz targets. Run one with, e.g.:
//
//	go test -run='^$' -fuzz=FuzzVerifyTicket -fuzztime=20s ./protocol/
//
// Without -fuzz they run their seeds (and testdata/fuzz/<name>/*) as
// regression tests.

// seedForgeries adds every variant of a forgery table, built for fl.
func seedForgeries(f *testing.F, fl *flow, cases []forged) {
	for _, c := range cases {
		f.Add(c.make(f, fl))
	}
}

func FuzzVerifyTicket(f *testing.F) {
	fl := newFlow(f)
	seedForgeries(f, fl, ticketForgeries())
	f.Fuzz(func(t *testing.T, data []byte) {
		vt, err := fl.v.Ticket(data, fl.sent)
		if err != nil {
			if _, ok := AsRefusal(err); !ok || vt != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		tk := vt.Ticket()
		if !bytes.Equal(tk.RID, fl.req.RID) || !bytes.Equal(tk.Binding, fl.sent.Binding()) || !tk.Doc.Equal(fl.req.Doc) {
			t.Fatalf("accepted a ticket for another request: %+v", tk)
		}
		if tk.Validate() != nil {
			t.Fatal("accepted an invalid ticket")
		}
	})
}

func FuzzVerifyEnvelope(f *testing.F) {
	fl := newFlow(f)
	seedForgeries(f, fl, envelopeForgeries())
	f.Fuzz(func(t *testing.T, data []byte) {
		ve, err := fl.v.Envelope(data, fl.vt)
		if err != nil {
			if _, ok := AsRefusal(err); !ok || ve != nil {
				t.Fatalf("refusal is not a RefusalError or came with a value: %v", err)
			}
			return
		}
		e := ve.Envelope()
		if !bytes.Equal(e.TID, fl.tk.TID) || !bytes.Equal(e.RID, fl.req.RID) ||
			!bytes.Equal(e.Binding, fl.sent.Binding()) || !bytes.Equal(e.Subject, fl.sent.Subject()) {
			t.Fatalf("accepted an envelope for another transaction")
		}
		if len(e.Pages) < 1 || len(e.Pages) > MaxPages || e.AsOf == "" {
			t.Fatalf("accepted %d pages, asof %q", len(e.Pages), e.AsOf)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	fl := newFlow(f)
	pool := fl.p.jpki.pool()
	seedForgeries(f, fl, requestForgeries())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, leaf, err := ParseRequest(data, pool, testNow)
		if err != nil {
			if _, ok := AsRefusal(err); !ok || r != nil || leaf != nil {
				t.Fatalf("refusal is not a RefusalError or came with values: %v", err)
			}
			return
		}
		if r.Validate() != nil || leaf == nil {
			t.Fatal("accepted an invalid request")
		}
		// Whatever was accepted names exactly the alg its certificate's
		// key pins (RS256 for RSA, ES384 for P-384), whatever the header
		// could have said.
		pinned, err := RequestAlg(leaf.PublicKey)
		first, _, _ := strings.Cut(string(data), ".")
		var h struct{ Alg string }
		if hb, derr := B64Decode(first); err != nil || derr != nil || json.Unmarshal(hb, &h) != nil || h.Alg != string(pinned) {
			t.Fatalf("accepted header alg %q for a %s certificate (pinned %q, %v)", h.Alg, keyName(leaf.PublicKey), pinned, err)
		}
		// Whatever was accepted has a binding over the exact bytes.
		if !bytes.Equal(Binding(data), scratchBinding(data)) {
			t.Fatal("binding differs from the formula")
		}
	})
}

func FuzzParseProblem(f *testing.F) {
	for _, p := range ProblemTypes() {
		f.Add(mustJSON(NewProblem(p.Type, "detail")), p.Status)
	}
	f.Add([]byte(`{"type":"teapot","status":418}`), 418)
	f.Add([]byte(`{"type":"busy","status":200,"x":{"y":[1,2,{"z":null}]}}`), 503)
	f.Add([]byte(`{"type":"busy","type":"internal"}`), 503)
	f.Add([]byte(`{"type":"busy","title":"`+strings.Repeat("あ", 80)+`"}`), 503)
	f.Add([]byte(`[]`), 500)
	f.Add([]byte(``), 0)
	f.Fuzz(func(t *testing.T, data []byte, status int) {
		p, err := ParseProblem(data, status)
		if err != nil {
			if p != nil {
				t.Fatal("problem returned with an error")
			}
			return
		}
		if len(data) > maxProblem {
			t.Fatalf("accepted %d bytes", len(data))
		}
		if _, known := LookupProblem(p.Type); !known {
			t.Fatalf("unknown type %q passed through", p.Type)
		}
		if (p.Status < 400 || p.Status > 599) && p.Status != status {
			t.Fatalf("status %d (HTTP %d)", p.Status, status)
		}
		if len(p.Detail) > 200 || len(p.Title) > 200 {
			t.Fatalf("detail %d, title %d bytes", len(p.Detail), len(p.Title))
		}
		if p.Message("ja") == "" || p.Message("en") == "" {
			t.Fatal("no words for the resident")
		}
	})
}

func FuzzParseQRText(f *testing.F) {
	q := QRText{TID: mustRandom(TIDSize), Binding: mustRandom(DigestSize), Subject: mustRandom(DigestSize), N: 2, Total: 3}
	f.Add(q.String())
	f.Add(QRText{TID: f16(), Binding: bytes.Repeat([]byte{0xfb}, 32), Subject: make([]byte, 32), N: 12, Total: 12}.String())
	f.Add("KOFU1|||1/1")
	f.Add("KOFU1|" + b64url(q.TID) + "|" + b64url(q.Binding) + "|" + b64url(q.Subject) + "|01/2")
	f.Add("KOFU2|x|y|z|1/1")
	f.Add("")
	// Faces of a two-sided document (issue 19).
	q.N, q.Total, q.Sheet, q.Sheets, q.Face = 4, 6, 2, 3, FaceBack
	f.Add(q.String())
	q.N, q.Total, q.Sheet, q.Sheets, q.Face = 1, 24, 1, 12, FaceFront
	f.Add(q.String())
	f.Add(strings.Replace(q.String(), "|1/12F", "|1/12b", 1))
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQRText(s)
		if err != nil {
			return
		}
		limit := MaxPages
		if q.Face != "" {
			limit = MaxFaces
			if q.Face != FaceFront && q.Face != FaceBack || q.Sheet < 1 || int(q.Sheet) > q.Sheets ||
				q.Sheets > MaxPages || q.Total < q.Sheets || q.Total > 2*q.Sheets {
				t.Fatalf("accepted out-of-range face from %q", s)
			}
		} else if q.Sheet != 0 || q.Sheets != 0 {
			t.Fatalf("sheet without a face from %q", s)
		}
		if len(q.TID) != TIDSize || len(q.Binding) != DigestSize || len(q.Subject) != DigestSize ||
			q.N < 1 || q.N > q.Total || q.Total > limit {
			t.Fatalf("accepted out-of-range values from %q", s)
		}
		back, err := ParseQRText(q.String())
		if err != nil || !back.Equal(q) {
			t.Fatalf("String() of %q does not re-parse to the same value: %v", s, err)
		}
		// Strict parsing: one value, one text.
		if q.String() != s {
			t.Fatalf("non-canonical text %q accepted (canonical %q)", s, q.String())
		}
	})
}

func FuzzDecodeStrict(f *testing.F) {
	fl := newFlow(f)
	f.Add(mustJSON(fl.envelope(a4Refs(2))))
	f.Add(mustJSON(fl.envelope(faceRefs("1f 1b 2f 2b"))))
	f.Add([]byte(`{"pages":[{"sheet":0,"face":"front"}]}`))
	f.Add(mustJSON(fl.tk))
	f.Add(mustJSON(fl.req))
	f.Add([]byte(`{"v":1,"v":2}`))
	f.Add([]byte(`{"pages":[{"n":1,"n":2}]}`))
	f.Add([]byte(`{"a":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`))
	f.Add([]byte(`{"v":1}{}`))
	f.Add([]byte(`{"V":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e Envelope
		if err := decodeStrict(data, &e); err == nil {
			if checkJSONShape(data) != nil {
				t.Fatal("decodeStrict accepted what checkJSONShape refuses")
			}
			// What was accepted survives a round trip unchanged.
			var e2 Envelope
			if err := decodeStrict(mustJSON(e), &e2); err != nil {
				t.Fatalf("re-encoded envelope refused: %v", err)
			}
			if !bytes.Equal(mustJSON(e), mustJSON(e2)) {
				t.Fatal("round trip changed the envelope")
			}
		}
		var v any
		if err := decodeStrict(data, &v); err == nil {
			if _, ok := v.(map[string]any); !ok {
				t.Fatalf("top level %T accepted", v)
			}
			var again any
			if err := decodeStrict(mustJSON(v), &again); err != nil {
				t.Fatalf("re-encoded object refused: %v", err)
			}
			if !json.Valid(data) {
				t.Fatal("accepted invalid JSON")
			}
		}
	})
}

func FuzzBytesJSON(f *testing.F) {
	for _, n := range []int{0, 1, 2, 16, 32} {
		f.Add(mustJSON(Bytes(bytes.Repeat([]byte{0xfb, 0xff}, 16)[:n])))
	}
	f.Add([]byte(`"AA=="`))
	f.Add([]byte(`"+/+/"`))
	f.Add([]byte(`"AB"`))
	f.Add([]byte(`123`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"\u0041\u0041"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Bytes
		if err := json.Unmarshal(data, &b); err != nil {
			return
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		var back Bytes
		if err := json.Unmarshal(out, &back); err != nil || !bytes.Equal(back, b) {
			t.Fatalf("round trip of %q: %v", data, err)
		}
		// Strict decoding: the string accepted is the canonical encoding.
		var s string
		if json.Unmarshal(data, &s) == nil && string(data) != "null" && s != B64(b) {
			t.Fatalf("non-canonical %q accepted (canonical %q)", s, B64(b))
		}
	})
}
