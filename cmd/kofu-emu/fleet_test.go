package main

import (
	"bytes"
	"context"
	"testing"
)

// TestFleetFlags: usage errors are refused before any fleet starts.
func TestFleetFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--gen2-share", "-0.1"},
		{"--gen2-share", "1.5"},
		{"--gen2-share", "x"},
		{"--fault", "no-such-fault"},
	} {
		var out, errb bytes.Buffer
		if code, err := runFleet(context.Background(), args, &out, &errb); code != 2 || err == nil {
			t.Errorf("%q: code %d, err %v; want a usage error", args, code, err)
		}
	}
}
