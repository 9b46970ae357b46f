package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestCardUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frob"}, {"sign", "--in", "x"}, {"info", "extra"}, {"info", "--nope"}} {
		var out, errb bytes.Buffer
		code, err := runCard(context.Background(), args, &out, &errb)
		if code != 2 || err == nil {
			t.Errorf("card %q: code %d err %v, want usage error", args, code, err)
		}
	}
}

func TestReadSecretLine(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		err      bool
	}{
		{"1234\n", "1234", false},
		{"1234\r\nmore", "1234", false},
		{"1234", "1234", false},
		{"", "", true},
		{strings.Repeat("9", 100), strings.Repeat("9", 64), false},
	} {
		got, err := readSecretLine(strings.NewReader(tc.in))
		if string(got) != tc.want || (err != nil) != tc.err {
			t.Errorf("readSecretLine(%q) = %q, %v", tc.in, got, err)
		}
	}
	// A reader that fails mid-line: nothing returned.
	if got, err := readSecretLine(io.MultiReader(strings.NewReader("12"), errReader{})); err == nil || got != nil {
		t.Errorf("failing reader: %q, %v", got, err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }
