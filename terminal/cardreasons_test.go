package terminal

import (
	"fmt"
	"testing"

	"kofu/cardreader"
)

// TestCardReasons: the card reader's errors that a resident must hear
// about plainly reach the session as their own reason codes, not as a
// generic card error (issue 16, item 3).
func TestCardReasons(t *testing.T) {
	cases := []struct {
		stage string
		err   error
		want  Reason
	}{
		{"card-certificate", fmt.Errorf("read EF 000A: %w", cardreader.ErrNoCertificate), "card-certificate-missing"},
		{"card-pin", fmt.Errorf("tries: %w", cardreader.ErrPINTriesUnknown), "card-pin-tries-unknown"},
		{"card-certificate", fmt.Errorf("read: %w", cardreader.ErrMalformed), "card-certificate-error"},
	}
	for _, c := range cases {
		if got := reasonOf(c.stage, c.err); got != c.want {
			t.Errorf("reasonOf(%s, %v) = %s, want %s", c.stage, c.err, got, c.want)
		}
	}
}
