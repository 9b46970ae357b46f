package center_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"kofu/internal/emulator"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
)

// served is what the wire shows the center served for the session.
type served struct {
	exp      expectation
	envelope []byte
	env      protocol.Envelope
	header   http.Header
	pageQR   [][]protocol.QRText // QR of every page the kiosk fetched
}

// TestFaultModes shows, for every fault mode of DESIGN §4, the center
// really serving the wrong artefact (judged from the wire by the test's own
// decoding) and the kiosk refusing it: refused with the mode's reason,
// nothing printed, fee voided, and the center's ground truth recording the
// injection.
func TestFaultModes(t *testing.T) {
	cases := []struct {
		fault    center.FaultName
		reason   string
		happened func(t *testing.T, s served)
	}{
		{center.FaultLockTimeoutRelease, "envelope-tid", anotherDocument},
		{center.FaultSameSecond, "envelope-tid", anotherDocument},
		{center.FaultFIFODispatch, "envelope-tid", anotherDocument},
		{center.FaultStaleReplay, "envelope-tid", anotherDocument},
		{center.FaultForeignTerminal, "envelope-tid", anotherDocument},
		{center.FaultSingleServer, "envelope-rid", func(t *testing.T, s served) {
			if !bytes.Equal(s.env.TID, s.exp.tid) || bytes.Equal(s.env.Binding, s.exp.binding) {
				t.Error("single-server-build: want our tid with another request's ids")
			}
			validlySigned(t, s)
		}},
		{center.FaultWrongRecord, "envelope-subject", func(t *testing.T, s served) {
			if !bytes.Equal(s.env.Binding, s.exp.binding) || bytes.Equal(s.env.Subject, s.exp.subject) {
				t.Error("wrong-record: want our binding with another record's subject")
			}
			validlySigned(t, s)
		}},
		{center.FaultSyncOverwrite, "page-qr-mismatch", foreignPage},
		{center.FaultPageSwap, "page-qr-mismatch", foreignPage},
		{center.FaultBadSignature, "envelope-signature", func(t *testing.T, s served) {
			if verifiesUnderIssuer(t, s.envelope) {
				t.Error("bad-signature: the served envelope verifies")
			}
		}},
		{center.FaultExpired, "envelope-expired", func(t *testing.T, s served) {
			if s.env.EXP >= testclock.Open(t).Unix() { // the world's clock starts there
				t.Errorf("expired: exp %d is not in the past", s.env.EXP)
			}
			validlySigned(t, s)
		}},
		{center.FaultErrorWithDocument, "envelope-error-flagged", func(t *testing.T, s served) {
			if s.header.Get("Kofu-Issuer-Error") == "" || !bytes.Contains(payloadBytes(t, s.envelope), []byte(`"error"`)) {
				t.Error("error-with-document: no error flagged on the served document")
			}
			validlySigned(t, s)
		}},
	}
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0001")
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{{Name: tc.fault}}})
			sink := newRecordingSink(t)
			doc, _ := protocol.NewDocSpec(protocol.DocKosekiZenbu)
			r := runAuto(t, env, sink, res, doc)
			if r.Outcome != protocol.ResultRefused || string(r.Reason) != tc.reason {
				t.Fatalf("outcome %s/%s, want refused/%s", r.Outcome, r.Reason, tc.reason)
			}
			if len(sink.prints) != 0 {
				t.Fatalf("printed %d documents", len(sink.prints))
			}
			if r.Billing != string(protocol.BillingVoided) {
				t.Errorf("billing %q, want voided", r.Billing)
			}
			inj := env.Center.Center.Injections()
			if len(inj) != 1 || inj[0].Fault != tc.fault || inj[0].TID != r.TID || !inj[0].Delivered {
				t.Fatalf("center ground truth: %+v", inj)
			}
			s := served{exp: expect(t, w, res.CardCertDER)}
			doc200, ok := w.find("/document", http.StatusOK)
			if !ok {
				t.Fatal("no envelope on the wire")
			}
			s.envelope, s.header = doc200.body, doc200.header
			payloadOf(t, s.envelope, &s.env)
			for _, p := range w.all("/pages/") {
				s.pageQR = append(s.pageQR, qrOf(t, p.body))
			}
			tc.happened(t, s)
		})
	}
}

// anotherDocument: the served envelope is another request's, well signed.
func anotherDocument(t *testing.T, s served) {
	t.Helper()
	if bytes.Equal(s.env.TID, s.exp.tid) || bytes.Equal(s.env.Binding, s.exp.binding) || bytes.Equal(s.env.Subject, s.exp.subject) {
		t.Error("the served envelope is bound to our own request: no fault happened")
	}
	validlySigned(t, s)
}

// foreignPage: the envelope is ours and well signed, yet at least one
// page the kiosk fetched carries another document's symbol.
func foreignPage(t *testing.T, s served) {
	t.Helper()
	if !bytes.Equal(s.env.TID, s.exp.tid) || !bytes.Equal(s.env.Binding, s.exp.binding) {
		t.Error("envelope not ours: want a foreign page under our envelope")
	}
	validlySigned(t, s)
	foreign := 0
	for _, qs := range s.pageQR {
		for _, q := range qs {
			if !bytes.Equal(q.Binding, s.exp.binding) || !bytes.Equal(q.TID, s.exp.tid) {
				foreign++
			}
		}
	}
	if foreign == 0 {
		t.Errorf("no foreign page among %d fetched", len(s.pageQR))
	}
}

func validlySigned(t *testing.T, s served) {
	t.Helper()
	if !verifiesUnderIssuer(t, s.envelope) {
		t.Error("the served envelope's signature does not verify: the mix-up should be well-formed")
	}
}

func verifiesUnderIssuer(t *testing.T, compact []byte) bool {
	t.Helper()
	fx := loadFixtures(t)
	obj, err := jose.ParseSignedCompact(string(compact), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	_, err = obj.Verify(fx.IssuerSigner.Cert.PublicKey)
	return err == nil
}

func payloadBytes(t *testing.T, compact []byte) []byte {
	t.Helper()
	parts := bytes.Split(compact, []byte("."))
	b, err := protocol.B64Decode(string(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTransportFaults: slow, drop and late-delivery end the session
// without a document; late-delivery's answer really goes out after the
// kiosk gave up.
func TestTransportFaults(t *testing.T) {
	fx := loadFixtures(t)
	res, _ := fx.Resident("R0002")
	cases := []struct {
		fault  center.Fault
		reason string
	}{
		{center.Fault{Name: center.FaultSlow, Delay: 4 * time.Second}, "document-timeout"},
		{center.Fault{Name: center.FaultDrop}, "document-transport"},
		{center.Fault{Name: center.FaultLateDelivery}, "document-timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			env, w := startEnv(t, emulator.Options{Fixtures: fx, Faults: []center.Fault{tc.fault},
				Timeouts: protocol.Timeouts{Document: 1500 * time.Millisecond},
				Center:   func(c *center.Config) { c.LateDelay = 2500 * time.Millisecond }})
			sink := newRecordingSink(t)
			doc, _ := protocol.NewDocSpec(protocol.DocJuminhyo)
			r := runAuto(t, env, sink, res, doc)
			if r.Outcome != protocol.ResultFailed || string(r.Reason) != tc.reason {
				t.Fatalf("outcome %s/%s, want failed/%s", r.Outcome, r.Reason, tc.reason)
			}
			if len(sink.prints) != 0 || r.Billing != string(protocol.BillingVoided) {
				t.Fatalf("printed %d, billing %q", len(sink.prints), r.Billing)
			}
			if _, ok := w.find("/document", http.StatusOK); ok {
				t.Fatal("the kiosk accepted an envelope")
			}
			if tc.fault.Name == center.FaultLateDelivery {
				deadline := time.Now().Add(5 * time.Second) // a deadline for polling: elapsed time only
				for env.Center.Center.LateDeliveries() == 0 && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if env.Center.Center.LateDeliveries() != 1 {
					t.Fatal("the center never delivered late: the fault did not happen")
				}
			}
		})
	}
}
