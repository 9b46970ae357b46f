package diag

import (
	"fmt"
	"strings"

	"github.com/rivo/tview"

	"kofu/terminal/health"
)

// Color tags used by the views.
const (
	tagTitle = "[::b]"
	tagOK    = "[green::b]"
	tagWarn  = "[yellow::b]"
	tagFail  = "[red::b]"
	tagDim   = "[gray]"
	tagKey   = "[aqua::b]"
	tagSel   = "[black:aqua:b]"
	tagOff   = "[-:-:-]"
)

// esc escapes text that must not be read as color tags.
func esc(s string) string { return tview.Escape(s) }

// badge is a status in its color, padded to one width.
func badge(s health.Status) string {
	tag := tagOK
	switch s {
	case health.Warn:
		tag = tagWarn
	case health.Fail:
		tag = tagFail
	}
	return fmt.Sprintf("%s%-4s%s", tag, s, tagOff)
}

// resultLine is a check result on one line.
func resultLine(r health.Result) string { return badge(r.Status) + " " + esc(r.Detail) }

// field is one "label: value" line, the label padded.
func field(b *strings.Builder, label, value string) {
	fmt.Fprintf(b, "%s%-16s%s %s\n", tagDim, label, tagOff, esc(value))
}

// section starts a titled block.
func section(b *strings.Builder, title string) {
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	b.WriteString(tagTitle + esc(title) + tagOff + "\n")
}

// newBody is the text view a screen draws into.
func newBody() *tview.TextView {
	tv := tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetWordWrap(true).SetScrollable(true)
	tv.SetBorderPadding(0, 0, 1, 1)
	return tv
}

// loading is shown while the backend is asked.
const loading = tagDim + "asking…" + tagOff
