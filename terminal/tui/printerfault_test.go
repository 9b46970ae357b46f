package tui

import (
	"strings"
	"testing"

	"kofu/protocol"
	"kofu/terminal"
)

// TestPrinterFaultPages: the finish words count the pages the printer
// reported out, in both languages and without "page(s)"; with none out
// they claim no page and ask for none.
func TestPrinterFaultPages(t *testing.T) {
	cases := []struct {
		reason string
		pages  int
		ja, en []string
		not    []string // in neither language
		paper  bool
	}{
		{"print-paper-out", 2, []string{"印刷された2枚をお取りください。"}, []string{"Please take the 2 pages that were printed."}, []string{"page(s)"}, true},
		{"print-paper-out", 0, []string{"用紙がなくなったため、証明書を印刷できませんでした。"}, []string{"could not be printed"},
			[]string{"印刷された", "Please take the", "残りのページ"}, false},
		{"print-jam", 0, []string{"紙づまり", "詰まった用紙は店員が取り除きます"}, []string{"paper jam", "leave the jammed paper"}, []string{"印刷された"}, false},
		{"print-cover-open", 3, []string{"印刷された3枚"}, []string{"the 3 pages that were printed"}, nil, true},
	}
	for _, tc := range cases {
		w := explain(terminal.Result{Outcome: protocol.ResultUnknown, Reason: terminal.Reason(tc.reason), Payment: "released", Pages: tc.pages, Fee: 450}, seen{})
		for _, l := range []Locale{{Lang: Japanese}, {Lang: English}} {
			all := strings.Join([]string{w.Title.In(l), w.What.In(l), w.Do.In(l), w.Fee.In(l), w.Paper.In(l)}, "\n")
			want := tc.ja
			if l.Lang == English {
				want = tc.en
			}
			for _, s := range want {
				if !strings.Contains(all, s) {
					t.Errorf("%s %d %s: %q missing from\n%s", tc.reason, tc.pages, l, s, all)
				}
			}
			for _, s := range append(tc.not, tc.reason) {
				if strings.Contains(all, s) {
					t.Errorf("%s %d %s: %q in\n%s", tc.reason, tc.pages, l, s, all)
				}
			}
		}
		if w.Paper.Empty() == tc.paper || !w.Staff {
			t.Errorf("%s %d: paper %q staff %v", tc.reason, tc.pages, w.Paper.JA, w.Staff)
		}
	}
}

// TestProgressStopped: the moment the printer stops a job, the progress
// screen stops saying "page k of n" and names the fault, the pages out
// and the staff, never the code.
func TestProgressStopped(t *testing.T) {
	cases := []struct {
		stopped string
		ja, en  []string
	}{
		{"print-paper-out", []string{"印刷を中止しました", "用紙切れ", "印刷された1枚をお取りください。", "店員をお呼びください。"},
			[]string{"Printing stopped", "out of paper", "Please take the page that was printed."}},
		{"print-jam", []string{"紙づまり", "店員をお呼びください。"}, []string{"paper jam"}},
		{"print-cover-open", []string{"カバーが開いています"}, []string{"cover is open"}},
		{"print-unconfirmed", []string{"確認できませんでした"}, []string{"could not confirm"}},
	}
	for _, tc := range cases {
		v := newProgress()
		v.show(terminal.Progress{State: terminal.StateSettle, Page: 1, Pages: 3, Stopped: terminal.Reason(tc.stopped)})
		for _, l := range []Locale{{Lang: Japanese}, {Lang: English}} {
			v.render(l)
			s := v.title(l) + "\n" + v.tv.GetText(true)
			want := tc.ja
			if l.Lang == English {
				want = tc.en
			}
			for _, x := range want {
				if !strings.Contains(s, x) {
					t.Errorf("%s %s: %q missing from\n%s", tc.stopped, l, x, s)
				}
			}
			for _, x := range []string{tc.stopped, "ページ目を印刷しています", "Printing page"} {
				if strings.Contains(s, x) {
					t.Errorf("%s %s: %q on screen:\n%s", tc.stopped, l, x, s)
				}
			}
		}
	}
}
