package buildinfo

import (
	"regexp"
	"testing"
)

// TestAttested: the attested sw is the build, a space and cfg=<digest>,
// within the 128 bytes protocol v1 allows for "sw".
func TestAttested(t *testing.T) {
	sw := SW()
	if !regexp.MustCompile(`^kofu-kiosk/[^+ ]+\+[^ ]+$`).MatchString(sw) {
		t.Fatalf("SW() = %q", sw)
	}
	a := Attested(sw, "0123456789abcdef")
	if a != sw+" cfg=0123456789abcdef" || len(a) > 128 {
		t.Fatalf("Attested = %q", a)
	}
	if Attested(sw, "") != sw {
		t.Fatal("no digest must leave sw alone")
	}
}
