//go:generate go run ./internal/genreasons -doc ../../docs/operator.md -out reasons_table.go

// Package diag is the technician UI (`kiosk diag`): tview screens for the
// preflight checks, the card reader and card, the printer, the center,
// the journal and its counters. Views only show what the Backend reports;
// the checks themselves live in terminal/health. English only: it is for
// technicians, not residents.
package diag
