package printer

import (
	"image"
	"testing"

	"kofu/printer/internal/testpage"
	"kofu/protocol"
)

var sample = testpage.New()

// testPages returns n printable pages of the sample certificate at dpi.
// The printer package cannot verify a resident's document (only the
// verifier makes those), so they are technician test pages: the printer
// treats every VerifiedPage alike.
func testPages(t testing.TB, n, dpi int) []*protocol.VerifiedPage {
	t.Helper()
	return testPagesOf(t, sample.Page(t, dpi), dpi, n)
}

// testPagesOf returns n technician test pages of img at dpi.
func testPagesOf(t testing.TB, img *image.Gray, dpi, n int) []*protocol.VerifiedPage {
	t.Helper()
	return testpage.Pages(t, img, dpi, n)
}
