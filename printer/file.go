package printer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"kofu/printer/pjl"
	"kofu/protocol"
)

// openFile returns a printer that appends, job after job, the exact bytes
// a USB printer would receive to path: PJL + PCL 5 for a path ending in
// .pcl, PWG Raster for .pwg. This is the one place document bytes land on
// disk, and only because the caller asked. A job is confirmed once it is
// completely written and synced.
func openFile(path string) (*Printer, error) {
	var cmd string
	var plan Plan
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pcl":
		cmd, plan = "PJL,PCL", Plan{Path: PathPJLPCL, Confirm: true, Why: "file: PJL + PCL 5 as sent over USB"}
	case ".pwg":
		cmd, plan = "PWG", Plan{Path: PathPWG, Confirm: true, Why: "file: PWG Raster as sent over USB"}
	default:
		return nil, fmt.Errorf("printer: file %q: the name must end in .pcl or .pwg", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("printer: %w", err)
	}
	l := &fileLink{f: f, info: Info{Protocol: protoUnidir, Manufacturer: "kofu", Product: "file", MaxPacketOut: 512}}
	id, err := ParseDeviceID("MFG:kofu;MDL:file " + filepath.Base(path) + ";CMD:" + cmd + ";")
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Printer{link: l, info: l.info, id: id, plan: plan, isFile: true}, nil
}

// printFile writes one job and syncs it.
func (p *Printer) printFile(ctx context.Context, pages []*protocol.VerifiedPage) (int, error) {
	fl := p.link.(*fileLink)
	job, err := newFileJob(p)
	if err != nil {
		return 0, err
	}
	job.Duplex = countOf(pages, 0).Duplex
	w := newJobWriter(ctx, p.link, &p.opts)
	if err := writeJob(w, p.plan.Path, job, pages, &p.opts); err != nil {
		return 0, fmt.Errorf("printer: file: %w", err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("printer: file: %w", err)
	}
	if err := fl.f.Sync(); err != nil {
		return 0, fmt.Errorf("printer: file: %w", err)
	}
	return len(pages), nil
}

// fileLink is a Link whose bulk OUT pipe is a file.
type fileLink struct {
	mu   sync.Mutex
	f    *os.File
	info Info
}

func (l *fileLink) Info() Info { return l.info }

func (l *fileLink) Control(context.Context, uint8, uint8, uint16, uint16, []byte) (int, error) {
	return 0, ErrStall
}

func (l *fileLink) BulkOut(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Write(p)
}

func (l *fileLink) BulkIn(ctx context.Context, _ []byte) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func (l *fileLink) Close() error { return l.f.Close() }

// newFileJob names the job a .pcl file gets (PWG Raster has no job
// envelope).
func newFileJob(p *Printer) (pjl.Job, error) {
	if p.plan.Path != PathPJLPCL {
		return pjl.Job{}, nil
	}
	return pjl.NewJob(p.opts.Rand, "PCL")
}
