package tui

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/protocol"
	"kofu/terminal"
)

// summaryRow is one line of the request's summary: a label and a value.
type summaryRow struct{ label, value Text }

// summarize is the request as the resident set it — the certificate, its
// options, the copies and the municipality — for the payment screen
// (issue 17, item 8: nothing said what was about to be paid for).
func (c *Customer) summarize(o terminal.Order) []summaryRow {
	info, ok := protocol.LookupDoc(o.Doc.Type)
	if !ok {
		return nil
	}
	rows := []summaryRow{{T("証明書", "Certificate"), docText(info)}}
	// The options on one line ("記載範囲：本人のみ、個人番号：記載しない"):
	// at 80×24 a row each would push the fee and the question off screen.
	var opts []Text
	for _, opt := range info.Options {
		if v, ok := o.Doc.Opts[opt.Key]; ok {
			opts = append(opts, Tf("%s：%s", "%s: %s", optionLabel(opt), valueLabel(opt.Key, v)))
		}
	}
	if len(opts) > 0 {
		rows = append(rows, summaryRow{T("内容", "Details"), List(opts...)})
	}
	rows = append(rows,
		summaryRow{T("部数", "Copies"), Tf("%d通", "%d", o.Doc.Copies)},
		summaryRow{T("請求先", "Request to"), c.muniText(o.Muni)})
	return rows
}

// writeSummary writes rows as an aligned two-column list. A value too
// long for its line wraps under the value column (hang), not under the
// labels. mark starts every row: "" or spare, when a short screen may
// give the summary's room, from its last row up, to a question.
func writeSummary(b *strings.Builder, rows []summaryRow, l Locale, mark string) {
	width := 0
	for _, r := range rows {
		width = max(width, tview.TaggedStringWidth(esc(r.label.In(l))))
	}
	for _, r := range rows {
		fmt.Fprintf(b, "%s  %s  %s%s\n", mark, tagDim+pad(esc(r.label.In(l)), width)+tagOff, hang, esc(r.value.In(l)))
	}
}
