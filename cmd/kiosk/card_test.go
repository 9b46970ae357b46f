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

// TestReadPIN: where a command's PIN comes from. The stdin PIN is a fresh
// slice (the caller zeroes it); --pin and --pin-stdin together, and an
// empty or missing line, are errors rather than a PIN spent on the card.
func TestReadPIN(t *testing.T) {
	for _, tc := range []struct {
		name      string
		arg       string
		fromStdin bool
		stdin     string
		want      string
		err       bool
	}{
		{"--pin (tests only)", "1234", false, "", "1234", false},
		{"no PIN given: the caller's default", "", false, "9999\n", "", false},
		{"--pin-stdin", "", true, "5678\nrest", "5678", false},
		{"--pin-stdin, CRLF", "", true, "5678\r\n", "5678", false},
		{"--pin-stdin, no newline", "", true, "5678", "5678", false},
		{"--pin-stdin and --pin", "1234", true, "5678\n", "", true},
		{"--pin-stdin, empty line", "", true, "\n", "", true},
		{"--pin-stdin, empty stdin", "", true, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readPIN(tc.arg, tc.fromStdin, strings.NewReader(tc.stdin))
			if string(got) != tc.want || (err != nil) != tc.err {
				t.Fatalf("readPIN = %q, %v", got, err)
			}
			if err != nil && (strings.Contains(err.Error(), "5678") || strings.Contains(err.Error(), "1234")) {
				t.Errorf("the error shows the PIN: %v", err)
			}
		})
	}
}

// TestCardSignPINUsage: card sign reads its PIN before touching a reader,
// so a bad PIN source is a usage error (exit 2) on any machine.
func TestCardSignPINUsage(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"no PIN source", []string{"sign", "--in", "x", "--out", "y"}, "1234\n"},
		{"--pin and --pin-stdin", []string{"sign", "--pin", "1234", "--pin-stdin", "--in", "x", "--out", "y"}, "1234\n"},
		{"--pin-stdin with an empty line", []string{"sign", "--pin-stdin", "--in", "x", "--out", "y"}, "\n"},
		{"--pin - with nothing on stdin", []string{"sign", "--pin", "-", "--in", "x", "--out", "y"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code, err := runCardIn(context.Background(), tc.args, strings.NewReader(tc.stdin), &out, &errb)
			if code != 2 || err == nil {
				t.Errorf("code %d err %v, want a usage error", code, err)
			}
		})
	}
}
