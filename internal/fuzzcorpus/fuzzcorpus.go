// Package fuzzcorpus writes the committed seed corpora of the fuzz
// targets (testdata/fuzz/<Target>/ in each package) in Go's corpus file
// format, from real inputs built by each package's corpus generator
// (TestWriteFuzzCorpus, run with KOFU_WRITE_CORPUS=1).
package fuzzcorpus

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// EnvVar turns the generators on: KOFU_WRITE_CORPUS=1 go test -run
// TestWriteFuzzCorpus ./... rewrites every committed corpus.
const EnvVar = "KOFU_WRITE_CORPUS"

// MaxEntry bounds one corpus file: the corpora stay small enough to
// commit and to run as seeds in every `go test`.
const MaxEntry = 256 << 10

// Skip skips tb unless the generators are turned on.
func Skip(tb testing.TB) {
	tb.Helper()
	if os.Getenv(EnvVar) != "1" {
		tb.Skipf("set %s=1 to rewrite the committed fuzz corpora", EnvVar)
	}
}

// Corpus is the seed set of one fuzz target, by file name.
type Corpus struct {
	target  string
	entries map[string][]byte
}

// New starts the corpus of target (e.g. "FuzzDeviceID").
func New(target string) *Corpus {
	return &Corpus{target: target, entries: map[string][]byte{}}
}

var nameRe = regexp.MustCompile(`[^a-z0-9.-]+`)

// Add adds one entry: the values are the fuzz function's arguments after
// *testing.T, in order. name says what the entry is (it becomes the file
// name); a repeated name gets a numeric suffix; an entry equal to one
// already added is left out.
func (c *Corpus) Add(name string, values ...any) {
	b, err := Encode(values...)
	if err != nil {
		panic(fmt.Sprintf("%s/%s: %v", c.target, name, err))
	}
	for _, e := range c.entries {
		if bytes.Equal(e, b) {
			return
		}
	}
	name = strings.Trim(nameRe.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if name == "" {
		name = "entry"
	}
	base := name
	for i := 2; c.entries[name] != nil; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	c.entries[name] = b
}

// Len is the number of entries.
func (c *Corpus) Len() int { return len(c.entries) }

// Prefix starts the name of every generated file. Files without it in a
// corpus directory are inputs the fuzzer found (named by their hash):
// regression tests that a rewrite keeps.
const Prefix = "seed-"

// Write replaces the generated files (Prefix*) of
// dir/testdata/fuzz/<target>/ with the corpus, keeping every other file.
// An entry larger than MaxEntry is an error: choose a smaller real input.
func (c *Corpus) Write(dir string) error {
	d := filepath.Join(dir, "testdata", "fuzz", c.target)
	old, err := filepath.Glob(filepath.Join(d, Prefix+"*"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(c.entries))
	for n := range c.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if len(c.entries[n]) > MaxEntry {
			return fmt.Errorf("%s/%s: %d bytes > %d", c.target, n, len(c.entries[n]), MaxEntry)
		}
		if err := os.WriteFile(filepath.Join(d, Prefix+n), c.entries[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Encode is one corpus file ("go test fuzz v1" and one line per value)
// for the value types kofu's fuzz targets take.
func Encode(values ...any) ([]byte, error) {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch t := v.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", t)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", t)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", t)
		case int, int8, int16, int64, uint, uint16, uint32, uint64, bool:
			fmt.Fprintf(&b, "%T(%v)\n", t, t)
		default:
			return nil, fmt.Errorf("value of type %T has no corpus encoding here", v)
		}
	}
	return []byte(b.String()), nil
}
