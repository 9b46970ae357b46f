package deptest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// ruleClockPackages are the packages whose verdicts depend on "now": the
// center's calendar and lifetimes, the kiosk's checks of tickets and
// envelopes, the session's deadlines and reports, and the emulated world
// that wires one clock through all of them. In them "now" comes from an
// injected clock; the wall clock may be read only where listed below.
var ruleClockPackages = []string{"kofu/protocol", "kofu/protocol/center", "kofu/terminal", "kofu/internal/emulator"}

// wallClockAllowed lists the functions of those packages that may read
// the wall clock, each with the reason no verdict depends on it. A new
// reader of time.Now, time.Since or time.Until there fails TestClockReads
// until it is either given the injected clock or listed here with its
// reason.
var wallClockAllowed = map[string]string{
	"kofu/protocol.(*Verifier).now":         "the default when no clock is injected (store machines: the wall clock)",
	"kofu/terminal.(*Kiosk).now":            "the default when no clock is injected (store machines: the wall clock)",
	"kofu/protocol/center.NewOCSPResponder": "the default clock of a responder built without one",
	"kofu/terminal.(*session).to":           "measures how long a state lasted (monotonic; metrics only)",
	"kofu/terminal.(*Kiosk).Serve":          "measures how long a session lasted (monotonic; metrics only)",
	"kofu/terminal.(*session).end":          "measures how long a session lasted (monotonic; metrics only)",
}

// TestClockReads finds every call of time.Now, time.Since and time.Until
// in the non-test files of ruleClockPackages.
func TestClockReads(t *testing.T) {
	var found []string
	for _, pkg := range ruleClockPackages {
		out, err := exec.Command("go", "list", "-f", "{{.Dir}}|{{join .GoFiles \"|\"}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		parts := strings.Split(strings.TrimSpace(string(out)), "|")
		for _, f := range parts[1:] {
			found = append(found, clockReads(t, pkg, filepath.Join(parts[0], f))...)
		}
	}
	sort.Strings(found)
	seen := map[string]bool{}
	for _, where := range found {
		fn := where[:strings.Index(where, " ")]
		seen[fn] = true
		if _, ok := wallClockAllowed[fn]; !ok {
			t.Errorf("%s reads the wall clock: take the injected clock, or list it in wallClockAllowed with why no verdict depends on it", where)
		}
	}
	for fn := range wallClockAllowed {
		if !seen[fn] {
			t.Errorf("wallClockAllowed lists %s, which no longer reads the wall clock: remove it", fn)
		}
	}
}

// clockReads returns "pkg.Func (file:line)" for each wall-clock read in
// file.
func clockReads(t *testing.T, pkg, file string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	timeName := ""
	for _, imp := range f.Imports {
		if imp.Path.Value == `"time"` {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	if timeName == "" {
		return nil
	}
	var out []string
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		name := pkg + "." + fd.Name.Name
		if fd.Recv != nil && len(fd.Recv.List) == 1 {
			name = pkg + ".(" + recvType(fd.Recv.List[0].Type) + ")." + fd.Name.Name
		}
		ast.Inspect(fd, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == timeName &&
				(sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
				p := fset.Position(sel.Pos())
				out = append(out, name+" ("+filepath.Base(p.Filename)+":"+strconv.Itoa(p.Line)+")")
			}
			return true
		})
	}
	return out
}

func recvType(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return "*" + recvType(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvType(x.X)
	}
	return "?"
}
