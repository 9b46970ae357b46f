// Package cli is the small subcommand dispatcher shared by kofu's binaries:
// a list of commands, usage text, and exit codes (0 ok, 1 failed, 2 usage).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Command is one subcommand. Run returns the process exit code and an
// error to print; a non-nil error with code 0 exits 1.
type Command struct {
	Name, Summary string
	// Usage, for a command that takes a subcommand first (kiosk card
	// info|sign), is its synopsis: `prog NAME --help` prints it. A command
	// without one is run with its help flag and prints its own flags.
	Usage string
	Run   func(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error)
}

// Main dispatches args to the named command and returns the exit code.
// Help asked for (`prog --help`, `prog help [COMMAND]`, `prog COMMAND
// --help`, `-h` or `-help` anywhere before "--") goes to stdout with exit
// 0; usage after a mistake goes to stderr with exit 2.
func Main(ctx context.Context, prog string, cmds []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		Usage(prog, cmds, stderr)
		return 2
	}
	if isHelp(args[0]) || args[0] == "help" {
		if args[0] == "help" && len(args) > 1 {
			return Main(ctx, prog, cmds, []string{args[1], "--help"}, stdout, stderr)
		}
		Usage(prog, cmds, stdout)
		return 0
	}
	for _, c := range cmds {
		if c.Name != args[0] {
			continue
		}
		rest := args[1:]
		help := wantsHelp(rest)
		if help {
			fmt.Fprintf(stdout, "%s %s: %s\n\n", prog, c.Name, c.Summary)
			if c.Usage != "" && (len(rest) == 0 || isHelp(rest[0])) {
				fmt.Fprintln(stdout, c.Usage)
				return 0
			}
			// The command's flag set prints its flags where it writes
			// errors: here, stdout.
			stderr = stdout
		}
		code, err := c.Run(ctx, rest, stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			if help {
				return 0
			}
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", prog, c.Name, err)
			if code == 0 {
				code = 1
			}
		}
		return code
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prog, args[0])
	Usage(prog, cmds, stderr)
	return 2
}

// isHelp reports whether arg is a help flag as the flag package reads it.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" || arg == "--h" }

// wantsHelp reports whether a help flag comes before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

// Usage lists the commands.
func Usage(prog string, cmds []Command, w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags]\n       %s COMMAND --help\n\ncommands:\n", prog, prog)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-8s %s\n", c.Name, c.Summary)
	}
}
