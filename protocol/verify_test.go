package protocol

import (
	"bytes"
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// forged is one variant of a signed message and the code it must be
// refused with ("" for the variants that must pass).
type forged struct {
	name string
	make func(t testing.TB, f *flow) []byte
	want string
}

// ticketWith signs a mutated copy of the flow's correct ticket with the
// center signer, through SignTicket.
func ticketWith(mut func(tk *Ticket)) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		tk := f.tk
		tk.Doc.Opts = cloneOpts(tk.Doc.Opts)
		mut(&tk)
		b, err := SignTicket(f.p.centerSig.key, f.p.centerChain(), tk)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func cloneOpts(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ticketMap hand-signs (ES256, center signer, header alg/typ/x5c) the
// flow's ticket as a generic JSON object after mut.
func ticketMap(mut func(m map[string]any)) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		m := jsonMap(f.tk)
		mut(m)
		return ticketRaw(mustJSON(m))(t, f)
	}
}

// ticketRaw hand-signs a raw payload with the center signer.
func ticketRaw(payload []byte) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		return rawJWS(hdr("ES256", TypTicket, f.p.centerChain(), nil), payload, es256(f.p.centerSig.ecKey()))
	}
}

// ticketHdr hand-signs the correct ticket payload under another header.
func ticketHdr(header func(f *flow) []byte) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		return rawJWS(header(f), mustJSON(f.tk), es256(f.p.centerSig.ecKey()))
	}
}

// b64Of is the base64url of n bytes.
func b64Of(n int) string { return b64url(bytes.Repeat([]byte{7}, n)) }

var (
	extraLeavesOnce sync.Once
	extraLeavesVal  *extraLeaves
	extraLeavesErr  error
)

// extraLeaves are signer certificates that are wrong in one way each.
type extraLeaves struct {
	centerRSA       *testLeaf // RSA key under the center CA
	centerP384      *testLeaf // P-384 key under the center CA
	centerNoDigSig  *testLeaf // P-256 under the center CA, keyUsage without digitalSignature
	centerExpired   *testLeaf // P-256 under the center CA, expired
	centerFuture    *testLeaf // P-256 under the center CA, not yet valid
	centerInter     *testCA   // intermediate under the center CA
	centerInterLeaf *testLeaf // signer under the intermediate
	selfSigned      *testLeaf // self-signed P-256 signer
	operatorSigner  *testLeaf // P-256 signer under the operator CA
	issuerRSA       *testLeaf // RSA key under the issuer CA
	jpkiEC          *testLeaf // ECDSA user-auth certificate under the JPKI CA
	jpkiRSA1024     *testLeaf // RSA-1024 user-auth certificate under the JPKI CA
	foreignCard     *testLeaf // the card's key certified by a foreign CA
	cardExpired     *testLeaf // the card's key, expired certificate
}

func getExtra(t testing.TB) *extraLeaves {
	t.Helper()
	p := getPKI(t)
	extraLeavesOnce.Do(func() { extraLeavesVal, extraLeavesErr = buildExtra(p) })
	if extraLeavesErr != nil {
		t.Fatal(extraLeavesErr)
	}
	return extraLeavesVal
}

func buildExtra(p *testPKI) (*extraLeaves, error) {
	x := &extraLeaves{}
	var err error
	must := func(l *testLeaf, e error) *testLeaf {
		if e != nil && err == nil {
			err = e
		}
		return l
	}
	x.centerRSA = must(p.center.issue(signerTmpl("center RSA signer"), p.card.key))
	x.centerP384 = must(p.center.issue(signerTmpl("center P-384 signer"), mustEC(elliptic.P384())))
	x.centerNoDigSig = must(p.center.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "center keyAgreement"},
		KeyUsage: x509.KeyUsageKeyAgreement}, mustEC(elliptic.P256())))
	x.centerExpired = must(p.center.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "center expired"},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: testNow.Add(-20 * time.Hour), NotAfter: testNow.Add(-time.Hour)},
		mustEC(elliptic.P256())))
	x.centerFuture = must(p.center.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "center future"},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: testNow.Add(time.Hour), NotAfter: testNow.Add(20 * time.Hour)},
		mustEC(elliptic.P256())))
	inter := must(p.center.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "center intermediate"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, mustEC(elliptic.P256())))
	if inter != nil {
		x.centerInter = &testCA{cert: inter.cert, key: inter.key}
		x.centerInterLeaf = must(x.centerInter.issue(signerTmpl("center signer via intermediate"), mustEC(elliptic.P256())))
	}
	x.selfSigned = must(selfSigned("self-signed center signer", mustEC(elliptic.P256()), x509.KeyUsageDigitalSignature))
	x.operatorSigner = must(p.operator.issue(signerTmpl("operator signer"), mustEC(elliptic.P256())))
	x.issuerRSA = must(p.issuer.issue(signerTmpl("issuer RSA signer"), p.card.key))
	x.jpkiEC = must(p.jpki.issue(signerTmpl("resident EC"), mustEC(elliptic.P256())))
	x.jpkiRSA1024 = must(p.jpki.issue(signerTmpl("resident RSA-1024"), mustRSA(1024)))
	x.foreignCard = must(p.foreign.issue(signerTmpl("resident R0001 (foreign)"), p.card.key))
	x.cardExpired = must(p.jpki.issue(&x509.Certificate{Subject: pkix.Name{CommonName: "resident R0001 expired"},
		KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: testNow.Add(-20 * time.Hour), NotAfter: testNow.Add(-time.Hour)},
		p.card.key))
	return x, err
}

// joseCases are the JOSE-hygiene variants shared by every ES256 message;
// typ and key/chain come from the caller.
func joseCases(stage, typ string, maxSize int, payload func(f *flow) []byte,
	key func(f *flow) *testLeaf, chain func(f *flow) [][]byte) []forged {
	sign := func(header func(f *flow) []byte) func(testing.TB, *flow) []byte {
		return func(t testing.TB, f *flow) []byte {
			return rawJWS(header(f), payload(f), es256(key(f).ecKey()))
		}
	}
	good := func(f *flow) []byte { return hdr("ES256", typ, chain(f), nil) }
	return []forged{
		{"jose/control: hand-built ES256 passes", sign(good), ""},
		{"jose/alg none", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("none", typ, chain(f), nil), payload(f), nil)
		}, stage + "-alg-none"},
		{"jose/alg None (case)", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("None", typ, chain(f), nil), payload(f), nil)
		}, stage + "-alg-none"},
		{"jose/alg none without x5c", func(t testing.TB, f *flow) []byte {
			return rawJWS(mustJSON(map[string]string{"alg": "none", "typ": typ}), payload(f), nil)
		}, stage + "-alg-none"},
		{"jose/HS256 keyed with the signer's SPKI", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("HS256", typ, chain(f), nil), payload(f), hs256(key(f).cert.RawSubjectPublicKeyInfo))
		}, stage + "-alg-hmac"},
		{"jose/HS256 keyed with the signer's certificate", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("HS256", typ, chain(f), nil), payload(f), hs256(key(f).der()))
		}, stage + "-alg-hmac"},
		{"jose/HS512", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("HS512", typ, chain(f), nil), payload(f), hs256(key(f).cert.RawSubjectPublicKeyInfo))
		}, stage + "-alg-hmac"},
		{"jose/ES384", sign(func(f *flow) []byte { return hdr("ES384", typ, chain(f), nil) }), stage + "-alg"},
		{"jose/es256 lower case", sign(func(f *flow) []byte { return hdr("es256", typ, chain(f), nil) }), stage + "-alg"},
		{"jose/PS256", sign(func(f *flow) []byte { return hdr("PS256", typ, chain(f), nil) }), stage + "-alg"},
		{"jose/EdDSA", sign(func(f *flow) []byte { return hdr("EdDSA", typ, chain(f), nil) }), stage + "-alg"},
		{"jose/alg missing", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"typ": typ, "x5c": []string{b64std(chain(f)[0])}})
		}), stage + "-malformed"},
		{"jose/alg not a string", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"alg": 256, "typ": typ, "x5c": []string{b64std(chain(f)[0])}})
		}), stage + "-malformed"},
		{"jose/embedded jwk (attacker key, signed by it)", func(t testing.TB, f *flow) []byte {
			k := mustEC(elliptic.P256())
			jwk := jose.JSONWebKey{Key: &k.PublicKey}
			raw, err := jwk.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			return rawJWS(hdr("ES256", typ, chain(f), map[string]any{"jwk": json.RawMessage(raw)}), payload(f), es256(k))
		}, stage + "-embedded-jwk"},
		{"jose/jku", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"jku": "https://attacker.example/jwks.json"})
		}), stage + "-remote-key"},
		{"jose/x5u", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"x5u": "https://attacker.example/cert.pem"})
		}), stage + "-remote-key"},
		{"jose/crit naming b64", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"crit": []string{"b64"}, "b64": false})
		}), stage + "-crit"},
		{"jose/crit alone", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"crit": []string{"exp"}})
		}), stage + "-crit"},
		{"jose/unknown header kid", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"kid": "center-2026"})
		}), stage + "-header"},
		{"jose/unknown header cty", sign(func(f *flow) []byte {
			return hdr("ES256", typ, chain(f), map[string]any{"cty": "json"})
		}), stage + "-header"},
		{"jose/duplicate alg in header", sign(func(f *flow) []byte {
			return []byte(`{"alg":"none","alg":"ES256","typ":"` + typ + `","x5c":["` + b64std(chain(f)[0]) + `"]}`)
		}), stage + "-malformed"},
		{"jose/header not an object", sign(func(f *flow) []byte { return []byte(`["ES256"]`) }), stage + "-malformed"},
		{"jose/typ missing", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"alg": "ES256", "x5c": []string{b64std(chain(f)[0])}})
		}), stage + "-typ"},
		{"jose/typ JWT", sign(func(f *flow) []byte { return hdr("ES256", "JWT", chain(f), nil) }), stage + "-typ"},
		{"jose/typ differs in case", sign(func(f *flow) []byte { return hdr("ES256", strings.ToUpper(typ), chain(f), nil) }), stage + "-typ"},
		{"jose/JSON serialization", func(t testing.TB, f *flow) []byte {
			h := hdr("ES256", typ, chain(f), nil)
			c := rawJWS(h, payload(f), es256(key(f).ecKey()))
			parts := splitDots(string(c))
			return mustJSON(map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
		}, stage + "-malformed"},
		{"jose/general JSON serialization", func(t testing.TB, f *flow) []byte {
			h := hdr("ES256", typ, chain(f), nil)
			c := rawJWS(h, payload(f), es256(key(f).ecKey()))
			parts := splitDots(string(c))
			return mustJSON(map[string]any{"payload": parts[1],
				"signatures": []map[string]string{{"protected": parts[0], "signature": parts[2]}}})
		}, stage + "-malformed"},
		{"jose/too large by a byte or two", func(t testing.TB, f *flow) []byte {
			// A genuinely signed message padded with an unknown member to
			// just over the bound: the size check comes first.
			var m map[string]any
			if err := json.Unmarshal(payload(f), &m); err != nil {
				t.Fatal(err)
			}
			m["pad"] = ""
			base := len(rawJWS(hdr("ES256", typ, chain(f), nil), mustJSON(m), es256(key(f).ecKey())))
			// Every 3 payload bytes become 4 compact bytes.
			for pad := max(0, (maxSize-base)*3/4-8); ; pad++ {
				m["pad"] = strings.Repeat("x", pad)
				c := rawJWS(hdr("ES256", typ, chain(f), nil), mustJSON(m), es256(key(f).ecKey()))
				if len(c) > maxSize {
					if len(c) > maxSize+2 {
						t.Fatalf("overshot: %d bytes", len(c))
					}
					return c
				}
			}
		}, stage + "-too-large"},
		{"jose/exactly the bound is not too large", func(t testing.TB, f *flow) []byte {
			return bytes.Repeat([]byte("A"), maxSize)
		}, stage + "-malformed"},
		{"jose/non-ASCII byte", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			return append(append(append([]byte(nil), c[:10]...), "é"...), c[10:]...)
		}, stage + "-malformed"},
		{"jose/NUL byte", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			return append(append([]byte(nil), c...), 0)
		}, stage + "-malformed"},
		{"jose/trailing newline", func(t testing.TB, f *flow) []byte {
			return append(sign(good)(t, f), '\n')
		}, stage + "-malformed"},
		{"jose/two parts", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			return c[:bytes.LastIndexByte(c, '.')]
		}, stage + "-malformed"},
		{"jose/four parts", func(t testing.TB, f *flow) []byte {
			return append(sign(good)(t, f), ".AAAA"...)
		}, stage + "-malformed"},
		{"jose/padded header", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			parts := splitDots(string(c))
			for len(parts[0])%4 != 0 {
				parts[0] += "="
			}
			if parts[0] == splitDots(string(c))[0] {
				parts[0] += "===="
			}
			return []byte(strings.Join(parts, "."))
		}, stage + "-malformed"},
		{"jose/empty", func(t testing.TB, f *flow) []byte { return nil }, stage + "-malformed"},
		{"jose/x5c missing", sign(func(f *flow) []byte { return hdr("ES256", typ, nil, nil) }), stage + "-chain"},
		{"jose/x5c empty", sign(func(f *flow) []byte { return hdr("ES256", typ, [][]byte{}, nil) }), stage + "-chain"},
		{"jose/x5c null", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"alg": "ES256", "typ": typ, "x5c": nil})
		}), stage + "-chain"},
		{"jose/x5c a string", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"alg": "ES256", "typ": typ, "x5c": b64std(chain(f)[0])})
		}), stage + "-chain"},
		{"jose/x5c base64url instead of std", sign(func(f *flow) []byte {
			return mustJSON(map[string]any{"alg": "ES256", "typ": typ, "x5c": []string{b64url(chain(f)[0])}})
		}), stage + "-chain"},
		{"jose/x5c not a certificate", sign(func(f *flow) []byte {
			return hdr("ES256", typ, [][]byte{[]byte("not a certificate")}, nil)
		}), stage + "-chain"},
		{"jose/x5c four certificates", sign(func(f *flow) []byte {
			c := chain(f)[0]
			return hdr("ES256", typ, [][]byte{c, c, c, c}, nil)
		}), stage + "-chain"},
		{"jose/signature flipped bit", func(t testing.TB, f *flow) []byte { return flipSig(t, sign(good)(t, f)) }, stage + "-signature"},
		{"jose/signature truncated", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			_, _, sig := splitJWS(t, c)
			return withPart(c, 2, sig[:63])
		}, stage + "-signature"},
		{"jose/signature empty", func(t testing.TB, f *flow) []byte { return withPart(sign(good)(t, f), 2, nil) }, stage + "-signature"},
		{"jose/signature ASN.1 DER instead of r||s", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			in := c[:bytes.LastIndexByte(c, '.')]
			d := sha256.Sum256(in)
			der, err := key(f).ecKey().Sign(rand.Reader, d[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			return withPart(c, 2, der)
		}, stage + "-signature"},
		{"jose/signature over another payload", func(t testing.TB, f *flow) []byte {
			c := sign(good)(t, f)
			other := rawJWS(hdr("ES256", typ, chain(f), nil), []byte(`{"v":1}`), es256(key(f).ecKey()))
			_, _, sig := splitJWS(t, other)
			return withPart(c, 2, sig)
		}, stage + "-signature"},
	}
}

func b64std(b []byte) string { return stdEncode(b) }

func runForged(t *testing.T, cases []forged, verify func(f *flow, compact []byte) error) {
	t.Helper()
	f := newFlow(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			compact := c.make(t, f)
			err := verify(f, compact)
			if got := refusalCode(err); got != c.want {
				t.Errorf("code %q, want %q (err: %v)", got, c.want, err)
			}
			if c.want != "" {
				if r, ok := AsRefusal(err); ok && !strings.HasPrefix(r.Error(), "refused "+c.want) {
					t.Errorf("Error() = %q does not start with the code", r.Error())
				}
			}
		})
	}
}

// ticketForgeries is the table of ticket variants: every rule of DESIGN
// §3.4 rule 1 and the JOSE hygiene, each with its own code.
func ticketForgeries() []forged {
	other := sha256.Sum256([]byte("another request"))
	cases := []forged{
		{"control: the correct ticket", func(t testing.TB, f *flow) []byte { return f.tkJWS }, ""},
		{"control: x5c with the root appended", func(t testing.TB, f *flow) []byte {
			b, err := SignTicket(f.p.centerSig.key, [][]byte{f.p.centerSig.der(), f.p.center.cert.Raw}, f.tk)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, ""},
		{"rid of another request", ticketWith(func(tk *Ticket) { tk.RID = mustRandom(RIDSize) }), "ticket-rid"},
		{"binding of other bytes", ticketWith(func(tk *Ticket) { tk.Binding = other[:] }), "ticket-binding"},
		{"binding of the same request re-encoded", func(t testing.TB, f *flow) []byte {
			// Same payload, header re-serialized: other bytes, other binding.
			h, _, _ := splitJWS(t, f.compact)
			re := append(append([]byte(nil), h...), ' ')
			tk := f.tk
			tk.Binding = Binding(withPart(f.compact, 0, re))
			b, _ := SignTicket(f.p.centerSig.key, f.p.centerChain(), tk)
			return b
		}, "ticket-binding"},
		{"doc: other type", ticketWith(func(tk *Ticket) { tk.Doc = mustDoc(DocInkan) }), "ticket-doc"},
		{"doc: other option", ticketWith(func(tk *Ticket) { tk.Doc.Opts["scope"] = "household" }), "ticket-doc"},
		{"doc: other copies", ticketWith(func(tk *Ticket) { tk.Doc.Copies = 2 }), "ticket-doc"},
		{"expired", ticketWith(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(-30*time.Minute).Unix(), testNow.Add(-3*time.Minute).Unix()
		}), "ticket-expired"},
		{"expired at the skew boundary", ticketWith(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(-2*time.Minute).Unix()-1, testNow.Add(-2*time.Minute).Unix()
		}), "ticket-expired"},
		{"one second inside the skew is not expired", ticketWith(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(-2*time.Minute).Unix(), testNow.Add(-2*time.Minute).Unix()+1
		}), ""},
		{"not yet valid", ticketWith(func(tk *Ticket) {
			tk.IAT, tk.EXP = testNow.Add(10*time.Minute).Unix(), testNow.Add(20*time.Minute).Unix()
		}), "ticket-not-yet-valid"},
		{"iat one second beyond the skew", ticketWith(func(tk *Ticket) { tk.IAT = testNow.Add(2*time.Minute).Unix() + 1 }), "ticket-not-yet-valid"},
		{"iat exactly at the skew", ticketWith(func(tk *Ticket) { tk.IAT = testNow.Add(2 * time.Minute).Unix() }), ""},
		{"stale: issued long before the request", ticketWith(func(tk *Ticket) { tk.IAT = testNow.Add(-time.Hour).Unix() }), "ticket-stale"},
		{"stale boundary: skew before the request is fine", ticketWith(func(tk *Ticket) { tk.IAT = testNow.Add(-2 * time.Minute).Unix() }), ""},
		{"fields: unknown member", ticketMap(func(m map[string]any) { m["kiosk"] = "K-0002" }), "ticket-fields"},
		{"fields: duplicate fee", func(t testing.TB, f *flow) []byte {
			p := mustJSON(f.tk)
			return ticketRaw(append([]byte(`{"fee":0,`), p[1:]...))(t, f)
		}, "ticket-fields"},
		{"fields: duplicate rid (first one right)", func(t testing.TB, f *flow) []byte {
			p := mustJSON(f.tk)
			return ticketRaw(bytes.Replace(p, []byte(`{`), []byte(`{"rid":"`+b64url(f.req.RID)+`",`), 1))(t, f)
		}, "ticket-fields"},
		{"fields: duplicate key inside doc.opts", func(t testing.TB, f *flow) []byte {
			p := mustJSON(f.tk)
			return ticketRaw(bytes.Replace(p, []byte(`"opts":{`), []byte(`"opts":{"scope":"household",`), 1))(t, f)
		}, "ticket-fields"},
		{"fields: trailing data after the object", func(t testing.TB, f *flow) []byte {
			return ticketRaw(append(mustJSON(f.tk), `{}`...))(t, f)
		}, "ticket-fields"},
		{"fields: payload is an array", func(t testing.TB, f *flow) []byte {
			return ticketRaw([]byte(`[`+string(mustJSON(f.tk))+`]`))(t, f)
		}, "ticket-fields"},
		{"fields: payload nested too deeply", func(t testing.TB, f *flow) []byte {
			p := mustJSON(f.tk)
			deep := strings.Repeat(`[`, 20) + strings.Repeat(`]`, 20)
			return ticketRaw(bytes.Replace(p, []byte(`{`), []byte(`{"x":`+deep+`,`), 1))(t, f)
		}, "ticket-fields"},
		{"fields: tid 15 bytes", ticketMap(func(m map[string]any) { m["tid"] = b64Of(15) }), "ticket-fields"},
		{"fields: tid 17 bytes", ticketMap(func(m map[string]any) { m["tid"] = b64Of(17) }), "ticket-fields"},
		{"fields: rid 15 bytes", ticketMap(func(m map[string]any) { m["rid"] = b64Of(15) }), "ticket-fields"},
		{"fields: binding 31 bytes", ticketMap(func(m map[string]any) { m["binding"] = b64Of(31) }), "ticket-fields"},
		{"fields: binding 33 bytes", ticketMap(func(m map[string]any) { m["binding"] = b64Of(33) }), "ticket-fields"},
		{"fields: tid padded base64url", ticketMap(func(m map[string]any) { m["tid"] = b64url(f16()) + "==" }), "ticket-fields"},
		{"fields: tid standard alphabet", ticketMap(func(m map[string]any) { m["tid"] = stdEncode(bytes.Repeat([]byte{0xfb}, 16)) }), "ticket-fields"},
		{"fields: tid a number", ticketMap(func(m map[string]any) { m["tid"] = 12345 }), "ticket-fields"},
		{"fields: v=2", ticketWith(func(tk *Ticket) { tk.V = 2 }), "ticket-fields"},
		{"fields: v missing", ticketMap(func(m map[string]any) { delete(m, "v") }), "ticket-fields"},
		{"fields: v a string", ticketMap(func(m map[string]any) { m["v"] = "1" }), "ticket-fields"},
		{"fields: fee negative", ticketWith(func(tk *Ticket) { tk.Fee = -1 }), "ticket-fields"},
		{"fields: exp before iat", ticketWith(func(tk *Ticket) { tk.EXP = tk.IAT - 1 }), "ticket-fields"},
		{"fields: doc with an unknown option", ticketWith(func(tk *Ticket) { tk.Doc.Opts["photo"] = "include" }), "ticket-fields"},
		{"fields: doc copies 4", ticketWith(func(tk *Ticket) { tk.Doc.Copies = 4 }), "ticket-fields"},
		{"error-flagged: error member", ticketMap(func(m map[string]any) { m["error"] = "issuer-unavailable" }), "ticket-error-flagged"},
		{"error-flagged: status member", ticketMap(func(m map[string]any) { m["status"] = 500 }), "ticket-error-flagged"},
		{"error-flagged: problem member", ticketMap(func(m map[string]any) { m["problem"] = map[string]any{"type": "internal"} }), "ticket-error-flagged"},
		{"signature: payload changed after signing", func(t testing.TB, f *flow) []byte {
			tk := f.tk
			tk.Fee = 0
			return withPart(f.tkJWS, 1, mustJSON(tk))
		}, "ticket-signature"},
		{"signature: flipped bit (SignTicket output)", func(t testing.TB, f *flow) []byte { return flipSig(t, f.tkJWS) }, "ticket-signature"},
		{"signature: header changed after signing", func(t testing.TB, f *flow) []byte {
			h := hdr("ES256", TypTicket, [][]byte{f.p.centerSig.der(), f.p.center.cert.Raw}, nil)
			return withPart(f.tkJWS, 0, h)
		}, "ticket-signature"},
		{"chain: signed by the issuer signer (wrong CA role)", func(t testing.TB, f *flow) []byte {
			b, err := SignTicket(f.p.issuerSig.key, f.p.issuerChain(), f.tk)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "ticket-chain"},
		{"chain: issuer signer with the center's certificate in x5c", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("ES256", TypTicket, f.p.centerChain(), nil), mustJSON(f.tk), es256(f.p.issuerSig.ecKey()))
		}, "ticket-signature"},
		{"chain: self-signed leaf", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.selfSigned.key, [][]byte{x.selfSigned.der()}, f.tk)
			return b
		}, "ticket-chain"},
		{"chain: leaf of the operator CA", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.operatorSigner.key, [][]byte{x.operatorSigner.der()}, f.tk)
			return b
		}, "ticket-chain"},
		{"chain: expired signer certificate", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.centerExpired.key, [][]byte{x.centerExpired.der()}, f.tk)
			return b
		}, "ticket-chain"},
		{"chain: signer certificate not yet valid", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.centerFuture.key, [][]byte{x.centerFuture.der()}, f.tk)
			return b
		}, "ticket-chain"},
		{"chain: intermediate missing from x5c", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.centerInterLeaf.key, [][]byte{x.centerInterLeaf.der()}, f.tk)
			return b
		}, "ticket-chain"},
		{"control: intermediate in x5c", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.centerInterLeaf.key, [][]byte{x.centerInterLeaf.der(), x.centerInter.cert.Raw}, f.tk)
			return b
		}, ""},
		{"chain: signed by the issuer CA's certificate as leaf", func(t testing.TB, f *flow) []byte {
			b, _ := SignTicket(f.p.issuer.key, [][]byte{f.p.issuer.cert.Raw}, f.tk)
			return b
		}, "ticket-chain"},
		{"key: RSA key under the center CA, alg ES256", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			// go-jose cannot make this; the signature bytes do not matter,
			// the key check comes first.
			return rawJWS(hdr("ES256", TypTicket, [][]byte{x.centerRSA.der()}, nil), mustJSON(f.tk),
				func([]byte) []byte { return make([]byte, 64) })
		}, "ticket-key"},
		{"key: RSA key under the center CA, alg RS256", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("RS256", TypTicket, [][]byte{x.centerRSA.der()}, nil), mustJSON(f.tk),
				rs256(x.centerRSA.key.(*rsa.PrivateKey)))
		}, "ticket-alg"},
		{"key: P-384 key under the center CA", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("ES256", TypTicket, [][]byte{x.centerP384.der()}, nil), mustJSON(f.tk), es256(x.centerP384.ecKey()))
		}, "ticket-key"},
		{"key: certificate without digitalSignature", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignTicket(x.centerNoDigSig.key, [][]byte{x.centerNoDigSig.der()}, f.tk)
			return b
		}, "ticket-key"},
		{"key: signed by the center CA key itself", func(t testing.TB, f *flow) []byte {
			b, _ := SignTicket(f.p.center.key, [][]byte{f.p.center.cert.Raw}, f.tk)
			return b
		}, "ticket-key"},
		{"typ: an envelope's typ", func(t testing.TB, f *flow) []byte {
			b, _ := SignEnvelope(f.p.centerSig.key, f.p.centerChain(), f.tk)
			return b
		}, "ticket-typ"},
		{"typ: a request's typ", ticketHdr(func(f *flow) []byte { return hdr("ES256", TypRequest, f.p.centerChain(), nil) }), "ticket-typ"},
	}
	cases = append(cases, joseCases("ticket", TypTicket, MaxTicketJWS,
		func(f *flow) []byte { return mustJSON(f.tk) },
		func(f *flow) *testLeaf { return f.p.centerSig },
		func(f *flow) [][]byte { return f.p.centerChain() })...)
	return cases
}

func TestVerifierTicket(t *testing.T) {
	cases := ticketForgeries()
	runForged(t, cases, func(f *flow, compact []byte) error {
		vt, err := f.v.Ticket(compact, f.sent)
		if err == nil {
			if vt == nil || !bytes.Equal(vt.TID(), f.tk.TID) || vt.Sent() != f.sent {
				t.Errorf("accepted ticket does not carry the flow's values")
			}
		} else if vt != nil {
			t.Errorf("refused ticket returned with a value")
		}
		return err
	})
}

// TestVerifierTicketExpiredCode keeps the "expired" rule apart from
// "stale": a ticket issued after the request but already past its exp.
func TestVerifierTicketExpiredCode(t *testing.T) {
	f := newFlow(t)
	for _, d := range []time.Duration{3 * time.Minute, time.Hour, 48 * time.Hour} {
		// Verify later: the request and ticket are from testNow, the clock
		// has moved on past exp + skew.
		v := *f.v
		later := testNow.Add(15*time.Minute + d)
		v.Now = func() time.Time { return later }
		_, err := v.Ticket(f.tkJWS, f.sent)
		want := "ticket-expired"
		if later.After(f.p.centerSig.cert.NotAfter) {
			want = "ticket-chain"
		}
		if got := refusalCode(err); got != want {
			t.Errorf("now = exp+%v: code %q, want %q", d, got, want)
		}
	}
}

// TestVerifierTicketSkew checks MaxSkew is honoured both ways.
func TestVerifierTicketSkew(t *testing.T) {
	f := newFlow(t)
	for _, c := range []struct {
		skew   time.Duration
		ahead  time.Duration // ticket iat - now
		expect string
	}{
		{0, 2 * time.Minute, ""},
		{0, 2*time.Minute + time.Second, "ticket-not-yet-valid"},
		{10 * time.Second, 10 * time.Second, ""},
		{10 * time.Second, 11 * time.Second, "ticket-not-yet-valid"},
		{10 * time.Minute, 9 * time.Minute, ""},
	} {
		v := *f.v
		v.MaxSkew = c.skew
		tk := f.tk
		tk.IAT = testNow.Add(c.ahead).Unix()
		b, err := SignTicket(f.p.centerSig.key, f.p.centerChain(), tk)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Ticket(b, f.sent)
		if got := refusalCode(err); got != c.expect {
			t.Errorf("skew %v, iat now+%v: code %q, want %q", c.skew, c.ahead, got, c.expect)
		}
	}
}

// TestVerifierTicketOtherSent: a correct ticket for one request is refused
// against another request of the same card.
func TestVerifierTicketOtherSent(t *testing.T) {
	a, b := newFlow(t), newFlow(t)
	if _, err := a.v.Ticket(a.tkJWS, b.sent); refusalCode(err) != "ticket-rid" {
		t.Errorf("ticket of another request: %v", err)
	}
	// Same rid (a replayed request id) but other bytes: binding.
	tk := a.tk
	tk.RID = b.req.RID
	c, _ := SignTicket(a.p.centerSig.key, a.p.centerChain(), tk)
	if _, err := a.v.Ticket(c, b.sent); refusalCode(err) != "ticket-binding" {
		t.Errorf("ticket with the right rid for other bytes: %v", err)
	}
}

// TestVerifierNoTrustAnchor: a zero Verifier refuses everything.
func TestVerifierNoTrustAnchor(t *testing.T) {
	f := newFlow(t)
	v := &Verifier{Now: fixedNow}
	if _, err := v.Ticket(f.tkJWS, f.sent); refusalCode(err) != "ticket-chain" {
		t.Errorf("no center roots: %v", err)
	}
	_, env := f.verifiedEnvelope(t, f.envelope(a4Refs(1)))
	if _, err := v.Envelope(env, f.vt); refusalCode(err) != "envelope-chain" {
		t.Errorf("no issuer roots: %v", err)
	}
	// Center and issuer roots swapped.
	sw := &Verifier{CenterRoots: f.p.issuer.pool(), IssuerRoots: f.p.center.pool(), Now: fixedNow}
	if _, err := sw.Ticket(f.tkJWS, f.sent); refusalCode(err) != "ticket-chain" {
		t.Errorf("swapped roots, ticket: %v", err)
	}
	if _, err := sw.Envelope(env, f.vt); refusalCode(err) != "envelope-chain" {
		t.Errorf("swapped roots, envelope: %v", err)
	}
}

// envWith signs a mutated copy of the flow's correct one-page envelope.
func envWith(mut func(e *Envelope)) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		e := f.envelope(a4Refs(1))
		e.Doc.Opts = cloneOpts(e.Doc.Opts)
		mut(&e)
		return f.signEnvelope(t, e)
	}
}

// envMap signs the flow's envelope as a generic object after mut.
func envMap(mut func(m map[string]any)) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		m := jsonMap(f.envelope(a4Refs(1)))
		mut(m)
		return f.signEnvelope(t, m)
	}
}

func envRaw(mut func(p []byte) []byte) func(testing.TB, *flow) []byte {
	return func(t testing.TB, f *flow) []byte {
		return f.signEnvelope(t, json.RawMessage(mut(mustJSON(f.envelope(a4Refs(1))))))
	}
}

// envelopeForgeries is the table of envelope variants (DESIGN §3.4 rule 2
// and the JOSE hygiene).
func envelopeForgeries() []forged {
	other := sha256.Sum256([]byte("another request"))
	cases := []forged{
		{"control: the correct envelope", envWith(func(e *Envelope) {}), ""},
		{"control: twelve pages at 600 dpi", envWith(func(e *Envelope) {
			e.Pages = a4Refs(12)
			for i := range e.Pages {
				e.Pages[i].W, e.Pages[i].H, e.Pages[i].DPI = 4961, 7016, 600
			}
		}), ""},
		{"control: asof with a zone offset", envWith(func(e *Envelope) { e.AsOf = "2026-04-01T09:30:00+09:00" }), ""},
		{"tid of another ticket", envWith(func(e *Envelope) { e.TID = mustRandom(TIDSize) }), "envelope-tid"},
		{"rid of another request", envWith(func(e *Envelope) { e.RID = mustRandom(RIDSize) }), "envelope-rid"},
		{"binding of other bytes", envWith(func(e *Envelope) { e.Binding = other[:] }), "envelope-binding"},
		{"subject: another resident's card", func(t testing.TB, f *flow) []byte {
			e := f.envelope(a4Refs(1))
			e.Subject = Subject(f.sent.Binding(), f.p.card2.der())
			return f.signEnvelope(t, e)
		}, "envelope-subject"},
		{"subject: right card, salted with another binding", func(t testing.TB, f *flow) []byte {
			e := f.envelope(a4Refs(1))
			e.Subject = Subject(other[:], f.p.card.der())
			return f.signEnvelope(t, e)
		}, "envelope-subject"},
		{"subject: unsalted hash of the right certificate", func(t testing.TB, f *flow) []byte {
			e := f.envelope(a4Refs(1))
			h := sha256.Sum256(f.p.card.der())
			e.Subject = h[:]
			return f.signEnvelope(t, e)
		}, "envelope-subject"},
		{"doc: other type", envWith(func(e *Envelope) { e.Doc = mustDoc(DocKosekiZenbu) }), "envelope-doc"},
		{"doc: other option", envWith(func(e *Envelope) { e.Doc.Opts["kojin-bango"] = "include" }), "envelope-doc"},
		{"doc: other copies", envWith(func(e *Envelope) { e.Doc.Copies = 3 }), "envelope-doc"},
		{"asof empty", envWith(func(e *Envelope) { e.AsOf = "" }), "envelope-asof"},
		{"asof member absent", envMap(func(m map[string]any) { delete(m, "asof") }), "envelope-asof"},
		{"asof garbage", envWith(func(e *Envelope) { e.AsOf = "yesterday" }), "envelope-asof"},
		{"asof date only", envWith(func(e *Envelope) { e.AsOf = "2026-04-01" }), "envelope-asof"},
		{"asof without zone", envWith(func(e *Envelope) { e.AsOf = "2026-04-01T09:30:00" }), "envelope-asof"},
		{"count 0", envWith(func(e *Envelope) { e.Pages = []PageRef{} }), "envelope-count"},
		{"count: pages null", envMap(func(m map[string]any) { m["pages"] = nil }), "envelope-count"},
		{"count 13", envWith(func(e *Envelope) { e.Pages = a4Refs(MaxPages + 1) }), "envelope-count"},
		{"geometry: 600 dpi size declared at 300 dpi", envWith(func(e *Envelope) { e.Pages[0].W, e.Pages[0].H = 4961, 7016 }), "envelope-geometry"},
		{"geometry: 200 dpi", envWith(func(e *Envelope) { e.Pages[0].W, e.Pages[0].H, e.Pages[0].DPI = 1654, 2339, 200 }), "envelope-geometry"},
		{"geometry: US Letter at 300 dpi", envWith(func(e *Envelope) { e.Pages[0].W, e.Pages[0].H = 2550, 3300 }), "envelope-geometry"},
		{"geometry: landscape A4", envWith(func(e *Envelope) { e.Pages[0].W, e.Pages[0].H = 3508, 2480 }), "envelope-geometry"},
		{"geometry: zero size", envWith(func(e *Envelope) { e.Pages[0].W, e.Pages[0].H, e.Pages[0].DPI = 0, 0, 0 }), "envelope-geometry"},
		{"geometry: second page only", envWith(func(e *Envelope) { e.Pages = a4Refs(2); e.Pages[1].DPI = 600 }), "envelope-geometry"},
		{"expired", envWith(func(e *Envelope) {
			e.IAT, e.EXP = testNow.Add(-10*time.Minute).Unix(), testNow.Add(-3*time.Minute).Unix()
		}), "envelope-expired"},
		{"expired at the skew boundary", envWith(func(e *Envelope) { e.IAT, e.EXP = testNow.Unix()-300, testNow.Unix()-120 }), "envelope-expired"},
		{"not yet valid", envWith(func(e *Envelope) { e.IAT, e.EXP = testNow.Add(5*time.Minute).Unix(), testNow.Add(time.Hour).Unix() }), "envelope-not-yet-valid"},
		{"stale: issued before its ticket", envWith(func(e *Envelope) { e.IAT = testNow.Add(-10 * time.Minute).Unix() }), "envelope-stale"},
		{"error-flagged: error member", envMap(func(m map[string]any) { m["error"] = "issuer-unavailable" }), "envelope-error-flagged"},
		{"error-flagged: status member", envMap(func(m map[string]any) { m["status"] = "failed" }), "envelope-error-flagged"},
		{"error-flagged: problem member", envMap(func(m map[string]any) { m["problem"] = map[string]any{"type": "internal"} }), "envelope-error-flagged"},
		{"fields: unknown member", envMap(func(m map[string]any) { m["resident"] = "R0002" }), "envelope-fields"},
		{"fields: unknown member in a page", envMap(func(m map[string]any) {
			m["pages"].([]any)[0].(map[string]any)["url"] = "https://x"
		}), "envelope-fields"},
		{"fields: duplicate binding", envRaw(func(p []byte) []byte {
			return bytes.Replace(p, []byte(`{`), []byte(`{"binding":"`+b64url(other[:])+`",`), 1)
		}), "envelope-fields"},
		{"fields: duplicate key in a page", envRaw(func(p []byte) []byte {
			return bytes.Replace(p, []byte(`{"n":1,`), []byte(`{"n":1,"n":2,`), 1)
		}), "envelope-fields"},
		{"fields: page sha256 31 bytes", envWith(func(e *Envelope) { e.Pages[0].SHA256 = e.Pages[0].SHA256[:31] }), "envelope-fields"},
		{"fields: subject 33 bytes", envWith(func(e *Envelope) { e.Subject = append(append(Bytes{}, e.Subject...), 0) }), "envelope-fields"},
		{"fields: pages out of order", envWith(func(e *Envelope) { e.Pages = a4Refs(2); e.Pages[0], e.Pages[1] = e.Pages[1], e.Pages[0] }), "envelope-fields"},
		{"fields: page numbered from 0", envWith(func(e *Envelope) { e.Pages[0].N = 0 }), "envelope-fields"},
		{"fields: serial empty", envWith(func(e *Envelope) { e.Serial = "" }), "envelope-fields"},
		{"fields: serial 65 bytes", envWith(func(e *Envelope) { e.Serial = strings.Repeat("9", MaxSerial+1) }), "envelope-fields"},
		{"fields: v=2", envWith(func(e *Envelope) { e.V = 2 }), "envelope-fields"},
		{"fields: exp equals iat", envWith(func(e *Envelope) { e.EXP = e.IAT }), "envelope-fields"},
		{"chain: signed by the center signer (wrong CA role)", func(t testing.TB, f *flow) []byte {
			b, err := SignEnvelope(f.p.centerSig.key, f.p.centerChain(), f.envelope(a4Refs(1)))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, "envelope-chain"},
		{"chain: self-signed leaf", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			b, _ := SignEnvelope(x.selfSigned.key, [][]byte{x.selfSigned.der()}, f.envelope(a4Refs(1)))
			return b
		}, "envelope-chain"},
		{"key: RSA key under the issuer CA", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("ES256", TypEnvelope, [][]byte{x.issuerRSA.der()}, nil), mustJSON(f.envelope(a4Refs(1))),
				func([]byte) []byte { return make([]byte, 64) })
		}, "envelope-key"},
		{"signature: flipped bit", func(t testing.TB, f *flow) []byte {
			return flipSig(t, f.signEnvelope(t, f.envelope(a4Refs(1))))
		}, "envelope-signature"},
		{"signature: page hash swapped after signing", func(t testing.TB, f *flow) []byte {
			e := f.envelope(a4Refs(1))
			b := f.signEnvelope(t, e)
			e.Pages[0].SHA256 = other[:]
			return withPart(b, 1, mustJSON(e))
		}, "envelope-signature"},
		{"typ: the ticket's typ", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("ES256", TypTicket, f.p.issuerChain(), nil), mustJSON(f.envelope(a4Refs(1))), es256(f.p.issuerSig.ecKey()))
		}, "envelope-typ"},
		{"typ: the flow's own ticket offered as envelope", func(t testing.TB, f *flow) []byte { return f.tkJWS }, "envelope-typ"},
	}
	cases = append(cases, joseCases("envelope", TypEnvelope, MaxEnvelopeJWS,
		func(f *flow) []byte { return mustJSON(f.envelope(a4Refs(1))) },
		func(f *flow) *testLeaf { return f.p.issuerSig },
		func(f *flow) [][]byte { return f.p.issuerChain() })...)
	return cases
}

func TestVerifierEnvelope(t *testing.T) {
	cases := envelopeForgeries()
	runForged(t, cases, func(f *flow, compact []byte) error {
		ve, err := f.v.Envelope(compact, f.vt)
		if err == nil {
			if ve == nil || ve.Ticket() != f.vt || !bytes.Equal(ve.Envelope().Subject, f.sent.Subject()) {
				t.Errorf("accepted envelope does not carry the flow's values")
			}
		} else if ve != nil {
			t.Errorf("refused envelope returned with a value")
		}
		return err
	})
}

// TestVerifierEnvelopeTimes covers the window rules that need their own
// clock: expired with a valid shape, and the stale rule against a ticket
// issued later than the request.
func TestVerifierEnvelopeTimes(t *testing.T) {
	f := newFlow(t)
	e := f.envelope(a4Refs(1))
	e.IAT, e.EXP = testNow.Unix(), testNow.Add(10*time.Minute).Unix()
	b := f.signEnvelope(t, e)
	for _, c := range []struct {
		after time.Duration
		want  string
	}{
		{0, ""},
		{12*time.Minute - time.Second, ""},
		{12 * time.Minute, "envelope-expired"},
		{time.Hour, "envelope-expired"},
	} {
		v := *f.v
		now := testNow.Add(c.after)
		v.Now = func() time.Time { return now }
		if _, err := v.Envelope(b, f.vt); refusalCode(err) != c.want {
			t.Errorf("now+%v: %v, want %q", c.after, err, c.want)
		}
	}
}

// TestVerifierEnvelopeMaxPages: a configured MaxPages lowers the bound,
// never raises it.
func TestVerifierEnvelopeMaxPages(t *testing.T) {
	f := newFlow(t)
	for _, c := range []struct {
		limit, pages int
		want         string
	}{
		{0, MaxPages, ""}, {0, MaxPages + 1, "envelope-count"},
		{2, 2, ""}, {2, 3, "envelope-count"},
		{1, 1, ""}, {1, 2, "envelope-count"},
		{100, MaxPages + 1, "envelope-count"}, {-1, MaxPages, ""},
	} {
		v := *f.v
		v.MaxPages = c.limit
		_, err := v.Envelope(f.signEnvelope(t, f.envelope(a4Refs(c.pages))), f.vt)
		if got := refusalCode(err); got != c.want {
			t.Errorf("MaxPages=%d, %d pages: %q, want %q", c.limit, c.pages, got, c.want)
		}
	}
}

// TestVerifierEnvelopeOtherTicket: the envelope of one transaction against
// another's ticket.
func TestVerifierEnvelopeOtherTicket(t *testing.T) {
	a, b := newFlow(t), newFlow(t)
	// b's ticket reuses a's tid (a center that handed out one tid twice).
	tk := b.tk
	tk.TID = a.tk.TID
	c, _ := SignTicket(b.p.centerSig.key, b.p.centerChain(), tk)
	bvt, err := b.v.Ticket(c, b.sent)
	if err != nil {
		t.Fatal(err)
	}
	env := a.signEnvelope(t, a.envelope(a4Refs(1)))
	if _, err := a.v.Envelope(env, bvt); refusalCode(err) != "envelope-rid" {
		t.Errorf("a's envelope against b's ticket with the same tid: %v", err)
	}
	if _, err := a.v.Envelope(env, b.vt); refusalCode(err) != "envelope-tid" {
		t.Errorf("a's envelope against b's ticket: %v", err)
	}
}

// TestHeaderRefusalDeterministic: a header with two refusable members must
// be refused with the same code every time (the verifier's code ends up in
// journals, metrics and the center's incident record). A crit naming an
// extension header is the realistic shape of an "unknown crit".
func TestHeaderRefusalDeterministic(t *testing.T) {
	f := newFlow(t)
	for _, c := range []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{"crit naming an extension header", map[string]any{"crit": []string{"kofu-ext"}, "kofu-ext": true}, "ticket-crit"},
		{"crit naming exp", map[string]any{"crit": []string{"exp"}, "exp": 1}, "ticket-crit"},
		{"jwk and kid", map[string]any{"jwk": map[string]string{"kty": "EC"}, "kid": "x"}, "ticket-embedded-jwk"},
		{"x5u and kid", map[string]any{"x5u": "https://x", "kid": "x"}, "ticket-remote-key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c0 := rawJWS(hdr("ES256", TypTicket, f.p.centerChain(), c.extra), mustJSON(f.tk), es256(f.p.centerSig.ecKey()))
			got := map[string]int{}
			for range 64 {
				_, err := f.v.Ticket(c0, f.sent)
				got[refusalCode(err)]++
			}
			if len(got) != 1 || got[c.want] != 64 {
				t.Errorf("codes over 64 runs: %v, want always %q", got, c.want)
			}
		})
	}
}

// requestForgeries is the table of card-request variants the center
// must refuse (ParseRequest).
func requestForgeries() []forged {
	cases := []forged{
		{"control: SignRequest output", func(t testing.TB, f *flow) []byte { return f.compact }, ""},
		{"control: hand-built RS256", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("RS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, ""},
		{"alg ES256 for a request", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("ES256", TypRequest, [][]byte{x.jpkiEC.der()}, nil), mustJSON(f.req), es256(x.jpkiEC.ecKey()))
		}, "request-alg"},
		{"alg PS256", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("PS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-alg"},
		{"alg HS256 keyed with the card certificate", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("HS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(f.req), hs256(f.p.card.der()))
		}, "request-alg-hmac"},
		{"alg none", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("none", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(f.req), nil)
		}, "request-alg-none"},
		{"typ of a ticket", func(t testing.TB, f *flow) []byte {
			return rawJWS(hdr("RS256", TypTicket, [][]byte{f.p.card.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-typ"},
		{"chain: card certified by a foreign CA", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("RS256", TypRequest, [][]byte{x.foreignCard.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-chain"},
		{"chain: expired card certificate", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("RS256", TypRequest, [][]byte{x.cardExpired.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-chain"},
		{"key: RSA-1024 card", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("RS256", TypRequest, [][]byte{x.jpkiRSA1024.der()}, nil), mustJSON(f.req), rs256(x.jpkiRSA1024.key.(*rsa.PrivateKey)))
		}, "request-key"},
		{"key: ECDSA card with RS256", func(t testing.TB, f *flow) []byte {
			x := getExtra(t)
			return rawJWS(hdr("RS256", TypRequest, [][]byte{x.jpkiEC.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-key"},
		{"signature: another resident's certificate, our key's signature", func(t testing.TB, f *flow) []byte {
			// card2 has the same key: the signature verifies, and that is
			// right: the certificate is what the center then looks up.
			return rawJWS(hdr("RS256", TypRequest, [][]byte{f.p.card2.der()}, nil), mustJSON(f.req), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, ""},
		{"signature: payload changed after signing", func(t testing.TB, f *flow) []byte {
			r := f.req
			r.Muni = "131016"
			return withPart(f.compact, 1, mustJSON(r))
		}, "request-signature"},
		{"signature: flipped bit", func(t testing.TB, f *flow) []byte { return flipSig(t, f.compact) }, "request-signature"},
		{"fields: muni of 5 digits", func(t testing.TB, f *flow) []byte {
			r := f.req
			r.Muni = "14100"
			return rawJWS(hdr("RS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(r), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-fields"},
		{"fields: nonce 31 bytes", func(t testing.TB, f *flow) []byte {
			r := f.req
			r.Nonce = r.Nonce[:31]
			return rawJWS(hdr("RS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(r), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-fields"},
		{"fields: unknown member", func(t testing.TB, f *flow) []byte {
			m := jsonMap(f.req)
			m["fee"] = 0
			return rawJWS(hdr("RS256", TypRequest, [][]byte{f.p.card.der()}, nil), mustJSON(m), rs256(f.p.card.key.(*rsa.PrivateKey)))
		}, "request-fields"},
		{"too large", func(t testing.TB, f *flow) []byte { return bytes.Repeat([]byte("a"), MaxRequestJWS+1) }, "request-too-large"},
	}
	return append(cases, es384Forgeries()...)
}

func TestParseRequest(t *testing.T) {
	pool := getPKI(t).jpki.pool()
	cases := requestForgeries()
	runForged(t, cases, func(f *flow, compact []byte) error {
		r, leaf, err := ParseRequest(compact, pool, testNow)
		if err == nil {
			if r == nil || leaf == nil || !bytes.Equal(r.RID, f.req.RID) {
				t.Errorf("accepted request does not carry the flow's values")
			}
		} else if r != nil || leaf != nil {
			t.Errorf("refused request returned with values")
		}
		return err
	})
	// No trust anchor at all.
	f := newFlow(t)
	if _, _, err := ParseRequest(f.compact, nil, testNow); refusalCode(err) != "request-chain" {
		t.Errorf("nil roots: %v", err)
	}
}

func TestSignRequestRefusals(t *testing.T) {
	p := getPKI(t)
	doc := mustDoc(DocJuminhyo)
	good, err := NewRequest("K-1", "S-1", "131016", doc, testNow, "kofu-kiosk/test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignRequest(t.Context(), p.centerSig.key, p.centerSig.der(), good); err == nil {
		t.Error("SignRequest accepted an ECDSA card key")
	}
	bad := good
	bad.Term = "K 1"
	if _, err := SignRequest(t.Context(), p.card.key, p.card.der(), bad); err == nil {
		t.Error("SignRequest signed an invalid request")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := SignRequest(ctx, p.card.key, p.card.der(), good); err == nil {
		t.Error("SignRequest ignored a cancelled context")
	}
}

func TestParseOutcome(t *testing.T) {
	p := getPKI(t)
	f := newFlow(t)
	o := Outcome{V: Version, TID: f.tk.TID, Binding: f.sent.Binding(), Result: ResultPrinted, Reason: "",
		Pages: 2, Printer: PrinterID{MFG: "EMU", MDL: "Kofu Jet", SN: "0001"}, IAT: testNow.Unix()}
	x := getExtra(t)
	for _, c := range []struct {
		name string
		key  *testLeaf
		want string
	}{
		{"device certificate", p.device, ""},
		{"TLS server certificate (no ClientAuth)", p.server, "outcome-chain"},
		{"center signer", p.centerSig, "outcome-chain"},
		// Go's x509 treats a leaf without any EKU as valid for every usage.
		{"operator signer without EKU", x.operatorSigner, ""},
		{"foreign device", p.foreignDevice, "outcome-chain"},
	} {
		b, err := SignOutcome(c.key.key, [][]byte{c.key.der()}, o)
		if err != nil {
			t.Fatal(err)
		}
		got, leaf, err := ParseOutcome(b, p.operator.pool(), testNow)
		if refusalCode(err) != c.want {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if err == nil && (got.Result != ResultPrinted || !bytes.Equal(leaf.Raw, c.key.der())) {
			t.Errorf("%s: wrong values", c.name)
		}
	}
	bad := o
	bad.Result = "printed-ish"
	if _, err := SignOutcome(p.device.key, [][]byte{p.device.der()}, bad); err == nil {
		t.Error("SignOutcome signed an unknown result")
	}
	m := jsonMap(o)
	m["result"] = "maybe"
	raw := rawJWS(hdr("ES256", TypOutcome, [][]byte{p.device.der()}, nil), mustJSON(m), es256(p.device.ecKey()))
	if _, _, err := ParseOutcome(raw, p.operator.pool(), testNow); refusalCode(err) != "outcome-fields" {
		t.Errorf("unknown result: %v", err)
	}
}

// TestNewSent covers the kiosk's own decoding of what it sent.
func TestNewSent(t *testing.T) {
	f := newFlow(t)
	h, _, s := splitJWS(t, f.compact)
	r := f.req
	r.Muni = "1"
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"two parts", f.compact[:bytes.LastIndexByte(f.compact, '.')]},
		{"payload not base64url", []byte(b64url(h) + ".!!!." + b64url(s))},
		{"payload padded", []byte(b64url(h) + "." + stdEncode(mustJSON(f.req)) + "==." + b64url(s))},
		{"invalid request", withPart(f.compact, 1, mustJSON(r))},
		{"unknown member", withPart(f.compact, 1, append(mustJSON(f.req)[:len(mustJSON(f.req))-1], `,"x":1}`...))},
	} {
		if _, err := NewSent(c.in, f.p.card.der()); err == nil {
			t.Errorf("%s: NewSent accepted it", c.name)
		}
	}
	// NewSent keeps its own copy of the bytes.
	buf := append([]byte(nil), f.compact...)
	s2, err := NewSent(buf, f.p.card.der())
	if err != nil {
		t.Fatal(err)
	}
	buf[0] ^= 1
	if !bytes.Equal(s2.Compact(), f.compact) || !bytes.Equal(s2.Binding(), Binding(f.compact)) {
		t.Error("NewSent aliases the caller's buffer")
	}
	if got := s2.Request(); !bytes.Equal(got.RID, f.req.RID) || !got.Doc.Equal(f.req.Doc) {
		t.Error("NewSent decoded another request")
	}
}

func TestRefusalError(t *testing.T) {
	cause := errors.New("cause")
	for _, c := range []struct {
		e    *RefusalError
		code string
		msg  string
	}{
		{&RefusalError{Stage: StageTicket, Reason: ReasonRID}, "ticket-rid", "refused ticket-rid"},
		{&RefusalError{Stage: StagePage, Reason: ReasonHash, Page: 3, Detail: "d"}, "page-hash", "refused page-hash (page 3): d"},
		{&RefusalError{Stage: StageEnvelope, Reason: ReasonChain, Err: cause}, "envelope-chain", "refused envelope-chain: cause"},
	} {
		if c.e.Code() != c.code || c.e.Error() != c.msg {
			t.Errorf("Code %q Error %q, want %q %q", c.e.Code(), c.e.Error(), c.code, c.msg)
		}
		wrapped := fmt.Errorf("context: %w", c.e)
		r, ok := AsRefusal(wrapped)
		if !ok || r != c.e {
			t.Error("AsRefusal does not find a wrapped refusal")
		}
		if c.e.Err != nil && !errors.Is(wrapped, cause) {
			t.Error("RefusalError does not unwrap to its cause")
		}
	}
	if _, ok := AsRefusal(errors.New("x")); ok {
		t.Error("AsRefusal found a refusal in a plain error")
	}
	if _, ok := AsRefusal(nil); ok {
		t.Error("AsRefusal(nil) reported a refusal")
	}
}
