package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"kofu/internal/fuzzcorpus"
)

// TestWriteFuzzCorpus writes the committed corpora of this package's fuzz
// targets that verify against the per-run test PKI: the messages of a
// real flow (request, ticket, envelope) and every forgery of the
// verifier's tables, built by the real signing code, plus the payloads,
// problem documents and QR texts of real exchanges. (Signatures in these
// seeds are under a PKI made for that run, so later runs take them
// through the header, x5c and chain checks; the stable targets in
// fuzz_stable_test.go carry seeds that verify in every run.)
func TestWriteFuzzCorpus(t *testing.T) {
	fuzzcorpus.Skip(t)
	fl := newFlow(t)
	tk, env, req := fuzzcorpus.New("FuzzVerifyTicket"), fuzzcorpus.New("FuzzVerifyEnvelope"), fuzzcorpus.New("FuzzParseRequest")
	tk.Add("valid", fl.tkJWS)
	for _, c := range ticketForgeries() {
		tk.Add(c.name, c.make(t, fl))
	}
	env.Add("valid-2-pages", fl.signEnvelope(t, fl.envelope(a4Refs(2))))
	for _, c := range envelopeForgeries() {
		env.Add(c.name, c.make(t, fl))
	}
	req.Add("valid", fl.compact)
	for _, c := range requestForgeries() {
		req.Add(c.name, c.make(t, fl))
	}

	strict := fuzzcorpus.New("FuzzDecodeStrict")
	strict.Add("envelope", mustJSON(fl.envelope(a4Refs(3))))
	strict.Add("envelope-two-sided", mustJSON(fl.envelope(faceRefs("1f 1b 2f 2b"))))
	strict.Add("ticket", mustJSON(fl.tk))
	strict.Add("request", mustJSON(fl.req))
	foreign, err := NewDocSpec(DocJuminhyo)
	if err != nil {
		t.Fatal(err)
	}
	foreign.Opts["kokuseki-zairyu"], foreign.Opts["zairyu-card"] = "include", "omit"
	strict.Add("request-foreign-items", mustJSON(newFlowSpec(t, fl.p, foreign).req))
	for _, jws := range [][]byte{fl.tkJWS, fl.compact} {
		parts := strings.Split(string(jws), ".")
		for i, p := range parts[:2] {
			if b, err := base64.RawURLEncoding.DecodeString(p); err == nil {
				strict.Add([]string{"header", "payload"}[i], b)
			}
		}
	}
	strict.Add("duplicate-key", []byte(`{"v":1,"v":2}`))
	strict.Add("case-folded-key", []byte(`{"V":1}`))
	strict.Add("trailing-object", []byte(`{"v":1}{}`))
	strict.Add("deep", []byte(`{"a":`+strings.Repeat("[", 64)+strings.Repeat("]", 64)+`}`))

	problems := fuzzcorpus.New("FuzzParseProblem")
	for _, p := range ProblemTypes() {
		problems.Add(string(p.Type), mustJSON(NewProblem(p.Type, "詳細 detail")), p.Status)
	}
	problems.Add("unknown-type", []byte(`{"type":"teapot","status":418}`), 418)
	problems.Add("status-mismatch", []byte(`{"type":"busy","status":200}`), 503)
	problems.Add("long-title", []byte(`{"type":"busy","title":"`+strings.Repeat("あ", 100)+`"}`), 503)
	problems.Add("not-object", []byte(`["busy"]`), 500)

	qr := fuzzcorpus.New("FuzzParseQRText")
	for _, nt := range [][2]int{{1, 1}, {1, 3}, {3, 3}, {12, 12}} {
		qr.Add("real", fl.qrFor(nt[0], nt[1]).String())
	}
	if vs, err := os.ReadFile(vectorsPath); err == nil {
		var v []vector
		json.Unmarshal(vs, &v)
		for i, x := range v {
			qr.Add("vector", "KOFU1|"+b64url(bytes.Repeat([]byte{byte(i)}, TIDSize))+"|"+x.Binding+"|"+x.Subject+"|1/1")
		}
	}
	for _, face := range []struct {
		n, total, sheet, sheets int
		face                    Face
	}{{1, 2, 1, 1, FaceFront}, {2, 2, 1, 1, FaceBack}, {4, 6, 2, 3, FaceBack}, {24, 24, 12, 12, FaceBack}} {
		q := fl.qrFor(face.n, face.total)
		q.Sheet, q.Sheets, q.Face = SheetNo(face.sheet), face.sheets, face.face
		qr.Add("two-sided", q.String())
	}
	good := fl.qrFor(2, 3).String()
	qr.Add("padded-base64", strings.Replace(good, "|2/3", "=|2/3", 1))
	qr.Add("leading-zero", strings.Replace(good, "|2/3", "|02/3", 1))
	qr.Add("page-past-total", strings.Replace(good, "|2/3", "|4/3", 1))
	qr.Add("version-2", strings.Replace(good, "KOFU1", "KOFU2", 1))
	qr.Add("lower-case-prefix", strings.ToLower(good[:5])+good[5:])
	qr.Add("trailing-newline", good+"\n")

	bj := fuzzcorpus.New("FuzzBytesJSON")
	for name, b := range map[string][]byte{"tid": fl.tk.TID, "rid": fl.req.RID, "nonce": fl.req.Nonce,
		"binding": fl.sent.Binding(), "subject": fl.sent.Subject()} {
		j := mustJSON(Bytes(b))
		bj.Add(name, j)
		bj.Add(name+"-padded", bytes.Replace(j, []byte(`"`), []byte(`=="`), 2)[2:])
		bj.Add(name+"-std-alphabet", []byte(strings.NewReplacer("-", "+", "_", "/").Replace(string(j))))
		bj.Add(name+"-unicode-escape", bytes.Replace(j, []byte(`"`), []byte(`"\u00`+fmt.Sprintf("%x", j[1])), 1))
	}
	bj.Add("null", []byte("null"))
	bj.Add("number", []byte("123"))
	bj.Add("empty-string", []byte(`""`))
	bj.Add("one-char", []byte(`"A"`))

	for _, c := range []*fuzzcorpus.Corpus{tk, env, req, strict, problems, qr, bj} {
		if err := c.Write("."); err != nil {
			t.Fatal(err)
		}
	}
}
