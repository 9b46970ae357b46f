package pjl

import (
	"bytes"
	"strconv"
	"strings"
)

// Kind is the kind of a readback message, from its first line.
type Kind int

// Readback message kinds.
const (
	KindOther   Kind = iota
	KindEcho         // @PJL ECHO text
	KindInfo         // @PJL INFO category (solicited)
	KindUStatus      // @PJL USTATUS category (unsolicited)
)

// Message is one readback message: "@PJL …" lines ended by a form feed.
type Message struct {
	Kind     Kind
	Category string            // INFO/USTATUS category, upper case: STATUS, DEVICE, JOB, PAGE…
	Text     string            // ECHO text
	Words    []string          // bare lines, upper case: START, END, page numbers
	Fields   map[string]string // KEY=VALUE lines, keys upper case, quotes removed
	// Body is, for a solicited INFO answer, the lines after the first as
	// the printer sent them (CR removed, LF ends kept, nothing trimmed):
	// an INFO CONFIG answer's structure — features, and the tab-indented
	// options that belong to each — is in the layout that Words and
	// Fields do not keep (ParseConfig reads it). Empty for other kinds.
	Body string
}

// Field returns a field's value.
func (m *Message) Field(key string) (string, bool) {
	v, ok := m.Fields[key]
	return v, ok
}

// Code returns the CODE field, if it is a number.
func (m *Message) Code() (int, bool) {
	v, ok := m.Fields["CODE"]
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

// Has reports whether the bare word w (upper case) is present.
func (m *Message) Has(w string) bool {
	for _, x := range m.Words {
		if x == w {
			return true
		}
	}
	return false
}

// MaxMessage bounds one message; a longer run without a form feed is
// garbage and is dropped.
const MaxMessage = 4096

// Parser splits a readback byte stream into messages. Bytes before a
// message's "@PJL" are garbage and skipped; a message ends at a form feed;
// a message interrupted by a new "@PJL" is truncated and dropped, as is one that grows past MaxMessage. Feed may be called with
// any split of the stream. The zero value is ready to use.
type Parser struct {
	buf []byte
}

var pjlPrefix = []byte("@PJL")

// Feed consumes p and returns the complete messages it ends.
func (ps *Parser) Feed(p []byte) []Message {
	ps.buf = append(ps.buf, p...)
	var out []Message
	for {
		i := bytes.Index(ps.buf, pjlPrefix)
		if i < 0 {
			// Keep a possible prefix of "@PJL" at the end.
			ps.keepTail(len(pjlPrefix) - 1)
			return out
		}
		ps.buf = ps.buf[i:]
		ff := bytes.IndexByte(ps.buf, '\f')
		// Another "@PJL" before the form feed means this message was cut
		// short: drop it and start at the new one.
		next := bytes.Index(ps.buf[1:], pjlPrefix)
		if next >= 0 && (ff < 0 || next+1 < ff) {
			ps.buf = ps.buf[next+1:]
			continue
		}
		if ff < 0 {
			if len(ps.buf) > MaxMessage {
				ps.buf = ps.buf[1:] // drop this "@PJL"; rescan
				continue
			}
			return out
		}
		if ff <= MaxMessage {
			if m, ok := parseMessage(ps.buf[:ff]); ok {
				out = append(out, m)
			}
		}
		ps.buf = ps.buf[ff+1:]
	}
}

// keepTail drops all but the last n bytes of the buffer.
func (ps *Parser) keepTail(n int) {
	if len(ps.buf) > n {
		ps.buf = append(ps.buf[:0], ps.buf[len(ps.buf)-n:]...)
	}
}

// parseMessage parses the text of one message (without its form feed).
func parseMessage(b []byte) (Message, bool) {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r", ""), "\n")
	head := strings.Fields(lines[0])
	if len(head) == 0 || head[0] != "@PJL" {
		return Message{}, false
	}
	var m Message
	if len(head) >= 2 {
		switch strings.ToUpper(head[1]) {
		case "ECHO":
			m.Kind = KindEcho
			rest := strings.TrimSpace(lines[0])
			rest = strings.TrimSpace(rest[len("@PJL"):])
			m.Text = strings.TrimSpace(rest[len("ECHO"):])
		case "INFO":
			m.Kind = KindInfo
		case "USTATUS":
			m.Kind = KindUStatus
		}
		if (m.Kind == KindInfo || m.Kind == KindUStatus) && len(head) >= 3 {
			m.Category = strings.ToUpper(head[2])
		}
	}
	if m.Kind == KindInfo {
		m.Body = strings.Join(lines[1:], "\n")
	}
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			m.Words = append(m.Words, strings.ToUpper(l))
			continue
		}
		if m.Fields == nil {
			m.Fields = map[string]string{}
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		m.Fields[strings.ToUpper(strings.TrimSpace(k))] = v
	}
	return m, true
}
