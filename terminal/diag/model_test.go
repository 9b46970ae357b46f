package diag

import (
	"bytes"
	"os"
	"testing"

	"kofu/terminal/diag/internal/reasondoc"
)

// TestReasonsFromOperatorGuide: reasons_table.go is what the operator
// guide says (go generate ./terminal/diag after editing the guide).
func TestReasonsFromOperatorGuide(t *testing.T) {
	md, err := os.ReadFile("../../docs/operator.md")
	if err != nil {
		t.Fatal(err)
	}
	groups, err := reasondoc.Parse(md)
	if err != nil {
		t.Fatal(err)
	}
	want, err := reasondoc.Source("diag", groups)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("reasons_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("reasons_table.go is stale: go generate ./terminal/diag")
	}
	if len(groups) < 5 {
		t.Fatalf("%d groups", len(groups))
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct{ code, group, outcome string }{
		{"page-qr-mismatch", "Refused because of a page", "refused"},
		{"ticket-signature", "Refused because of who signed it or how", "refused"},
		{"envelope-redirect", "Refused before any signature is looked at", "refused"},
		{"center-busy", "Failures, cancellations, unknown outcomes", "failed"},
		{"print-paper-out", "Failures, cancellations, unknown outcomes", ""},
		{"recovered-at-start", "Failures, cancellations, unknown outcomes", "unknown"},
	} {
		x, ok := explain(tc.code)
		if !ok || x.group != tc.group || (tc.outcome != "" && x.outcome != tc.outcome) || x.meaning == "" || x.do == "" {
			t.Errorf("%s: %+v %v", tc.code, x, ok)
		}
	}
	if _, ok := explain("no-such-code"); ok {
		t.Error("an unknown code explained")
	}
}
