package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"kofu/internal/buildinfo"
	"kofu/terminal/config"
)

// runConfig is `kiosk config check --config FILE`: parse, validate and
// load every file the configuration names; print each problem on a line,
// or the "sw" (build and configuration digest) the kiosk will send.
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
	var t *config.Trust
	if err == nil {
		t, err = c.LoadTrust()
		err = errors.Join(err, c.CheckKeyModes()) // key files readable by other users
		if c.UI.Municipalities != "" {
			if _, merr := config.LoadMunicipalities(c.UI.Municipalities); merr != nil {
				err = errors.Join(err, merr)
			}
		}
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stdout, "%s: %s\n", *path, line)
		}
		return 1, nil
	}
	fmt.Fprintf(stdout, "%s: ok (terminal %s, store %s, center %s, printer %s, profile %s)\n", *path,
		c.Terminal.ID, c.Terminal.Store, c.Center.URL, c.Printer.Spec, c.Profile.Name)
	// The identity the kiosk will send: the operator attests this exact
	// string to the center (its accepted builds).
	fmt.Fprintf(stdout, "%s: sw %s\n", *path, buildinfo.Attested(buildinfo.SW(), c.Digest(t)))
	return 0, ctx.Err()
}
