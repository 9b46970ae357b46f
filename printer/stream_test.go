package printer

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recLink records bulk OUT transfers; BulkOut blocks while stalled.
type recLink struct {
	mu        sync.Mutex
	transfers [][]byte
	stalled   chan struct{} // non-nil: BulkOut blocks until closed or ctx done
	status    PortStatus
	polls     int
	mps       int
}

func (l *recLink) Info() Info { return Info{Protocol: 2, HasIn: true, MaxPacketOut: l.mps} }
func (l *recLink) Control(ctx context.Context, rType, req uint8, v, i uint16, data []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if req != reqGetPortStatus {
		return 0, ErrStall
	}
	l.polls++
	data[0] = byte(l.status)
	return 1, nil
}
func (l *recLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	if l.stalled != nil {
		select {
		case <-l.stalled:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	l.mu.Lock()
	l.transfers = append(l.transfers, bytes.Clone(p))
	l.mu.Unlock()
	return len(p), nil
}
func (l *recLink) BulkIn(ctx context.Context, p []byte) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}
func (l *recLink) Close() error { return nil }

// TestJobWriterEndsShort: whatever the length, transfers are full
// 16 KiB ones and a last one that is not a multiple of the max packet
// size, and together they are the stream.
func TestJobWriterEndsShort(t *testing.T) {
	for _, mps := range []int{64, 512} {
		for _, total := range []int{1, 511, 512, 513, 8191, 8192, 16383, 16384, 16385, 16384 + 512, 32768, 100000, 3 * 16384} {
			for _, chunk := range []int{1, 700, 16384, 1 << 20} {
				l := &recLink{mps: mps}
				w := newJobWriter(context.Background(), l, &Options{})
				src := make([]byte, total)
				for i := range src {
					src[i] = byte(i * 7)
				}
				for p := src; len(p) > 0; {
					k := min(chunk, len(p))
					if _, err := w.Write(p[:k]); err != nil {
						t.Fatal(err)
					}
					p = p[k:]
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got := bytes.Join(l.transfers, nil)
				if !bytes.Equal(got, src) {
					t.Fatalf("mps %d total %d chunk %d: stream differs", mps, total, chunk)
				}
				last := l.transfers[len(l.transfers)-1]
				if len(last)%mps == 0 {
					t.Fatalf("mps %d total %d: last transfer of %d bytes ends without a short packet", mps, total, len(last))
				}
				for i, tr := range l.transfers[:len(l.transfers)-1] {
					if len(tr) != transferSize && !(i == len(l.transfers)-2 && len(tr)%mps != 0) {
						t.Fatalf("mps %d total %d: transfer %d of %d bytes", mps, total, i, len(tr))
					}
				}
				if l.polls != 0 {
					t.Fatalf("port status polled %d times while data flowed", l.polls)
				}
			}
		}
	}
}

// TestJobWriterStall: the port status is polled only once a transfer
// stalls; a problem aborts with its kind, a printer that is merely slow
// is waited for, and one that takes nothing for WriteTimeout is offline.
func TestJobWriterStall(t *testing.T) {
	for _, c := range []struct {
		name    string
		status  PortStatus
		release time.Duration // unstall after this (0: never)
		want    error
	}{
		{"paper out", StatusPaperEmpty | StatusNotError, 0, ErrPaperOut},
		{"jam", StatusJam | StatusNotError, 0, ErrJam},
		{"error bit", StatusSelected, 0, ErrOffline},
		{"slow but fine", StatusNotError | StatusSelected, 150 * time.Millisecond, nil},
		{"takes nothing", StatusNotError | StatusSelected, 0, ErrOffline},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &recLink{mps: 512, stalled: make(chan struct{}), status: c.status}
			if c.release > 0 {
				time.AfterFunc(c.release, func() { close(l.stalled) })
			}
			w := newJobWriter(context.Background(), l, &Options{StallTimeout: 20 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
			start := time.Now() // measures elapsed time only
			w.Write(make([]byte, 40000))
			err := w.Close()
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
			} else if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if l.polls == 0 {
				t.Fatal("port status never polled during the stall")
			}
			if c.want != nil && errors.Is(err, ErrUnconfirmed) {
				t.Fatalf("nothing was sent but the error says unconfirmed: %v", err)
			}
			t.Logf("%v after %v, %d polls", err, time.Since(start).Round(time.Millisecond), l.polls)
		})
	}
}
