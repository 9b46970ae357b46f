package emulator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"kofu/protocol"
	"kofu/protocol/pages"
)

// FileSink is the emulator's printer until the emulated USB printer exists:
// it writes each verified page as a PNG into Dir, the one explicit place
// where document bytes may land on disk, and confirms a page once its file
// is fully written and synced.
type FileSink struct {
	Dir   string
	Files []string // paths written, in order
}

// ID identifies the sink as a printer.
func (f *FileSink) ID() protocol.PrinterID {
	return protocol.PrinterID{MFG: "kofu", MDL: "emulator file output", SN: "EMU0001"}
}

// Print writes the verified rasters, exactly the pixels that were checked.
func (f *FileSink) Print(ctx context.Context, tid []byte, vp []*protocol.VerifiedPage) (int, error) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return 0, err
	}
	for i, p := range vp {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		data, err := pages.EncodePNG(p.Image, p.DPI)
		if err != nil {
			return i, err
		}
		path := filepath.Join(f.Dir, fmt.Sprintf("%s-p%d.png", protocol.B64(tid), p.N))
		err = writeSynced(path, data)
		clear(data)
		if err != nil {
			return i, err
		}
		f.Files = append(f.Files, path)
	}
	return len(vp), nil
}

func writeSynced(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
