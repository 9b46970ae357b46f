//go:build !cgo

package cardreader

// Built without cgo there is no libpcsclite: every PC/SC entry point
// reports ErrNoBackend. In-process cards (NewDialer, cardreader/emucard)
// work the same.

func newSys() (sysAPI, error) { return nil, ErrNoBackend }
