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
		{Name: "helpless", Run: func(context.Context, []string, io.Writer, io.Writer) (int, error) { return 2, flag.ErrHelp }},
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage: prog"},
		{[]string{"--help"}, 0, ""},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"ok"}, 0, ""},
		{[]string{"no"}, 1, ""},
		{[]string{"err"}, 1, "prog err: boom"},
		{[]string{"usage"}, 2, "prog usage: bad flag"},
		{[]string{"helpless"}, 2, ""}, // ErrHelp that nobody asked for: a usage error
	}
	for _, tc := range cases {
		var out, errw bytes.Buffer
		code := Main(context.Background(), "prog", cmds, tc.args, &out, &errw)
		if code != tc.code || !strings.Contains(errw.String(), tc.stderr) {
			t.Errorf("%v: code %d stderr %q, want %d containing %q", tc.args, code, errw.String(), tc.code, tc.stderr)
		}
	}
}

// TestHelp: help that was asked for goes to stdout with exit 0, in every
// form; a command's own flag listing comes out there too.
func TestHelp(t *testing.T) {
	flagged := func(_ context.Context, args []string, _, stderr io.Writer) (int, error) {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.String("doc", "juminhyo", "document type")
		if err := fs.Parse(args); err != nil {
			return 2, err
		}
		if fs.NArg() > 0 {
			return 2, errors.New("unexpected arguments")
		}
		return 0, nil
	}
	sub := func(_ context.Context, args []string, stdout, stderr io.Writer) (int, error) {
		if len(args) == 0 || args[0] != "info" {
			return 2, errors.New("want a subcommand: info")
		}
		return flagged(context.Background(), args[1:], stdout, stderr)
	}
	cmds := []Command{
		{Name: "run", Summary: "run it", Run: flagged},
		{Name: "card", Summary: "card checks", Usage: "usage: prog card info [--doc D]", Run: sub},
	}
	for _, tc := range []struct {
		args         []string
		code         int
		stdout       string
		stderrLength int // 0: nothing on stderr
	}{
		{[]string{"--help"}, 0, "commands:", 0},
		{[]string{"-h"}, 0, "commands:", 0},
		{[]string{"help"}, 0, "commands:", 0},
		{[]string{"help", "run"}, 0, "-doc", 0},
		{[]string{"run", "--help"}, 0, "-doc", 0},
		{[]string{"run", "--doc", "x", "-h"}, 0, "-doc", 0},
		{[]string{"card", "--help"}, 0, "usage: prog card info", 0},
		{[]string{"card", "info", "--help"}, 0, "-doc", 0},
		{[]string{"run", "--", "--help"}, 2, "", 1}, // after "--" it is an argument
		{[]string{"run", "--bogus"}, 2, "", 1},
	} {
		var out, errw bytes.Buffer
		code := Main(context.Background(), "prog", cmds, tc.args, &out, &errw)
		if code != tc.code || !strings.Contains(out.String(), tc.stdout) || (errw.Len() == 0) != (tc.stderrLength == 0) {
			t.Errorf("%v: code %d stdout %q stderr %q; want %d, stdout containing %q", tc.args, code, out.String(), errw.String(), tc.code, tc.stdout)
		}
	}
}
