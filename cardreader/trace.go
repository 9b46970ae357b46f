package cardreader

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// tracer writes one line per APDU to a technician's trace. VERIFY data
// never reaches it (FormatCommand redacts it).
type tracer struct {
	mu sync.Mutex
	w  io.Writer
}

func (t *tracer) command(reader string, apdu []byte) {
	if t == nil || t.w == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s > %s\n", time.Now().Format("15:04:05.000"), reader, FormatCommand(apdu))
}

func (t *tracer) response(reader string, r []byte, err error, d time.Duration) {
	if t == nil || t.w == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		fmt.Fprintf(t.w, "%s %s < error after %s: %v\n", time.Now().Format("15:04:05.000"), reader, d.Round(time.Microsecond), err)
		return
	}
	fmt.Fprintf(t.w, "%s %s < %s (%s)\n", time.Now().Format("15:04:05.000"), reader, FormatResponse(r), d.Round(time.Microsecond))
}
