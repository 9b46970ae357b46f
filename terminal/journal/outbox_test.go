package journal

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestOutboxRecords: the outbox's records carry a binding, which must be
// a base64url SHA-256 and nothing else (no free text in the journal).
func TestOutboxRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _ := openT(t, path)
	good := "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg"
	for _, c := range []struct {
		name string
		rec  Record
		want string
	}{
		{"outbox", Record{Kind: KindOutbox, Session: "s1", TID: "AAAA", Binding: good, State: "printed", Pages: 1}, ""},
		{"reported", Record{Kind: KindReported, Session: "s1", TID: "AAAA", Billing: "captured"}, ""},
		{"state with ticket", Record{Kind: KindState, Session: "s2", State: "fee", TID: "AAAA", Binding: good}, ""},
		{"binding too short", Record{Kind: KindOutbox, TID: "AAAA", Binding: good[:42]}, "binding"},
		{"binding with a name", Record{Kind: KindOutbox, TID: "AAAA", Binding: "山田太郎" + good[:31]}, "binding"},
		{"binding padded", Record{Kind: KindOutbox, TID: "AAAA", Binding: good[:42] + "="}, "binding"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := j.Append(c.rec)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Append: %v, want %q", err, c.want)
			}
		})
	}
	j.Close()
	if _, err := Verify(path); err != nil {
		t.Fatal(err)
	}
}
