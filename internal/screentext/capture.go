package screentext

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// CapturesEnv names the environment variable that holds the folder the
// UIs' screen-capture tests write to (make screens: docs/screens); unset,
// they write nothing.
const CapturesEnv = "KOFU_SCREENS"

// Settled returns the screen snap shows once it has stopped changing (two
// snapshots every poll alike), or an error with the last one when it is
// still changing after within (elapsed time only: a polling deadline).
func Settled(snap func() string, poll, within time.Duration) (string, error) {
	prev := snap()
	deadline := time.Now().Add(within)
	for {
		time.Sleep(poll)
		s := snap()
		if s == prev {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("the screen never settled; it shows:\n%s", s)
		}
		prev = s
	}
}

// WriteCapture writes screen s, with a final newline, to path, making its
// folder.
func WriteCapture(path, s string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(s+"\n"), 0o644)
}
