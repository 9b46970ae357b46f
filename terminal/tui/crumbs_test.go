package tui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rivo/tview"
)

// untag is a line of the UI without its colour tags, as drawn.
func untag(s string) string {
	return regexp.MustCompile(`\[[a-zA-Z0-9:#,\-]*\]`).ReplaceAllString(s, "")
}

// TestCrumbsNarrow: the step bar fits the screen's width in every
// language and at every step (issue 17, item 13: below about 64 columns
// it was cut). Where the six steps fit, all are shown; where they do not,
// the bar says which of the six this is (k/6) and names the current step
// whole, and the next one while there is room; at 80 columns every
// language shows all six.
func TestCrumbsNarrow(t *testing.T) {
	cats, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	all := steps()
	for _, width := range []int{40, 60, 64, 80} {
		for _, lang := range AllLangs() {
			l := cats.locale(lang)
			for cur := stepCard; cur <= stepTake; cur++ {
				line := crumbLine(cur, l, width)
				plain := untag(line)
				where := fmt.Sprintf("%d columns, %s, step %d: %q", width, lang, cur, plain)
				if w := tview.TaggedStringWidth(line); w > width {
					t.Errorf("%s: %d cells wide", where, w)
				}
				if !strings.Contains(plain, " "+all[cur].In(l)+" ") {
					t.Errorf("%s: the current step is not named whole", where)
				}
				full := untag(crumbLine(cur, l, 0))
				if plain == full {
					continue
				}
				if width == 80 {
					t.Errorf("%s: not every step at 80 columns (all: %q)", where, full)
				}
				if !strings.HasPrefix(strings.TrimSpace(plain), fmt.Sprintf("%d/6", cur)) {
					t.Errorf("%s: the step's number of six is missing", where)
				}
				if cur < stepTake && width >= 60 && !strings.Contains(plain, "▸ "+all[cur+1].In(l)) {
					t.Errorf("%s: the next step is missing", where)
				}
			}
		}
	}
	// Japanese, the widest bar of the short labels, gives way below 66
	// columns: at 64 the PIN step reads 3/6.
	ja := untag(crumbLine(stepPIN, cats.locale(Japanese), 64))
	if want := " 3/6  暗証番号  ▸ お支払い"; ja != want {
		t.Errorf("at 64 columns: %q, want %q", ja, want)
	}
	// A width too small even for the current step cuts its label.
	if s := crumbLine(stepChoose, cats.locale(Japanese), 10); tview.TaggedStringWidth(s) > 10 || !strings.Contains(untag(s), "…") {
		t.Errorf("at 10 columns: %q", untag(s))
	}
}

// TestCrumbsOnNarrowScreens: on a 60- and a 40-column screen the step
// bar row shows the current step whole, not the first steps cut off
// before it. 20 rows are a short screen: the step bar is the first row,
// the title bar gives it way (compactHeight); at 24 rows it is the
// second.
func TestCrumbsOnNarrowScreens(t *testing.T) {
	for _, size := range []screenSize{{60, 20}, {40, 20}, {64, 20}, {60, 24}} {
		t.Run(size.String(), func(t *testing.T) {
			h := newHarnessAt(t, Options{}, size.w, size.h)
			go h.c.PIN(t.Context(), 3)
			s := h.waitFor("残りの入力回数")
			rows := strings.Split(s, "\n")
			if len(rows) < 2 {
				t.Fatalf("screen:\n%s", s)
			}
			crumbs := rows[1]
			if size.h < compactHeight {
				crumbs = rows[0]
			}
			for _, want := range []string{"3/6", " 暗証番号 "} {
				if !strings.Contains(crumbs, want) {
					t.Errorf("the step bar %q lacks %q:\n%s", crumbs, want, s)
				}
			}
			if size.w >= 60 && !strings.Contains(crumbs, "▸ お支払い") {
				t.Errorf("the step bar %q lacks the next step", crumbs)
			}
		})
	}
}
