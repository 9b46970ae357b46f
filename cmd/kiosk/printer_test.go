package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunPrinter(t *testing.T) {
	dir := t.TempDir()
	pcl := filepath.Join(dir, "out.pcl")
	for _, c := range []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"list emulator", []string{"list", "--printer", "emulator"}, 0, []string{"kofu Emulated Laser 5", "protocol 2 (bidirectional)", "PJL + PCL 5"}},
		{"list emulated IPP printer", []string{"list", "--printer", "emulator:ipp"}, 0, []string{"IPP-over-USB"}},
		{"status emulator", []string{"status", "--printer", "emulator"}, 0, []string{"PJL:       10001 info", "status:    ready"}},
		{"status IPP emulator", []string{"status", "--printer", "emulator:ipp"}, 0, []string{"printer-state 3", "status:    ready"}},
		{"status file", []string{"status", "--printer", "file:" + pcl}, 0, []string{"status:    ready"}},
		{"testpage emulator", []string{"testpage", "--printer", "emulator"}, 0, []string{"printed and confirmed"}},
		{"testpage 600 dpi IPP", []string{"testpage", "--printer", "emulator:ipp", "--dpi", "600"}, 0, []string{"printed and confirmed"}},
		{"testpage file", []string{"testpage", "--printer", "file:" + pcl}, 0, []string{"printed and confirmed"}},
		{"testpage paper out", []string{"testpage", "--printer", "emulator:paper-out@1", "--timeout", "3s"}, 1, []string{"NOT confirmed", "paper out"}},
		{"no subcommand", nil, 2, nil},
		{"bad subcommand", []string{"print"}, 2, nil},
		{"bad spec", []string{"status", "--printer", "lpt1"}, 2, nil},
		{"bad dpi", []string{"testpage", "--printer", "emulator", "--dpi", "150"}, 2, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var out, errw bytes.Buffer
			code, err := runPrinter(ctx, c.args, &out, &errw)
			if code == 2 && err == nil {
				t.Fatalf("usage error without a message")
			}
			if code != c.code {
				t.Fatalf("code %d (%v), want %d\n%s", code, err, c.code, out.String())
			}
			for _, want := range c.out {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
	data, err := os.ReadFile(pcl)
	if err != nil || !bytes.Contains(data, []byte("@PJL ENTER LANGUAGE=PCL")) {
		t.Fatalf("file printer wrote %d bytes: %v", len(data), err)
	}
}
