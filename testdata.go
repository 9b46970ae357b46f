// Package kofu holds the module's embedded test material: the generated
// test PKI, the test residents and the IPA font, so that emulator mode
// works from any built binary without a checkout beside it.
//
// Everything under testdata/pki is a TEST key; see testdata/pki/README.md.
package kofu

import "embed"

//go:generate go run ./internal/fixtures/gen -out testdata

// TestData is the read-only test material. Load it through
// kofu/internal/fixtures, not directly.
//
//go:embed testdata/pki testdata/residents testdata/fonts
var TestData embed.FS
