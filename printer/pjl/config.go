package pjl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The answer to @PJL INFO CONFIG, as HP's PJL Technical Reference
// specifies it (Printer Job Language Technical Reference Manual, chapter
// 7 "Status Readback Commands", "CONFIG Category", pp. 7-18 and 7-19):
//
//	@PJL INFO CONFIG<CR><LF>
//	feature[=value][ [<value> feature information]]<CR><LF>
//	[<HT>returned option[ attribute]<CR><LF>]
//	…
//	<FF>
//
// A feature is a name of letters and digits beginning with a letter,
// words separated by spaces ("IN TRAYS", "FONT CARTRIDGE SLOTS", and —
// the reference's own example — "DUPLEX"); a value follows "=" (e.g.
// MEMORY=2097152); a bracket says how many returned options follow and
// of what type ("[3 ENUMERATED]", "[2 RANGE]", "READONLY"); each
// returned option is a line of its own that begins with a horizontal
// tab. "Variables appear in the response only if they are installed in
// the printer": HP's LaserJet 4 lists INTRAY3 only with the lower
// cassette fitted. Other vendors' PJL gives the duplex unit a value and
// lists the values it may take, e.g. Konica Minolta's magicolor answers
//
//	DUPLEX=INSTALLED [2 ENUMERATED]
//		INSTALLED
//		NOTINSTALLED
//
// (quoted in the comment of a CUPS filter for those printers,
// commandtokm). ParseConfig reads that grammar; Config.Duplex says what
// it tells of a duplex unit.

// MaxConfigFeatures bounds the features of one INFO CONFIG answer (a
// LaserJet lists about ten; the answer is at most MaxMessage bytes).
const MaxConfigFeatures = 128

// maxConfigCount bounds the count of a feature's bracket: the number of
// returned options that follow it.
const maxConfigCount = 255

// InfoConfig is the query for the printer's configuration outside any
// job: @PJL INFO CONFIG, then an ECHO of after. A printer answers in
// order, so the echo coming back without an INFO CONFIG answer before it
// means the printer will not answer one (many PJL printers do not know
// the category): no need to wait for a timeout. No ECHO goes before the
// question: an INFO CONFIG answer is only ever solicited, so whichever
// arrives is this printer's configuration, and a printer that ignores
// ECHO still gets its answer read.
func InfoConfig(after string) []byte {
	b := append([]byte(UEL), fmt.Sprintf("@PJL\r\n@PJL INFO CONFIG\r\n@PJL ECHO %s\r\n", after)...)
	return append(b, UEL...)
}

// Config is a printer's answer to @PJL INFO CONFIG: its features in the
// order given.
type Config struct {
	Features []Feature
}

// Feature is one feature of an INFO CONFIG answer.
type Feature struct {
	Name    string   // upper case, words separated by one space: "IN TRAYS", "DUPLEX"
	Value   string   // after "=", as given; "" without one
	Count   int      // the bracket's count of returned options (0 without a bracket)
	Info    string   // the bracket's feature information, upper case: "ENUMERATED", "RANGE"; "" without a bracket
	Options []string // the returned options that follow, tab and spaces trimmed
}

// DuplexUnit is what an INFO CONFIG answer says of a duplex unit.
type DuplexUnit int

// What an answer may say.
const (
	// DuplexUnsaid: the answer names no duplex feature, or one with a
	// value this parser does not know (DUPLEX=OFF is a setting, not a
	// unit). Whether the printer prints both sides is then the site's to
	// say (the no-duplex quirk).
	DuplexUnsaid DuplexUnit = iota
	// DuplexInstalled: a DUPLEX (or DUPLEX UNIT) feature is listed
	// without a value — listed features are installed ones — or with
	// the value INSTALLED.
	DuplexInstalled
	// DuplexNotInstalled: DUPLEX=NOTINSTALLED.
	DuplexNotInstalled
)

func (d DuplexUnit) String() string {
	switch d {
	case DuplexInstalled:
		return "installed"
	case DuplexNotInstalled:
		return "not installed"
	}
	return "unsaid"
}

// duplexNames are the feature names that speak of a duplex unit.
func duplexNames() []string { return []string{"DUPLEX", "DUPLEX UNIT"} }

// Duplex says what the answer tells of a duplex unit, and the feature
// that tells it (nil when unsaid). ParseConfig has refused an answer in
// which two duplex features disagree.
func (c Config) Duplex() (DuplexUnit, *Feature) {
	for i := range c.Features {
		f := &c.Features[i]
		if d := f.duplex(); d != DuplexUnsaid {
			return d, f
		}
	}
	return DuplexUnsaid, nil
}

// duplex is what one feature says of the duplex unit.
func (f *Feature) duplex() DuplexUnit {
	isDuplex := false
	for _, n := range duplexNames() {
		isDuplex = isDuplex || f.Name == n
	}
	if !isDuplex {
		return DuplexUnsaid
	}
	switch strings.ToUpper(f.Value) {
	case "", "INSTALLED":
		return DuplexInstalled
	case "NOTINSTALLED":
		return DuplexNotInstalled
	}
	return DuplexUnsaid
}

// String spells the feature as a printer would (without the line end):
// the feature line, then each returned option on a line of its own
// after a tab.
func (f Feature) String() string {
	var b strings.Builder
	b.WriteString(f.Name)
	if f.Value != "" {
		b.WriteString("=" + f.Value)
	}
	if f.Info != "" {
		fmt.Fprintf(&b, " [%d %s]", f.Count, f.Info)
	}
	for _, o := range f.Options {
		b.WriteString("\n\t" + o)
	}
	return b.String()
}

// String spells the answer's body as a printer would, LF line ends:
// ParseConfig reads it back to the same Config.
func (c Config) String() string {
	var b strings.Builder
	for _, f := range c.Features {
		b.WriteString(f.String() + "\n")
	}
	return b.String()
}

// ErrConfig is the sentinel of every malformed INFO CONFIG answer
// (errors.Is on a *ConfigError).
var ErrConfig = errors.New("pjl: malformed INFO CONFIG answer")

// ConfigError is a malformed INFO CONFIG answer: what is wrong, and
// where. A printer whose answer is malformed has said nothing kofu can
// rely on: the caller treats its duplex unit as unsaid.
type ConfigError struct {
	Line   int    // 1-based line of the answer's body; 0 for the answer as a whole
	Text   string // the line, cut to 40 bytes
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("pjl: malformed INFO CONFIG answer: %s", e.Reason)
	}
	return fmt.Sprintf("pjl: malformed INFO CONFIG answer, line %d %q: %s", e.Line, e.Text, e.Reason)
}

// Unwrap makes a *ConfigError match ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// ParseConfig reads the body of an INFO CONFIG answer (the lines after
// "@PJL INFO CONFIG", as Message.Body holds them; CR and LF line ends
// alike). It is strict, so that a garbled or hostile answer says
// nothing rather than something wrong: every byte printable ASCII or a
// tab; a feature line a name (a letter first, then letters, digits,
// spaces, '-', '_', '.', ':'), an optional "=value" (printable, no
// brackets or "="), an optional bracket "[count information]" with a
// decimal count up to 255 and information in letters; returned options
// (lines beginning with a tab or spaces) only after a feature with a
// bracket, exactly as many as its count; no feature twice; at most
// MaxConfigFeatures features and MaxMessage bytes. A body of blank lines
// is a valid answer with no features. Every refusal is a *ConfigError.
func ParseConfig(body string) (Config, error) {
	if len(body) > MaxMessage {
		return Config{}, &ConfigError{Reason: fmt.Sprintf("%d bytes, more than %d", len(body), MaxMessage)}
	}
	var c Config
	var cur *Feature // the feature whose returned options follow
	seen := map[string]bool{}
	closeFeature := func(line int, text string) error {
		if cur != nil && len(cur.Options) != cur.Count {
			return &ConfigError{Line: line, Text: cut(text), Reason: fmt.Sprintf("feature %q announces %d returned options, %d given", cur.Name, cur.Count, len(cur.Options))}
		}
		cur = nil
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for i, l := range lines {
		n := i + 1
		for k := 0; k < len(l); k++ {
			if b := l[k]; (b < 0x20 || b > 0x7e) && b != '\t' {
				return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: fmt.Sprintf("byte 0x%02x at %d: not printable ASCII", b, k+1)}
			}
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		if l[0] == '\t' || l[0] == ' ' {
			opt := strings.TrimSpace(l)
			switch {
			case cur == nil && len(c.Features) == 0:
				return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: "a returned option before any feature"}
			case cur == nil:
				return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: fmt.Sprintf("a returned option after feature %q, which announces none", c.Features[len(c.Features)-1].Name)}
			case len(cur.Options) == cur.Count:
				return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: fmt.Sprintf("feature %q announces %d returned options, more follow", cur.Name, cur.Count)}
			}
			cur.Options = append(cur.Options, opt)
			continue
		}
		if err := closeFeature(n, l); err != nil {
			return Config{}, err
		}
		f, err := parseFeature(l)
		if err != nil {
			return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: err.Error()}
		}
		if seen[f.Name] {
			return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: fmt.Sprintf("feature %q given twice", f.Name)}
		}
		seen[f.Name] = true
		if len(c.Features) == MaxConfigFeatures {
			return Config{}, &ConfigError{Line: n, Text: cut(l), Reason: fmt.Sprintf("more than %d features", MaxConfigFeatures)}
		}
		c.Features = append(c.Features, f)
		if f.Info != "" && f.Count > 0 {
			cur = &c.Features[len(c.Features)-1]
		}
	}
	if err := closeFeature(len(lines), ""); err != nil {
		return Config{}, err
	}
	// Two duplex features that disagree (DUPLEX and DUPLEX UNIT, one
	// installed and one not) say nothing.
	first := DuplexUnsaid
	for _, f := range c.Features {
		d := f.duplex()
		if d == DuplexUnsaid {
			continue
		}
		if first != DuplexUnsaid && d != first {
			return Config{}, &ConfigError{Reason: fmt.Sprintf("duplex features disagree: %s and %q", first, f.Name+"="+f.Value)}
		}
		first = d
	}
	return c, nil
}

// parseFeature reads one feature line: name[=value][ [count info]].
func parseFeature(l string) (Feature, error) {
	var f Feature
	head, bracket, hasBracket := strings.Cut(l, "[")
	if hasBracket {
		inside, ok := strings.CutSuffix(strings.TrimRight(bracket, " "), "]")
		if !ok || strings.ContainsAny(inside, "[]") {
			return f, errors.New("a bracket not closed at the line's end")
		}
		words := strings.Fields(inside)
		if len(words) < 2 {
			return f, errors.New("a bracket without a count and its information")
		}
		count, err := strconv.Atoi(words[0])
		if err != nil || count < 0 || count > maxConfigCount || words[0] != strconv.Itoa(count) {
			return f, fmt.Errorf("bracket count %q: want a decimal 0..%d", words[0], maxConfigCount)
		}
		for _, w := range words[1:] {
			if !isWord(w, false) {
				return f, fmt.Errorf("bracket information %q: want letters", w)
			}
		}
		f.Count, f.Info = count, strings.ToUpper(strings.Join(words[1:], " "))
	}
	name, value, hasValue := strings.Cut(strings.TrimRight(head, " \t"), "=")
	if hasValue {
		value = strings.TrimSpace(value)
		if value == "" || strings.ContainsAny(value, "=]") {
			return f, fmt.Errorf("value %q: want printable text without '=' or brackets", value)
		}
		f.Value = value
		name = strings.TrimRight(name, " \t")
	}
	words := strings.Fields(name)
	if len(words) == 0 {
		return f, errors.New("a feature without a name")
	}
	for i, w := range words {
		if !isWord(w, true) || (i == 0 && !isLetter(w[0])) {
			return f, fmt.Errorf("feature name %q: want a letter first, then letters, digits or any of \"-_.:\"", name)
		}
	}
	f.Name = strings.ToUpper(strings.Join(words, " "))
	return f, nil
}

func isLetter(b byte) bool { return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') }

// isWord: letters only, or, for a feature name, letters, digits and
// - _ . : as well.
func isWord(w string, name bool) bool {
	for k := 0; k < len(w); k++ {
		b := w[k]
		if isLetter(b) || (name && ((b >= '0' && b <= '9') || strings.IndexByte("-_.:", b) >= 0)) {
			continue
		}
		return false
	}
	return w != ""
}

// cut shortens a line for an error message.
func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
