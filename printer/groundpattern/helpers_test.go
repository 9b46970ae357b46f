package groundpattern

import (
	"os"
	"testing"

	"golang.org/x/image/font/opentype"
)

const fontPath = "../../testdata/fonts/ipag.ttf"

func readFont(tb testing.TB) []byte {
	tb.Helper()
	ttf, err := os.ReadFile(fontPath)
	if err != nil {
		tb.Fatal(err)
	}
	return ttf
}

func parseFont(tb testing.TB) *opentype.Font {
	tb.Helper()
	f, err := opentype.Parse(readFont(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// standardPattern builds the pattern New builds.
func standardPattern(tb testing.TB) *Pattern {
	tb.Helper()
	p, err := New(readFont(tb), DPI)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func countBlack(b interface {
	Size() (int, int)
	Black(x, y int) bool
}) int {
	w, h := b.Size()
	n := 0
	for y := range h {
		for x := range w {
			if b.Black(x, y) {
				n++
			}
		}
	}
	return n
}
