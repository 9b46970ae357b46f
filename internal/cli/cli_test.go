package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestMain_ExitCodes(t *testing.T) {
	cmds := []Command{
		{Name: "ok", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 0, nil }},
		{Name: "no", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 1, nil }},
		{Name: "err", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 0, errors.New("boom") }},
		{Name: "usage", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 2, errors.New("bad flag") }},
		{Name: "help", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 2, flag.ErrHelp }},
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage: prog"},
		{[]string{"--help"}, 2, "commands:"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"ok"}, 0, ""},
		{[]string{"no"}, 1, ""},
		{[]string{"err"}, 1, "prog err: boom"},
		{[]string{"usage"}, 2, "prog usage: bad flag"},
		{[]string{"help"}, 2, ""},
	}
	for _, tc := range cases {
		var out, errw bytes.Buffer
		code := Main(context.Background(), "prog", cmds, tc.args, &out, &errw)
		if code != tc.code || !strings.Contains(errw.String(), tc.stderr) {
			t.Errorf("%v: code %d stderr %q, want %d containing %q", tc.args, code, errw.String(), tc.code, tc.stderr)
		}
	}
}
