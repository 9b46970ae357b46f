package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"

	"kofu/internal/clock"
	"kofu/internal/fixtures"
	"kofu/protocol/center"
)

// kioskFigures: the kiosk's own cost. A kiosk worker process (kioskWorker)
// runs one-page 300 dpi transactions in emulator mode with no injected
// latency against a center in this process; the worker reports its CPU
// time per transaction (its emulated card and emulated printer included,
// the center not), its RSS after the transactions, and the median time
// from the last page received to the first byte on the printer link.
func kioskFigures(ctx context.Context, o Options, fx *fixtures.Set) ([]Figure, error) {
	if len(o.Worker) == 0 {
		return nil, errors.New("no worker command (Options.Worker)")
	}
	srv, err := center.Start(center.Config{Fixtures: fx, DPI: 300, Now: clock.Wall}, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	args := append(append([]string{}, o.Worker[1:]...), "kiosk", "--center", srv.URL, "--transactions", strconv.Itoa(o.KioskTx))
	cmd := exec.CommandContext(ctx, o.Worker[0], args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kiosk worker: %w\n%s", err, errb.Bytes())
	}
	var rep WorkerReport
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &rep); err != nil {
		return nil, fmt.Errorf("kiosk worker output %q: %w", out.String(), err)
	}
	if rep.Printed != rep.Transactions || rep.Transactions == 0 {
		return nil, fmt.Errorf("kiosk worker printed %d of %d (last: %s %s)", rep.Printed, rep.Transactions, rep.LastOutcome, rep.LastReason)
	}
	cpu := againstTarget("kiosk", "kiosk CPU per one-page transaction (300 dpi)", round(rep.CPUms/float64(rep.Transactions), 2), "ms", "<=", 100)
	cpu.Note = fmt.Sprintf("getrusage of a kiosk process over %d transactions (wall %.0f ms each); includes the emulated card's RSA signature and the emulated printer decoding the job, not the center",
		rep.Transactions, rep.WallMs/float64(rep.Transactions))
	fb := againstTarget("kiosk", "document verified → first byte on the printer link", rep.FirstByteMs, "ms", "<=", 50)
	fb.Note = fmt.Sprintf("medians: journaling the print state (append + fsync, timed on the fee → fetch transition) %.2f ms, then print state → first bulk-out byte %.2f ms; from the last page byte received, page checks included: %.1f ms",
		rep.JournalMs, rep.AfterPrintMs, rep.ReceivedMs)
	rss := againstTarget("kiosk", fmt.Sprintf("kiosk RSS after %d transactions", rep.Transactions), round(float64(rep.RSSKiB)/1024, 1), "MiB", "<=", 64)
	rss.Note = fmt.Sprintf("VmRSS of the kiosk process; its peak (VmHWM) was %.1f MiB", float64(rep.HWMKiB)/1024)
	return []Figure{cpu, fb, rss}, nil
}
