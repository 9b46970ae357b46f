package fleet

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"kofu/internal/fixtures"
	"kofu/internal/testclock"
	"kofu/protocol"
	"kofu/protocol/center"
	"kofu/protocol/pages"
)

// TestFleetAllFaults: a small fleet under every fault mode keeps the
// promise, and the ground truth shows the faults really happened.
func TestFleetAllFaults(t *testing.T) {
	faults, _ := center.ParseFaults("all")
	for i := range faults {
		if faults[i].Name == center.FaultSlow {
			faults[i].Delay = time.Second
		}
	}
	rep, err := Run(context.Background(), Config{Kiosks: 6, Transactions: 60, Faults: faults, FaultRate: 0.5,
		DocTimeout: 3 * time.Second, KosekiShare: 0.3, Now: testclock.Now(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", rep)
	if !rep.Held() {
		t.Fatalf("promise broken: %+v", rep)
	}
	if rep.FaultsInjected < 15 || rep.MixupsRefused == 0 || rep.MixupsRefused+rep.MixupsUnreceived != rep.MixupsInjected {
		t.Fatalf("faults did not happen as configured: %+v", rep)
	}
	total := rep.Printed
	for _, m := range []map[string]int{rep.Refused, rep.Failed, rep.Cancelled, rep.Unknown} {
		for _, n := range m {
			total += n
		}
	}
	if total != rep.Transactions || rep.Transactions != 60 {
		t.Fatalf("outcomes add up to %d of %d", total, rep.Transactions)
	}
}

// TestCheckingSinkCatchesForeignPage: the fleet's printer-side check is
// not a formality: a verified-looking page naming another request is
// counted as foreign.
func TestCheckingSinkCatchesForeignPage(t *testing.T) {
	fx, err := fixtures.Load()
	if err != nil {
		t.Fatal(err)
	}
	ttf, _ := fx.FontTTF()
	r, err := pages.NewRenderer(ttf)
	if err != nil {
		t.Fatal(err)
	}
	tid := make([]byte, 16)
	ours := sha256.Sum256([]byte("our request"))
	theirs := sha256.Sum256([]byte("another request"))
	subject := protocol.Subject(ours[:], []byte("cert"))
	w := &wire{expect: map[string]expectation{protocol.B64(tid): {binding: ours[:], subject: subject}}}
	sink := &checkingSink{wire: w}
	page := func(binding []byte) *protocol.VerifiedPage {
		q := protocol.QRText{TID: tid, Binding: binding, Subject: subject, N: 1, Total: 1}
		img, err := r.Render(pages.Spec{DPI: 300, Title: "住民票の写し", Issuer: "試験市長", Serial: "1", AsOf: "x",
			Rows: []pages.Row{{Label: "氏名", Value: "試験"}}, N: 1, Total: 1, QRText: q.String()})
		if err != nil {
			t.Fatal(err)
		}
		return &protocol.VerifiedPage{N: 1, DPI: 300, Image: img}
	}
	sink.Print(context.Background(), tid, []*protocol.VerifiedPage{page(ours[:])})
	if sink.foreign() != 0 {
		t.Fatal("our own page counted as foreign")
	}
	sink.Print(context.Background(), tid, []*protocol.VerifiedPage{page(theirs[:])})
	if sink.foreign() != 1 {
		t.Fatal("a page bound to another request was not caught")
	}
}
