package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/rivo/uniseg"

	"kofu/protocol"
	"kofu/terminal"
)

// TestWrapHang: a line with a hang mark wraps under the mark's column;
// the mark itself is never drawn.
func TestWrapHang(t *testing.T) {
	in := "  [gray]内容[-:-:-]  " + hang + "Who is listed: Whole household; My Number: Include; Registered domicile: Include"
	got := strings.Split(wrapText(in, 40), "\n")
	want := []string{
		"  [gray]内容[-:-:-]  Who is listed: Whole household;",
		"        My Number: Include; Registered",
		"        domicile: Include",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, s := range []string{wrapText("a"+hang+"b", 40), wrapText("a"+hang+"b", 0)} {
		if s != "ab" {
			t.Errorf("hang mark left in %q", s)
		}
	}
	// A mark beyond half the line falls back to the leading spaces.
	if got := strings.Split(wrapText("  "+strings.Repeat("x", 25)+hang+" aaaa bbbb cccc", 40), "\n"); len(got) != 2 || got[1] != "  cccc" {
		t.Errorf("far hang: %q", got)
	}
}

// TestSummaryWrapIndent: on the payment screen at 80×24, a value too
// long for its line (the options of a 住民票 with everything included, a
// long municipality name in Latin letters) continues under the value
// column, not at the left edge (item 4 of the follow-up).
func TestSummaryWrapIndent(t *testing.T) {
	for _, lang := range []Lang{Japanese, English, Portuguese} {
		t.Run(lang.String(), func(t *testing.T) {
			h := newHarnessAt(t, Options{}, 80, 24)
			o := terminal.Order{Muni: "194301", Doc: protocol.DocSpec{Type: protocol.DocJuminhyo, Copies: 2,
				Opts: map[string]string{"scope": "household", "honseki": "include", "zokugara": "include", "kojin-bango": "include"}}}
			h.loop(func() {
				h.c.lang = h.c.cats.locale(lang)
				h.c.order = h.c.summarize(o)
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go h.c.Pay(ctx, 300)
			label := map[Lang]string{Japanese: "内容", English: "Details", Portuguese: "Detalhes"}[lang]
			next := map[Lang]string{Japanese: "部数", English: "Copies", Portuguese: "Cópias"}[lang]
			s := h.waitFor(label, next)
			lines := strings.Split(s, "\n")
			start := -1
			for i, l := range lines {
				if strings.Contains(l, "║  "+label+" ") || strings.Contains(l, "║    "+label+" ") {
					start = i
					break
				}
			}
			if start < 0 {
				t.Fatalf("no %q row:\n%s", label, s)
			}
			col := valueColumn(lines[start], label)
			wrapped := 0
			for _, l := range lines[start+1:] {
				if strings.Contains(l, next) {
					break
				}
				wrapped++
				if c := textColumn(l); c != col {
					t.Errorf("continuation %q starts at column %d, the values at %d:\n%s", l, c, col, s)
				}
			}
			if wrapped == 0 {
				t.Fatalf("the %q value did not wrap (the test needs it to):\n%s", label, s)
			}
		})
	}
}

// valueColumn is the screen column where the value after label starts.
func valueColumn(line, label string) int {
	i := strings.Index(line, label) + len(label)
	rest := line[i:]
	j := len(rest) - len(strings.TrimLeft(rest, " "))
	return uniseg.StringWidth(line[:i+j])
}

// textColumn is the screen column of a boxed line's first text.
func textColumn(line string) int {
	i := strings.Index(line, "║") + len("║")
	rest := line[i:]
	j := len(rest) - len(strings.TrimLeft(rest, " "))
	return uniseg.StringWidth(line[:i+j])
}

// TestSummaryForeignItems (issue 17, item 12): the summary before paying
// names the foreign residents' items when the request includes them, and
// says nothing of them otherwise.
func TestSummaryForeignItems(t *testing.T) {
	h := newHarnessAt(t, Options{}, 80, 24)
	details := func(opts map[string]string) string {
		var out string
		h.loop(func() {
			for _, r := range h.c.summarize(terminal.Order{Muni: "131211", Doc: protocol.DocSpec{Type: protocol.DocJuminhyo, Copies: 1, Opts: opts}}) {
				if r.label.JA == "内容" {
					out = r.value.In(h.c.lang)
				}
			}
		})
		return out
	}
	base := map[string]string{"scope": "self", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit"}
	if got := details(base); strings.Contains(got, "在留") || strings.Contains(got, "国籍") {
		t.Errorf("summary without the items names them: %q", got)
	}
	with := map[string]string{"scope": "self", "honseki": "omit", "zokugara": "omit", "kojin-bango": "omit",
		"kokuseki-zairyu": "include", "zairyu-card": "include"}
	got := details(with)
	for _, want := range []string{"国籍・地域と在留資格等：記載する", "在留カード等の番号：記載する"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary %q lacks %q", got, want)
		}
	}
}
