package screentext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSettled(t *testing.T) {
	frames := []string{"a", "b", "c", "c"}
	i := 0
	next := func() string { s := frames[min(i, len(frames)-1)]; i++; return s }
	if s, err := Settled(next, time.Millisecond, time.Second); err != nil || s != "c" {
		t.Fatalf("Settled = %q, %v; want c", s, err)
	}
	n := 0
	moving := func() string { n++; return strings.Repeat("x", n) }
	if _, err := Settled(moving, time.Millisecond, 20*time.Millisecond); err == nil {
		t.Fatal("a screen that keeps changing settled")
	}
}

func TestWriteCapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ja", "80x24", "01-welcome.txt")
	if err := WriteCapture(path, "screen"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "screen\n" {
		t.Fatalf("%q, %v", b, err)
	}
}
