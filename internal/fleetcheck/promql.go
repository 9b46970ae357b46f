package fleetcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// Matcher is one label matcher of a selector: Label Op "Value", Op one of
// = != =~ !~.
type Matcher struct {
	Label, Op, Value string
}

// Selector is a vector selector: a metric name and its matchers. A
// selector written {__name__="x"} has Name x.
type Selector struct {
	Name     string
	Matchers []Matcher
}

// Uses is what a PromQL expression reads and names.
type Uses struct {
	Selectors []Selector
	// Labels are the label names the expression relies on besides its
	// matchers: by, without, on, ignoring, group_left and group_right
	// lists, and the source labels of label_replace and label_join.
	Labels []string
	// Derived are the labels the expression makes: the destination of
	// label_replace and label_join, the label of count_values.
	Derived []string
}

// token kinds.
const (
	tIdent = iota
	tString
	tNumber // numbers and durations
	tPunct  // ( ) { } , and operators
	tRange  // a whole [...] range or subquery
)

type token struct {
	kind int
	text string // strings: the unquoted value
	pos  int
}

// lex splits a PromQL expression into tokens. It knows PromQL's strings
// (three quotes, Go escapes), numbers and durations, identifiers (metric
// names may hold colons), comments, and skips a [...] range as one token.
func lex(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			raw := s[i : j+1]
			v := raw[1 : len(raw)-1]
			if c != '`' {
				q := raw
				if c == '\'' { // strconv knows double quotes only
					q = `"` + strings.ReplaceAll(strings.ReplaceAll(v, `\'`, `'`), `"`, `\"`) + `"`
				}
				u, err := strconv.Unquote(q)
				if err != nil {
					return nil, fmt.Errorf("bad string %s at %d: %v", raw, i, err)
				}
				v = u
			}
			out = append(out, token{tString, v, i})
			i = j + 1
		case c == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ at %d", i)
			}
			out = append(out, token{tRange, s[i : i+j+1], i})
			i += j + 1
		case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || isLetter(s[j]) ||
				((s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E') && !strings.ContainsAny(s[i:j], "xX"))) {
				j++
			}
			out = append(out, token{tNumber, s[i:j], i})
			i = j
		case isLetter(c) || c == '_' || c == ':':
			j := i
			for j < len(s) && (isLetter(s[j]) || isDigit(s[j]) || s[j] == '_' || s[j] == ':') {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		default:
			n := 1
			if i+1 < len(s) {
				switch s[i : i+2] {
				case "==", "!=", ">=", "<=", "=~", "!~":
					n = 2
				}
			}
			op := s[i : i+n]
			if !strings.Contains("(){},=!~<>+-*/%^@", op[:1]) || op == "!" || op == "~" {
				return nil, fmt.Errorf("unexpected %q at %d", op, i)
			}
			out = append(out, token{tPunct, op, i})
			i += n
		}
	}
	return out, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// keywords are identifiers that are not metric names when no parenthesis
// follows them: binary set operators and modifiers, and the literals.
var keywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true,
}

// aggregations are the aggregation operators: their names are never
// metric names, with or without a by/without clause before the "(".
var aggregations = map[string]bool{"sum": true, "min": true, "max": true, "avg": true, "group": true,
	"stddev": true, "stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true,
	"quantile": true, "limitk": true, "limit_ratio": true}

// labelLists are the keywords followed by a list of label names.
var labelLists = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true}

// Parse finds the selectors and label names a PromQL expression uses. It
// checks the nesting of brackets and the shape of matchers; the full
// grammar is promtool's to check.
func Parse(expr string) (Uses, error) {
	toks, err := lex(expr)
	if err != nil {
		return Uses{}, err
	}
	var u Uses
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func(k int) *token {
			if i+k < len(toks) {
				return &toks[i+k]
			}
			return nil
		}
		switch {
		case t.kind == tPunct && t.text == "(":
			depth++
		case t.kind == tPunct && t.text == ")":
			depth--
			if depth < 0 {
				return Uses{}, fmt.Errorf("unbalanced ) at %d", t.pos)
			}
		case t.kind == tPunct && t.text == "{":
			sel, n, err := matchers(toks[i:])
			if err != nil {
				return Uses{}, err
			}
			u.Selectors = append(u.Selectors, sel)
			i += n - 1
		case t.kind == tPunct && t.text == "}":
			return Uses{}, fmt.Errorf("unbalanced } at %d", t.pos)
		case t.kind == tIdent && labelLists[strings.ToLower(t.text)]:
			if n := next(1); n == nil || n.kind != tPunct || n.text != "(" {
				continue // group_left without a list
			}
			j := i + 2
			for ; j < len(toks) && !(toks[j].kind == tPunct && toks[j].text == ")"); j++ {
				switch {
				case toks[j].kind == tIdent || toks[j].kind == tString:
					u.Labels = append(u.Labels, toks[j].text)
				case toks[j].kind == tPunct && toks[j].text == ",":
				default:
					return Uses{}, fmt.Errorf("%s list: unexpected %q at %d", t.text, toks[j].text, toks[j].pos)
				}
			}
			if j == len(toks) {
				return Uses{}, fmt.Errorf("unterminated %s list at %d", t.text, t.pos)
			}
			i = j
		case t.kind == tIdent:
			if n := next(1); n != nil && n.kind == tPunct && n.text == "(" {
				labelArgs(&u, strings.ToLower(t.text), toks[i+1:])
				continue // a function or an aggregation: its arguments follow
			}
			if keywords[strings.ToLower(t.text)] || aggregations[strings.ToLower(t.text)] {
				continue
			}
			if n := next(1); n != nil && n.kind == tPunct && n.text == "{" {
				sel, k, err := matchers(toks[i+1:])
				if err != nil {
					return Uses{}, err
				}
				sel.Name = t.text
				u.Selectors = append(u.Selectors, sel)
				i += k
				continue
			}
			u.Selectors = append(u.Selectors, Selector{Name: t.text})
		}
	}
	if depth != 0 {
		return Uses{}, fmt.Errorf("unbalanced (")
	}
	return u, nil
}

// matchers parses {l="v", …} at the start of toks; it returns the
// selector (named by a __name__= matcher, if any) and the tokens used.
func matchers(toks []token) (Selector, int, error) {
	var sel Selector
	i := 1
	for {
		if i >= len(toks) {
			return sel, 0, fmt.Errorf("unterminated { at %d", toks[0].pos)
		}
		if toks[i].kind == tPunct && toks[i].text == "}" {
			return sel, i + 1, nil
		}
		if i+2 >= len(toks) || (toks[i].kind != tIdent && toks[i].kind != tString) || toks[i+1].kind != tPunct || toks[i+2].kind != tString {
			return sel, 0, fmt.Errorf("bad matcher at %d", toks[i].pos)
		}
		m := Matcher{Label: toks[i].text, Op: toks[i+1].text, Value: toks[i+2].text}
		switch m.Op {
		case "=", "!=", "=~", "!~":
		default:
			return sel, 0, fmt.Errorf("bad matcher operator %q at %d", m.Op, toks[i+1].pos)
		}
		if m.Label == "__name__" && m.Op == "=" {
			sel.Name = m.Value
		} else {
			sel.Matchers = append(sel.Matchers, m)
		}
		i += 3
		if i < len(toks) && toks[i].kind == tPunct && toks[i].text == "," {
			i++
		}
	}
}

// labelArgs records the label names among a function's string arguments:
// label_replace(v, dst, replacement, src, regex), label_join(v, dst,
// separator, src…), count_values(label, v). toks starts at the "(".
func labelArgs(u *Uses, fn string, toks []token) {
	var args []string // the string arguments at the call's own depth, by position
	var pos []int
	depth, arg := 0, 0
	for _, t := range toks {
		if t.kind == tPunct {
			switch t.text {
			case "(", "{":
				depth++
			case ")", "}":
				depth--
			case ",":
				if depth == 1 {
					arg++
				}
			}
		}
		if depth == 0 {
			break
		}
		if depth == 1 && t.kind == tString {
			args, pos = append(args, t.text), append(pos, arg)
		}
	}
	for k, a := range args {
		switch {
		case fn == "label_replace" && pos[k] == 1, fn == "label_join" && pos[k] == 1, fn == "count_values" && pos[k] == 0:
			u.Derived = append(u.Derived, a)
		case fn == "label_replace" && pos[k] == 3, fn == "label_join" && pos[k] >= 3:
			u.Labels = append(u.Labels, a)
		}
	}
}
