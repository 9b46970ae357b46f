package tui

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"kofu/protocol"
)

// message is one message of the source: the Japanese (the catalogs' key)
// and the English of a T or Tf call, or of a protocol table.
type message struct {
	ja, en string
	format bool   // Tf: ja and en are formats
	nargs  int    // Tf's values (-1: spread, unknown)
	pos    string // where it is written
}

// sourceDirs are the packages whose messages the customer UI shows: its
// own, and the kiosk command's (the out-of-service screen's checks and
// clerk's actions, the emulator's note).
func sourceDirs() []string { return []string{".", "../../cmd/kiosk"} }

// sourceMessages parses every non-test Go file of sourceDirs and returns
// the messages of its T and Tf calls (tui.T, tui.Tf outside the package).
// A call whose Japanese or English is not a string literal is an error:
// a key the test cannot see is a key a catalog may miss. Proper names go
// through Name, the protocol's tables through fromTable.
func sourceMessages(t *testing.T) []message {
	t.Helper()
	var out []message
	fset := gotoken.NewFileSet()
	for _, dir := range sourceDirs() {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				name := calledName(call.Fun, f.Name.Name == "tui")
				if name != "T" && name != "Tf" {
					return true
				}
				pos := fset.Position(call.Pos()).String()
				if len(call.Args) < 2 {
					t.Errorf("%s: %s with %d arguments", pos, name, len(call.Args))
					return true
				}
				ja, okJA := stringLit(call.Args[0])
				en, okEN := stringLit(call.Args[1])
				if !okJA || !okEN {
					t.Errorf("%s: %s's Japanese and English must be string literals (Name for a proper name)", pos, name)
					return true
				}
				m := message{ja: ja, en: en, pos: pos, nargs: len(call.Args) - 2}
				if name == "Tf" {
					m.format = true
					if call.Ellipsis.IsValid() {
						m.nargs = -1
					}
				}
				out = append(out, m)
				return true
			})
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d messages found: the parse is broken", len(out))
	}
	return out
}

// calledName is the function a call names: T for T(…) inside the
// package, for tui.T(…) outside it.
func calledName(fun ast.Expr, inTUI bool) string {
	switch f := fun.(type) {
	case *ast.Ident:
		if inTUI {
			return f.Name
		}
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok && x.Name == "tui" && !inTUI {
			return f.Sel.Name
		}
	}
	return ""
}

// stringLit is the value of a string literal (or literals joined by +).
func stringLit(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != gotoken.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != gotoken.ADD {
			return "", false
		}
		a, okA := stringLit(e.X)
		b, okB := stringLit(e.Y)
		return a + b, okA && okB
	case *ast.ParenExpr:
		return stringLit(e.X)
	}
	return "", false
}

// tableMessages are the messages of the protocol's tables the UI shows
// (fromTable): document names, option labels, the center's problems.
func tableMessages() []message {
	var out []message
	for _, d := range protocol.DocTypes() {
		out = append(out, message{ja: d.JA, en: d.EN, pos: "protocol document " + string(d.Type)})
		for _, o := range d.Options {
			out = append(out, message{ja: o.JA, en: o.EN, pos: "protocol option " + o.Key})
		}
	}
	for _, p := range protocol.ProblemTypes() {
		out = append(out, message{ja: p.JA, en: p.EN, pos: "protocol problem " + string(p.Type)})
	}
	return out
}

// verbRe matches a fmt verb (flags, width, precision, an explicit index).
func verbRe() *regexp.Regexp {
	return regexp.MustCompile(`%(\[\d+\])?[-+# 0]*(\d+|\*)?(\.(\d+|\*))?[a-zA-Z%]`)
}

// verbs are a format's verbs in order, %% left out.
func verbs(format string) []string {
	var out []string
	for _, v := range verbRe().FindAllString(format, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

// translated are the languages whose messages come from a catalog.
func translated() []Lang {
	var out []Lang
	for _, l := range AllLangs() {
		if l != Japanese && l != English {
			out = append(out, l)
		}
	}
	return out
}

// TestCatalogsComplete: every catalog translates every message of the
// source and of the protocol's tables, has no key nobody uses, and keeps
// each format's verbs in order and count; and every Tf's English and
// values agree with its Japanese.
func TestCatalogsComplete(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	msgs := append(sourceMessages(t), tableMessages()...)
	keys := map[string]message{}
	for _, m := range msgs {
		if m.ja == "" {
			t.Errorf("%s: a message without Japanese", m.pos)
			continue
		}
		if prev, ok := keys[m.ja]; ok && prev.format != m.format {
			t.Errorf("%s and %s: %q is a format in one and not the other", prev.pos, m.pos, m.ja)
		}
		if _, ok := keys[m.ja]; !ok || m.format {
			keys[m.ja] = m
		}
		if !m.format {
			continue
		}
		if v := verbs(m.ja); !slices.Equal(verbs(m.en), v) {
			t.Errorf("%s: the English %q has verbs %v, the Japanese %v", m.pos, m.en, verbs(m.en), v)
		}
		if n := len(verbs(m.ja)); m.nargs >= 0 && n != m.nargs {
			t.Errorf("%s: %q has %d verbs for %d values", m.pos, m.ja, n, m.nargs)
		}
	}
	for _, l := range translated() {
		t.Run(l.String(), func(t *testing.T) {
			cat := cats.by[l]
			var missing []string
			for ja, m := range keys {
				tr, ok := cat[ja]
				switch {
				case !ok:
					missing = append(missing, strconv.Quote(ja)+"  # "+m.en)
				case strings.TrimSpace(tr) == "":
					t.Errorf("%q: empty translation", ja)
				case m.format && !slices.Equal(verbs(tr), verbs(ja)):
					t.Errorf("%q → %q: verbs %v, want %v in this order", ja, tr, verbs(tr), verbs(ja))
				case !m.format && len(verbs(ja)) == 0 && len(verbs(tr)) > 0:
					t.Errorf("%q → %q: a verb in a message that is not a format", ja, tr)
				}
			}
			sort.Strings(missing)
			for _, k := range missing {
				t.Errorf("missing: %s", k)
			}
			var stale []string
			for ja := range cat {
				if _, ok := keys[ja]; !ok {
					stale = append(stale, strconv.Quote(ja))
				}
			}
			sort.Strings(stale)
			for _, k := range stale {
				t.Errorf("stale (no message has this Japanese): %s", k)
			}
		})
	}
}

// TestCatalogFiles: one catalog per translated language, and nothing
// else in i18n/.
func TestCatalogFiles(t *testing.T) {
	entries, err := os.ReadDir("i18n")
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	for _, l := range translated() {
		want = append(want, l.String()+".toml")
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("i18n holds %v, want %v", got, want)
	}
}

// TestVerbs: the verb reader the completeness test relies on.
func TestVerbs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"あと %d 秒", []string{"%d"}},
		{"%s × %d通 ＝ %s", []string{"%s", "%d", "%s"}},
		{"100%% %-5s %02d %[1]s", []string{"%-5s", "%02d", "%[1]s"}},
		{"no verbs", nil},
	}
	for _, tc := range cases {
		if got := verbs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
		}
	}
}
