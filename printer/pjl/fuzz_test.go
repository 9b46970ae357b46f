package pjl

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzReadback: the parser never panics, keeps a bounded buffer, gives the
// same messages however the stream is split, and a Tracker fed garbage
// never calls a job printed without its ECHO and END.
func FuzzReadback(f *testing.F) {
	f.Add([]byte(echoMsg+readyMsg+startMsg+endMsg), uint16(7))
	f.Add([]byte("junk\x00@PJL USTATUS JOB\r\nEND\r\nNAME=\"kofu-previous\"\r\n"+echoMsg+endMsg), uint16(40))
	f.Add([]byte("@PJL USTATUS DEVICE\nCODE=41101\n\f@PJL INFO STATUS\r\nCODE=10001\r\n\f"), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		var whole Parser
		all := whole.Feed(data)
		if len(whole.buf) > MaxMessage+len(data) {
			t.Fatalf("buffer grew to %d", len(whole.buf))
		}
		c := int(cut) % (len(data) + 1)
		var split Parser
		parts := append(split.Feed(data[:c]), split.Feed(data[c:])...)
		if !reflect.DeepEqual(all, parts) {
			t.Fatalf("split at %d changes the messages:\n%+v\n%+v", c, all, parts)
		}
		tr := NewTracker(testJob, 2)
		sawEcho, sawEnd := false, false
		for _, m := range all {
			v := tr.Observe(m)
			if m.Kind == KindEcho && m.Text == testJob.Echo {
				sawEcho = true
			}
			if m.Kind == KindUStatus && m.Fields["NAME"] == testJob.Name && m.Has("END") {
				sawEnd = true
			}
			if v.State == Printed && !(sawEcho && sawEnd && v.Fault == nil && v.Pages >= 2) {
				t.Fatalf("printed without echo/end/pages: %+v", v)
			}
		}
	})
}

// FuzzParseCommand: the emulated printer's command parser accepts exactly
// the lines that start with "@PJL", ends on every line, upper-cases verb,
// words and option names, and reads back the job kofu's own header and
// footer name.
func FuzzParseCommand(f *testing.F) {
	for _, l := range jobLines(testJob) {
		f.Add(l)
	}
	f.Add(`@PJL SET COPIES = 2 PAPER=A4 "x`)
	f.Add("@PJL =")
	f.Add("")
	f.Fuzz(func(t *testing.T, line string) {
		c, ok := ParseCommand(line)
		if ok != strings.HasPrefix(line, "@PJL") {
			t.Fatalf("%q: ok %v", line, ok)
		}
		if !ok {
			if !reflect.DeepEqual(c, Command{}) {
				t.Fatalf("%q: command %+v without ok", line, c)
			}
			return
		}
		if c.Verb != strings.ToUpper(c.Verb) || strings.Contains(c.Verb, " ") {
			t.Fatalf("%q: verb %q", line, c.Verb)
		}
		for _, w := range c.Words {
			if w != strings.ToUpper(w) || w == "" {
				t.Fatalf("%q: word %q", line, w)
			}
		}
		for k := range c.Options {
			if k != strings.ToUpper(k) {
				t.Fatalf("%q: option %q", line, k)
			}
		}
		if c.Text != strings.TrimSpace(c.Text) {
			t.Fatalf("%q: text %q", line, c.Text)
		}
	})
}

// jobLines are the command lines of j's header and footer, without UEL.
func jobLines(j Job) []string {
	text := strings.ReplaceAll(string(j.Header())+string(j.Footer()), UEL, "")
	return strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
}

// TestJobLinesParse: kofu's own job header and footer read back as the
// commands they are, as the emulated printer parses them.
func TestJobLinesParse(t *testing.T) {
	names := 0
	for _, l := range jobLines(testJob) {
		c, ok := ParseCommand(l)
		if !ok {
			t.Fatalf("%q not a command", l)
		}
		switch c.Verb {
		case "JOB", "EOJ":
			if c.Options["NAME"] != testJob.Name {
				t.Fatalf("%q: name %q", l, c.Options["NAME"])
			}
			names++
		case "ECHO":
			if c.Text != testJob.Echo {
				t.Fatalf("%q: echo %q", l, c.Text)
			}
		}
	}
	if names != 2 {
		t.Fatalf("%d named commands", names)
	}
}
