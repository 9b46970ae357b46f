package pjl

import "strings"

// Command is one "@PJL" command line as a printer reads it: the verb and
// its modifiers, upper case, and NAME=VALUE options (values unquoted).
type Command struct {
	Verb    string   // ECHO, JOB, EOJ, USTATUS, INFO, ENTER, SET…; "" for "@PJL" alone
	Words   []string // the words after the verb that are not options
	Options map[string]string
	Text    string // for ECHO and COMMENT: the rest of the line
}

// ParseCommand parses one command line (without its line ending). ok is
// false if the line does not start with "@PJL".
func ParseCommand(line string) (Command, bool) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "@PJL") {
		return Command{}, false
	}
	rest := strings.TrimSpace(line[len("@PJL"):])
	var c Command
	verb, after, _ := strings.Cut(rest, " ")
	c.Verb = strings.ToUpper(verb)
	if c.Verb == "ECHO" || c.Verb == "COMMENT" {
		c.Text = strings.TrimSpace(after)
		return c, true
	}
	for s := strings.TrimSpace(after); s != ""; s = strings.TrimSpace(s) {
		// NAME = "quoted value" | NAME = value | WORD
		var tok string
		tok, s = splitToken(s)
		if strings.HasPrefix(strings.TrimSpace(s), "=") {
			s = strings.TrimSpace(strings.TrimSpace(s)[1:])
			var val string
			if strings.HasPrefix(s, `"`) {
				end := strings.IndexByte(s[1:], '"')
				if end < 0 {
					val, s = s[1:], ""
				} else {
					val, s = s[1:end+1], s[end+2:]
				}
			} else {
				val, s = splitToken(s)
			}
			if c.Options == nil {
				c.Options = map[string]string{}
			}
			c.Options[strings.ToUpper(tok)] = val
			continue
		}
		c.Words = append(c.Words, strings.ToUpper(tok))
	}
	return c, true
}

func splitToken(s string) (tok, rest string) {
	i := strings.IndexAny(s, " \t=")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}
