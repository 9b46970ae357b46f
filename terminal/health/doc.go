// Package health owns the kiosk's preflight checks: card reader, JPKI
// applet, printer, center (mutual TLS, clock skew), journal and free disk.
// Each check is a small value that reports OK, WARN or FAIL in plain words
// saying what is wrong and what to do; `kiosk selftest`, `kiosk diag` and
// the customer UI's out-of-service gate all run the same checks.
package health
