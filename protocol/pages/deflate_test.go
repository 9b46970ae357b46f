package pages

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"hash/adler32"
	"io"
	"testing"
)

// TestRowDeflate: compress/flate inflates appendRowDeflate's output back
// to the input, alone and with a non-final segment followed by another
// (the sync flush must leave a byte-aligned, continuing stream), and
// rowsAdler32 equals hash/adler32.
func TestRowDeflate(t *testing.T) {
	const stride = 301
	random := make([]byte, 5*stride)
	rand.Read(random)
	white := bytes.Repeat(append([]byte{0}, bytes.Repeat([]byte{255}, stride-1)...), 40)
	pattern := make([]byte, 30*stride)
	for i := range pattern {
		if i%stride != 0 {
			pattern[i] = byte(200 + (i%stride)%17)
		}
	}
	mixed := append(append(append([]byte{}, white...), random...), pattern...)
	long := bytes.Repeat([]byte{7}, 70000) // runs past the 32 KiB window
	for name, c := range map[string]struct {
		data   []byte
		period int
	}{
		"empty": {nil, 0}, "one byte": {[]byte{9}, 0}, "random": {random, 0}, "white rows": {white, 0},
		"pattern": {pattern, 17}, "mixed": {mixed, 17}, "long run": {long, 0},
	} {
		t.Run(name, func(t *testing.T) {
			for _, final := range []bool{true, false} {
				z := appendRowDeflate(nil, c.data, stride, c.period, final)
				if !final {
					z = appendRowDeflate(z, []byte("next"), stride, 0, true)
				}
				got, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
				want := c.data
				if !final {
					want = append(append([]byte{}, c.data...), "next"...)
				}
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("final=%v: inflated %d bytes (%v), want %d", final, len(got), err, len(want))
				}
			}
			if got, want := rowsAdler32(c.data, stride), adler32.Checksum(c.data); got != want {
				t.Fatalf("rowsAdler32 %08x, want %08x", got, want)
			}
			if len(c.data) > 1000 && len(appendRowDeflate(nil, c.data, stride, c.period, true)) > len(c.data)/4 && name != "random" && name != "mixed" {
				t.Errorf("structured input compressed poorly")
			}
		})
	}
	// Repeated rows whose length leaves a 1- or 2-byte tail after 258.
	for _, stride := range []int{259, 260, 261, 516, 3} {
		row := make([]byte, stride)
		for i := range row {
			row[i] = byte(i * 7)
		}
		data := bytes.Repeat(row, 5)
		z := appendRowDeflate(nil, data, stride, 0, true)
		got, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("stride %d: inflated %d bytes (%v), want %d", stride, len(got), err, len(data))
		}
	}
}
