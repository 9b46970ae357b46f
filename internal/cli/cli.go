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
	Run           func(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error)
}

// Main dispatches args to the named command and returns the exit code.
func Main(ctx context.Context, prog string, cmds []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		Usage(prog, cmds, stderr)
		return 2
	}
	for _, c := range cmds {
		if c.Name != args[0] {
			continue
		}
		code, err := c.Run(ctx, args[1:], stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
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

// Usage lists the commands.
func Usage(prog string, cmds []Command, w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags]\n\ncommands:\n", prog)
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-8s %s\n", c.Name, c.Summary)
	}
}
