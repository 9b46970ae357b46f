package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"kofu/protocol"
	"kofu/terminal/config"
)

// detect finds on this machine what a deployment profile is checked
// against: the printer's kind and device ID, the card readers, and the
// addresses the center's host resolves to.
func detect(ctx context.Context, printerSpec string, id protocol.PrinterID, readers []string, centerURL string) (config.Detected, error) {
	d := config.Detected{PrinterKind: config.PrinterKind(printerSpec), PrinterMFG: id.MFG, PrinterMDL: id.MDL,
		Readers: readers}
	u, err := url.Parse(centerURL)
	if err != nil {
		return d, fmt.Errorf("center url %q: %w", centerURL, err)
	}
	d.CenterHost = u.Hostname()
	if ip := net.ParseIP(d.CenterHost); ip != nil {
		d.CenterAddrs = []string{ip.String()}
		return d, nil
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d.CenterAddrs, err = net.DefaultResolver.LookupHost(rctx, d.CenterHost)
	if err != nil {
		return d, fmt.Errorf("center: cannot resolve %s to count its endpoints: %w", d.CenterHost, err)
	}
	return d, nil
}

// checkProfile compares what was detected with the configured profile.
func checkProfile(name string, d config.Detected) error {
	p, ok := config.LookupProfile(name)
	if !ok {
		return fmt.Errorf("profile.name: %q is not allowed; one of %s", name, config.ProfileNames())
	}
	return p.Check(d)
}
