package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"kofu/terminal/config"
)

// runConfig is `kiosk config check --config FILE`: parse, validate and
// load every file the configuration names; print each problem on a line.
func runConfig(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "check" {
		return 2, errors.New("usage: kiosk config check --config FILE")
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "/etc/kofu/kiosk.toml", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	c, err := config.Load(*path)
	if err == nil {
		_, err = c.LoadTrust()
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stdout, "%s: %s\n", *path, line)
		}
		return 1, nil
	}
	fmt.Fprintf(stdout, "%s: ok (terminal %s, store %s, center %s, printer %s, profile %s)\n", *path,
		c.Terminal.ID, c.Terminal.Store, c.Center.URL, c.Printer.Spec, c.Profile.Name)
	return 0, ctx.Err()
}
