package center_test

import (
	"testing"

	"kofu/internal/emulator"
	"kofu/protocol"
)

// TestEveryDocumentType: the correct center issues every document type
// with its options, at 300 and 600 dpi, and each prints with the expected
// number of pages, every page bound to its own request (the recording
// sink decodes each printed raster's symbol itself).
func TestEveryDocumentType(t *testing.T) {
	fx := loadFixtures(t)
	cases := []struct {
		doc      protocol.DocType
		opts     map[string]string
		copies   int
		resident string
		dpi      int
		minP     int
		maxP     int
	}{
		{protocol.DocJuminhyo, nil, 1, "R0001", 300, 1, 1},
		{protocol.DocJuminhyo, map[string]string{"scope": "household", "honseki": "include", "zokugara": "include", "kojin-bango": "include"}, 1, "R0004", 600, 2, 3},
		{protocol.DocJuminhyoKisai, nil, 1, "R0002", 300, 1, 1},
		{protocol.DocInkan, nil, 2, "R0001", 300, 2, 2},
		{protocol.DocKosekiZenbu, nil, 1, "R0001", 300, 2, 3},
		{protocol.DocKosekiZenbu, nil, 1, "R0019", 600, 3, 3},
		{protocol.DocKosekiZenbu, nil, 1, "R0023", 300, 1, 3}, // 本籍 in another city
		{protocol.DocKosekiKojin, nil, 1, "R0004", 300, 1, 1},
		{protocol.DocKosekiFuhyo, map[string]string{"honseki": "include"}, 1, "R0003", 300, 1, 1},
		{protocol.DocKazei, map[string]string{"year": "2025"}, 1, "R0002", 300, 1, 1},
		// Foreign residents' items (issue 17): a 中長期在留者, a 特別永住者
		// with a Japanese wife, and a Japanese national asking for them.
		{protocol.DocJuminhyo, map[string]string{"kokuseki-zairyu": "include", "zairyu-card": "include"}, 1, "R0017", 300, 1, 1},
		{protocol.DocJuminhyo, map[string]string{"scope": "household", "zokugara": "include", "kokuseki-zairyu": "include", "zairyu-card": "include"}, 1, "R0025", 600, 1, 1},
		{protocol.DocJuminhyoKisai, map[string]string{"kokuseki-zairyu": "include"}, 1, "R0017", 300, 1, 1},
		{protocol.DocJuminhyo, map[string]string{"kokuseki-zairyu": "include", "zairyu-card": "include"}, 1, "R0001", 300, 1, 1},
	}
	envs := map[int]*emulator.Env{}
	for _, dpi := range []int{300, 600} {
		envs[dpi], _ = startEnv(t, emulator.Options{Fixtures: fx, DPI: dpi})
	}
	for _, tc := range cases {
		t.Run(string(tc.doc)+"/"+tc.resident, func(t *testing.T) {
			res, ok := fx.Resident(tc.resident)
			if !ok {
				t.Fatalf("no resident %s", tc.resident)
			}
			doc, err := protocol.NewDocSpec(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.opts {
				doc.Opts[k] = v
			}
			doc.Copies = tc.copies
			sink := newRecordingSink(t)
			r := runAuto(t, envs[tc.dpi], sink, res, doc)
			if r.Outcome != protocol.ResultPrinted {
				t.Fatalf("%s/%s", r.Outcome, r.Reason)
			}
			got := sink.prints[r.TID]
			if len(got) < tc.minP || len(got) > tc.maxP || r.Pages != len(got) {
				t.Fatalf("%d pages printed (result says %d), want %d–%d", len(got), r.Pages, tc.minP, tc.maxP)
			}
			for i, q := range got {
				if q.N != i+1 || q.Total != len(got) || protocol.B64(q.TID) != r.TID {
					t.Errorf("page %d carries %d/%d of %s", i+1, q.N, q.Total, protocol.B64(q.TID))
				}
			}
			if r.Billing != string(protocol.BillingCaptured) {
				t.Errorf("billing %q", r.Billing)
			}
		})
	}
}
