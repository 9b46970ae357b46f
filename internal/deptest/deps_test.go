package deptest

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// rule forbids the packages matching From to depend, directly or through
// any chain of non-test imports, on the packages matching To. A pattern
// ending in "/..." matches the package and everything below it.
type rule struct {
	From, To []string
	Why      string
}

// rules are the layering the project keeps.
var rules = []rule{
	{From: []string{"kofu/printer/..."}, To: []string{"kofu/terminal/..."},
		Why: "the printer prints verified pages; what a session is belongs to the kiosk"},
	{From: []string{"kofu/terminal"}, To: []string{"kofu/cardreader/...", "kofu/printer/...", "kofu/protocol/center/...", "kofu/internal/fixtures/..."},
		Why: "the session works through its ports (Card, Sink, Payment); hardware, the emulated center and the test PKI are plugged in from outside"},
	{From: []string{"kofu/protocol", "kofu/protocol/pages"}, To: []string{"kofu/protocol/center/...", "kofu/internal/fixtures/..."},
		Why: "the kiosk's verifier must not share code with the center it judges, nor see the test keys"},
	{From: []string{"kofu/protocol/...", "kofu/cardreader/...", "kofu/printer/...", "kofu/terminal/..."}, To: []string{"kofu/internal/testclock/...", "kofu/internal/emulator/..."},
		Why: "test support and emulator wiring stay out of the product's packages"},
	{From: []string{"kofu/terminal/uikit"}, To: []string{"kofu/..."},
		Why: "the UI kit is the bottom layer of both terminal UIs: keys, key tables and keymaps, nothing of the kiosk"},
	{From: []string{"kofu/terminal/tui/..."}, To: []string{"kofu/terminal/diag/..."},
		Why: "the customer UI and the technician UI share code only through terminal/uikit"},
	{From: []string{"kofu/terminal/diag/..."}, To: []string{"kofu/terminal/tui/..."},
		Why: "the customer UI and the technician UI share code only through terminal/uikit"},
}

func matches(pattern, pkg string) bool {
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// deps lists every package of the module with its transitive non-test
// dependencies inside the module, as the go command computes them.
func deps(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`}, patterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var own []string
		for _, d := range f[1:] {
			if d == "kofu" || strings.HasPrefix(d, "kofu/") {
				own = append(own, d)
			}
		}
		m[f[0]] = own
	}
	return m
}

// violations returns "from → to" for every rule broken in graph.
func violations(graph map[string][]string) []string {
	var bad []string
	for _, r := range rules {
		for pkg, ds := range graph {
			if !anyMatch(r.From, pkg) {
				continue
			}
			for _, d := range ds {
				if anyMatch(r.To, d) {
					bad = append(bad, pkg+" → "+d+": "+r.Why)
				}
			}
		}
	}
	return bad
}

func anyMatch(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if matches(p, pkg) {
			return true
		}
	}
	return false
}

// TestLayering checks the module's real import graph against the rules.
func TestLayering(t *testing.T) {
	graph := deps(t, "kofu/...")
	for _, r := range rules {
		for _, from := range r.From {
			found := false
			for pkg := range graph {
				found = found || matches(from, pkg)
			}
			if !found {
				t.Errorf("rule names %s, which is not a package of the module: the rule protects nothing", from)
			}
		}
	}
	for _, v := range violations(graph) {
		t.Error(v)
	}
}

// TestLayeringCatchesAForbiddenImport shows the check failing: a package
// under printer/ that imports terminal, written into a scratch copy of
// the module's graph as the go command reports it for a real file.
func TestLayeringCatchesAForbiddenImport(t *testing.T) {
	for _, tc := range []struct {
		pkg, dep string
	}{
		{"kofu/printer", "kofu/terminal"},
		{"kofu/printer/pdl", "kofu/terminal/journal"},
		{"kofu/terminal", "kofu/cardreader"},
		{"kofu/terminal", "kofu/printer/pdl"},
		{"kofu/terminal", "kofu/protocol/center"},
		{"kofu/terminal", "kofu/internal/fixtures"},
		{"kofu/protocol", "kofu/protocol/center"},
		{"kofu/terminal/uikit", "kofu/terminal"},
		{"kofu/terminal/tui", "kofu/terminal/diag"},
		{"kofu/terminal/diag", "kofu/terminal/tui"},
	} {
		graph := map[string][]string{tc.pkg: {tc.dep}}
		if v := violations(graph); len(v) != 1 {
			t.Errorf("%s importing %s: %d violations, want 1", tc.pkg, tc.dep, len(v))
		}
	}
	// Allowed edges stay allowed.
	for _, ok := range [][2]string{
		{"kofu/terminal/health", "kofu/printer"}, // preflight checks open the devices
		{"kofu/terminal/host", "kofu/cardreader"},
		{"kofu/printer", "kofu/protocol"},
		{"kofu/protocol/center", "kofu/protocol"},
		{"kofu/terminal/tui", "kofu/terminal/uikit"},
		{"kofu/terminal/diag", "kofu/terminal/uikit"},
	} {
		if v := violations(map[string][]string{ok[0]: {ok[1]}}); len(v) != 0 {
			t.Errorf("%s → %s refused: %v", ok[0], ok[1], v)
		}
	}
}
