// Package deptest holds kofu's architecture written as tests, in the
// manner of Tailscale's tstest/deptest: which package may depend on which
// (the layering of DESIGN §1), and where the wall clock may be read (only
// where no verdict depends on it). It has no code of its own.
package deptest
