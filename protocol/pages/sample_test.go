package pages

import (
	"os"
	"testing"
)

// TestWriteSample writes a 300 dpi sample page to $PAGES_SAMPLE (e.g.
// /tmp/pages-sample.png) for a person to look at; skipped otherwise.
func TestWriteSample(t *testing.T) {
	path := os.Getenv("PAGES_SAMPLE")
	if path == "" {
		t.Skip("set PAGES_SAMPLE=/tmp/pages-sample.png to write a sample page")
	}
	img, err := renderer(t).Render(sampleSpec(300))
	if err != nil {
		t.Fatal(err)
	}
	b, err := EncodePNG(img, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, len(b))
}
