package diag

import (
	"fmt"
	"strings"
	"time"

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

// statusTag is a verdict's color.
func statusTag(s health.Status) string {
	switch s {
	case health.Warn:
		return tagWarn
	case health.Fail:
		return tagFail
	}
	return tagOK
}

// badge is a status in its color, padded to one width.
func badge(s health.Status) seg { return seg{statusTag(s), fmt.Sprintf("%-4s", s)} }

// doc builds a pane's lines.
type doc struct{ lines []line }

func (d *doc) add(l line) { d.lines = append(d.lines, l) }

// section starts a titled block, after a blank line unless first.
func (d *doc) section(title string) {
	if len(d.lines) > 0 {
		d.blank()
	}
	d.add(text(tagTitle, title))
}

func (d *doc) blank() { d.add(line{}) }

// text adds a line in one style.
func (d *doc) text(tag, s string) { d.add(text(tag, s)) }

// field adds a "label  value" line, the label padded; the value wraps
// under itself.
func (d *doc) field(label, value string) {
	d.add(line{lead: []seg{{tagDim, fmt.Sprintf("%-16s ", label)}}, body: []seg{{"", value}}})
}

// result adds a check result: the verdict, then its words.
func (d *doc) result(r health.Result) {
	d.add(line{lead: []seg{badge(r.Status), {"", " "}}, body: []seg{{"", r.Detail}}})
}

// loadingLine is shown while the backend is asked for the first time.
func loadingLine() line { return text(tagDim, "asking…") }

// clockTime formats an instant in the zone, to the second.
func clockTime(t time.Time, z *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(z).Format("15:04:05")
}

// journalTime formats a journal time (RFC 3339, UTC) in the zone with
// a fixed width: "2006-01-02 15:04:05". long=false drops the year.
func journalTime(s string, z *time.Location, long bool) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if long {
			return fmt.Sprintf("%-19s", "?")
		}
		return fmt.Sprintf("%-14s", "?")
	}
	if long {
		return t.In(z).Format("2006-01-02 15:04:05")
	}
	return t.In(z).Format("01-02 15:04:05")
}

// zoneName names the zone as its times read, e.g. "JST" or "+09:00".
func zoneName(z *time.Location, at time.Time) string {
	name, _ := at.In(z).Zone()
	if name == "" || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-") {
		return at.In(z).Format("-07:00")
	}
	return name
}

// ago says how long ago t was, coarsely.
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm ago", int(d.Hours()), int(d.Minutes())%60)
}

// uptime formats a duration as "3d04h", "2h05m" or "12m".
func uptime(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}
