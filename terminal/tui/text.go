package tui

import (
	"embed"
	"fmt"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/rivo/tview"
)

// Lang is a language of the customer UI. Japanese is the source of every
// message and English is written beside it at each call site (T); the
// other languages — those of the largest foreign-resident groups — are
// translated in catalogs keyed by the Japanese (i18n/*.toml, see
// catalogs).
type Lang int

// The languages of the customer UI.
const (
	Japanese Lang = iota
	English
	Chinese // simplified
	Korean
	Portuguese // Brazilian: the largest Portuguese-speaking group in Japan
	Vietnamese
	numLangs
)

// AllLangs are the languages of the customer UI, in the order the
// language list offers them by default.
func AllLangs() []Lang {
	return []Lang{Japanese, English, Chinese, Korean, Portuguese, Vietnamese}
}

// ParseLang reads a language's code: ja, en, zh, ko, pt or vi (an empty
// string is Japanese).
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(s) {
	case "", "ja", "jp", "japanese":
		return Japanese, nil
	case "en", "english":
		return English, nil
	case "zh", "zh-cn", "zh-hans", "chinese":
		return Chinese, nil
	case "ko", "kr", "korean":
		return Korean, nil
	case "pt", "pt-br", "portuguese":
		return Portuguese, nil
	case "vi", "vn", "vietnamese":
		return Vietnamese, nil
	}
	return Japanese, fmt.Errorf("language %q: want one of ja, en, zh, ko, pt, vi", s)
}

// String is the language's code.
func (l Lang) String() string {
	switch l {
	case English:
		return "en"
	case Chinese:
		return "zh"
	case Korean:
		return "ko"
	case Portuguese:
		return "pt"
	case Vietnamese:
		return "vi"
	}
	return "ja"
}

// Name is the language in its own words, as the language list shows it.
func (l Lang) Name() string {
	switch l {
	case English:
		return "English"
	case Chinese:
		return "中文（简体）"
	case Korean:
		return "한국어"
	case Portuguese:
		return "Português"
	case Vietnamese:
		return "Tiếng Việt"
	}
	return "日本語"
}

// readsKanji: place names are shown to this reader as written in Japan
// (神奈川県横浜市), to the others in Latin letters (Yokohama-shi, Kanagawa).
func (l Lang) readsKanji() bool { return l == Japanese || l == Chinese }

// sentenceSep joins two sentences: nothing after 。, a space after ".".
func (l Lang) sentenceSep() string {
	if l.readsKanji() {
		return ""
	}
	return " "
}

// listSep separates the items of a List.
func (l Lang) listSep() string {
	switch l {
	case Japanese:
		return "、"
	case Chinese:
		return "；"
	}
	return "; "
}

// catalogFiles are the translations, one file per language beyond
// Japanese and English: "the Japanese" = "the translation", where a
// Japanese format (Tf) is translated with the same verbs in the same
// order.
//
//go:embed i18n/*.toml
var catalogFiles embed.FS

// catalogs are the translations of every language, by the Japanese.
// loadCatalogs builds them once per Customer; nothing changes them after.
type catalogs struct {
	by [numLangs]map[string]string
}

// loadCatalogs parses the embedded catalogs.
func loadCatalogs() (*catalogs, error) {
	c := &catalogs{}
	for _, l := range AllLangs() {
		if l == Japanese || l == English {
			continue
		}
		name := "i18n/" + l.String() + ".toml"
		b, err := catalogFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		m := map[string]string{}
		if _, err := toml.Decode(string(b), &m); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		c.by[l] = m
	}
	return c, nil
}

// locale is l with its translations.
func (c *catalogs) locale(l Lang) Locale {
	if c == nil || l < 0 || l >= numLangs {
		return Locale{Lang: l}
	}
	return Locale{Lang: l, cat: c.by[l]}
}

// Locale is a language with its catalog: what a Text is rendered in. The
// zero Locale is Japanese.
type Locale struct {
	Lang
	cat map[string]string // the translations; nil for Japanese and English
}

// translate is the catalog's translation of ja.
func (l Locale) translate(ja string) (string, bool) {
	s, ok := l.cat[ja]
	return s, ok
}

// Text is one message of the customer UI: the Japanese, the English, and
// through the catalogs every other language. Build it with T, Tf, Name
// or Cat.
type Text struct {
	JA, EN string

	format bool   // Tf: JA and EN are formats of args
	args   []any  // Tf's arguments; a Text or another localized value is rendered in the reader's language
	parts  []Text // Cat: sentences in a row; List: items
	list   bool   // List
	name   bool   // Name: a proper name, never translated
}

// T is a message: its Japanese, the catalogs' key, and its English.
func T(ja, en string) Text { return Text{JA: ja, EN: en} }

// Tf is a message with values: ja and en are formats (fmt), the
// catalogs translate the Japanese format, and the values are formatted
// in the reader's language when rendered — a Text in its translation, a
// Yen as the reader writes money, a count of pages with its unit.
func Tf(ja, en string, args ...any) Text {
	return Text{JA: ja, EN: en, format: true, args: args}
}

// Name is a proper name (a municipality, a prefecture, an option value
// taken as it is): never translated; readers of kanji (Japanese, Chinese)
// read ja, the others en.
func Name(ja, en string) Text { return Text{JA: ja, EN: en, name: true} }

// Cat is sentences in a row: joined with nothing in Japanese and Chinese,
// with a space in the other languages. Empty parts are left out.
func Cat(parts ...Text) Text {
	keep := nonEmpty(parts)
	switch len(keep) {
	case 0:
		return Text{}
	case 1:
		return keep[0]
	}
	return Text{parts: keep}
}

// List is items in a row: 記載範囲：本人のみ、個人番号：記載しない, or
// "Who is listed: Only me; My Number: Omit". Empty items are left out.
func List(items ...Text) Text {
	keep := nonEmpty(items)
	if len(keep) < 2 {
		return Cat(keep...)
	}
	return Text{parts: keep, list: true}
}

// nonEmpty are the texts that say something.
func nonEmpty(ts []Text) []Text {
	var out []Text
	for _, t := range ts {
		if !t.Empty() {
			out = append(out, t)
		}
	}
	return out
}

// fromTable is a message of the protocol's tables (document names,
// option labels, the center's problems): translated like T, its keys
// checked against the tables rather than the call sites.
func fromTable(ja, en string) Text { return Text{JA: ja, EN: en} }

// In renders the message for a reader of l. A language without a
// translation of the message reads the English rather than the Japanese
// (the completeness test keeps every catalog whole).
func (t Text) In(l Locale) string {
	if t.parts != nil {
		out := make([]string, len(t.parts))
		for i, p := range t.parts {
			out[i] = p.In(l)
		}
		if t.list {
			return strings.Join(out, l.listSep())
		}
		return strings.Join(out, l.sentenceSep())
	}
	if t.name {
		if l.readsKanji() || t.EN == "" {
			return t.JA
		}
		return t.EN
	}
	f := t.pick(l)
	if !t.format {
		return f
	}
	args := make([]any, len(t.args))
	for i, a := range t.args {
		if v, ok := a.(localized); ok {
			args[i] = v.in(l)
		} else {
			args[i] = a
		}
	}
	return fmt.Sprintf(f, args...)
}

// pick is the message (or format) in l's words.
func (t Text) pick(l Locale) string {
	switch l.Lang {
	case Japanese:
		return t.JA
	case English:
	default:
		if s, ok := l.translate(t.JA); ok {
			return s
		}
	}
	if t.EN != "" {
		return t.EN
	}
	return t.JA
}

// in lets a Text be a value of another (Tf).
func (t Text) in(l Locale) string { return t.In(l) }

// Empty reports whether there is nothing to say.
func (t Text) Empty() bool { return t.JA == "" && t.EN == "" && len(t.parts) == 0 }

// localized is a value of a Tf message that is written differently per
// language.
type localized interface{ in(l Locale) string }

// Yen is an amount of money, written as a reader of each language
// expects it: 1,250円, ¥1,250, 1,250日元, 1,250엔, ¥1.250, 1.250 yên.
type Yen int

func (y Yen) in(l Locale) string {
	n := int(y)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	sep := byte(',')
	if l.Lang == Portuguese || l.Lang == Vietnamese {
		sep = '.' // 1.250: the thousands separator of Brazil and Vietnam
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(sep)
		}
		b.WriteRune(r)
	}
	d := b.String()
	switch l.Lang {
	case English, Portuguese:
		return sign + "¥" + d
	case Chinese:
		return sign + d + "日元"
	case Korean:
		return sign + d + "엔"
	case Vietnamese:
		return sign + d + " yên"
	}
	return sign + d + "円"
}

// String is the amount in Japanese.
func (y Yen) String() string { return y.in(Locale{}) }

// valueText is a value alone as a message (a coin key's amount).
func valueText(v localized) Text { return Text{JA: "%s", EN: "%s", format: true, args: []any{v}} }

// yen formats an amount for l (see Yen).
func yen(l Locale, n int) string { return Yen(n).in(l) }

// pageCount is a number of printed sheets with its unit: 2枚, 1 page, 2
// pages, 2页, 2장, 2 páginas, 2 trang.
type pageCount int

func (n pageCount) in(l Locale) string {
	switch l.Lang {
	case English:
		if n == 1 {
			return "1 page"
		}
		return fmt.Sprintf("%d pages", n)
	case Chinese:
		return fmt.Sprintf("%d页", n)
	case Korean:
		return fmt.Sprintf("%d장", n)
	case Portuguese:
		if n == 1 {
			return "1 página"
		}
		return fmt.Sprintf("%d páginas", n)
	case Vietnamese:
		return fmt.Sprintf("%d trang", n)
	}
	return fmt.Sprintf("%d枚", n)
}

func (n pageCount) String() string { return n.in(Locale{}) }

// timeRange is a span of the day, in minutes after midnight: 9:00〜17:00
// in Japanese, 9:00~17:00 in Korean, 9:00–17:00 otherwise.
type timeRange struct{ from, until int }

func (r timeRange) in(l Locale) string {
	dash := "–"
	switch l.Lang {
	case Japanese:
		dash = "〜"
	case Korean:
		dash = "~"
	}
	return fmt.Sprintf("%d:%02d%s%d:%02d", r.from/60, r.from%60, dash, r.until/60, r.until%60)
}

func (r timeRange) String() string { return r.in(Locale{}) }

// valueLabel is the resident's words for an option value of the document
// table.
func valueLabel(key, v string) Text {
	switch v {
	case "self":
		return T("本人のみ", "Only me")
	case "household":
		return T("世帯全員", "Whole household")
	case "members":
		return T("世帯の一部（任意の方）", "Some members")
	case "omit":
		return T("記載しない", "Omit")
	case "include":
		return T("記載する", "Include")
	}
	if key == "year" {
		return Tf("%s年度", "FY%s", v)
	}
	return Name(v, v)
}

// pad right-pads s (which may hold color tags) to width screen cells.
func pad(s string, width int) string {
	if w := tview.TaggedStringWidth(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// esc escapes text that must not be read as color tags.
func esc(s string) string { return tview.Escape(s) }

// Color tags used by the views.
const (
	tagTitle = "[::b]"
	tagWarn  = "[yellow::b]"
	tagError = "[red::b]"
	tagOK    = "[green::b]"
	tagDim   = "[gray]"
	tagSel   = "[black:aqua:b]"
	tagOff   = "[-:-:-]"
)
