package journal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedLineIsExact: a committed line changed in any way that
// leaves its decoded fields, and so its hash, as they were — an added
// member carrying a name or a PIN, a key in another case, a duplicate key,
// whitespace, an escaped character — no longer verifies.
func TestCommittedLineIsExact(t *testing.T) {
	for _, c := range []struct{ name, from, to string }{
		{"added members", `"kind":"end"`, `"kind":"end","name":"山田 太郎","pin":"1234"`},
		{"key in upper case", `"kind":"end"`, `"KIND":"end"`},
		{"duplicate key", `"kind":"end"`, `"kind":"state","kind":"end"`},
		{"whitespace", `"kind":"end"`, `"kind" : "end"`},
		{"escaped character", `"kind":"end"`, `"kind":"\u0065nd"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal")
			j, _ := openT(t, path)
			session(t, j, "s1", true)
			j.Close()
			b, _ := os.ReadFile(path)
			if !bytes.Contains(b, []byte(c.from)) {
				t.Fatalf("no %s in the journal", c.from)
			}
			os.WriteFile(path, bytes.Replace(b, []byte(c.from), []byte(c.to), 1), 0o600)
			var ce *ErrCorrupt
			if _, err := Verify(path); !errors.As(err, &ce) || ce.Line != 10 {
				t.Fatalf("verify: %v, want ErrCorrupt at line 10", err)
			}
		})
	}
}
